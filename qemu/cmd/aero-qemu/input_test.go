package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestForwarder(t *testing.T) {
	for _, tc := range []struct {
		in, sent string
		quit     bool
		helps    int
	}{
		{"help\r", "help\r", false, 0},
		{"a\x01\x01b", "a\x01b", false, 0},
		{"a\x01hb", "ab", false, 1},
		{"a\x01qb", "a\x01qb", false, 0},
		{"cores\r\x01xhalt\r", "cores\r", true, 0},
		{"\x03", "\x03", false, 0},
	} {
		var guest bytes.Buffer
		helps := 0
		f := &forwarder{guest: &guest, help: func() { helps++ }}
		quit, err := f.feed([]byte(tc.in))
		if err != nil || quit != tc.quit || guest.String() != tc.sent || helps != tc.helps {
			t.Errorf("feed(%q): sent %q quit %v helps %d err %v; want %q %v %d", tc.in, guest.String(), quit, helps, err, tc.sent, tc.quit, tc.helps)
		}
	}
	// Ctrl-A at the end of one read, x at the start of the next.
	var guest bytes.Buffer
	f := &forwarder{guest: &guest}
	if q, _ := f.feed([]byte("ls\x01")); q {
		t.Fatal("quit on Ctrl-A alone")
	}
	if q, _ := f.feed([]byte("x")); !q || guest.String() != "ls" {
		t.Errorf("split Ctrl-A x: quit %v sent %q", q, guest.String())
	}
	// forward stops at the quit key and calls quit.
	guest.Reset()
	quits := 0
	forward(strings.NewReader("abc\x01xdef"), &forwarder{guest: &guest}, func() { quits++ })
	if quits != 1 || guest.String() != "abc" {
		t.Errorf("forward: quits %d sent %q", quits, guest.String())
	}
}
