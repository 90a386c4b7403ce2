// Package lineedit is the console shell's line discipline: it turns the
// bytes a terminal sends into edited lines, echoing what the terminal must
// show. It knows backspace, left and right, home and end, history up and
// down, Ctrl-C (cancel the line) and the usual Emacs-style control keys,
// as ANSI/VT100 terminals send them (xterm, tmux, QEMU's -serial stdio
// on a raw terminal).
//
// It is robust against noise: any byte sequence leaves it in a usable
// state. Bytes it does not know are dropped; an escape sequence that goes
// on too long is abandoned; a line stops growing at Max bytes (the
// terminal bell says so) and non-ASCII bytes are not inserted (the cursor
// arithmetic counts one column a byte).
//
// The echo uses only BS, CR-less reprinting and "ESC [ K" (erase to end of
// line), so a dumb terminal shows the right thing too.
package lineedit

import "io"

// DefaultMax is the longest line Editor takes when Max is 0.
const DefaultMax = 512

// HistoryMax is how many lines the history keeps.
const HistoryMax = 100

// Result says what a byte did.
type Result int

const (
	None      Result = iota // the line is being edited
	Line                    // a line was entered (Editor.Line)
	Cancelled               // Ctrl-C: the line was dropped
)

// Control keys (ASCII).
const (
	ctrlA = 0x01 // home
	ctrlB = 0x02 // left
	ctrlC = 0x03 // cancel
	ctrlE = 0x05 // end
	ctrlF = 0x06 // right
	ctrlH = 0x08 // backspace
	ctrlK = 0x0b // kill to end of line
	ctrlN = 0x0e // history down
	ctrlP = 0x10 // history up
	ctrlU = 0x15 // kill line
	ctrlW = 0x17 // kill word
	esc   = 0x1b
	del   = 0x7f // backspace, as most terminals send it
	bell  = 0x07
)

// escMax bounds the parameter bytes of an escape sequence kept; a sequence
// with more than escAbandon is given up (noise, not a terminal).
const (
	escMax     = 8
	escAbandon = 64
)

// Editor edits one line at a time. Out gets the echo. The zero value with
// Out set is ready (Max DefaultMax).
type Editor struct {
	Out io.Writer
	Max int

	buf     []byte
	cur     int
	history []string
	hist    int    // index into history while browsing; len(history) is the line being typed
	saved   []byte // the line being typed, while browsing history
	line    string
	lastCR  bool

	esc    int // 0: none; 1: after ESC; 2: in CSI (ESC [) or SS3 (ESC O)
	escBuf []byte
	escLen int
	// Dropped counts bytes refused: beyond Max, non-ASCII, unknown controls.
	Dropped uint64
}

// Line returns the line entered last (Result Line).
func (e *Editor) Line() string { return e.line }

// Buffer returns the line as edited so far and the cursor's position.
func (e *Editor) Buffer() (string, int) { return string(e.buf), e.cur }

// History returns the lines entered, oldest first.
func (e *Editor) History() []string { return append([]string(nil), e.history...) }

func (e *Editor) max() int {
	if e.Max <= 0 {
		return DefaultMax
	}
	return e.Max
}

func (e *Editor) write(p []byte) {
	if e.Out != nil && len(p) > 0 {
		e.Out.Write(p)
	}
}

func (e *Editor) back(n int) {
	if n > 0 {
		b := make([]byte, n)
		for i := range b {
			b[i] = '\b'
		}
		e.write(b)
	}
}

// Feed takes one byte from the terminal.
func (e *Editor) Feed(c byte) Result {
	cr := e.lastCR
	e.lastCR = false
	if e.esc != 0 {
		e.escape(c)
		return None
	}
	switch c {
	case '\r', '\n':
		if c == '\n' && cr {
			return None // the LF of a CR LF
		}
		e.lastCR = c == '\r'
		return e.enter()
	case ctrlC:
		e.write([]byte("^C\n"))
		e.reset()
		return Cancelled
	case esc:
		e.esc, e.escBuf = 1, e.escBuf[:0]
	case del, ctrlH:
		e.backspace()
	case ctrlA:
		e.home()
	case ctrlE:
		e.end()
	case ctrlB:
		e.left()
	case ctrlF:
		e.right()
	case ctrlK:
		e.killToEnd()
	case ctrlU:
		e.home()
		e.killToEnd()
	case ctrlW:
		e.killWord()
	case ctrlP:
		e.browse(-1)
	case ctrlN:
		e.browse(+1)
	default:
		if c < 0x20 || c >= 0x7f {
			e.Dropped++
			return None
		}
		e.insert(c)
	}
	return None
}

func (e *Editor) enter() Result {
	e.end()
	e.write([]byte("\n"))
	e.line = string(e.buf)
	if e.line != "" && (len(e.history) == 0 || e.history[len(e.history)-1] != e.line) {
		e.history = append(e.history, e.line)
		if len(e.history) > HistoryMax {
			e.history = e.history[len(e.history)-HistoryMax:]
		}
	}
	e.reset()
	return Line
}

