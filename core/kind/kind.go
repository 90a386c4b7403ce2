// Package kind is the one table of Aero's module kinds: what can be swapped
// by linking a module, and the words core, the kernel command line and the
// image tool use for each.
//
// Core (its registry and Boot), core/cmdline (which options choose a
// module) and the image tool (config keys, the registry scanner) all read
// All; none of them lists the kinds itself. Host-buildable, no imports
// beyond the standard library, so the image tool can import it.
//
// # Adding a kind
//
// Add a row to All (and a name constant below), then give core the typed
// function the row's Register column names and the Kernel field its Field
// column names; core's host tests fail until both exist with matching types.
// A required kind also needs its case where Boot stores the chosen
// implementation (Kernel.setModule in core/kernel.go).
package kind

// Kind describes one kind of module.
type Kind struct {
	// Name is the kind's word in core (core.Kind), in messages and in the
	// boot summary, e.g. "scheduler".
	Name string
	// ConfigKey is the key of an image config that names the kind's
	// module, e.g. "scheduler rr" (package image/config).
	ConfigKey string
	// CmdlineKey is the kernel command-line option that chooses among the
	// linked implementations, e.g. "sched=rr"; empty for drivers, which
	// are not chosen: every linked one probes.
	CmdlineKey string
	// Register is the core function that makes an implementation
	// available, called from init(): core.<Register>("rr", ...).
	Register string
	// Field is the core.Kernel field holding the chosen implementation
	// (required kinds) or every device the drivers found.
	Field string
	// Required is true for a kind Boot needs exactly one implementation
	// of (core has a default named "default"); false for drivers, of
	// which zero or more are linked.
	Required bool
	// Noun is what one implementation is called in messages, e.g.
	// "NIC driver".
	Noun string
}

// The kinds' names, for code that names one.
const (
	Clock     = "clock"
	Console   = "console"
	Topology  = "topology"
	Memory    = "memory"
	Scheduler = "scheduler"
	NIC       = "nic"
	Block     = "block"
)

// All lists every kind in Init order: Boot chooses and initialises the
// required kinds in this order (each may use those before it), then probes
// the drivers in this order. Required kinds come before drivers.
var All = []Kind{
	{Name: Clock, ConfigKey: "clock", CmdlineKey: "clock", Register: "RegisterClock", Field: "Clock", Required: true, Noun: "clock"},
	{Name: Console, ConfigKey: "console", CmdlineKey: "console", Register: "RegisterConsole", Field: "Console", Required: true, Noun: "console"},
	{Name: Topology, ConfigKey: "topology", CmdlineKey: "topology", Register: "RegisterTopology", Field: "Topology", Required: true, Noun: "topology"},
	{Name: Memory, ConfigKey: "memory", CmdlineKey: "memory", Register: "RegisterMemory", Field: "Memory", Required: true, Noun: "memory manager"},
	{Name: Scheduler, ConfigKey: "scheduler", CmdlineKey: "sched", Register: "RegisterScheduler", Field: "Scheduler", Required: true, Noun: "scheduler"},
	{Name: NIC, ConfigKey: "nic", Register: "RegisterNICDriver", Field: "NICs", Noun: "NIC driver"},
	{Name: Block, ConfigKey: "block", Register: "RegisterBlockDriver", Field: "Blocks", Noun: "block driver"},
}

// Lookup returns the kind called name.
func Lookup(name string) (Kind, bool) { return find(func(k Kind) string { return k.Name }, name) }

// ByConfigKey returns the kind an image config names with key.
func ByConfigKey(key string) (Kind, bool) {
	return find(func(k Kind) string { return k.ConfigKey }, key)
}

// ByCmdlineKey returns the kind the command-line option key chooses.
func ByCmdlineKey(key string) (Kind, bool) {
	return find(func(k Kind) string { return k.CmdlineKey }, key)
}

// ByRegister returns the kind core's function fn registers.
func ByRegister(fn string) (Kind, bool) {
	return find(func(k Kind) string { return k.Register }, fn)
}

// find returns the kind whose column col is v; an empty v matches none
// (drivers have no command-line key).
func find(col func(Kind) string, v string) (Kind, bool) {
	if v == "" {
		return Kind{}, false
	}
	for _, k := range All {
		if col(k) == v {
			return k, true
		}
	}
	return Kind{}, false
}

// Required returns the kinds Boot needs exactly one implementation of, in
// Init order.
func Required() []Kind {
	var ks []Kind
	for _, k := range All {
		if k.Required {
			ks = append(ks, k)
		}
	}
	return ks
}
