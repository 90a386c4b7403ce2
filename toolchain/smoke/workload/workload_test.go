package workload

import (
	"testing"
	"time"
)

func TestLineRoundTrip(t *testing.T) {
	r := Result{SpawnJoin: 2587, ChanRTT: 3565, GOMAXPROCS: 4}
	line := r.Line("smoke")
	if line != "smoke: bench spawn_join_ns=2587 chan_rtt_ns=3565 gomaxprocs=4" {
		t.Fatalf("Line = %q", line)
	}
	got, err := ParseLine(line)
	if err != nil || got != r {
		t.Fatalf("ParseLine = %+v, %v", got, err)
	}
	for _, bad := range []string{"smoke: PASS fmt", "x: bench spawn_join_ns=1", "x: bench spawn_join_ns=a chan_rtt_ns=1"} {
		if _, err := ParseLine(bad); err == nil {
			t.Errorf("ParseLine(%q) succeeded", bad)
		}
	}
}

func TestRun(t *testing.T) {
	r, err := Run(1000)
	if err != nil {
		t.Fatal(err)
	}
	if r.SpawnJoin <= 0 || r.ChanRTT <= 0 || r.SpawnJoin > time.Second || r.ChanRTT > time.Second {
		t.Errorf("implausible figures %+v", r)
	}
}
