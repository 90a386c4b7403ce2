package qemu

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

// TailLines is how many serial lines an error from a VM carries.
const TailLines = 20

// DefaultProbe is how long Start with AccelAuto waits for a KVM guest's first
// serial line before it falls back to TCG.
const DefaultProbe = 3 * time.Second

// probeWindow is the KVM probe window; tests shorten it.
var probeWindow = DefaultProbe

// Line is one line of serial output.
type Line struct {
	Text string    // without the line ending
	Time time.Time // host time the line arrived
}

// VM is a running QEMU whose serial console (QEMU's stdout) is read line by
// line. QEMU's own diagnostics (stderr) are kept apart, see Stderr.
type VM struct {
	Start   time.Time // host time QEMU was started
	Command []string  // full command line, binary first
	Accel   string    // accelerator in use: tcg or kvm
	// Fallback says why Start left KVM for TCG; empty when it did not.
	Fallback string

	cmd    *exec.Cmd
	cancel context.CancelFunc
	done   chan struct{} // closed when QEMU has exited and output is read
	status int           // exit status, valid after done
	werr   error         // error from exec's Wait, valid after done

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every new line
	lines   []Line
	stderr  []string
	cursor  int // Expect searches lines from here
	echo    io.Writer
	raw     bool           // echo the serial output as it comes (StartTerminal), not by lines
	stdin   io.WriteCloser // QEMU's stdin: the serial console's input
}

// Start runs QEMU for opts. The context ends QEMU when it is cancelled.
//
// With Accel "auto", Start tries KVM when /dev/kvm can be opened and falls
// back to TCG, discarding the KVM run, when within the probe window
// (DefaultProbe, 3 s) any of these happens first:
//   - QEMU prints "KVM internal error" on stderr (QEMU then stops the guest
//     but keeps running, so this is watched for, not waited for);
//   - QEMU exits before the guest printed a serial line (it failed to start,
//     e.g. KVM could not be initialised);
//   - the guest prints no serial line at all within the window.
//
// The first serial line within the window commits to KVM, and Start returns
// as soon as it arrives; with GDB set only the first two tests apply (a guest
// waiting for a debugger prints nothing). Without /dev/kvm, auto is TCG.
func Start(ctx context.Context, opts Options) (*VM, error) {
	return startEcho(ctx, opts, nil, false)
}

// StartEcho is Start that also copies every serial line to w as it arrives.
func StartEcho(ctx context.Context, opts Options, w io.Writer) (*VM, error) {
	return startEcho(ctx, opts, w, false)
}

// StartTerminal is Start for a person at a terminal: the serial output is
// copied to w byte for byte as it arrives (a prompt without a newline,
// the echo of each key, the guest's CR LF), while Expect and Lines still
// see it by lines. The terminal's keys go to the guest with WriteSerial.
func StartTerminal(ctx context.Context, opts Options, w io.Writer) (*VM, error) {
	return startEcho(ctx, opts, w, true)
}

func startEcho(ctx context.Context, opts Options, w io.Writer, raw bool) (*VM, error) {
	if opts.Accel != AccelAuto {
		return launch(ctx, opts, w, raw)
	}
	tcg := opts
	tcg.Accel = AccelTCG
	if !kvmUsable() {
		return launch(ctx, tcg, w, raw)
	}
	kvm := opts
	kvm.Accel = AccelKVM
	vm, err := launch(ctx, kvm, nil, raw)
	if err != nil {
		return nil, err
	}
	reason := vm.probe(probeWindow, !opts.GDB)
	if reason == "" {
		vm.mu.Lock()
		vm.echo = w
		if w != nil {
			for _, l := range vm.lines {
				fmt.Fprint(w, l.Text+vm.newline())
			}
		}
		vm.mu.Unlock()
		return vm, nil
	}
	vm.Kill()
	vm, err = launch(ctx, tcg, w, raw)
	if err != nil {
		return nil, err
	}
	vm.Fallback = reason
	return vm, nil
}

