package platform

import (
	"strconv"
	"testing"
)

func TestFaultErrorCodeVectors(t *testing.T) {
	// The early handlers' mask and hasErrorCode must agree.
	for v := 0; v < 32; v++ {
		if got := faultErrorCodeVectors>>v&1 == 1; got != hasErrorCode(v) {
			t.Errorf("vector %d: error code %v in the mask, %v by hasErrorCode", v, got, hasErrorCode(v))
		}
	}
}

func TestAppendDecimal(t *testing.T) {
	for _, v := range []uint64{0, 7, 10, 1234567890, 1<<64 - 1} {
		var buf [20]byte
		n := appendDecimal(buf[:], 0, v)
		if got, want := string(buf[:n]), strconv.FormatUint(v, 10); got != want {
			t.Errorf("appendDecimal(%d) = %q", v, got)
		}
	}
	var short [3]byte
	if n := appendDecimal(short[:], 0, 123456); n != 3 || string(short[:]) != "123" {
		t.Errorf("short buffer: %q", short[:n])
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
