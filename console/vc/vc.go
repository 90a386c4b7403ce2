// Package vc multiplexes virtual consoles on one terminal (the serial
// line): each console keeps what was written to it, the one in front also
// shows it, and a key sequence typed on the terminal switches between
// them. Input goes to the console in front.
//
// The key sequence is Nautilus's: two backticks, then
//
//	1   the previous console
//	2   the next console
//	3   the list of consoles; then a letter picks one, + opens a new shell,
//	    anything else goes back
//
// Two backticks followed by anything else are passed on as typed, so a
// backtick can still be typed (a single one, or "“" then another key).
//
// Switching clears the terminal and shows the console's kept output (its
// last ScrollbackMax bytes), so what a console printed while it was not in
// front is seen when it comes back. A console's output is drawn by its
// Source: a shell's is the bytes written to it (Buffer), the kernel log's
// is the kernel log itself.
package vc

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// ScrollbackMax is how much of its output a console keeps for redrawing.
const ScrollbackMax = 16 << 10

// InputMax is how many chunks of input a console holds for its reader;
// input that comes while they are full is dropped and counted.
const InputMax = 256

// MaxConsoles is how many consoles the list can pick from (a to z).
const MaxConsoles = 26

// Key is the byte that starts a switch sequence (twice).
const Key = '`'

// Clear clears the terminal and puts the cursor home (ECMA-48 ED, CUP).
const Clear = "\x1b[2J\x1b[H"

// Source draws a console's kept output on the terminal when it comes to the
// front.
type Source interface {
	Redraw(w io.Writer)
}

// Buffer is a Source that keeps the last ScrollbackMax bytes written.
type Buffer struct {
	b []byte
}

// Write keeps p.
func (s *Buffer) Write(p []byte) {
	s.b = append(s.b, p...)
	if len(s.b) > ScrollbackMax {
		cut := len(s.b) - ScrollbackMax
		// Start at a line when one starts soon after the cut.
		if i := bytes.IndexByte(s.b[cut:], '\n'); i >= 0 && i < 256 {
			cut += i + 1
		}
		s.b = append(s.b[:0], s.b[cut:]...)
	}
}

// Redraw writes the kept bytes.
func (s *Buffer) Redraw(w io.Writer) { w.Write(s.b) }

// Bytes returns the kept bytes.
func (s *Buffer) Bytes() []byte { return s.b }

// Console is one virtual console.
type Console struct {
	mux     *Mux
	ID      int    // position in the list (a letter: 'a' + ID)
	Name    string // shown in the list
	buf     *Buffer
	src     Source
	input   chan []byte
	pending []byte // the rest of a chunk Read could not take
	dropped atomic.Uint64
}

// Write writes p to the console: kept, and shown when it is in front. It
// implements io.Writer for shells. A console with its own Source (the
// kernel log) shows its output by itself; Write only shows p.
func (c *Console) Write(p []byte) (int, error) {
	m := c.mux
	m.mu.Lock()
	defer m.mu.Unlock()
	if c.buf != nil {
		c.buf.Write(p)
	}
	if m.consoles[m.front.Load()] == c {
		m.screen.Write(p)
	}
	return len(p), nil
}

// Read returns input typed while the console was in front, waiting for
// some. One goroutine reads a console (its shell).
func (c *Console) Read(p []byte) (int, error) {
	if len(c.pending) == 0 {
		chunk, ok := <-c.input
		if !ok {
			return 0, io.EOF
		}
		c.pending = chunk
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// Dropped counts input bytes that came while the console's queue was full.
func (c *Console) Dropped() uint64 { return c.dropped.Load() }

// Mux is the set of consoles on one terminal.
type Mux struct {
	mu       sync.Mutex
	screen   io.Writer // the terminal
	consoles []*Console
	front    atomic.Int32 // ID of the console in front: read without the lock by InFront
	state    int          // switch sequence: 0 none, 1 one backtick, 2 two, 3 list shown
	// NewShell is called (without the Mux's lock) when + is typed in the
	// list, with the new console, already in front; it starts a shell on
	// it. nil: + is refused.
	NewShell func(c *Console)
	// OnSwitch is called (with the lock held) after the front changed, with
	// the new front, before it is redrawn.
	OnSwitch func(c *Console)
}

// New returns a Mux drawing on screen.
func New(screen io.Writer) *Mux { return &Mux{screen: screen} }

// Add adds a console. src nil: a shell's console, keeping what is written
// to it; else src draws it (Write then only shows).
func (m *Mux) Add(name string, src Source) *Console {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := &Console{mux: m, ID: len(m.consoles), Name: name, src: src, input: make(chan []byte, InputMax)}
	if src == nil {
		c.buf = &Buffer{}
		c.src = c.buf
	}
	m.consoles = append(m.consoles, c)
	return c
}

// Consoles returns the consoles, in list order.
func (m *Mux) Consoles() []*Console {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Console(nil), m.consoles...)
}

// Front returns the console in front (nil before the first Add).
func (m *Mux) Front() *Console {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.consoles) == 0 {
		return nil
	}
	return m.consoles[m.front.Load()]
}

