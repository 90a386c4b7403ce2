package core

import (
	"errors"
	"strings"
	"testing"
	"unsafe"

	"github.com/aerokernel/aero/core/cmdline"
)

func (testSched) Threads(int) (*ThreadHooks, APEntry, error) { return nil, nil, nil }

// threadsSched is a Scheduler whose Threads answer is set by the test.
type threadsSched struct {
	testSched
	hooks   *ThreadHooks
	entry   APEntry
	err     error
	maxCPUs *int
}

func (s threadsSched) Threads(n int) (*ThreadHooks, APEntry, error) {
	*s.maxCPUs = n
	return s.hooks, s.entry, s.err
}

func TestChooseScheduler(t *testing.T) {
	withRegistry(t, func() {
		RegisterScheduler("rr", func() Scheduler { return testSched{"rr"} })
		for _, c := range []struct{ line, want, err string }{
			{"", "rr", ""},
			{"sched=default", "default", ""},
			{"sched=fifo", "", `no scheduler named "fifo"`},
		} {
			k := &Kernel{}
			k.Cmdline, _ = cmdline.ParseString(c.line)
			err := k.chooseScheduler()
			switch {
			case c.err != "":
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Errorf("%q: error %v, want one saying %s", c.line, err, c.err)
				}
			case err != nil:
				t.Errorf("%q: %v", c.line, err)
			case k.Scheduler == nil || k.Scheduler.Name() != c.want:
				t.Errorf("%q: chose %v, want %s", c.line, k.Scheduler, c.want)
			}
		}
	})
}

func TestSchedulerThreads(t *testing.T) {
	start := func(sp, mp, gp, fn unsafe.Pointer) {}
	sleep := func(mp unsafe.Pointer, sema *uint32, deadline int64) {}
	wake := func(mp unsafe.Pointer) {}
	entry := func(int) {}
	broken := errors.New("no tables")
	for _, c := range []struct {
		name      string
		hooks     *ThreadHooks
		entry     APEntry
		err       error
		wantErr   error
		wantHooks bool
	}{
		{"default", nil, nil, nil, nil, false},
		{"entry only", nil, entry, nil, nil, false},
		{"pass-through", &ThreadHooks{Start: start, Sleep: sleep, Wake: wake, OnePerCPU: true}, entry, nil, nil, true},
		{"no wake", &ThreadHooks{Start: start, Sleep: sleep}, nil, nil, ErrIncompleteHooks, false},
		{"no start", &ThreadHooks{Sleep: sleep, Wake: wake}, nil, nil, ErrIncompleteHooks, false},
		{"error", nil, nil, broken, broken, false},
	} {
		var got int
		k := &Kernel{Scheduler: threadsSched{testSched{"x"}, c.hooks, c.entry, c.err, &got}}
		hooks, e, err := k.schedulerThreads(4)
		if got != 4 {
			t.Errorf("%s: Threads got maxCPUs %d, want 4", c.name, got)
		}
		if c.wantErr != nil {
			var me *ModuleError
			if !errors.Is(err, c.wantErr) || !errors.As(err, &me) || me.Kind != KindScheduler || me.Name != "x" {
				t.Errorf("%s: error %v, want a scheduler x ModuleError wrapping %v", c.name, err, c.wantErr)
			}
			if hooks != nil || e != nil {
				t.Errorf("%s: hooks or entry returned with an error", c.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if (hooks != nil) != c.wantHooks || (e != nil) != (c.entry != nil) {
			t.Errorf("%s: got hooks %v entry %v", c.name, hooks != nil, e != nil)
		}
	}
}

// TestChooseOnce checks that chooseModules keeps the Scheduler chosen
// before the APs started: the instance whose threads run is the one
// initialised, even when the registry would build another.
func TestChooseOnce(t *testing.T) {
	withRegistry(t, func() {
		early := &threadsSched{testSched: testSched{"rr"}}
		RegisterScheduler("rr", func() Scheduler { return &threadsSched{testSched: testSched{"rr"}} })
		k := &Kernel{Scheduler: early}
		m, name, err := k.chooseOnce(KindScheduler, "")
		if err != nil || m != Module(early) || name != "rr" {
			t.Errorf("chooseOnce: %p %q %v, want the early instance %p, rr", m, name, err, early)
		}
		k.Scheduler = nil
		if m, _, err := k.chooseOnce(KindScheduler, ""); err != nil || m == Module(early) || m.Name() != "rr" {
			t.Errorf("chooseOnce with no early choice: %v %v, want a new rr from the registry", m, err)
		}
	})
}
