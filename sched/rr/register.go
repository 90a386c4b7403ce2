//go:build tamago && amd64

package rr

import (
	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/sched"
)

func init() {
	core.RegisterScheduler(Name, func() core.Scheduler { return sched.New(Name, &Policy{}) })
}