// probe watches a KVM run for up to d and returns why it should be abandoned,
// or "" to keep it.
func (vm *VM) probe(d time.Duration, needOutput bool) string {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		vm.mu.Lock()
		changed := vm.changed
		for _, s := range vm.stderr {
			if strings.Contains(s, "KVM internal error") {
				vm.mu.Unlock()
				return "KVM internal error: " + s
			}
		}
		got := len(vm.lines) > 0
		vm.mu.Unlock()
		if got {
			return ""
		}
		select {
		case <-vm.done:
			vm.mu.Lock()
			defer vm.mu.Unlock()
			if len(vm.lines) > 0 {
				return ""
			}
			how := fmt.Sprintf("with status %d", vm.status)
			if vm.status < 0 && vm.werr != nil {
				how = "(" + vm.werr.Error() + ")"
			}
			return fmt.Sprintf("QEMU with KVM exited %s before any serial output: %s",
				how, strings.Join(vm.stderr, "; "))
		case <-changed:
		case <-deadline.C:
			if needOutput {
				return fmt.Sprintf("no serial output within %v under KVM", d)
			}
			return ""
		}
	}
}

// newline ends a line the VM writes to its echo itself.
func (vm *VM) newline() string {
	if vm.raw {
		return "\r\n" // a raw terminal does not turn LF into CR LF
	}
	return "\n"
}

func launch(ctx context.Context, opts Options, echo io.Writer, raw bool) (*VM, error) {
	args, err := opts.Args()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, opts.binary(), args...)
	cmd.WaitDelay = time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	stdin, err := cmd.StdinPipe() // the serial console's input (WriteSerial)
	if err != nil {
		cancel()
		return nil, err
	}
	vm := &VM{
		Command: append([]string{opts.binary()}, args...),
		Accel:   opts.Accel,
		cmd:     cmd,
		cancel:  cancel,
		done:    make(chan struct{}),
		changed: make(chan struct{}),
		echo:    echo,
		raw:     raw,
		stdin:   stdin,
	}
	if vm.Accel == "" {
		vm.Accel = AccelTCG
	}
	vm.Start = time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("qemu: start %s: %w", opts.binary(), err)
	}
	var readers sync.WaitGroup
	readers.Add(2)
	go func() { defer readers.Done(); vm.readSerial(stdout) }()
	go func() { defer readers.Done(); vm.readStderr(stderr) }()
	go func() {
		readers.Wait()
		err := cmd.Wait()
		vm.mu.Lock()
		vm.werr = err
		vm.status = cmd.ProcessState.ExitCode()
		vm.mu.Unlock()
		cancel()
		close(vm.done)
	}()
	return vm, nil
}

// maxLine is the longest serial line kept as one; a longer one is cut.
const maxLine = 1 << 20

// readSerial reads the serial console: by lines for Expect and Lines, and
// byte for byte for a raw echo.
func (vm *VM) readSerial(r io.Reader) {
	buf := make([]byte, 4096)
	var partial []byte
	for {
		n, err := r.Read(buf)
		chunk := buf[:n]
		vm.mu.Lock()
		if vm.raw && vm.echo != nil && n > 0 {
			vm.echo.Write(chunk)
		}
		vm.mu.Unlock()
		for len(chunk) > 0 {
			i := bytes.IndexByte(chunk, '\n')
			if i < 0 {
				partial = append(partial, chunk...)
				if len(partial) >= maxLine {
					vm.addLine(partial)
					partial = partial[:0]
				}
				break
			}
			partial = append(partial, chunk[:i]...)
			vm.addLine(partial)
			partial = partial[:0]
			chunk = chunk[i+1:]
		}
		if err != nil {
			if len(partial) > 0 {
				vm.addLine(partial)
			}
			return
		}
	}
}

func (vm *VM) addLine(b []byte) {
	text := strings.TrimRight(string(b), "\r")
	now := time.Now()
	vm.mu.Lock()
	vm.lines = append(vm.lines, Line{text, now})
	if vm.echo != nil && !vm.raw {
		fmt.Fprintln(vm.echo, text)
	}
	close(vm.changed)
	vm.changed = make(chan struct{})
	vm.mu.Unlock()
}

// readStderr keeps QEMU's own diagnostics, by lines.
func (vm *VM) readStderr(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	for sc.Scan() {
		vm.mu.Lock()
		vm.stderr = append(vm.stderr, strings.TrimRight(sc.Text(), "\r"))
		close(vm.changed)
		vm.changed = make(chan struct{})
		vm.mu.Unlock()
	}
	io.Copy(io.Discard, r)
}

