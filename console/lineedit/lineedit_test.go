package lineedit

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/aerokernel/aero/console/internal/term"
)

const (
	up, down, right, left = "\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D"
	home, end, delKey     = "\x1b[H", "\x1b[F", "\x1b[3~"
)

// typeIn feeds s and returns the lines entered and whether a cancel came.
func typeIn(e *Editor, s string) (lines []string, cancels int) {
	for i := 0; i < len(s); i++ {
		switch e.Feed(s[i]) {
		case Line:
			lines = append(lines, e.Line())
		case Cancelled:
			cancels++
		}
	}
	return lines, cancels
}

func TestEditing(t *testing.T) {
	for _, tc := range []struct {
		name, keys, want string
	}{
		{"plain", "help\r", "help"},
		{"crlf once", "help\r\n", "help"},
		{"backspace", "hellp\x7fo\r", "hello"},
		{"ctrl-h", "ab\bc\r", "ac"},
		{"left insert", "helo" + left + "l\r", "hello"},
		{"home end", "ello" + home + "h" + end + "!\r", "hello!"},
		{"ctrl-a ctrl-e", "bc\x01a\x05d\r", "abcd"},
		{"ss3 home", "bc\x1bOHa\r", "abc"},
		{"vt home end", "bc\x1b[1~a\x1b[4~d\r", "abcd"},
		{"delete key", "abxc" + left + left + delKey + "\r", "abc"},
		{"kill to end", "abcdef" + left + left + left + "\x0b\r", "abc"},
		{"kill line", "junk\x15ok\r", "ok"},
		{"kill word", "peek 0x1000\x17 0x2000\r", "peek  0x2000"},
		{"left at start", left + left + "x\r", "x"},
		{"right at end", "x" + right + right + "y\r", "xy"},
		{"unknown escape", "a\x1b[99Zb\r", "ab"},
		{"escape abandoned", "a\x1b[1;2;3;4;5;6;7;8;9Xb\r", "ab"},
		{"esc junk", "a\x1bqb\r", "ab"},
		{"non-ascii", "a\xc3\xa9b\r", "ab"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scr := term.New()
			e := &Editor{Out: scr}
			lines, _ := typeIn(e, tc.keys)
			if len(lines) != 1 || lines[0] != tc.want {
				t.Fatalf("lines %q, want [%q]", lines, tc.want)
			}
			if got := scr.Line(0); got != tc.want {
				t.Errorf("the terminal shows %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHistoryAndCancel(t *testing.T) {
	scr := term.New()
	e := &Editor{Out: scr}
	typeIn(e, "one\rtwo\rtwo\r")
	if h := e.History(); len(h) != 2 || h[0] != "one" || h[1] != "two" {
		t.Fatalf("history %q (a repeated line is kept once)", h)
	}
	lines, _ := typeIn(e, up+up+"!\r")
	if len(lines) != 1 || lines[0] != "one!" {
		t.Errorf("up up: %q", lines)
	}
	// Down past the newest returns to what was being typed.
	lines, _ = typeIn(e, "draft"+up+up+down+down+"\r")
	if len(lines) != 1 || lines[0] != "draft" {
		t.Errorf("up up down down: %q", lines)
	}
	if got := scr.Line(scr.Row - 1); got != "draft" {
		t.Errorf("terminal shows %q", got)
	}
	lines, cancels := typeIn(e, "rm -rf\x03")
	if len(lines) != 0 || cancels != 1 {
		t.Errorf("Ctrl-C: lines %q cancels %d", lines, cancels)
	}
	if s, _ := e.Buffer(); s != "" {
		t.Errorf("after Ctrl-C the buffer holds %q", s)
	}
	if got := scr.Line(scr.Row - 1); got != "rm -rf^C" {
		t.Errorf("Ctrl-C shows %q", got)
	}
}

func TestLongLine(t *testing.T) {
	e := &Editor{Out: term.New(), Max: 10}
	lines, _ := typeIn(e, strings.Repeat("x", 50)+"\r")
	if len(lines) != 1 || lines[0] != strings.Repeat("x", 10) || e.Dropped != 40 {
		t.Errorf("long line: %q, dropped %d", lines, e.Dropped)
	}
}

// checkScreen checks the invariant the echo keeps: the terminal's current
// line is the buffer, and its cursor is the editor's.
func checkScreen(t *testing.T, e *Editor, scr *term.Screen, input []byte) {
	t.Helper()
	buf, cur := e.Buffer()
	if got := scr.Current(); got != strings.TrimRight(buf, " ") || scr.Col != cur {
		t.Fatalf("after %q: terminal line %q col %d, editor %q cursor %d", input, got, scr.Col, buf, cur)
	}
	if len(buf) > e.max() {
		t.Fatalf("buffer of %d bytes, Max %d", len(buf), e.max())
	}
}

// FuzzEditor: any bytes leave the terminal showing what the editor holds.
func FuzzEditor(f *testing.F) {
	f.Add([]byte("hello" + left + left + "\x7fX" + home + "\x1b[3~\r" + up))
	f.Add([]byte("\x1b[\x1b[A\x1bO\x03abc\x17\x15"))
	f.Fuzz(func(t *testing.T, input []byte) {
		scr := term.New()
		e := &Editor{Out: scr, Max: 40}
		for i, c := range input {
			e.Feed(c)
			if e.esc == 0 {
				checkScreen(t, e, scr, input[:i+1])
			}
		}
	})
}

// TestRandomNoise feeds 64 KiB of random bytes, as the fuzz target does,
// in every run of the tests.
func TestRandomNoise(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	scr := term.New()
	e := &Editor{Out: scr, Max: 80}
	input := make([]byte, 64<<10)
	rng.Read(input)
	for i, c := range input {
		e.Feed(c)
		if e.esc == 0 {
			checkScreen(t, e, scr, input[max(0, i-16):i+1])
		}
	}
	// Still works afterwards.
	e.Feed(0x03)
	if lines, _ := typeIn(e, "help\r"); len(lines) != 1 || lines[0] != "help" {
		t.Errorf("after noise: %q", lines)
	}
}
