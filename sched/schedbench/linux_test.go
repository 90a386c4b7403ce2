//go:build linux

package schedbench

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestRunLinux runs the workload on the host's threads: every check it
// makes (threads that end, pinned CPUs) must hold on Linux itself.
func TestRunLinux(t *testing.T) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	if runtime.NumCPU() > 1 && !(set.IsSet(0) && set.IsSet(1)) {
		t.Skipf("the wake-up pins to CPUs 0 and 1; this process may run on %d CPUs, not both of those", set.Count())
	}
	// The container-aware default may be below NumCPU; Run wants one P per CPU.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(runtime.NumCPU()))
	r, err := Run(&Linux{}, Counts{Rounds: 3, Creates: 20, Checks: 20, Handoffs: 100})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(r.Line())
	if r.Ended != 20 || r.CreateJoin <= 0 || r.CreateJoin > time.Second {
		t.Errorf("create+join: %+v", r)
	}
	if r.CPUs > 1 && (r.Wake <= 0 || r.Spin <= 0 || r.OnCPUs != [2]int{0, 1}) {
		t.Errorf("wake on %d CPUs: %+v", r.CPUs, r)
	}
	if r.CPUs == 1 && r.Switch <= 0 {
		t.Errorf("switch on one CPU: %+v", r)
	}
	if _, err := ParseLine(r.Line()); err != nil {
		t.Error(err)
	}
}
