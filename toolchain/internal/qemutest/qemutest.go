// Package qemutest boots a guest under QEMU for a Go test and reads its
// serial console line by line, each line stamped with the host time it
// arrived, so that tests can wait for output and time it from outside.
//
// It is the seed of the qemu module's harness: keep it small.
package qemutest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DebugExitPort is the I/O port of the isa-debug-exit device the harness adds
// with Config.DebugExit: a guest that writes v there ends QEMU with exit
// status (v<<1)|1.
const DebugExitPort = 0xf4

// TailLines is how many serial lines an error report carries.
const TailLines = 40

// Config describes one QEMU run.
type Config struct {
	// QEMU is the emulator binary; empty means qemu-system-x86_64.
	QEMU string
	// Machine is the -machine type, e.g. "microvm" or "q35".
	Machine string
	// Accel is the -accel value; empty means "tcg,thread=multi".
	Accel string
	// CPU is the -cpu model; empty means "max".
	CPU string
	// CPUs is the -smp count; 0 means 1.
	CPUs int
	// Memory is the -m value; empty means "2G".
	Memory string
	// Kernel, Initrd and Append are -kernel, -initrd and -append.
	Kernel, Initrd, Append string
	// DebugExit adds an isa-debug-exit device at DebugExitPort.
	DebugExit bool
	// Extra is appended to the command line as is.
	Extra []string
}

// Args returns the QEMU command line (without the binary) for c.
func (c Config) Args() []string {
	accel, cpu, mem, smp := c.Accel, c.CPU, c.Memory, c.CPUs
	if accel == "" {
		accel = "tcg,thread=multi"
	}
	if cpu == "" {
		cpu = "max"
	}
	if mem == "" {
		mem = "2G"
	}
	if smp <= 0 {
		smp = 1
	}
	args := []string{
		"-machine", c.Machine,
		"-accel", accel,
		"-cpu", cpu,
		"-m", mem,
		// One socket of N cores: CPUID then reports N cores per package,
		// which is how tamago's amd64.NumCPU counts processors.
		"-smp", fmt.Sprintf("%d,sockets=1,cores=%d,threads=1", smp, smp),
		"-display", "none",
		"-monitor", "none",
		"-serial", "stdio",
		"-no-reboot",
	}
	if !c.hasNetwork() {
		// No default NIC: a test guest talks over its serial port only.
		args = append(args, "-nic", "none")
	}
	if c.DebugExit {
		args = append(args, "-device", fmt.Sprintf("isa-debug-exit,iobase=%#x,iosize=0x04", DebugExitPort))
	}
	if c.Kernel != "" {
		args = append(args, "-kernel", c.Kernel)
	}
	if c.Initrd != "" {
		args = append(args, "-initrd", c.Initrd)
	}
	if c.Append != "" {
		args = append(args, "-append", c.Append)
	}
	return append(args, c.Extra...)
}

func (c Config) hasNetwork() bool {
	for _, a := range c.Extra {
		if a == "-nic" || a == "-net" || a == "-netdev" {
			return true
		}
	}
	return false
}

// Line is one line of serial output.
type Line struct {
	Text string    // without the line ending
	Time time.Time // host time the line ending arrived
}

// VM is a running QEMU.
type VM struct {
	Start   time.Time // host time QEMU was started
	Command []string  // full command line, for reports

	cmd    *exec.Cmd
	stderr bytes.Buffer // QEMU's own diagnostics

	mu     sync.Mutex
	cond   *sync.Cond
	lines  []Line
	eof    bool // serial stream closed
	cursor int  // next line Expect looks at

	done    chan struct{} // closed when QEMU has exited
	waitErr error
}

// Start launches QEMU with c.
func Start(c Config) (*VM, error) {
	bin := c.QEMU
	if bin == "" {
		bin = "qemu-system-x86_64"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("qemutest: %w", err)
	}
	vm := &VM{done: make(chan struct{})}
	vm.cond = sync.NewCond(&vm.mu)
	vm.cmd = exec.Command(path, c.Args()...)
	vm.Command = vm.cmd.Args
	vm.cmd.Stdin = nil // /dev/null: the guest never gets input
	vm.cmd.Stderr = &lockedWriter{mu: &vm.mu, w: &vm.stderr}
	out, err := vm.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	vm.Start = time.Now()
	if err := vm.cmd.Start(); err != nil {
		return nil, fmt.Errorf("qemutest: start %s: %w", path, err)
	}
	readDone := make(chan struct{})
	go func() {
		vm.read(out)
		close(readDone)
	}()
	go func() {
		// Wait closes the pipe: let the reader drain it first.
		<-readDone
		err := vm.cmd.Wait()
		vm.mu.Lock()
		vm.waitErr = err
		vm.mu.Unlock()
		close(vm.done)
	}()
	return vm, nil
}