func (e *Editor) reset() {
	e.buf, e.cur = e.buf[:0], 0
	e.hist, e.saved = len(e.history), nil
}

// escape takes a byte of an escape sequence: CSI (ESC [ params final) or
// SS3 (ESC O final), as xterm sends cursor keys (ECMA-48 5.4).
func (e *Editor) escape(c byte) {
	if e.esc == 1 {
		if c == '[' || c == 'O' {
			e.esc, e.escLen = 2, 0
			e.escBuf = append(e.escBuf[:0], c)
			return
		}
		e.esc = 0 // ESC then something else: both dropped
		e.Dropped += 2
		return
	}
	if c >= 0x40 && c <= 0x7e { // final byte
		e.esc = 0
		e.key(string(e.escBuf[1:]), c)
		return
	}
	if c < 0x20 || c > 0x3f || e.escLen >= escAbandon {
		// Not a parameter or intermediate byte, or far too long:
		// abandon the sequence (the byte is dropped with it).
		e.esc = 0
		e.Dropped += uint64(e.escLen) + 2
		return
	}
	e.escLen++
	if len(e.escBuf) <= escMax {
		e.escBuf = append(e.escBuf, c)
	} else {
		e.escBuf[1] = '?' // too long to be a key we know: the final byte ends it as unknown
	}
}

func (e *Editor) key(params string, final byte) {
	switch {
	case final == 'A':
		e.browse(-1)
	case final == 'B':
		e.browse(+1)
	case final == 'C':
		e.right()
	case final == 'D':
		e.left()
	case final == 'H', final == '~' && (params == "1" || params == "7"):
		e.home()
	case final == 'F', final == '~' && (params == "4" || params == "8"):
		e.end()
	case final == '~' && params == "3":
		e.deleteAt()
	default:
		e.Dropped++
	}
}

func (e *Editor) insert(c byte) {
	if len(e.buf) >= e.max() {
		e.Dropped++
		e.write([]byte{bell})
		return
	}
	e.buf = append(e.buf, 0)
	copy(e.buf[e.cur+1:], e.buf[e.cur:])
	e.buf[e.cur] = c
	e.write(e.buf[e.cur:])
	e.cur++
	e.back(len(e.buf) - e.cur)
}

func (e *Editor) backspace() {
	if e.cur == 0 {
		return
	}
	e.cur--
	e.write([]byte{'\b'})
	e.deleteAt()
}

// deleteAt deletes the byte under the cursor.
func (e *Editor) deleteAt() {
	if e.cur == len(e.buf) {
		return
	}
	e.buf = append(e.buf[:e.cur], e.buf[e.cur+1:]...)
	e.write(e.buf[e.cur:])
	e.write([]byte(" \b"))
	e.back(len(e.buf) - e.cur)
}

func (e *Editor) left() {
	if e.cur > 0 {
		e.cur--
		e.write([]byte{'\b'})
	}
}

func (e *Editor) right() {
	if e.cur < len(e.buf) {
		e.write(e.buf[e.cur : e.cur+1])
		e.cur++
	}
}

func (e *Editor) home() {
	e.back(e.cur)
	e.cur = 0
}

func (e *Editor) end() {
	e.write(e.buf[e.cur:])
	e.cur = len(e.buf)
}

func (e *Editor) killToEnd() {
	e.buf = e.buf[:e.cur]
	e.write([]byte("\x1b[K"))
}

func (e *Editor) killWord() {
	start := e.cur
	for start > 0 && e.buf[start-1] == ' ' {
		start--
	}
	for start > 0 && e.buf[start-1] != ' ' {
		start--
	}
	n := e.cur - start
	if n == 0 {
		return
	}
	e.back(n)
	e.buf = append(e.buf[:start], e.buf[e.cur:]...)
	e.cur = start
	e.write(e.buf[e.cur:])
	e.write([]byte("\x1b[K"))
	e.back(len(e.buf) - e.cur)
}

// browse moves through the history: dir -1 older, +1 newer; past the
// newest is the line that was being typed.
func (e *Editor) browse(dir int) {
	next := e.hist + dir
	if next < 0 || next > len(e.history) {
		return
	}
	if e.hist == len(e.history) {
		e.saved = append(e.saved[:0], e.buf...)
	}
	e.hist = next
	var line []byte
	if next == len(e.history) {
		line = e.saved
	} else {
		line = []byte(e.history[next])
	}
	e.replace(line)
}

// replace shows line in place of the one being edited, cursor at its end.
func (e *Editor) replace(line []byte) {
	e.home()
	e.buf = append(e.buf[:0], line...)
	e.write(e.buf)
	e.write([]byte("\x1b[K"))
	e.cur = len(e.buf)
}
