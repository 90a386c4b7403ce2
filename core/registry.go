package core

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Kind is a kind of swappable implementation. The names match the keys of
// the image tool's configs.
type Kind string

// The kinds Boot chooses one implementation of.
const (
	KindClock     Kind = "clock"
	KindConsole   Kind = "console"
	KindTopology  Kind = "topology"
	KindMemory    Kind = "memory"
	KindScheduler Kind = "scheduler"
)

// Kinds lists the kinds in the order Boot initialises them.
var Kinds = []Kind{KindClock, KindConsole, KindTopology, KindMemory, KindScheduler}

// DefaultName is the name of core's own implementation of each kind.
const DefaultName = "default"

// cmdlineKey is the kernel command line option that names an
// implementation of a kind explicitly.
func (k Kind) cmdlineKey() string {
	if k == KindScheduler {
		return "sched"
	}
	return string(k)
}

var registry struct {
	sync.Mutex
	m      map[Kind]map[string]func() Module
	nics   map[string]func(*Kernel) ([]NIC, error)
	blocks map[string]func(*Kernel) ([]BlockDevice, error)
}

func register(kind Kind, name string, f func() Module) {
	if name == "" || strings.ContainsAny(name, " \t\n,=") {
		panic(fmt.Sprintf("core: invalid %s name %q", kind, name))
	}
	if f == nil {
		panic(fmt.Sprintf("core: nil %s %q", kind, name))
	}
	registry.Lock()
	defer registry.Unlock()
	if registry.m == nil {
		registry.m = map[Kind]map[string]func() Module{}
	}
	if registry.m[kind] == nil {
		registry.m[kind] = map[string]func() Module{}
	}
	if _, dup := registry.m[kind][name]; dup {
		panic(fmt.Sprintf("core: %s %q registered twice", kind, name))
	}
	registry.m[kind][name] = f
}

func registerTyped[T Module](kind Kind, name string, f func() T) {
	if f == nil {
		register(kind, name, nil)
	}
	register(kind, name, func() Module { return f() })
}

// RegisterScheduler makes a scheduler available under name. Call it from
// init(); a duplicate name panics.
func RegisterScheduler(name string, f func() Scheduler) {
	registerTyped(KindScheduler, name, f)
}

// RegisterMemory makes a memory manager available under name.
func RegisterMemory(name string, f func() Memory) {
	registerTyped(KindMemory, name, f)
}

// RegisterTopology makes a topology provider available under name.
func RegisterTopology(name string, f func() Topology) {
	registerTyped(KindTopology, name, f)
}

// RegisterConsole makes a console available under name.
func RegisterConsole(name string, f func() Console) {
	registerTyped(KindConsole, name, f)
}

// RegisterClock makes a clock available under name.
func RegisterClock(name string, f func() Clock) {
	registerTyped(KindClock, name, f)
}

// RegisterNICDriver adds a NIC driver: Boot calls probe once the machine is
// up and adds the NICs it returns to Kernel.NICs.
func RegisterNICDriver(name string, probe func(*Kernel) ([]NIC, error)) {
	registerDriver(&registry.nics, "NIC driver", name, probe)
}

// RegisterBlockDriver adds a block device driver, as RegisterNICDriver.
func RegisterBlockDriver(name string, probe func(*Kernel) ([]BlockDevice, error)) {
	registerDriver(&registry.blocks, "block driver", name, probe)
}

func registerDriver[F any](m *map[string]F, what, name string, probe F) {
	registry.Lock()
	defer registry.Unlock()
	if name == "" {
		panic("core: " + what + " without a name")
	}
	if *m == nil {
		*m = map[string]F{}
	}
	if _, dup := (*m)[name]; dup {
		panic(fmt.Sprintf("core: %s %q registered twice", what, name))
	}
	(*m)[name] = probe
}

// Registered returns the sorted names registered for kind.
func Registered(kind Kind) []string {
	registry.Lock()
	defer registry.Unlock()
	return sortedKeys(registry.m[kind])
}

// choose picks the implementation of kind: the one named explicitly (from
// the command line) if not empty, else the only non-default one, else the
// default.
func choose(kind Kind, explicit string) (Module, string, error) {
	names := Registered(kind)
	pick := explicit
	if pick == "" {
		var others []string
		for _, n := range names {
			if n != DefaultName {
				others = append(others, n)
			}
		}
		switch len(others) {
		case 0:
			pick = DefaultName
		case 1:
			pick = others[0]
		default:
			return nil, "", fmt.Errorf("core: %d %s implementations are linked (%s): link one, or choose with %s=NAME on the command line",
				len(others), kind, strings.Join(others, ", "), kind.cmdlineKey())
		}
	}
	if !slices.Contains(names, pick) {
		return nil, "", fmt.Errorf("core: no %s named %q; linked: %s", kind, pick, strings.Join(names, ", "))
	}
	registry.Lock()
	f := registry.m[kind][pick]
	registry.Unlock()
	m := f()
	if m == nil {
		return nil, "", fmt.Errorf("core: %s %q: constructor returned nil", kind, pick)
	}
	return m, pick, nil
}

// driverSnapshot copies the registered driver probes.
func driverSnapshot() (map[string]func(*Kernel) ([]NIC, error), map[string]func(*Kernel) ([]BlockDevice, error)) {
	registry.Lock()
	defer registry.Unlock()
	return maps.Clone(registry.nics), maps.Clone(registry.blocks)
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
