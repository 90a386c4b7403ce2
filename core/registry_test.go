package core

import (
	"errors"
	"strings"
	"testing"

	"github.com/aerokernel/aero/core/cmdline"
)

type testSched struct{ name string }

func (s testSched) Name() string       { return s.name }
func (s testSched) Init(*Kernel) error { return nil }

// withRegistry runs f with a registry holding only core's host defaults,
// restoring the real one afterwards.
func withRegistry(t *testing.T, f func()) {
	registry.Lock()
	saved := registry.m
	registry.m = nil
	registry.Unlock()
	defer func() {
		registry.Lock()
		registry.m = saved
		registry.Unlock()
	}()
	RegisterScheduler(DefaultName, func() Scheduler { return runtimeScheduler{} })
	f()
}

func TestChoose(t *testing.T) {
	withRegistry(t, func() {
		m, name, err := choose(KindScheduler, "")
		if err != nil || name != DefaultName || m.Name() != DefaultName {
			t.Fatalf("only default: got %v %q %v", m, name, err)
		}
		RegisterScheduler("rr", func() Scheduler { return testSched{"rr"} })
		if _, name, err := choose(KindScheduler, ""); err != nil || name != "rr" {
			t.Fatalf("one module linked: got %q %v, want rr", name, err)
		}
		if _, name, err := choose(KindScheduler, "default"); err != nil || name != "default" {
			t.Fatalf("explicit default: got %q %v", name, err)
		}
		RegisterScheduler("edf", func() Scheduler { return testSched{"edf"} })
		_, _, err = choose(KindScheduler, "")
		if err == nil || !strings.Contains(err.Error(), "edf, rr") || !strings.Contains(err.Error(), "sched=NAME") {
			t.Fatalf("two modules linked: error %v should name both and the sched= option", err)
		}
		_, _, err = choose(KindScheduler, "fifo")
		if err == nil || !strings.Contains(err.Error(), `"fifo"`) || !strings.Contains(err.Error(), "default, edf, rr") {
			t.Fatalf("unknown explicit: error %v should name it and the linked ones", err)
		}
	})
}

func TestRegisterRejects(t *testing.T) {
	withRegistry(t, func() {
		for _, c := range []struct {
			name string
			f    func()
		}{
			{"duplicate", func() { RegisterScheduler(DefaultName, func() Scheduler { return runtimeScheduler{} }) }},
			{"empty name", func() { RegisterScheduler("", func() Scheduler { return runtimeScheduler{} }) }},
			{"name with space", func() { RegisterScheduler("a b", func() Scheduler { return runtimeScheduler{} }) }},
			{"nil", func() { RegisterScheduler("x", nil) }},
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s: no panic", c.name)
					}
				}()
				c.f()
			}()
		}
	})
}

type fakeClock struct{}

func (fakeClock) Name() string       { return DefaultName }
func (fakeClock) Init(*Kernel) error { return nil }
func (fakeClock) Nanotime() int64    { return 0 }
func (fakeClock) Hz() uint64         { return 2_596_999_000 }
func (fakeClock) Source() string     { return "tsc" }
func (fakeClock) Reference() string  { return "pit" }

type fakeConsole struct{}

func (fakeConsole) Name() string                { return DefaultName }
func (fakeConsole) Init(*Kernel) error          { return nil }
func (fakeConsole) Write(p []byte) (int, error) { return len(p), nil }

func TestSummaryLines(t *testing.T) {
	k := loadMachine(t, "q35-numa3")
	k.Loader = "pvh"
	k.Heap = Range{Base: 0x10000000, Size: 0x6ffdf000}
	k.Cmdline, _ = cmdline.ParseString("")
	k.Clock, k.Console, k.Scheduler = fakeClock{}, fakeConsole{}, runtimeScheduler{}
	k.Memory = &heapMemory{}
	k.Topology = &acpiTopology{}
	if err := k.Topology.Init(k); err != nil {
		t.Fatal(err)
	}
	got := k.SummaryLines()
	want := []string{
		"aero: boot cpus=6 nodes=3 mem=4095 clock=tsc@2597 sched=default clockref=pit memory=default topology=default console=default loader=pvh heap=1791",
		"aero: node 0 cpus=0-2 mem=2047 dist=10,20,30",
		"aero: node 1 cpus=3 mem=1024 dist=20,10,25",
		"aero: node 2 cpus=4-5 mem=1024 dist=30,25,10",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("summary:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestClipRAM(t *testing.T) {
	ram := []Range{{Base: 0, Size: 0x9fc00}, {Base: 0x100000, Size: 0x7ff00000}, {Base: 0x100000000, Size: 0x80000000}}
	got := clipRAM(ram, 1<<30)
	var sum uint64
	for _, r := range got {
		sum += r.Size
	}
	if sum != 1<<30 || len(got) != 2 || got[1].Base != 0x100000 {
		t.Errorf("clipRAM(1 GiB) = %v (sum %#x)", got, sum)
	}
	if got := clipRAM(ram, 1<<40); len(got) != 3 {
		t.Errorf("clipRAM beyond RAM dropped ranges: %v", got)
	}
}

// fakeNIC has only a name: probing asks for nothing else.
type fakeNIC struct {
	NIC
	name string
}

func (n fakeNIC) Name() string { return n.name }

func TestProbeDrivers(t *testing.T) {
	registry.Lock()
	savedN, savedB := registry.nics, registry.blocks
	registry.nics, registry.blocks = nil, nil
	registry.Unlock()
	defer func() {
		registry.Lock()
		registry.nics, registry.blocks = savedN, savedB
		registry.Unlock()
	}()
	RegisterNICDriver("b-virtio", func(*Kernel) ([]NIC, error) { return []NIC{fakeNIC{name: "eth1"}}, nil })
	RegisterNICDriver("a-e1000", func(*Kernel) ([]NIC, error) { return []NIC{fakeNIC{name: "eth0"}}, nil })
	RegisterBlockDriver("broken", func(*Kernel) ([]BlockDevice, error) { return nil, errors.New("no disk") })
	k := &Kernel{}
	k.probeDrivers()
	if len(k.NICs) != 2 || k.NICs[0].Name() != "eth0" || k.NICs[1].Name() != "eth1" {
		t.Errorf("NICs %v, want eth0 (a-e1000) then eth1 (b-virtio)", k.NICs)
	}
	if len(k.Blocks) != 0 || len(k.Warnings) != 1 || !strings.Contains(k.Warnings[0], "block driver broken: no disk") {
		t.Errorf("blocks %v, warnings %q: want none and the driver's error as a warning", k.Blocks, k.Warnings)
	}
}