// read splits the serial stream into lines. A partial line left when the
// stream closes (say, a guest that died mid-print) still counts as a line.
func (vm *VM) read(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		s, err := br.ReadString('\n')
		if s != "" {
			now := time.Now()
			s = strings.TrimRight(s, "\r\n")
			vm.mu.Lock()
			vm.lines = append(vm.lines, Line{Text: s, Time: now})
			vm.cond.Broadcast()
			vm.mu.Unlock()
		}
		if err != nil {
			vm.mu.Lock()
			vm.eof = true
			vm.cond.Broadcast()
			vm.mu.Unlock()
			return
		}
	}
}

// ErrTimeout is wrapped by errors from Expect and Wait when time ran out.
var ErrTimeout = errors.New("timed out")

// ErrExited is wrapped by errors from Expect when QEMU exited first.
var ErrExited = errors.New("QEMU exited")

// Expect waits until a line after the previous match matches re, and
// returns it with its submatches. On timeout it kills QEMU; either failure
// returns an error that carries the last serial lines.
func (vm *VM) Expect(re *regexp.Regexp, timeout time.Duration) (Line, []string, error) {
	deadline := time.Now().Add(timeout)
	timer := time.AfterFunc(timeout, func() {
		vm.mu.Lock()
		vm.cond.Broadcast()
		vm.mu.Unlock()
	})
	defer timer.Stop()

	vm.mu.Lock()
	for {
		for ; vm.cursor < len(vm.lines); vm.cursor++ {
			l := vm.lines[vm.cursor]
			if m := re.FindStringSubmatch(l.Text); m != nil {
				vm.cursor++
				vm.mu.Unlock()
				return l, m, nil
			}
		}
		if vm.eof {
			vm.mu.Unlock()
			return Line{}, nil, vm.failure(fmt.Errorf("waiting for %q: %w", re, ErrExited))
		}
		if !time.Now().Before(deadline) {
			vm.mu.Unlock()
			vm.Kill()
			return Line{}, nil, vm.failure(fmt.Errorf("waiting for %q after %v: %w", re, timeout, ErrTimeout))
		}
		vm.cond.Wait()
	}
}

// Wait waits for QEMU to exit and returns its exit status. On timeout it
// kills QEMU and returns an error carrying the last serial lines.
func (vm *VM) Wait(timeout time.Duration) (int, error) {
	select {
	case <-vm.done:
	case <-time.After(timeout):
		vm.Kill()
		<-vm.done
		return -1, vm.failure(fmt.Errorf("waiting for QEMU to exit after %v: %w", timeout, ErrTimeout))
	}
	vm.mu.Lock()
	err := vm.waitErr
	vm.mu.Unlock()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return ee.ExitCode(), nil
	default:
		return -1, vm.failure(fmt.Errorf("QEMU: %w", err))
	}
}

// Kill ends QEMU at once; it is safe to call more than once.
func (vm *VM) Kill() {
	select {
	case <-vm.done:
	default:
		if vm.cmd.Process != nil {
			vm.cmd.Process.Kill()
		}
	}
}

// Lines returns a copy of all serial lines read so far.
func (vm *VM) Lines() []Line {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return append([]Line(nil), vm.lines...)
}

// Tail returns the last n serial lines and QEMU's stderr as one report.
func (vm *VM) Tail(n int) string {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	var b strings.Builder
	first := max(0, len(vm.lines)-n)
	fmt.Fprintf(&b, "last %d of %d serial lines:\n", len(vm.lines)-first, len(vm.lines))
	for _, l := range vm.lines[first:] {
		fmt.Fprintf(&b, "  %7.3fs | %s\n", l.Time.Sub(vm.Start).Seconds(), l.Text)
	}
	if vm.stderr.Len() > 0 {
		fmt.Fprintf(&b, "QEMU stderr:\n%s", vm.stderr.String())
	}
	return b.String()
}

func (vm *VM) failure(err error) error {
	return &Error{Err: err, Report: vm.Tail(TailLines), Command: strings.Join(vm.Command, " ")}
}

// Error is a failed Expect or Wait, with what the guest printed last.
type Error struct {
	Err     error
	Report  string
	Command string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%v\ncommand: %s\n%s", e.Err, e.Command, e.Report)
}

func (e *Error) Unwrap() error { return e.Err }

// DebugExitCode turns a QEMU exit status into the value the guest wrote to
// the isa-debug-exit port; ok is false for statuses that device cannot
// produce (QEMU's own exits, e.g. 0 for a shutdown).
func DebugExitCode(status int) (code int, ok bool) {
	if status <= 0 || status&1 == 0 {
		return 0, false
	}
	return status >> 1, true
}

// Field returns the value of key=value in a line of space-separated fields.
func Field(text, key string) (string, bool) {
	for _, f := range strings.Fields(text) {
		if k, v, ok := strings.Cut(f, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// IntField is Field parsed as an int64.
func IntField(text, key string) (int64, error) {
	v, ok := Field(text, key)
	if !ok {
		return 0, fmt.Errorf("no %s= in %q", key, text)
	}
	return strconv.ParseInt(v, 10, 64)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
