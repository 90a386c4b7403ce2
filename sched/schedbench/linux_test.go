//go:build linux

package schedbench

import (
	"runtime"
	"testing"
	"time"
)

// TestRunLinux runs the workload on the host's threads: every check it
// makes (threads that end, pinned CPUs) must hold on Linux itself.
func TestRunLinux(t *testing.T) {
	// The container-aware default may be below NumCPU; Run wants one P per CPU.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(runtime.NumCPU()))
	r, err := Run(&Linux{}, Counts{Creates: 50, Checks: 20, Handoffs: 200})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(r.Line())
	if r.Ended != 20 || r.CreateJoin <= 0 || r.CreateJoin > time.Second {
		t.Errorf("create+join: %+v", r)
	}
	if r.CPUs > 1 && (r.Wake <= 0 || r.OnCPUs != [2]int{0, 1}) {
		t.Errorf("wake on %d CPUs: %+v", r.CPUs, r)
	}
	if r.CPUs == 1 && r.Switch <= 0 {
		t.Errorf("switch on one CPU: %+v", r)
	}
	if _, err := ParseLine(r.Line()); err != nil {
		t.Error(err)
	}
}
