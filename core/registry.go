package core

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/aerokernel/aero/core/kind"
)

// Kind is a kind of swappable implementation, by its name in package
// kind's table (core/kind), which also gives its config key, command-line
// key, Register function and Kernel field.
type Kind string

// The kinds, as named in package kind.
const (
	KindClock     Kind = kind.Clock
	KindConsole   Kind = kind.Console
	KindTopology  Kind = kind.Topology
	KindMemory    Kind = kind.Memory
	KindScheduler Kind = kind.Scheduler
	KindNIC       Kind = kind.NIC
	KindBlock     Kind = kind.Block
)

// Kinds lists the kinds Boot chooses exactly one implementation of, in the
// order it initialises them: the required kinds of package kind's table.
var Kinds = requiredKinds()

func requiredKinds() []Kind {
	var ks []Kind
	for _, r := range kind.Required() {
		ks = append(ks, Kind(r.Name))
	}
	return ks
}

// DefaultName is the name of core's own implementation of each kind.
const DefaultName = "default"

// row is k's entry in package kind's table. Every Kind core uses is one of
// the constants above, so a missing row is a programming error.
func (k Kind) row() kind.Kind {
	r, ok := kind.Lookup(string(k))
	if !ok {
		panic(fmt.Sprintf("core: kind %q is not in package kind's table", string(k)))
	}
	return r
}

// cmdlineKey is the kernel command line option that names an
// implementation of a kind explicitly.
func (k Kind) cmdlineKey() string { return k.row().CmdlineKey }

var registry struct {
	sync.Mutex
	m      map[Kind]map[string]func() Module
	nics   map[string]func(*Kernel) ([]NIC, error)
	blocks map[string]func(*Kernel) ([]BlockDevice, error)
}

func register(k Kind, name string, f func() Module) {
	checkName(k, name)
	if f == nil {
		panic(fmt.Sprintf("core: nil %s %q", k.row().Noun, name))
	}
	registry.Lock()
	defer registry.Unlock()
	if registry.m == nil {
		registry.m = map[Kind]map[string]func() Module{}
	}
	if registry.m[k] == nil {
		registry.m[k] = map[string]func() Module{}
	}
	if _, dup := registry.m[k][name]; dup {
		panic(fmt.Sprintf("core: %s %q registered twice", k.row().Noun, name))
	}
	registry.m[k][name] = f
}

// checkName panics on a name that cannot be written on the command line
// (KEY=NAME) or in a config.
func checkName(k Kind, name string) {
	if name == "" || strings.ContainsAny(name, " \t\n,=") {
		panic(fmt.Sprintf("core: invalid %s name %q", k.row().Noun, name))
	}
}

func registerTyped[T Module](k Kind, name string, f func() T) {
	if f == nil {
		register(k, name, nil)
	}
	register(k, name, func() Module { return f() })
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
	registerDriver(&registry.nics, KindNIC, name, probe)
}

// RegisterBlockDriver adds a block device driver, as RegisterNICDriver.
func RegisterBlockDriver(name string, probe func(*Kernel) ([]BlockDevice, error)) {
	registerDriver(&registry.blocks, KindBlock, name, probe)
}

func registerDriver[F any](m *map[string]F, k Kind, name string, probe F) {
	checkName(k, name)
	if reflect.ValueOf(probe).IsNil() { // F is a func type
		panic(fmt.Sprintf("core: nil %s %q", k.row().Noun, name))
	}
	registry.Lock()
	defer registry.Unlock()
	if *m == nil {
		*m = map[string]F{}
	}
	if _, dup := (*m)[name]; dup {
		panic(fmt.Sprintf("core: %s %q registered twice", k.row().Noun, name))
	}
	(*m)[name] = probe
}

// Registered returns the sorted names registered for kind k: modules of a
// required kind, or drivers.
func Registered(k Kind) []string {
	registry.Lock()
	defer registry.Unlock()
	switch k {
	case KindNIC:
		return sortedKeys(registry.nics)
	case KindBlock:
		return sortedKeys(registry.blocks)
	}
	return sortedKeys(registry.m[k])
}

// choose picks the implementation of kind k: the one named explicitly
// (from the command line) if not empty, else the only non-default one,
// else the default.
func choose(k Kind, explicit string) (Module, string, error) {
	names := Registered(k)
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
				len(others), k, strings.Join(others, ", "), k.cmdlineKey())
		}
	}
	if !slices.Contains(names, pick) {
		return nil, "", fmt.Errorf("core: no %s named %q; linked: %s", k, pick, strings.Join(names, ", "))
	}
	registry.Lock()
	f := registry.m[k][pick]
	registry.Unlock()
	m := f()
	if m == nil {
		return nil, "", fmt.Errorf("core: %s %q: constructor returned nil", k, pick)
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
