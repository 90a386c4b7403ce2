//go:build tamago && amd64

package core

import (
	"github.com/aerokernel/aero/core/platform"
)

func init() {
	RegisterClock(DefaultName, func() Clock { return tscClock{} })
	RegisterConsole(DefaultName, func() Console { return serialConsole{} })
}

// tscClock is the default Clock: the platform's TSC, calibrated at boot.
// It is what the runtime's time is before any Clock is chosen, so choosing
// it switches nothing.
type tscClock struct{}

func (tscClock) Name() string       { return DefaultName }
func (tscClock) Init(*Kernel) error { return nil }
func (tscClock) Hz() uint64         { return platform.TSCFrequency() }
func (tscClock) Source() string     { return "tsc" }
func (tscClock) Reference() string  { return platform.ClockReference() }

//go:nosplit
func (tscClock) Nanotime() int64 { return platform.TSCNanotime() }

// serialConsole is the default Console: COM1, output polled, input by
// interrupt (ISA IRQ 4 through the I/O APIC).
type serialConsole struct{}

func (serialConsole) Name() string       { return DefaultName }
func (serialConsole) Init(*Kernel) error { return nil }

//go:nosplit
func (serialConsole) PutByte(c byte) { platform.COM1Write(c) }

func (serialConsole) StartInput(deliver func(p []byte)) error {
	return platform.ReceiveCOM1(deliver)
}

// useConsole sends kernel output to c (see platform.SetConsole).
func useConsole(c Console) { platform.SetConsole(c) }

// useClock makes c the runtime's time (see platform.SetClock); the default
// clock already is.
func useClock(c Clock) {
	if _, isTSC := c.(tscClock); isTSC {
		return
	}
	platform.SetClock(c)
}
