package core

import (
	"errors"
	"sync"
	"sync/atomic"
)

// ErrNoInput is what a Console's StartInput returns when its device cannot
// receive.
var ErrNoInput = errors.New("core: the console has no input")

// InputBufferSize is how many received bytes ConsoleInput holds for a
// reader.
const InputBufferSize = 4096

// ConsoleInput is the console's received bytes, kept until read: a bounded
// buffer of InputBufferSize bytes. The console delivers into it (Deliver,
// from its receive goroutine); a reader takes the bytes out with Read.
// When nobody reads and the buffer is full, further bytes are dropped and
// counted (Dropped): the console's receive never waits for a reader.
type ConsoleInput struct {
	mu      sync.Mutex
	ready   sync.Cond // signalled when bytes arrive
	buf     []byte    // ring of InputBufferSize bytes
	head, n int       // first unread byte, unread count
	dropped atomic.Uint64
	total   atomic.Uint64
}

func newConsoleInput(size int) *ConsoleInput {
	in := &ConsoleInput{buf: make([]byte, size)}
	in.ready.L = &in.mu
	return in
}

// Deliver adds received bytes; what does not fit is dropped and counted.
// It never blocks on a reader. Consoles get it as StartInput's deliver.
func (in *ConsoleInput) Deliver(p []byte) {
	in.mu.Lock()
	room := len(in.buf) - in.n
	keep := min(room, len(p))
	for i := range keep {
		in.buf[(in.head+in.n+i)%len(in.buf)] = p[i]
	}
	in.n += keep
	in.mu.Unlock()
	in.total.Add(uint64(len(p)))
	if keep < len(p) {
		in.dropped.Add(uint64(len(p) - keep))
	}
	if keep > 0 {
		in.ready.Broadcast()
	}
}

// Read waits until at least one received byte is there and returns up to
// len(p) of them, oldest first. It never returns an error: the console's
// input does not end. Read with an empty p returns at once.
func (in *ConsoleInput) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	for in.n == 0 {
		in.ready.Wait()
	}
	n := min(len(p), in.n)
	for i := range n {
		p[i] = in.buf[(in.head+i)%len(in.buf)]
	}
	in.head = (in.head + n) % len(in.buf)
	in.n -= n
	return n, nil
}

// Buffered returns how many received bytes wait to be read.
func (in *ConsoleInput) Buffered() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.n
}

// Received counts every byte delivered, kept or dropped.
func (in *ConsoleInput) Received() uint64 { return in.total.Load() }

// Dropped counts the bytes that arrived while the buffer was full.
func (in *ConsoleInput) Dropped() uint64 { return in.dropped.Load() }
