//go:build tamago && amd64

package console

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/aerokernel/aero/console/shell"
	"github.com/aerokernel/aero/console/uart"
	"github.com/aerokernel/aero/console/vc"
	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/klog"
	"github.com/aerokernel/aero/core/platform"
)

// COM1: I/O ports 0x3f8-0x3ff, ISA IRQ 4 (the PC's wiring).
const (
	com1Base = 0x3f8
	com1IRQ  = 4
)

func init() {
	core.RegisterConsole(Name, func() core.Console { return &Console{} })
}

// The console the kernel runs with, for the shell's commands (devs).
var running *Console

// Console is the console module's core.Console and core.ConsoleShell.
type Console struct {
	mux  *vc.Mux
	log  *vc.Console // the kernel log's virtual console: ID 0
	uart *uart.UART
	mode string // shell=

	// tx serialises the terminal between PutByte (interrupts off, from
	// core's printk) and the virtual consoles' output (goroutines, which
	// take it with interrupts off too): a spin lock, 0 free.
	tx atomic.Uint32

	// panicMatch follows the start of the line being printed for "panic: "
	// and "fatal error: " (PutByte's state; core calls it one CPU at a
	// time).
	lineLen    int
	matchPanic bool
	matchFatal bool
}

func (c *Console) Name() string { return Name }

// Init sets up the virtual consoles; the kernel log is in front. shell=
// on the command line says what StartShell does (see ShellModes).
func (c *Console) Init(k *core.Kernel) error {
	c.mode = k.Cmdline.String("shell", ShellFront)
	if !slices.Contains(ShellModes, c.mode) {
		return fmt.Errorf("shell=%s: want one of %s", c.mode, strings.Join(ShellModes, ", "))
	}
	c.mux = vc.New(terminal{c})
	c.log = c.mux.Add("kernel log", logSource{})
	running = c
	return nil
}

// StartInput starts the 16550's interrupt-driven receive: every byte goes
// to deliver (Kernel.Input), which the shells read through the virtual
// consoles.
func (c *Console) StartInput(deliver func(p []byte)) error {
	regs, err := platform.Ports(com1Base, uart.Size)
	if err != nil {
		return err
	}
	irq, err := platform.ISAIRQ(com1IRQ)
	if err != nil {
		return fmt.Errorf("console: COM1 receive: %w", err)
	}
	u, err := uart.New(regs, irq)
	if err == nil {
		err = u.StartReceive(deliver)
	}
	if err != nil {
		irq.Close()
		return fmt.Errorf("console: COM1 receive: %w", err)
	}
	c.uart = u
	return nil
}

// StartShell starts the root shell and brings it to the front, and the
// goroutine passing the console's input to the virtual consoles.
func (c *Console) StartShell(k *core.Kernel) {
	if c.mode == ShellOff {
		return
	}
	if k.Input == nil {
		klog.Logf(klog.Warning, "console: no input (no I/O APIC?): no shell")
		return
	}
	c.mux.NewShell = func(v *vc.Console) { c.runShell(v, fmt.Sprintf("aero:%c> ", 'a'+v.ID)) }
	root := c.mux.Add("root shell", nil)
	go func() {
		buf := make([]byte, 256)
		for {
			n, _ := k.Input.Read(buf)
			c.mux.Input(buf[:n])
		}
	}()
	if c.mode == ShellFront {
		c.mux.Start(root)
	}
	go c.logInput()
	c.runShell(root, "aero> ")
}

// logHint is what Enter on the kernel log's console shows: it takes no
// commands.
const logHint = "(this is the kernel log: ``2 goes to the shell, ``3 lists the consoles)\n"

// logInput reads what is typed on the kernel log's console and answers
// Enter with logHint, so that keys there are not met with silence.
func (c *Console) logInput() {
	buf := make([]byte, 64)
	for {
		n, _ := c.log.Read(buf)
		if bytes.ContainsAny(buf[:n], "\r\n") {
			c.log.Write([]byte(logHint))
		}
	}
}

func (c *Console) runShell(v *vc.Console, prompt string) {
	sh := &shell.Shell{Prompt: prompt, In: v, Out: v}
	go sh.Run()
}

// PutByte shows a byte of kernel output while the kernel log is in front
// (it is in the log already: core's printk keeps every line), and brings
// the log to the front for a panic.
//
//go:nosplit
func (c *Console) PutByte(b byte) {
	front := c.mux.InFront(c.log.ID)
	if !front && c.panicking(b) {
		c.mux.Force(c.log.ID)
		c.lock()
		txString("\n")
		if c.matchPanic {
			txString(panicPrefix)
		} else {
			txString(fatalPrefix)
		}
		c.unlock()
		return
	}
	if front {
		c.lock()
		platform.COM1Write(b)
		c.unlock()
	}
}

const (
	panicPrefix = "panic: "
	fatalPrefix = "fatal error: "
)

// panicking follows the line being printed and reports true at the byte
// that completes a "panic: " or "fatal error: " at its start.
//
//go:nosplit
func (c *Console) panicking(b byte) bool {
	if b == '\n' {
		c.lineLen, c.matchPanic, c.matchFatal = 0, true, true
		return false
	}
	i := c.lineLen
	c.lineLen++
	if i == 0 {
		c.matchPanic, c.matchFatal = true, true
	}
	c.matchPanic = c.matchPanic && i < len(panicPrefix) && panicPrefix[i] == b
	c.matchFatal = c.matchFatal && i < len(fatalPrefix) && fatalPrefix[i] == b
	return c.matchPanic && i == len(panicPrefix)-1 || c.matchFatal && i == len(fatalPrefix)-1
}

//go:nosplit
func (c *Console) lock() {
	for !c.tx.CompareAndSwap(0, 1) {
	}
}

//go:nosplit
func (c *Console) unlock() { c.tx.Store(0) }

//go:nosplit
func txString(s string) {
	for i := 0; i < len(s); i++ {
		platform.COM1Write(s[i])
	}
}

// terminal is the serial line as the virtual consoles write to it.
type terminal struct{ c *Console }

// txChunk is the most a goroutine sends with interrupts off at a time.
const txChunk = 64

func (t terminal) Write(p []byte) (int, error) {
	for off := 0; off < len(p); off += txChunk {
		t.c.send(p[off:min(off+txChunk, len(p))])
	}
	return len(p), nil
}

// send writes p with the terminal locked and interrupts off: nosplit all
// the way, so the goroutine cannot be descheduled holding the lock that
// PutByte spins on.
//
//go:nosplit
func (c *Console) send(p []byte) {
	flags := platform.DisableInterrupts()
	c.lock()
	for i := 0; i < len(p); i++ {
		platform.COM1Write(p[i])
	}
	c.unlock()
	platform.RestoreInterrupts(flags)
}

// logSource draws the kernel log's console: the shown lines the log keeps
// (the newest redrawLines).
type logSource struct{}

const redrawLines = 200

func (logSource) Redraw(w io.Writer) {
	lines := make([]klog.Line, klog.Capacity)
	n, _ := platform.ReadLog(0, lines)
	var shown []*klog.Line
	for i := range lines[:n] {
		if lines[i].Shown {
			shown = append(shown, &lines[i])
		}
	}
	var out []byte
	for _, l := range shown[max(0, len(shown)-redrawLines):] {
		out = append(out, l.Text()...)
		if !l.Cont {
			out = append(out, '\n')
		}
	}
	w.Write(out)
}
