package shell

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/aerokernel/aero/core"
)

func TestSplit(t *testing.T) {
	for line, want := range map[string][]string{
		"":                     nil,
		"  help  ":             {"help"},
		"peek 0x1000 16":       {"peek", "0x1000", "16"},
		`echo "a b" 'c "d"' e`: {"echo", "a b", `c "d"`, "e"},
		`x ""`:                 {"x", ""},
		"a\tb":                 {"a", "b"},
	} {
		got, err := Split(line)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Split(%q) = %q, %v; want %q", line, got, err, want)
		}
	}
	if _, err := Split(`echo "open`); err == nil {
		t.Error("an unterminated quote was taken")
	}
}

func testShell(out io.Writer) *Shell {
	cmds := []core.Command{
		{Name: "echo", Usage: "WORD...", Help: "print the words", Run: func(args []string, w io.Writer) error {
			if len(args) == 0 {
				return core.UsageError("nothing to echo")
			}
			_, err := io.WriteString(w, strings.Join(args, " ")+"\n")
			return err
		}},
		{Name: "boom", Help: "panic", Run: func([]string, io.Writer) error { panic("kaboom") }},
		{Name: "fail", Help: "fail", Run: func([]string, io.Writer) error { return errors.New("it failed") }},
	}
	return &Shell{Prompt: "aero> ", Out: out, Commands: func() []core.Command { return cmds }}
}

func TestExec(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"echo hi there", "hi there\n"},
		{"echo", "echo: bad arguments: nothing to echo\nusage: echo WORD...\n"},
		{"nope x", "unknown command \"nope\": help lists the commands\n"},
		{"fail", "fail: it failed\n"},
		{"help echo", "usage: echo WORD...\nprint the words\n"},
		{"help nope", "help: no command \"nope\"\n"},
		{"help a b", "help: bad arguments: one command at most\nusage: help [COMMAND]\n"},
		{`echo "x`, "unterminated \" quote\n"},
		{"   ", ""},
	} {
		var out bytes.Buffer
		testShell(&out).Exec(tc.line)
		if out.String() != tc.want {
			t.Errorf("%q printed %q, want %q", tc.line, out.String(), tc.want)
		}
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	var out bytes.Buffer
	testShell(&out).Exec("help")
	want := "  boom  panic\n  echo  print the words\n  fail  fail\n  help  list the commands, or show one's usage\n"
	if out.String() != want {
		t.Errorf("help:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestPanicReported(t *testing.T) {
	var out bytes.Buffer
	s := testShell(&out)
	s.Exec("boom")
	got := out.String()
	if !strings.HasPrefix(got, "boom: panic: kaboom\n") || !strings.Contains(got, "goroutine ") || !strings.Contains(got, "shell_test.go") {
		t.Errorf("panic report:\n%s", got)
	}
	out.Reset()
	s.Exec("echo still here")
	if out.String() != "still here\n" {
		t.Errorf("after the panic: %q", out.String())
	}
}

func TestRunLoop(t *testing.T) {
	var out bytes.Buffer
	s := testShell(&out)
	s.In = strings.NewReader("echo one\r\nech\x7fho to\x1b[Dw\r\x1b[A\r\x03boom\rhelp echo\r")
	if err := s.Run(); err != io.EOF {
		t.Fatalf("Run: %v", err)
	}
	got := out.String()
	for _, want := range []string{"aero> echo one\none\naero> ", "two\n", "boom: panic: kaboom", "usage: echo WORD...\nprint the words\naero> "} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if h := s.Editor().History(); len(h) != 4 || h[1] != "echo two" {
		t.Errorf("history %q", h)
	}
	if strings.Count(got, "two\n") != 2 {
		t.Errorf("history up then enter should run echo two again:\n%s", got)
	}
}

// TestNoise: random bytes, then a clean line, still run it.
func TestNoise(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	noise := make([]byte, 10<<10)
	rng.Read(noise)
	var out bytes.Buffer
	s := testShell(&out)
	s.In = io.MultiReader(bytes.NewReader(noise), strings.NewReader("\x03help\r"))
	if err := s.Run(); err != io.EOF {
		t.Fatalf("Run: %v", err)
	}
	if !strings.HasSuffix(out.String(), "  help  list the commands, or show one's usage\naero> ") {
		t.Errorf("after 10 KiB of noise, help printed (tail) %q", out.String()[max(0, out.Len()-300):])
	}
}
