package core

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aerokernel/aero/core/cmdline"
	"github.com/aerokernel/aero/core/hw"
	"github.com/aerokernel/aero/core/kind"
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
			{"nil driver", func() { RegisterNICDriver("x", nil) }},
			{"driver name with =", func() {
				RegisterBlockDriver("a=b", func(*Kernel) ([]BlockDevice, error) { return nil, nil })
			}},
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

func (fakeConsole) Name() string                    { return DefaultName }
func (fakeConsole) Init(*Kernel) error              { return nil }
func (fakeConsole) PutByte(byte)                    {}
func (fakeConsole) StartInput(func(p []byte)) error { return ErrNoInput }

// fixedTopology is a Topology given as its nodes and distance matrix.
type fixedTopology struct {
	nodes []Node
	dist  [][]int
}

func (f *fixedTopology) Name() string          { return "fixed" }
func (f *fixedTopology) Init(*Kernel) error    { return nil }
func (f *fixedTopology) Nodes() []Node         { return f.nodes }
func (f *fixedTopology) Distance(a, b int) int { return f.dist[a][b] }
func (f *fixedTopology) NodeOf(cpu int) int {
	for _, n := range f.nodes {
		if slices.Contains(n.CPUs, cpu) {
			return n.ID
		}
	}
	return -1
}

