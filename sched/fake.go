package sched

// FakeCPUs is for testing a Policy on the host, without a kernel: it sets
// up the tables the policy reads (NumCPU, NodeOf, Idle, Allowed, Bound,
// Node, LastCPU, Priority) for cpus CPUs, all up, on node 0, none idle, and
// every thread unbound with no last CPU and priority 0. The Fake's methods
// then set them as a test needs. It panics in a kernel whose scheduler is
// sched's, whose tables these are.
func FakeCPUs(cpus int) *Fake {
	if kernelRunning {
		panic("sched: FakeCPUs in a kernel that runs sched")
	}
	setCPUs(cpus)
	for c := range cpus {
		online[c] = 1
	}
	for t := range attr {
		resetAttrs(TID(t))
	}
	return &Fake{}
}

// Fake sets the scheduler's tables for a host test (FakeCPUs).
type Fake struct{}

// Thread sets thread t's binding (CPU and node, -1 for none), the CPU it
// ran on last (-1: none) and its priority.
func (*Fake) Thread(t TID, cpu, node, last, prio int) {
	attr[t] = attrs{bound: int32(cpu), node: int32(node), last: int32(last), prio: int32(prio)}
}

// Idle says whether CPU cpu is in its idle loop.
func (*Fake) Idle(cpu int, idle bool) {
	idling[cpu] = 0
	if idle {
		idling[cpu] = 1
	}
}

// Node puts CPU cpu on NUMA node node.
func (*Fake) Node(cpu, node int) { cpuNode[cpu] = int32(node) }

// Down marks CPU cpu as not up: Allowed is false there.
func (*Fake) Down(cpu int) { online[cpu] = 0 }

// kernelRunning is set once a kernel's scheduler is sched's (Threads).
var kernelRunning bool
