//go:build tamago && amd64

package core

import (
	"fmt"
	"runtime"
	"slices"

	"github.com/aerokernel/aero/core/platform"
)

// startCPUs starts the processors with the given APIC IDs the way the
// chosen Scheduler runs threads: its AP entry on each AP, its hooks in the
// runtime before the runtime gets the CPUs (and so before a second M
// exists). CPUs that did not start are a warning; a Scheduler that cannot
// run is an error.
func (k *Kernel) startCPUs(ids []uint32) ([]uint32, error) {
	// At most every CPU of ids, and the boot CPU if ids lacks it.
	n := len(ids)
	if !slices.Contains(ids, uint32(platform.ProcessorID())) {
		n++
	}
	hooks, entry, err := k.schedulerThreads(n)
	if err != nil {
		return nil, err
	}
	up, err := platform.StartCPUs(ids, entry)
	if err != nil {
		k.Warnings = append(k.Warnings, err.Error())
	}
	if err := installThreadHooks(hooks); err != nil {
		return nil, &ModuleError{Kind: KindScheduler, Name: k.Scheduler.Name(), Err: err}
	}
	platform.RunCPUs()
	return up, nil
}

// installThreadHooks hands h to the runtime (nil: keep its default).
func installThreadHooks(h *ThreadHooks) (err error) {
	if h == nil {
		return nil
	}
	defer func() {
		// SetThreadHooks panics once a second M exists.
		if r := recover(); r != nil {
			err = fmt.Errorf("installing thread hooks: %v", r)
		}
	}()
	runtime.SetThreadHooks(runtime.ThreadHooks{
		Start:     h.Start,
		Sleep:     h.Sleep,
		Wake:      h.Wake,
		Yield:     h.Yield,
		Idle:      h.Idle,
		Exit:      h.Exit,
		KeepP:     h.KeepP,
		OnePerCPU: h.OnePerCPU,
	})
	return nil
}