// InFront reports whether c is in front, without the lock: for the kernel
// log's byte path, which cannot take it.
//
//go:nosplit
func (m *Mux) InFront(id int) bool { return int(m.front.Load()) == id }

// Force puts console id in front without redrawing or taking the lock:
// for the kernel log's byte path when a panic must be seen. What follows
// is drawn as it comes.
//
//go:nosplit
func (m *Mux) Force(id int) { m.front.Store(int32(id)) }

// Switch brings c to the front and redraws the terminal with its output.
func (m *Mux) Switch(c *Console) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.switchLocked(c.ID)
}

// Start brings c to the front without clearing the terminal: for the first
// console a terminal shows, below what was printed before (the boot
// output). Its kept output is written.
func (m *Mux) Start(c *Console) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.front.Store(int32(c.ID))
	if m.OnSwitch != nil {
		m.OnSwitch(c)
	}
	c.src.Redraw(m.screen)
}

func (m *Mux) switchLocked(id int) {
	m.front.Store(int32(id))
	c := m.consoles[id]
	if m.OnSwitch != nil {
		m.OnSwitch(c)
	}
	m.screen.Write([]byte(Clear))
	c.src.Redraw(m.screen)
}

// Input takes bytes typed on the terminal: switch sequences are acted on,
// the rest goes to the console in front (queued; dropped and counted when
// its queue is full). It never blocks.
func (m *Mux) Input(p []byte) {
	var newShell *Console
	m.mu.Lock()
	var pass []byte
	flush := func() {
		if len(pass) > 0 && len(m.consoles) > 0 {
			c := m.consoles[m.front.Load()]
			select {
			case c.input <- pass:
			default:
				c.dropped.Add(uint64(len(pass)))
			}
		}
		pass = nil
	}
	for _, b := range p {
		switch m.state {
		case 0:
			if b == Key {
				m.state = 1
				continue
			}
			pass = append(pass, b)
		case 1:
			if b == Key {
				m.state = 2
				continue
			}
			m.state = 0
			pass = append(pass, Key, b)
		case 2:
			m.state = 0
			n := len(m.consoles)
			if n == 0 {
				pass = append(pass, Key, Key, b)
				continue
			}
			switch b {
			case '1':
				flush()
				m.switchLocked((int(m.front.Load()) + n - 1) % n)
			case '2':
				flush()
				m.switchLocked((int(m.front.Load()) + 1) % n)
			case '3':
				flush()
				m.state = 3
				m.showList()
			default:
				pass = append(pass, Key, Key, b)
			}
		case 3:
			m.state = 0
			switch {
			case b >= 'a' && int(b-'a') < len(m.consoles):
				m.switchLocked(int(b - 'a'))
			case b == '+' && m.NewShell != nil && len(m.consoles) < MaxConsoles:
				c := &Console{mux: m, ID: len(m.consoles), Name: fmt.Sprintf("shell %d", len(m.consoles)), buf: &Buffer{}, input: make(chan []byte, InputMax)}
				c.src = c.buf
				m.consoles = append(m.consoles, c)
				m.switchLocked(c.ID)
				newShell = c
			default:
				m.switchLocked(int(m.front.Load())) // back to where it was
			}
		}
	}
	flush()
	m.mu.Unlock()
	if newShell != nil {
		m.NewShell(newShell)
	}
}

// showList writes the list of consoles on the terminal (not into any
// console's output).
func (m *Mux) showList() {
	var b bytes.Buffer
	b.WriteString("\nconsoles:\n")
	for i, c := range m.consoles {
		mark := ""
		if i == int(m.front.Load()) {
			mark = "  (in front)"
		}
		fmt.Fprintf(&b, "  %c  %s%s\n", 'a'+i, c.Name, mark)
	}
	b.WriteString("pick a letter")
	if m.NewShell != nil && len(m.consoles) < MaxConsoles {
		b.WriteString(", + for a new shell")
	}
	b.WriteString(", any other key to go back: ")
	m.screen.Write(b.Bytes())
}
