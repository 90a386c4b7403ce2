package klog

import (
	"strings"
	"testing"
)

func put(r *Ring, cpu int, now int64, s string) (shown string) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if r.PutByte(cpu, now, s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func readAll(r *Ring) []Line {
	dst := make([]Line, Capacity)
	n, _ := r.Read(0, dst)
	return dst[:n]
}

func TestLinesPerCPU(t *testing.T) {
	var r Ring
	// Two CPUs printing at once, byte by byte interleaved.
	a, b := "hello from a\n", "and b here\n"
	for i := 0; i < max(len(a), len(b)); i++ {
		if i < len(a) {
			r.PutByte(1, 100, a[i])
		}
		if i < len(b) {
			r.PutByte(2, 200, b[i])
		}
	}
	got := readAll(&r)
	if len(got) != 2 || got[0].Text() != "and b here" || got[0].CPU != 2 || got[1].Text() != "hello from a" || got[1].CPU != 1 || got[1].Time != 100 {
		t.Fatalf("lines %+v", got)
	}
	if got[0].Seq != 0 || got[1].Seq != 1 || got[0].Level != Print {
		t.Errorf("seq/level %d %d %d", got[0].Seq, got[1].Seq, got[0].Level)
	}
}

func TestLevels(t *testing.T) {
	var r Ring
	r.SetLevel(Warning)
	if s := put(&r, 0, 1, string(Marked(Err, "bad\nworse"))); s != "bad\nworse\n" {
		t.Errorf("err lines shown as %q", s)
	}
	if s := put(&r, 0, 2, string(Marked(Info, "chatty"))); s != "" {
		t.Errorf("info line above loglevel shown as %q", s)
	}
	if s := put(&r, 0, 3, "\x01xplain\n"); s != "xplain\n" {
		t.Errorf("a marker without a digit: shown %q", s)
	}
	got := readAll(&r)
	want := []struct {
		text  string
		level int8
		shown bool
	}{{"bad", Err, true}, {"worse", Err, true}, {"chatty", Info, false}, {"xplain", Print, true}}
	if len(got) != len(want) {
		t.Fatalf("got %d lines: %+v", len(got), got)
	}
	for i, w := range want {
		if got[i].Text() != w.text || got[i].Level != w.level || got[i].Shown != w.shown {
			t.Errorf("line %d: %q level %d shown %v, want %+v", i, got[i].Text(), got[i].Level, got[i].Shown, w)
		}
	}
	if f := Format(&got[0]); f != "[    0.000000] cpu0 err: bad" {
		t.Errorf("Format: %q", f)
	}
}

func TestLongLineAndWrap(t *testing.T) {
	var r Ring
	long := strings.Repeat("x", LineMax*2+5)
	put(&r, 3, 0, long+"\n")
	got := readAll(&r)
	if len(got) != 3 || !got[0].Cont || !got[1].Cont || got[2].Cont || got[2].Text() != "xxxxx" {
		t.Fatalf("long line kept as %d lines", len(got))
	}
	// Overwrite: the oldest go, Read starts at the oldest kept.
	for i := 0; i < Capacity+10; i++ {
		put(&r, 0, int64(i), "l\n")
	}
	dst := make([]Line, 4)
	n, next := r.Read(0, dst)
	if n != 4 || dst[0].Seq != 13 || next != 17 {
		t.Errorf("after wrap: n %d first seq %d next %d", n, dst[0].Seq, next)
	}
	if w := r.Written(); w != Capacity+13 {
		t.Errorf("Written %d", w)
	}
	// An unnamed CPU gets its own slot, recorded as -1.
	put(&r, -5, 0, "who\n")
	put(&r, MaxCPUs+3, 0, "me\n")
	n, _ = r.Read(r.Written()-2, dst)
	if n != 2 || dst[0].CPU != -1 || dst[1].Text() != "me" {
		t.Errorf("unnamed CPU lines: %+v", dst[:n])
	}
}

func TestParseLevel(t *testing.T) {
	for s, want := range map[string]int{"warn": Warning, "warning": Warning, "3": Err, "debug": Debug, "error": Err} {
		if l, err := ParseLevel(s); err != nil || l != want {
			t.Errorf("ParseLevel(%q) = %d, %v", s, l, err)
		}
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Error("ParseLevel(loud) did not fail")
	}
}

func FuzzRing(f *testing.F) {
	f.Add([]byte("a\nb\x01\x33c\n"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, cpu uint8) {
		var r Ring
		for _, c := range data {
			r.PutByte(int(cpu%4), 0, c)
		}
		for _, l := range readAll(&r) {
			if len(l.Text()) > LineMax || strings.Contains(l.Text(), "\n") {
				t.Fatalf("bad line %q", l.Text())
			}
		}
	})
}
