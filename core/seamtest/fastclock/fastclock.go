//go:build tamago && amd64

// Package fastclock is a test Clock that proves the clock seam: linking it
// makes the runtime's time run at Rate times real time (the calibrated
// TSC), so time.Sleep(time.Second) takes 1/Rate s by any outside clock.
package fastclock

import (
	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/platform"
)

// Name is the clock's name on the command line (clock=).
const Name = "fast"

// Rate is how many nanoseconds the clock counts per real nanosecond.
const Rate = 2

func init() {
	core.RegisterClock(Name, func() core.Clock { return &Clock{} })
}

// Clock counts Rate times as fast as the TSC from its Init on.
type Clock struct {
	base int64 // TSC nanoseconds at Init
}

func (c *Clock) Name() string { return Name }

func (c *Clock) Init(*core.Kernel) error {
	c.base = platform.TSCNanotime()
	return nil
}

// Nanotime is Rate times the TSC time since Init (core shifts it to go on
// from the time before).
//
//go:nosplit
func (c *Clock) Nanotime() int64 {
	return Rate * (platform.TSCNanotime() - c.base)
}

func (c *Clock) Hz() uint64        { return Rate * platform.TSCFrequency() }
func (c *Clock) Source() string    { return "fast2x" }
func (c *Clock) Reference() string { return platform.ClockReference() }
