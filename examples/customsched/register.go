//go:build tamago && amd64

package customsched

import (
	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/sched"
)

func init() {
	core.RegisterScheduler(Name, func() core.Scheduler { return sched.New(Name, &Policy{}) })
}
