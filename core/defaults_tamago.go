//go:build tamago && amd64

package core

import (
	"runtime/goos"

	"github.com/aerokernel/aero/core/platform"
)

func init() {
	RegisterClock(DefaultName, func() Clock { return tscClock{} })
	RegisterConsole(DefaultName, func() Console { return serialConsole{} })
}

// tscClock is the default Clock: the platform's TSC, calibrated at boot.
type tscClock struct{}

func (tscClock) Name() string       { return DefaultName }
func (tscClock) Init(*Kernel) error { return nil }
func (tscClock) Nanotime() int64    { return goos.Nanotime() }
func (tscClock) Hz() uint64         { return platform.TSCFrequency() }
func (tscClock) Source() string     { return "tsc" }
func (tscClock) Reference() string  { return platform.ClockReference() }

// serialConsole is the default Console: COM1, polled, output only.
type serialConsole struct{}

func (serialConsole) Name() string       { return DefaultName }
func (serialConsole) Init(*Kernel) error { return nil }

func (serialConsole) Write(p []byte) (int, error) {
	for _, c := range p {
		goos.Printk(c)
	}
	return len(p), nil
}
