// Package term is a small terminal emulator for host tests: it interprets
// what the console's line editor and virtual consoles send (printable
// ASCII, BS, CR, LF, BEL, "ESC [ K", "ESC [ 2 J", "ESC [ H") and keeps the
// screen as lines, so a test checks what a person would see.
package term

import "strings"

// Screen is the terminal's state: lines of text and the cursor.
type Screen struct {
	Lines    [][]byte
	Row, Col int
	esc      []byte // an escape sequence being read
	Unknown  int    // bytes or sequences it did not know
}

// New returns an empty screen.
func New() *Screen { return &Screen{Lines: [][]byte{nil}} }

// Write interprets p.
func (s *Screen) Write(p []byte) (int, error) {
	for _, c := range p {
		s.put(c)
	}
	return len(p), nil
}

func (s *Screen) put(c byte) {
	if s.esc != nil {
		s.esc = append(s.esc, c)
		if len(s.esc) >= 2 && c >= 0x40 && c <= 0x7e {
			switch string(s.esc) {
			case "[K":
				l := s.Lines[s.Row]
				if s.Col < len(l) {
					s.Lines[s.Row] = l[:s.Col]
				}
			case "[2J":
				s.Lines, s.Row, s.Col = [][]byte{nil}, 0, 0
			case "[H":
				s.Row, s.Col = 0, 0
			default:
				s.Unknown++
			}
			s.esc = nil
		}
		return
	}
	switch {
	case c == 0x1b:
		s.esc = []byte{}
	case c == '\b':
		if s.Col > 0 {
			s.Col--
		}
	case c == '\r':
		s.Col = 0
	case c == '\n':
		s.Row++
		s.Col = 0
		if s.Row == len(s.Lines) {
			s.Lines = append(s.Lines, nil)
		}
	case c == 0x07:
	case c >= 0x20 && c < 0x7f:
		l := s.Lines[s.Row]
		for len(l) < s.Col {
			l = append(l, ' ')
		}
		if s.Col < len(l) {
			l[s.Col] = c
		} else {
			l = append(l, c)
		}
		s.Lines[s.Row] = l
		s.Col++
	default:
		s.Unknown++
	}
}

// Line returns row r's text without trailing blanks.
func (s *Screen) Line(r int) string { return strings.TrimRight(string(s.Lines[r]), " ") }

// Current returns the cursor's row's text.
func (s *Screen) Current() string { return s.Line(s.Row) }

// Text returns every line, joined by newlines.
func (s *Screen) Text() string {
	var out []string
	for r := range s.Lines {
		out = append(out, s.Line(r))
	}
	return strings.Join(out, "\n")
}
