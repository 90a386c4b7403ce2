//go:build tamago && amd64

package numa

import (
	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/platform"
)

// Current returns the node of the CPU the caller runs on (by
// platform.CPUIndex), or -1 on a CPU Boot did not bring up. A goroutine may
// move to another CPU at any time unless it keeps to one (one M per CPU and
// no blocking call in between, or runtime.LockOSThread with a scheduler
// that binds threads), so the answer is a hint for placement, exact only
// for code that cannot move.
func (t *Topology) Current() int { return t.NodeOf(platform.CPUIndex()) }

// Running returns the running kernel's topology when it is this module's
// (the kernel links numa and Boot chose it), else nil.
func Running() *Topology {
	k := core.Running()
	if k == nil {
		return nil
	}
	t, _ := k.Topology.(*Topology)
	return t
}