func TestSummaryLines(t *testing.T) {
	const gib = 1 << 30
	k := &Kernel{Loader: "pvh", CPUs: make([]CPU, 6)}
	// q35 with 4 GiB in 3 nodes (2G/1G/1G), as its SRAT and e820 map say.
	k.RAM = []Range{{Base: 0x1000, Size: 0x9f000}, {Base: 0x100000, Size: 0x7fedf000}, {Base: 4 * gib, Size: 2 * gib}}
	k.Heap = Range{Base: 0x10000000, Size: 0x6ffdf000}
	k.Cmdline, _ = cmdline.ParseString("")
	k.Clock, k.Console, k.Scheduler = fakeClock{}, fakeConsole{}, runtimeScheduler{}
	k.Memory = &heapMemory{}
	k.Topology = &fixedTopology{
		nodes: []Node{
			{ID: 0, CPUs: []int{0, 1, 2}, Memory: k.RAM[:2]},
			{ID: 1, CPUs: []int{3}, Memory: []Range{{Base: 4 * gib, Size: gib}}},
			{ID: 2, CPUs: []int{4, 5}, Memory: []Range{{Base: 5 * gib, Size: gib}}},
		},
		dist: [][]int{{10, 20, 30}, {20, 10, 25}, {30, 25, 10}},
	}
	got := k.SummaryLines()
	want := []string{
		"aero: boot cpus=6 nodes=3 mem=4095 clock=tsc@2597 sched=default clockref=pit memory=default topology=fixed console=default loader=pvh heap=1791",
		"aero: node 0 cpus=0-2 mem=2047 dist=10,20,30",
		"aero: node 1 cpus=3 mem=1024 dist=20,10,25",
		"aero: node 2 cpus=4-5 mem=1024 dist=30,25,10",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("summary:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A Memory with zones on nodes gives each node line free=, the sum of
	// its zones' (node 2 has none: 0).
	k.Memory = nodeMemory{{Node: 0, Free: 100 * mib}, {Node: 0, Free: 28 * mib}, {Node: 1, Free: 5*mib + 4096}}
	got = k.SummaryLines()[1:]
	want = []string{
		"aero: node 0 cpus=0-2 mem=2047 free=128 dist=10,20,30",
		"aero: node 1 cpus=3 mem=1024 free=5 dist=20,10,25",
		"aero: node 2 cpus=4-5 mem=1024 free=0 dist=30,25,10",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("node lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	k.Memory = nodeMemory{}
	if got := k.SummaryLines()[1]; got != "aero: node 0 cpus=0-2 mem=2047 free=0 dist=10,20,30" {
		t.Errorf("node line of a Memory without zones: %s", got)
	}
}

// nodeMemory is a Memory whose Stats are its zones; nothing else is used.
type nodeMemory []ZoneStats

func (m nodeMemory) Stats() []ZoneStats { return m }
func (nodeMemory) Name() string         { return "zones" }
func (nodeMemory) Init(*Kernel) error   { return nil }
func (nodeMemory) Alloc(int, int) ([]byte, error) {
	return nil, hw.ErrNoMemory
}
func (nodeMemory) AllocDMA(int, int, int) (hw.DMABuffer, error) {
	return hw.DMABuffer{}, hw.ErrNoMemory
}
func (nodeMemory) Free([]byte) error { return hw.ErrBadFree }

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
	if got := strings.Join(Registered(KindNIC), " "); got != "a-e1000 b-virtio" {
		t.Errorf("Registered(nic) = %s, want a-e1000 b-virtio", got)
	}
	k := &Kernel{}
	k.probeDrivers()
	if len(k.NICs) != 2 || k.NICs[0].Name() != "eth0" || k.NICs[1].Name() != "eth1" {
		t.Errorf("NICs %v, want eth0 (a-e1000) then eth1 (b-virtio)", k.NICs)
	}
	if len(k.Blocks) != 0 || len(k.Warnings) != 1 || !strings.Contains(k.Warnings[0], "block driver broken: no disk") {
		t.Errorf("blocks %v, warnings %q: want none and the driver's error as a warning", k.Blocks, k.Warnings)
	}
}

// coreRegisterFuncs parses core's own non-test files (every build
// configuration: the tamago ones too) and returns its exported
// package-level Register* functions by name.
func coreRegisterFuncs(t *testing.T) map[string]*ast.FuncDecl {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	funcs := map[string]*ast.FuncDecl{}
	fset := token.NewFileSet()
	for _, p := range files {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, p, src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			// RegisterX, not Registered.
			if ok && fd.Recv == nil && len(fd.Name.Name) > len("Register") &&
				strings.HasPrefix(fd.Name.Name, "Register") && token.IsExported(fd.Name.Name[len("Register"):]) {
				funcs[fd.Name.Name] = fd
			}
		}
	}
	if len(funcs) == 0 {
		t.Fatal("no Register functions found in core's files")
	}
	return funcs
}

// The table's Register column names core's functions, and core has no
// Register function the table does not know (the image tool finds modules
// by these names).
func TestKindTableRegisterFuncs(t *testing.T) {
	funcs := coreRegisterFuncs(t)
	for _, k := range kind.All {
		if _, ok := funcs[k.Register]; !ok {
			t.Errorf("kind %s: package kind names core.%s, which core does not have", k.Name, k.Register)
		}
	}
	for name := range funcs {
		if _, ok := kind.ByRegister(name); !ok {
			t.Errorf("core.%s is not the Register function of any kind in package kind's table", name)
		}
	}
}

// Every kind has its Kernel field, of the type its Register function
// takes: the interface a constructor returns (required kinds), or a slice
// of what a driver's probe returns.
func TestKindTableKernelFields(t *testing.T) {
	funcs := coreRegisterFuncs(t)
	kt := reflect.TypeFor[Kernel]()
	module := reflect.TypeFor[Module]()
	for _, k := range kind.All {
		f, ok := kt.FieldByName(k.Field)
		if !ok {
			t.Errorf("kind %s: core.Kernel has no field %s", k.Name, k.Field)
			continue
		}
		var want string // the field's type as core's source writes it
		switch {
		case k.Required && f.Type.Kind() == reflect.Interface && f.Type.Implements(module):
			want = "func() " + f.Type.Name()
		case !k.Required && f.Type.Kind() == reflect.Slice:
			want = "func(*Kernel) ([]" + f.Type.Elem().Name() + ", error)"
		default:
			t.Errorf("kind %s: Kernel.%s is a %v: want a Module interface (required kind) or a slice (drivers)", k.Name, k.Field, f.Type)
			continue
		}
		fd, ok := funcs[k.Register]
		if !ok {
			continue // TestKindTableRegisterFuncs reports it
		}
		params := fd.Type.Params.List
		var got []string
		for _, p := range params {
			for range max(1, len(p.Names)) {
				got = append(got, types.ExprString(p.Type))
			}
		}
		if len(got) != 2 || got[0] != "string" || got[1] != want {
			t.Errorf("kind %s: core.%s takes (%s), want (string, %s) to match Kernel.%s %v",
				k.Name, k.Register, strings.Join(got, ", "), want, k.Field, f.Type)
		}
	}
}

// core's Kind constants and Kinds are the table's.
func TestKindsFromTable(t *testing.T) {
	var want []Kind
	for _, k := range kind.Required() {
		want = append(want, Kind(k.Name))
	}
	if !reflect.DeepEqual(Kinds, want) {
		t.Errorf("Kinds = %v, want the table's required kinds %v", Kinds, want)
	}
	for _, k := range []Kind{KindClock, KindConsole, KindTopology, KindMemory, KindScheduler, KindNIC, KindBlock} {
		if _, ok := kind.Lookup(string(k)); !ok {
			t.Errorf("core.Kind %q is not in package kind's table", k)
		}
	}
	if KindScheduler.cmdlineKey() != "sched" || KindClock.cmdlineKey() != "clock" {
		t.Errorf("cmdlineKey: scheduler %q, clock %q", KindScheduler.cmdlineKey(), KindClock.cmdlineKey())
	}
}
