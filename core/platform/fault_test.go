package platform

import (
	"strings"
	"testing"
)

func TestFormatFault(t *testing.T) {
	for _, c := range []struct {
		vector, code, rip, cr2, apic uint64
		want                         string
	}{
		{14, 2, 0x1a2b3c, 0x8, 0, "vector=14 (#PF) rip=0x1a2b3c error=0x2 cr2=0x8 apic=0"},
		{6, 0, 0x101000, 0, 17, "vector=6 (#UD) rip=0x101000 error=0x0 cr2=0x0 apic=17"},
		{13, 0xffff, 0xffffffffffffffff, 0x123456789abcdef0, 4294967295,
			"vector=13 (#GP) rip=0xffffffffffffffff error=0xffff cr2=0x123456789abcdef0 apic=4294967295"},
		{15, 0, 1, 0, 1, "vector=15 rip=0x1 error=0x0 cr2=0x0 apic=1"}, // reserved: no name
	} {
		var buf [160]byte
		n := formatFault(buf[:], c.vector, c.code, c.rip, c.cr2, c.apic)
		if got, want := string(buf[:n]), FaultPrefix+c.want+"\n"; got != want {
			t.Errorf("got  %q\nwant %q", got, want)
		}
	}
	// A short buffer is filled, never overrun.
	var small [10]byte
	if n := formatFault(small[:], 14, 0, 0, 0, 0); n != len(small) || !strings.HasPrefix(FaultPrefix, string(small[:])) {
		t.Errorf("short buffer: %d bytes %q", n, small[:n])
	}
}

func TestFaultErrorCodeVectors(t *testing.T) {
	// SDM Vol. 3A, Table 6-1: the exceptions with an error code.
	with := map[int]bool{8: true, 10: true, 11: true, 12: true, 13: true, 14: true, 17: true, 21: true, 29: true, 30: true}
	for v := 0; v < 32; v++ {
		if got := faultErrorCodeVectors>>v&1 == 1; got != with[v] {
			t.Errorf("vector %d: error code %v, want %v", v, got, with[v])
		}
	}
}

func TestHasWord(t *testing.T) {
	for _, c := range []struct {
		line string
		want bool
	}{
		{"crash=early", true},
		{"loglevel=info crash=early smp=2", true},
		{"  \tcrash=early\t", true},
		{"crash=early\x00junk", true},
		{"junk\x00crash=early", false}, // past the NUL
		{"crash=earlyx", false},
		{"xcrash=early", false},
		{"crash=panic", false},
		{"crash=", false},
		{"", false},
		{"   ", false},
	} {
		if got := hasWord([]byte(c.line), EarlyCrashOption); got != c.want {
			t.Errorf("hasWord(%q) = %v, want %v", c.line, got, c.want)
		}
	}
}
