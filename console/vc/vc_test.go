package vc

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// logSource stands for the kernel log: it draws its own lines.
type logSource struct{ lines []string }

func (l *logSource) Redraw(w io.Writer) { io.WriteString(w, strings.Join(l.lines, "\n")+"\n") }

func read(t *testing.T, c *Console) string {
	t.Helper()
	done := make(chan string)
	go func() {
		p := make([]byte, 100)
		n, _ := c.Read(p)
		done <- string(p[:n])
	}()
	select {
	case s := <-done:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no input arrived")
		return ""
	}
}

func TestSwitchKeepsOutput(t *testing.T) {
	var screen bytes.Buffer
	m := New(&screen)
	log := &logSource{lines: []string{"aero: boot cpus=4"}}
	logc := m.Add("kernel log", log)
	sh := m.Add("shell 1", nil)
	m.Switch(sh)
	io.WriteString(sh, "aero> cores\n4 cpus\n")
	if !strings.HasSuffix(screen.String(), "aero> cores\n4 cpus\n") {
		t.Fatalf("shell in front: screen %q", screen.String())
	}

	// ``1 goes to the previous console: the log, redrawn.
	screen.Reset()
	m.Input([]byte("``1"))
	if m.Front() != logc || screen.String() != Clear+"aero: boot cpus=4\n" {
		t.Fatalf("after ``1: front %v screen %q", m.Front().Name, screen.String())
	}
	// Output of the shell while it is behind is kept, not shown.
	screen.Reset()
	io.WriteString(sh, "late output\n")
	if screen.Len() != 0 {
		t.Errorf("a console behind drew %q", screen.String())
	}
	// ``2: next, back to the shell with all of its output.
	m.Input([]byte("``2"))
	if m.Front() != sh || screen.String() != Clear+"aero> cores\n4 cpus\nlate output\n" {
		t.Fatalf("after ``2: front %v screen %q", m.Front().Name, screen.String())
	}
}

func TestInputRouting(t *testing.T) {
	var screen bytes.Buffer
	m := New(&screen)
	logc := m.Add("kernel log", &logSource{})
	sh := m.Add("shell", nil)
	m.Switch(sh)
	m.Input([]byte("a`b``c"))
	if got := read(t, sh); got != "a`b``c" {
		t.Errorf("backticks not followed by a digit: the shell got %q", got)
	}
	// Split across deliveries, the sequence still works.
	m.Input([]byte("x`"))
	m.Input([]byte("`"))
	m.Input([]byte("1y"))
	if got := read(t, sh); got != "x" {
		t.Errorf("before the switch the shell got %q", got)
	}
	if got := read(t, logc); got != "y" {
		t.Errorf("after the switch the log console got %q", got)
	}
}

func TestListAndNewShell(t *testing.T) {
	var screen bytes.Buffer
	m := New(&screen)
	m.Add("kernel log", &logSource{})
	sh := m.Add("shell 1", nil)
	m.Switch(sh)
	started := make(chan *Console, 1)
	m.NewShell = func(c *Console) { started <- c }
	screen.Reset()
	m.Input([]byte("``3"))
	list := screen.String()
	for _, want := range []string{"a  kernel log", "b  shell 1  (in front)", "+ for a new shell"} {
		if !strings.Contains(list, want) {
			t.Errorf("list %q lacks %q", list, want)
		}
	}
	m.Input([]byte("a"))
	if m.Front().ID != 0 {
		t.Errorf("picking a: front is %q", m.Front().Name)
	}
	m.Input([]byte("``3+"))
	select {
	case c := <-started:
		if m.Front() != c || c.ID != 2 || len(m.Consoles()) != 3 {
			t.Errorf("new shell %q id %d, front %q", c.Name, c.ID, m.Front().Name)
		}
	case <-time.After(time.Second):
		t.Fatal("+ started no shell")
	}
	// Any other key goes back to the console in front.
	m.Input([]byte("``3?"))
	if m.Front().ID != 2 {
		t.Errorf("``3? moved the front to %q", m.Front().Name)
	}
	// Out-of-range letters go back too.
	m.Input([]byte("``3z"))
	if m.Front().ID != 2 {
		t.Errorf("``3z moved the front to %q", m.Front().Name)
	}
}

func TestInputOverflowCounted(t *testing.T) {
	m := New(io.Discard)
	sh := m.Add("shell", nil)
	for range InputMax + 5 {
		m.Input([]byte("x"))
	}
	if sh.Dropped() != 5 {
		t.Errorf("dropped %d, want 5", sh.Dropped())
	}
}

func TestScrollbackBounded(t *testing.T) {
	var b Buffer
	for i := 0; i < 3*ScrollbackMax/10; i++ {
		b.Write([]byte("123456789\n"))
	}
	if n := len(b.Bytes()); n > ScrollbackMax || n < ScrollbackMax-256 {
		t.Errorf("kept %d bytes", n)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("123456789\n")) {
		t.Errorf("kept output does not start at a line: %q", b.Bytes()[:12])
	}
}

func TestStartDoesNotClear(t *testing.T) {
	var screen bytes.Buffer
	m := New(&screen)
	m.Add("kernel log", &logSource{lines: []string{"boot"}})
	sh := m.Add("shell", nil)
	io.WriteString(sh, "aero> ")
	m.Start(sh)
	if m.Front() != sh || screen.String() != "aero> " {
		t.Errorf("Start: front %q, screen %q", m.Front().Name, screen.String())
	}
}