// Expect waits up to timeout for a serial line matching re, searching the
// lines after the previous match, and returns it with its submatches. It
// fails, with the last serial lines in the error, when QEMU exits or the
// timeout passes first; it does not stop QEMU.
func (vm *VM) Expect(re *regexp.Regexp, timeout time.Duration) (Line, []string, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		vm.mu.Lock()
		for i := vm.cursor; i < len(vm.lines); i++ {
			if m := re.FindStringSubmatch(vm.lines[i].Text); m != nil {
				vm.cursor = i + 1
				l := vm.lines[i]
				vm.mu.Unlock()
				return l, m, nil
			}
		}
		vm.cursor = len(vm.lines)
		changed := vm.changed
		vm.mu.Unlock()
		select {
		case <-changed:
		case <-vm.done:
			// Output is complete once done is closed: one last look.
			vm.mu.Lock()
			more := vm.cursor < len(vm.lines)
			vm.mu.Unlock()
			if more {
				continue
			}
			return Line{}, nil, vm.failure(fmt.Errorf("QEMU exited (status %d) before a line matched %q", vm.ExitStatus(), re))
		case <-timer.C:
			return Line{}, nil, vm.failure(fmt.Errorf("%w: no line matched %q within %v", ErrTimeout, re, timeout))
		}
	}
}

// Wait waits for QEMU to exit and returns its exit status. A timeout of 0
// waits forever; when the timeout passes first, QEMU is killed and the error
// carries the last serial lines. An exit by signal is an error too.
func (vm *VM) Wait(timeout time.Duration) (int, error) {
	var timeC <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timeC = t.C
	}
	select {
	case <-vm.done:
	case <-timeC:
		vm.Kill()
		return -1, vm.failure(fmt.Errorf("%w: QEMU still running after %v: killed", ErrTimeout, timeout))
	}
	vm.mu.Lock()
	status, werr := vm.status, vm.werr
	vm.mu.Unlock()
	if status < 0 {
		return status, vm.failure(fmt.Errorf("QEMU ended abnormally: %v", werr))
	}
	return status, nil
}

// ExitStatus returns QEMU's exit status, or -1 while it runs or when it was
// ended by a signal.
func (vm *VM) ExitStatus() int {
	select {
	case <-vm.done:
		vm.mu.Lock()
		defer vm.mu.Unlock()
		return vm.status
	default:
		return -1
	}
}

// Pid is the QEMU process's ID on the host (for its CPU time, say).
func (vm *VM) Pid() int { return vm.cmd.Process.Pid }

// Kill ends QEMU and waits until it is gone. It is safe to call more than once.
func (vm *VM) Kill() {
	vm.cancel()
	<-vm.done
}

// Done is closed when QEMU has exited and its output has been read.
func (vm *VM) Done() <-chan struct{} { return vm.done }

// Lines returns a copy of the serial lines so far.
func (vm *VM) Lines() []Line {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return append([]Line(nil), vm.lines...)
}

// Stderr returns QEMU's own diagnostics so far.
func (vm *VM) Stderr() []string {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return append([]string(nil), vm.stderr...)
}

// Tail returns the last n serial lines (fewer if there are fewer).
func (vm *VM) Tail(n int) []string {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	start := max(len(vm.lines)-n, 0)
	out := make([]string, 0, len(vm.lines)-start)
	for _, l := range vm.lines[start:] {
		out = append(out, l.Text)
	}
	return out
}

// Error is a VM failure with the guest's last serial lines and QEMU's
// diagnostics attached.
type Error struct {
	Err    error
	Tail   []string // last serial lines
	Stderr []string // QEMU's stderr
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "qemu: %v", e.Err)
	if len(e.Tail) > 0 {
		fmt.Fprintf(&b, "\nlast %d serial lines:\n\t%s", len(e.Tail), strings.Join(e.Tail, "\n\t"))
	} else {
		b.WriteString("\n(no serial output)")
	}
	if len(e.Stderr) > 0 {
		fmt.Fprintf(&b, "\nQEMU stderr:\n\t%s", strings.Join(e.Stderr, "\n\t"))
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrTimeout is wrapped by the errors of Expect and Wait when time ran out.
var ErrTimeout = errors.New("timeout")

func (vm *VM) failure(err error) error {
	return &Error{Err: err, Tail: vm.Tail(TailLines), Stderr: vm.Stderr()}
}

// ShellJoin writes a command line (such as VM.Command) the way a shell
// reads it back, quoting only the arguments that need it.
func ShellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=,:@%+") == "" {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}
