//go:build tamago && amd64

// Package capture is a test Console that proves the console seam: linking
// it (a config's "console capture") makes it the kernel console, and it
// shows the host what it captured by writing every line of kernel output
// it receives to COM1 with the prefix Marker. A line that reaches the host
// without the prefix did not go through the console. Its input side is
// COM1's receive, as the default console's.
//
// Output is captured a line at a time into a fixed buffer, inside
// PutByte's rules (nosplit, no allocation, no locks: core calls it from
// one CPU at a time with interrupts off); a line longer than the buffer is
// written in pieces, each marked.
//
// With capture=fault on the command line the console breaks its contract
// on purpose: at the end of a line starting with FaultLine it reads
// address 0 (unmapped), to show core's fallback: output goes back to COM1,
// unmarked, and the fault's panic is seen there.
package capture

import (
	"fmt"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/platform"
)

// Name is the console's name in configs and on the command line.
const Name = "capture"

// Marker starts every line the console passes on to COM1.
const Marker = "capture| "

// FaultLine starts the line that makes the console fault (capture=fault).
const FaultLine = "seamtest: fault the console"

func init() {
	core.RegisterConsole(Name, func() core.Console { return &Console{} })
}

// Console captures kernel output; see the package documentation.
type Console struct {
	line  [200]byte
	n     int
	fault bool // capture=fault
}

func (c *Console) Name() string { return Name }

func (c *Console) Init(k *core.Kernel) error {
	switch v := k.Cmdline.String("capture", ""); v {
	case "":
	case "fault":
		c.fault = true
	default:
		return fmt.Errorf("capture=%s: the only setting is capture=fault", v)
	}
	return nil
}

// PutByte captures b; at the end of a line (or a full buffer) it writes the
// line to COM1 behind Marker.
//
//go:nosplit
func (c *Console) PutByte(b byte) {
	if b != '\n' {
		c.line[c.n] = b
		c.n++
		if c.n < len(c.line) {
			return
		}
	}
	for i := 0; i < len(Marker); i++ {
		platform.COM1Write(Marker[i])
	}
	for i := 0; i < c.n; i++ {
		platform.COM1Write(c.line[i])
	}
	platform.COM1Write('\n')
	if c.fault && c.startsWith(FaultLine) {
		faultSink = *unmapped
	}
	c.n = 0
}

// unmapped points at page 0, which Aero leaves unmapped.
var (
	unmapped  *byte
	faultSink byte
)

//go:nosplit
func (c *Console) startsWith(s string) bool {
	if c.n < len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c.line[i] != s[i] {
			return false
		}
	}
	return true
}

// StartInput receives on COM1, as the default console does.
func (c *Console) StartInput(deliver func(p []byte)) error {
	return platform.ReceiveCOM1(deliver)
}
