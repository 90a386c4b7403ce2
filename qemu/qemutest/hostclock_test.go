package qemutest

import (
	"strings"
	"testing"
	"time"
)

func TestHostSleep(t *testing.T) {
	const want = time.Second
	for _, c := range []struct {
		host []time.Duration
		ok   bool
	}{
		{[]time.Duration{time.Second}, true},
		{[]time.Duration{1090 * time.Millisecond}, true},
		{[]time.Duration{1110 * time.Millisecond}, false},
		{[]time.Duration{890 * time.Millisecond}, false},
		// A late line spoils one window: the other agrees.
		{[]time.Duration{1400 * time.Millisecond, 1001 * time.Millisecond}, true},
		{[]time.Duration{1001 * time.Millisecond, 600 * time.Millisecond}, true},
		// A clock at the wrong rate is wrong in every window.
		{[]time.Duration{500 * time.Millisecond, 501 * time.Millisecond}, false},
		{nil, false},
	} {
		err := HostSleep(c.host, want, 0.10)
		if (err == nil) != c.ok {
			t.Errorf("HostSleep(%v, 1s, 10%%) = %v, want ok=%v", c.host, err, c.ok)
		}
		if err != nil && len(c.host) > 0 && !strings.Contains(err.Error(), c.host[len(c.host)-1].String()) {
			t.Errorf("HostSleep(%v) error %q does not name every window", c.host, err)
		}
	}
}

func TestExpectSleeps(t *testing.T) {
	o := fakeQEMU(t, lines("booted", "s-start 0").sleep("0.3").serial("s-end 0 k=7", "s-start 1").sleep("0.2").serial("s-end 1 k=8").exit(1))
	var host []time.Duration
	var ends [][]string
	r := record(t, func(r *rec) {
		vm := Boot(r, o)
		host, ends = vm.ExpectSleeps(`^s-start %d$`, `^s-end %d k=(\d+)$`, 2, 10*time.Second)
	})
	if r.Failed() {
		t.Fatalf("failed:\n%s", r.text())
	}
	if len(host) != 2 || len(ends) != 2 || ends[0][1] != "7" || ends[1][1] != "8" {
		t.Fatalf("ExpectSleeps = %v, %q", host, ends)
	}
	// The host's measure is at least the script's sleep; a loaded host
	// only adds to it.
	if host[0] < 300*time.Millisecond || host[1] < 200*time.Millisecond {
		t.Errorf("host windows %v, want at least 300ms and 200ms", host)
	}
}
