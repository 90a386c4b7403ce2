//go:build tamago && amd64

// Package seamtest is the HRT entry of configs/seamtest, the kernel that
// proves the console and clock seams on a booted machine (qemu's
// seams_test.go reads what it prints). Its config links the test console
// (capture) and the test clock (fastclock); Main then shows, in one boot:
//
//   - fmt.Println and println output reaching the chosen console;
//   - time.Sleep(time.Second) between two lines, for the host to time;
//   - bytes the host sends on the serial line arriving on the console's
//     input (Kernel.Input): a flood while nobody reads, of which the buffer
//     keeps what fits and counts the rest as dropped, then a line, echoed
//     back;
//   - a panic: its message and stack trace reaching the console.
//
// With capture=fault on the command line it instead makes the console
// fault (see package capture) and prints one more line, which must reach
// COM1 without the console.
package seamtest

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/seamtest/capture"
)

// inputWait bounds each wait for the host's input, in kernel time (which
// the test clock runs fast).
const inputWait = 2 * time.Minute

// floodBytes is how many bytes ('x') Main asks the host to send while it
// does not read: more than the console input holds.
const floodBytes = core.InputBufferSize + 1904

// waitReceived waits until in has received n bytes.
func waitReceived(in *core.ConsoleInput, n uint64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for in.Received() < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("received %d of %d bytes within %v", in.Received(), n, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// Main runs the checks above and ends in a panic.
func Main() {
	k := core.Running()
	fmt.Printf("seamtest: fmt.Println reaches console=%s clock=%s\n", k.Console.Name(), k.Clock.Name())
	println("seamtest: println reaches the console too")
	if k.Cmdline.String("capture", "") == "fault" {
		// The capture console faults on this line: what follows must
		// reach COM1 without it.
		fmt.Println(capture.FaultLine)
		fmt.Println("seamtest: still running after the console faulted")
		return
	}

	// Two windows: the host judges them by its clock, and a line it read
	// late spoils only one (qemutest.HostSleep).
	for w := range 2 {
		fmt.Printf("seamtest: sleep-start w=%d\n", w)
		start := time.Now()
		time.Sleep(time.Second)
		fmt.Printf("seamtest: sleep-end w=%d kernel=%d\n", w, time.Since(start).Nanoseconds())
	}

	if k.Input == nil {
		panic("seamtest: the console has no input")
	}
	// Nobody reads while the host floods the line: the buffer keeps the
	// oldest InputBufferSize bytes and counts the rest as dropped.
	fmt.Printf("seamtest: not reading; send %d bytes\n", floodBytes)
	if err := waitReceived(k.Input, floodBytes, inputWait); err != nil {
		panic("seamtest: " + err.Error())
	}
	kept := make([]byte, k.Input.Buffered())
	if _, err := io.ReadFull(k.Input, kept); err != nil {
		panic("seamtest: " + err.Error())
	}
	intact := bytes.Count(kept, []byte{'x'}) == len(kept)
	fmt.Printf("seamtest: flood received=%d buffered=%d dropped=%d intact=%v\n", k.Input.Received(), len(kept), k.Input.Dropped(), intact)

	fmt.Println("seamtest: waiting for a line of input")
	line, err := readLine(k.Input, inputWait)
	if err != nil {
		panic("seamtest: " + err.Error())
	}
	fmt.Printf("seamtest: input %q received=%d dropped=%d\n", line, k.Input.Received(), k.Input.Dropped())

	panic("seamtest: the panic the console must capture")
}

// readLine reads bytes from in up to a '\n' or '\r' (not included).
func readLine(in *core.ConsoleInput, timeout time.Duration) (string, error) {
	got := make(chan string, 1)
	go func() {
		var line []byte
		p := make([]byte, 64)
		for {
			n, _ := in.Read(p)
			line = append(line, p[:n]...)
			if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
				got <- string(line[:i])
				return
			}
		}
	}()
	select {
	case l := <-got:
		return l, nil
	case <-time.After(timeout):
		return "", fmt.Errorf("no line of input within %v", timeout)
	}
}
