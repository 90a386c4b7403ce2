package schedbench

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLineRoundTrip(t *testing.T) {
	for _, r := range []Result{
		{OS: "aero", CPUs: 1, GOMAXPROCS: 1, Rounds: 3, Creates: 300, CreateJoin: 41234, Ended: 50, Checks: 50, Handoffs: 4000, Switch: 9876},
		{OS: "linux", CPUs: 2, GOMAXPROCS: 2, Rounds: 1, Creates: 300, CreateJoin: 5, Ended: 50, Checks: 50, Handoffs: 4000, Wake: 123456, Spin: 99, OnCPUs: [2]int{0, 1}},
	} {
		line := r.Line()
		got, err := ParseLine("    bench.go:40: " + line)
		if err != nil || got != r {
			t.Errorf("ParseLine(%q) = %+v, %v; want %+v", line, got, err, r)
		}
	}
	want := "schedbench: os=linux cpus=2 gomaxprocs=2 rounds=5 create_join_ns=41234 creates=300 ended=50/50 wake_ns=9876 spin_ns=12 handoffs=4000 on_cpus=0,1"
	r := Result{OS: "linux", CPUs: 2, GOMAXPROCS: 2, Rounds: 5, Creates: 300, CreateJoin: 41234, Ended: 50, Checks: 50, Handoffs: 4000, Wake: 9876, Spin: 12, OnCPUs: [2]int{0, 1}}
	if got := r.Line(); got != want {
		t.Errorf("Line = %q\nwant   %q", got, want)
	}
}

func TestParseLineErrors(t *testing.T) {
	good := "schedbench: os=aero cpus=1 gomaxprocs=1 rounds=1 create_join_ns=7 creates=3 ended=2/2 switch_ns=5 handoffs=4 on_cpus=0,0"
	if _, err := ParseLine(good); err != nil {
		t.Fatalf("ParseLine(%q): %v", good, err)
	}
	for _, tc := range []struct{ line, want string }{
		{"smoke: bench spawn_join_ns=1", "not a bench line"},
		{Report(Result{}, errors.Join(errTest, errTest)), "the run failed: pin refused; pin refused"},
		{strings.Replace(good, "switch_ns=5", "switch_ns=5 wake_ns=6 spin_ns=1", 1), "one of switch_ns and wake_ns"},
		{strings.Replace(good, "switch_ns=5", "wake_ns=6", 1), "want spin_ns with wake_ns"},
		{strings.Replace(good, "switch_ns=5", "switch_ns=5 spin_ns=1", 1), "want spin_ns with wake_ns"},
		{strings.Replace(good, " switch_ns=5", "", 1), "one of switch_ns and wake_ns"},
		{strings.Replace(good, "switch_ns=5", "switch_ns=0", 1), "zero"},
		{strings.Replace(good, "creates=3", "creates=-3", 1), "negative"},
		{strings.Replace(good, "creates=3", "creates=x", 1), "invalid syntax"},
		{strings.Replace(good, "creates=3", "creates=", 1), "not key=value"},
		{strings.Replace(good, "creates=3", "creates", 1), "not key=value"},
		{strings.Replace(good, "creates=3", "creates=3 creates=4", 1), "twice"},
		{strings.Replace(good, "creates=3", "spins=3", 1), "unknown field spins"},
		{strings.Replace(good, " ended=2/2", "", 1), "no ended"},
		{strings.Replace(good, "ended=2/2", "ended=2", 1), "field \"ended=2\""},
		{strings.Replace(good, "on_cpus=0,0", "on_cpus=0", 1), "field \"on_cpus=0\""},
		{strings.Replace(good, " os=aero", "", 1), "no os"},
		{strings.Replace(good, " rounds=1", "", 1), "no rounds"},
	} {
		_, err := ParseLine(tc.line)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseLine(%q) = %v; want an error with %q", tc.line, err, tc.want)
		}
	}
}

// fake is a Platform whose threads never end (as on a system without the
// runtime's thread exit) and whose Pin can fail.
type fake struct {
	pinErr        error
	ended, onMain int
}

func (*fake) Name() string                      { return "fake" }
func (*fake) CPU() int                          { return 0 }
func (f *fake) Pin(int) error                   { return f.pinErr }
func (f *fake) BeginThreads(int) error          { return nil }
func (f *fake) MarkThread(int)                  {}
func (f *fake) EndedThreads() (int, int, error) { return f.ended, f.onMain, nil }

func TestPairPinFails(t *testing.T) {
	for _, side := range []int{0, 1} {
		pins := [2]int{-1, -1}
		pins[side] = 1
		f := &fake{pinErr: errTest}
		if _, _, err := PingPong(f, 10, pins); !errors.Is(err, errTest) {
			t.Errorf("pin of side %d fails: PingPong = %v, want %v", side, err, errTest)
		}
	}
	// A Pin that succeeds but leaves the thread elsewhere is caught too.
	if _, _, err := PingPong(&fake{}, 10, [2]int{0, 1}); err == nil || !strings.Contains(err.Error(), "pinned to CPU 1, runs on 0") {
		t.Errorf("PingPong with a Pin that does not move = %v", err)
	}
	for _, side := range []int{0, 1} {
		pins := [2]int{-1, -1}
		pins[side] = 1
		if _, _, err := Spin(&fake{pinErr: errTest}, 10, pins); !errors.Is(err, errTest) {
			t.Errorf("pin of side %d fails: Spin = %v, want %v", side, err, errTest)
		}
	}
}

var errTest = errors.New("pin refused")

func TestCheckThreadsFails(t *testing.T) {
	defer func(d time.Duration) { endWait = d }(endWait)
	endWait = 50 * time.Millisecond
	for _, tc := range []struct {
		f    fake
		want string
	}{
		{fake{ended: 3}, "of 5 goroutines that exited locked, 3 ran on threads of their own that ended, 0 on the main thread"},
		{fake{ended: 3, onMain: 2}, "2 goroutines that exited locked ran on the main thread"},
		{fake{ended: 5, onMain: 1}, "5 threads ended, 1 on the main thread"},
		{fake{ended: 4, onMain: 1}, ""},
		{fake{ended: 5}, ""},
	} {
		_, err := checkThreads(&tc.f, 5)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("checkThreads with %+v = %v, want %q", tc.f, err, tc.want)
		}
	}
}

func TestRunBadCounts(t *testing.T) {
	for _, c := range []Counts{{}, {Rounds: 1, Creates: 1, Checks: 1, Handoffs: 3}, {Rounds: 1, Creates: 1, Checks: 0, Handoffs: 2}, {Creates: 1, Checks: 1, Handoffs: 2}} {
		if _, err := Run(&fake{}, c); err == nil {
			t.Errorf("Run with counts %+v succeeded", c)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{[]time.Duration{7}, 7},
		{[]time.Duration{9, 1, 5}, 5},
		{[]time.Duration{4, 1, 3, 2}, 3},
		{[]time.Duration{100, 2, 3, 1, 50}, 3},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestSpin(t *testing.T) {
	d, on, err := Spin(&fake{}, 10, [2]int{-1, -1})
	if err != nil || d <= 0 || on != [2]int{0, 0} {
		t.Errorf("Spin = %v, %v, %v", d, on, err)
	}
}
