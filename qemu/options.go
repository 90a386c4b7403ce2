// Package qemu turns Aero's boot options into QEMU command lines (Options,
// Args) and the machine they give the guest (Layout), runs QEMU with its
// serial console captured line by line (Start, VM), and checks the kernel's
// boot summary (parsed by package github.com/aerokernel/aero/core/report)
// against the options (CheckSummary), for the aero-qemu tool and for Go
// tests that boot kernels.
// Package qemutest wraps it for tests: Boot, Expect and WaitExit fail the
// test with the guest's output, and RunKTests turns in-kernel tests into
// subtests.
//
// It runs on the host (linux) only.
package qemu

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/aerokernel/aero/core/report"
)

// DefaultBinary is the QEMU used when Options.Binary is empty.
const DefaultBinary = "qemu-system-x86_64"

// DebugExitPort is the I/O port of the isa-debug-exit device added with
// Options.DebugExit (see package report for the protocol).
const DebugExitPort = report.DebugExitPort

// Machines QEMU can boot Aero on.
const (
	MachineQ35     = "q35"
	MachinePC      = "pc"
	MachineMicrovm = "microvm"
)

// Accelerators. AccelAuto is resolved by Start (see Start); Args rejects it.
const (
	AccelTCG  = "tcg"
	AccelKVM  = "kvm"
	AccelAuto = "auto"
)

// NICs for Options.Net.
const (
	NetVirtio = "virtio" // virtio-net: on PCI for q35/pc, on MMIO for microvm
	NetE1000  = "e1000"  // Intel e1000 on PCI (not on microvm)
	// NetDefault leaves the NIC to QEMU: its default for the machine, on
	// user networking (no -nic none). The ACPI fixture dumper uses it so
	// that the tables are those of QEMU's plain command line.
	NetDefault = "default"
)

// Options describes one QEMU run. The zero value plus a Kernel is a valid
// q35, 1 CPU, 2 GiB, TCG run.
type Options struct {
	// Binary is the QEMU executable; empty means DefaultBinary.
	Binary string
	// Machine is q35 (default), pc or microvm.
	Machine string
	// CPUs is the -smp count; 0 means 1.
	CPUs int
	// Sockets, when > 0, spreads the CPUs over that many sockets of
	// CPUs/Sockets cores each (-smp N,sockets=S,cores=N/S). QEMU then gives
	// each socket an APIC ID range rounded up to a power of two, so IDs
	// need not be contiguous (6 CPUs on 2 sockets: 0-2, 4-6).
	Sockets int
	// MaxCPUs, when > CPUs, leaves room for CPUs to be hot-plugged later
	// (-smp N,maxcpus=M): the firmware lists them as not present, and Numa
	// lists may place CPUs up to MaxCPUs-1.
	MaxCPUs int
	// Memory is the -m size: a number of MiB with an optional M, G or T
	// suffix ("2G", "1536M", "512"). Empty means the sum of the NUMA nodes'
	// memory when Numa gives it, else 2G.
	Memory string
	// MemSlots and MaxMemory, both set, make memory hot-pluggable
	// (-m size,slots=S,maxmem=M): the firmware reserves room for it.
	MemSlots  int
	MaxMemory string
	// Accel is tcg (default), kvm or auto.
	Accel string
	// CPU is the -cpu model; empty means max under TCG, host under KVM.
	CPU string

	// Kernel is an ELF booted with -kernel; ISO is an image booted with
	// -cdrom. Exactly one of them must be set.
	Kernel, ISO string
	// Append is the kernel command line (-append; only with Kernel).
	Append string
	// Initrd is an initial ramdisk loaded with the kernel (-initrd; only
	// with Kernel), e.g. a Linux guest's initramfs.
	Initrd string

	// DebugExit adds isa-debug-exit at DebugExitPort.
	DebugExit bool
	// GDB makes QEMU wait for a debugger on tcp::1234 (-s -S).
	GDB bool

	// Nodes, when > 0, splits CPUs and memory evenly over that many NUMA
	// nodes (the first nodes get the remainders). Exclusive with Numa.
	Nodes int
	// Numa lists explicit NUMA nodes; node i gets nodeid i.
	Numa []Node
	// Distances are -numa dist entries between nodes (SLIT).
	Distances []Distance

	// Net adds a NIC (NetVirtio or NetE1000) on QEMU user networking;
	// empty means none (-nic none), NetDefault QEMU's default.
	Net string
	// HostForward forwards host ports to the guest through user
	// networking, each as QEMU's hostfwd= value:
	// [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport, e.g.
	// "tcp:127.0.0.1:8080-:80". It needs Net.
	HostForward []string
	// Disk adds a virtio-blk device backed by this raw image (commas in the
	// path are doubled, as QEMU's option syntax wants).
	Disk string

	// Extra is appended to the command line as is.
	Extra []string
}

// Node is one explicit NUMA node.
type Node struct {
	// CPUs is a CPU list such as "0-2", "3" or "0,2-3"; empty makes a
	// memory-only node.
	CPUs string
	// Mem is the node's memory, in the syntax of Options.Memory, or
	// NoMemory for a node with CPUs and no memory. Either every node of
	// Options.Numa gives its memory (NoMemory counts) or none does: then
	// the memory (Options.Memory, default 2G) is split over the nodes as
	// QEMU did before version 5.1 (see SplitMemory); QEMU 7.2 refuses a
	// machine none of whose nodes has memory.
	Mem string
}

// NoMemory as a Node's Mem makes a memoryless node: CPUs and no memory
// (QEMU's -numa node without memdev, beside nodes that have theirs).
const NoMemory = "0"

// NodeMemAlign is the granularity, in MiB, of the shares SplitMemory gives:
// QEMU's numa_mem_align_shift for the PC machines, 23 (8 MiB).
const NodeMemAlign = 8

// SplitMemory splits mem MiB over n NUMA nodes the way QEMU did for nodes
// without memory before version 5.1 (numa_default_auto_assign_ram): each
// node but the last gets mem/n rounded down to NodeMemAlign, the last the
// rest. It is an error when a share would be empty.
func SplitMemory(mem, n int) ([]int, error) {
	if n < 1 {
		return nil, fmt.Errorf("qemu: %d NUMA nodes to split memory over", n)
	}
	share := mem / n / NodeMemAlign * NodeMemAlign
	if share == 0 && n > 1 {
		return nil, fmt.Errorf("qemu: %s cannot be split over %d NUMA nodes in shares of %d MiB", formatMiB(mem), n, NodeMemAlign)
	}
	shares := make([]int, n)
	for i := range n - 1 {
		shares[i] = share
	}
	shares[n-1] = mem - share*(n-1)
	return shares, nil
}

// Distance is one SLIT entry: the distance from node Src to node Dst.
// QEMU mirrors a one-way entry to the other direction.
type Distance struct {
	Src, Dst, Val int
}

// Args returns the QEMU command line for o, without the binary, or an error
// naming what is wrong with o.
func (o Options) Args() ([]string, error) {
	machine, cpus, err := o.shape()
	if err != nil {
		return nil, err
	}

	var accel []string
	switch o.Accel {
	case "", AccelTCG:
		accel = []string{"-accel", "tcg,thread=multi", "-cpu", cmp.Or(o.CPU, "max")}
	case AccelKVM:
		accel = []string{"-accel", "kvm", "-cpu", cmp.Or(o.CPU, "host")}
	case AccelAuto:
		return nil, errors.New("qemu: accel auto is resolved by Start; pick tcg or kvm for a command line")
	default:
		return nil, fmt.Errorf("qemu: unknown accel %q (want tcg, kvm or auto)", o.Accel)
	}

	switch {
	case o.Kernel == "" && o.ISO == "":
		return nil, errors.New("qemu: no kernel ELF or ISO to boot")
	case o.Kernel != "" && o.ISO != "":
		return nil, errors.New("qemu: both a kernel ELF and an ISO given; boot one")
	case o.ISO != "" && o.Append != "":
		return nil, errors.New("qemu: a kernel command line needs a kernel ELF (-append does not work with -cdrom)")
	case o.ISO != "" && o.Initrd != "":
		return nil, errors.New("qemu: an initrd needs a kernel (-initrd does not work with -cdrom)")
	case o.ISO != "" && machine == MachineMicrovm:
		return nil, errors.New("qemu: microvm has no firmware to boot an ISO; use a kernel ELF")
	}

	smp := strconv.Itoa(cpus)
	possible := o.possibleCPUs(cpus)
	if o.MaxCPUs != 0 {
		if o.MaxCPUs < cpus || o.MaxCPUs > 255 {
			return nil, fmt.Errorf("qemu: maxcpus %d: want %d (the CPUs) to 255", o.MaxCPUs, cpus)
		}
		smp += fmt.Sprintf(",maxcpus=%d", o.MaxCPUs)
	}
	if o.Sockets > 0 {
		if possible%o.Sockets != 0 {
			return nil, fmt.Errorf("qemu: %d CPUs do not split evenly over %d sockets", possible, o.Sockets)
		}
		smp += fmt.Sprintf(",sockets=%d,cores=%d", o.Sockets, possible/o.Sockets)
	}

	numa, memMiB, err := o.numa(machine, cpus)
	if err != nil {
		return nil, err
	}
	mem := formatMiB(memMiB)
	switch {
	case o.MemSlots == 0 && o.MaxMemory == "":
	case o.MemSlots <= 0 || o.MaxMemory == "":
		return nil, errors.New("qemu: memory hotplug needs both slots and a maximum")
	default:
		max, err := ParseSize(o.MaxMemory)
		if err != nil {
			return nil, fmt.Errorf("qemu: maximum memory: %w", err)
		}
		if max < memMiB {
			return nil, fmt.Errorf("qemu: maximum memory %s is below the memory %s", formatMiB(max), mem)
		}
		mem += fmt.Sprintf(",slots=%d,maxmem=%s", o.MemSlots, formatMiB(max))
	}

	args := []string{"-machine", machine}
	args = append(args, accel...)
	args = append(args,
		"-smp", smp,
		"-m", mem,
		"-display", "none",
		"-monitor", "none",
		"-serial", "stdio",
		"-no-reboot",
	)
	args = append(args, numa...)

	if o.Kernel != "" {
		args = append(args, "-kernel", o.Kernel)
		if o.Initrd != "" {
			args = append(args, "-initrd", o.Initrd)
		}
		if o.Append != "" {
			args = append(args, "-append", o.Append)
		}
	} else {
		args = append(args, "-cdrom", o.ISO)
	}
	if o.DebugExit {
		args = append(args, "-device", fmt.Sprintf("isa-debug-exit,iobase=%#x,iosize=0x04", DebugExitPort))
	}

	netdev := "user,id=net0"
	for _, f := range o.HostForward {
		if strings.ContainsAny(f, ", ") {
			return nil, fmt.Errorf("qemu: host forward %q: no commas or spaces (one forward per entry)", f)
		}
		netdev += ",hostfwd=" + f
	}
	if len(o.HostForward) > 0 && (o.Net == "" || o.Net == NetDefault) {
		return nil, errors.New("qemu: host forwards need a NIC (Net virtio or e1000)")
	}
	switch o.Net {
	case "":
		args = append(args, "-nic", "none")
	case NetDefault:
	case NetVirtio:
		dev := "virtio-net-pci"
		if machine == MachineMicrovm {
			dev = "virtio-net-device"
		}
		args = append(args, "-netdev", netdev, "-device", dev+",netdev=net0")
	case NetE1000:
		if machine == MachineMicrovm {
			return nil, errors.New("qemu: e1000 needs PCI; microvm has none (use virtio)")
		}
		args = append(args, "-netdev", netdev, "-device", "e1000,netdev=net0")
	default:
		return nil, fmt.Errorf("qemu: unknown NIC %q (want virtio, e1000 or default)", o.Net)
	}
	if o.Disk != "" {
		dev := "virtio-blk-pci"
		if machine == MachineMicrovm {
			dev = "virtio-blk-device"
		}
		args = append(args,
			"-drive", "file="+strings.ReplaceAll(o.Disk, ",", ",,")+",format=raw,if=none,id=disk0",
			"-device", dev+",drive=disk0")
	}
	if machine == MachineMicrovm && (o.Net == NetVirtio || o.Disk != "") {
		// QEMU's virtio-mmio transports are legacy (version 1) unless
		// told otherwise; Aero's drivers speak version 2 (virtio 1.2
		// §4.2.2).
		args = append(args, "-global", "virtio-mmio.force-legacy=false")
	}
	if o.GDB {
		args = append(args, "-s", "-S")
	}
	return append(args, o.Extra...), nil
}

// Layout is the machine Options give the guest: the CPUs, the memory and,
// with NUMA, each node and the full distance table as QEMU builds them. The
// boot summary checks (CheckSummary) compare the kernel's view with it.
type Layout struct {
	CPUs   int // -smp count
	MemMiB int // -m size
	// Nodes are QEMU's NUMA nodes in nodeid order; nil without NUMA (the
	// guest then sees one node with every CPU and all memory).
	Nodes []NodeLayout
}

// NodeLayout is one NUMA node of a Layout.
type NodeLayout struct {
	// CPUs is sorted; empty for a memory-only node. With MaxCPUs it holds
	// the node's hot-pluggable CPUs too.
	CPUs   []int
	MemMiB int
	// Dist is the distance from this node to each node, QEMU's way: 10 to
	// itself and 20 to the others without Options.Distances; with them,
	// each entry as given, a one-way entry mirrored to the other direction
	// and 10 to itself.
	Dist []int
}

// Layout returns the machine o gives the guest, or the error Args would
// return for o's CPU, memory and NUMA settings.
func (o Options) Layout() (Layout, error) {
	machine, cpus, err := o.shape()
	if err != nil {
		return Layout{}, err
	}
	nodes, mem, err := o.layout(machine, cpus)
	if err != nil {
		return Layout{}, err
	}
	return Layout{CPUs: cpus, MemMiB: mem, Nodes: nodes}, nil
}

// shape returns the machine and CPU count of o, defaults applied.
func (o Options) shape() (string, int, error) {
	machine := o.Machine
	if machine == "" {
		machine = MachineQ35
	}
	switch machine {
	case MachineQ35, MachinePC, MachineMicrovm:
	default:
		return "", 0, fmt.Errorf("qemu: unknown machine %q (want q35, pc or microvm)", o.Machine)
	}
	cpus := o.CPUs
	if cpus == 0 {
		cpus = 1
	}
	if cpus < 0 || cpus > 255 {
		return "", 0, fmt.Errorf("qemu: %d CPUs: want 1 to 255", o.CPUs)
	}
	return machine, cpus, nil
}

// possibleCPUs is the number of CPUs the machine may ever have: the
// present ones and the room for hot-plugged ones.
func (o Options) possibleCPUs(cpus int) int {
	return max(cpus, o.MaxCPUs)
}

// numa returns the -object/-numa arguments and the -m size in MiB.
func (o Options) numa(machine string, cpus int) ([]string, int, error) {
	nodes, mem, err := o.layout(machine, cpus)
	if err != nil {
		return nil, 0, err
	}
	var args []string
	for i, n := range nodes {
		if n.MemMiB > 0 {
			args = append(args, "-object", fmt.Sprintf("memory-backend-ram,id=m%d,size=%s", i, formatMiB(n.MemMiB)))
		}
	}
	for i, n := range nodes {
		spec := fmt.Sprintf("node,nodeid=%d", i)
		for _, r := range report.CPURanges(n.CPUs) {
			spec += ",cpus=" + r
		}
		// A memoryless node has no backend: QEMU takes a node without
		// memdev when other nodes have theirs (a 0-byte backend it refuses).
		if n.MemMiB > 0 {
			spec += fmt.Sprintf(",memdev=m%d", i)
		}
		args = append(args, "-numa", spec)
	}
	for _, d := range o.Distances {
		args = append(args, "-numa", fmt.Sprintf("dist,src=%d,dst=%d,val=%d", d.Src, d.Dst, d.Val))
	}
	return args, mem, nil
}

// layout returns the NUMA nodes (nil without NUMA) and the -m size in MiB:
// the one place that splits CPUs and memory over nodes, for both the
// command line and Layout.
func (o Options) layout(machine string, cpus int) ([]NodeLayout, int, error) {
	var mem int
	if o.Memory != "" {
		m, err := ParseSize(o.Memory)
		if err != nil {
			return nil, 0, fmt.Errorf("qemu: memory: %w", err)
		}
		mem = m
	}
	if o.Nodes == 0 && len(o.Numa) == 0 {
		if len(o.Distances) > 0 {
			return nil, 0, errors.New("qemu: NUMA distances given without NUMA nodes")
		}
		if mem == 0 {
			mem = 2048
		}
		return nil, mem, nil
	}
	if machine == MachineMicrovm {
		return nil, 0, errors.New("qemu: microvm has no ACPI SRAT, so no NUMA; use q35 or pc")
	}
	if o.Nodes != 0 && len(o.Numa) != 0 {
		return nil, 0, errors.New("qemu: give either a NUMA node count or explicit nodes, not both")
	}

	var nodes []NodeLayout
	possible := o.possibleCPUs(cpus)
	if o.Nodes != 0 {
		if possible != cpus {
			return nil, 0, errors.New("qemu: a NUMA node count splits the present CPUs only; with maxcpus, give explicit nodes")
		}
		n := o.Nodes
		if n < 0 || n > cpus {
			return nil, 0, fmt.Errorf("qemu: %d NUMA nodes for %d CPUs: want 1 to %d", o.Nodes, cpus, cpus)
		}
		if mem == 0 {
			mem = 2048
		}
		if mem < n {
			return nil, 0, fmt.Errorf("qemu: %d MiB cannot be split over %d nodes", mem, n)
		}
		next := 0
		for i := range n {
			c := cpus / n
			if i < cpus%n {
				c++
			}
			m := mem / n
			if i < mem%n {
				m++
			}
			var list []int
			for j := range c {
				list = append(list, next+j)
			}
			next += c
			nodes = append(nodes, NodeLayout{CPUs: list, MemMiB: m})
		}
	} else {
		split, err := o.checkNodeMem()
		if err != nil {
			return nil, 0, err
		}
		var shares []int
		if split {
			if mem == 0 {
				mem = 2048
			}
			if shares, err = SplitMemory(mem, len(o.Numa)); err != nil {
				return nil, 0, err
			}
		}
		owner := make(map[int]int)
		sum := 0
		for i, spec := range o.Numa {
			list, err := report.ParseCPUList(spec.CPUs)
			if err != nil {
				return nil, 0, fmt.Errorf("qemu: NUMA node %d: %w", i, err)
			}
			for _, c := range list {
				if c >= possible {
					return nil, 0, fmt.Errorf("qemu: NUMA node %d: CPU %d out of range (CPUs 0-%d)", i, c, possible-1)
				}
				if prev, ok := owner[c]; ok {
					return nil, 0, fmt.Errorf("qemu: CPU %d is in NUMA nodes %d and %d", c, prev, i)
				}
				owner[c] = i
			}
			var m int
			switch {
			case split:
				m = shares[i]
			case spec.Mem == NoMemory:
				if len(list) == 0 {
					return nil, 0, fmt.Errorf("qemu: NUMA node %d has neither CPUs nor memory", i)
				}
			default:
				if m, err = ParseSize(spec.Mem); err != nil {
					return nil, 0, fmt.Errorf("qemu: NUMA node %d: memory: %w", i, err)
				}
			}
			sum += m
			nodes = append(nodes, NodeLayout{CPUs: list, MemMiB: m})
		}
		var missing []int
		for c := range possible {
			if _, ok := owner[c]; !ok {
				missing = append(missing, c)
			}
		}
		if len(missing) > 0 {
			return nil, 0, fmt.Errorf("qemu: CPUs %s are in no NUMA node", report.FormatCPUList(missing))
		}
		if sum == 0 {
			return nil, 0, errors.New("qemu: no NUMA node has memory")
		}
		if mem == 0 {
			mem = sum
		} else if sum != mem {
			return nil, 0, fmt.Errorf("qemu: NUMA nodes' memory sums to %s, but memory is %s", formatMiB(sum), formatMiB(mem))
		}
	}
	if err := o.distances(nodes); err != nil {
		return nil, 0, err
	}
	return nodes, mem, nil
}

// checkNodeMem reports whether o.Numa's nodes leave their memory to
// SplitMemory (none gives any); some giving it and some not is an error.
func (o Options) checkNodeMem() (split bool, err error) {
	var with, without []int
	for i, n := range o.Numa {
		if n.Mem == "" {
			without = append(without, i)
		} else {
			with = append(with, i)
		}
	}
	if len(with) > 0 && len(without) > 0 {
		nodes := func(l []int) string {
			if len(l) == 1 {
				return fmt.Sprintf("node %d", l[0])
			}
			return "nodes " + report.FormatCPUList(l)
		}
		return false, fmt.Errorf("qemu: NUMA %s without memory but %s with it: give every node its memory, or none to split the memory evenly",
			nodes(without), nodes(with))
	}
	return len(o.Numa) > 0 && len(with) == 0, nil
}

// SplitsMemory reports whether o's explicit NUMA nodes get their memory
// from SplitMemory (Layout then has the shares), because none gives any.
func (o Options) SplitsMemory() bool {
	split, err := o.checkNodeMem()
	return err == nil && split
}

// distances checks o.Distances and fills in each node's Dist as QEMU does.
// It rejects the tables QEMU refuses at startup: a pair of distinct nodes
// with no distance in either direction, and a table with an asymmetric pair
// (both directions given, different values) that lacks any other direction.
func (o Options) distances(nodes []NodeLayout) error {
	n := len(nodes)
	given := make([][]int, n) // 0: not given
	for i := range given {
		given[i] = make([]int, n)
	}
	for _, d := range o.Distances {
		if d.Src < 0 || d.Src >= n || d.Dst < 0 || d.Dst >= n {
			return fmt.Errorf("qemu: NUMA distance %d->%d: no such node (nodes 0-%d)", d.Src, d.Dst, n-1)
		}
		if d.Val < 10 || d.Val > 254 {
			return fmt.Errorf("qemu: NUMA distance %d->%d=%d: want 10 to 254", d.Src, d.Dst, d.Val)
		}
		if d.Src == d.Dst && d.Val != 10 {
			return fmt.Errorf("qemu: NUMA distance %d->%d=%d: a node's distance to itself must be 10", d.Src, d.Dst, d.Val)
		}
		if d.Src != d.Dst && d.Val == 10 {
			return fmt.Errorf("qemu: NUMA distance %d->%d=10: only a node's distance to itself is 10", d.Src, d.Dst)
		}
		if v := given[d.Src][d.Dst]; v != 0 && v != d.Val {
			return fmt.Errorf("qemu: NUMA distance %d->%d given twice (%d and %d)", d.Src, d.Dst, v, d.Val)
		}
		given[d.Src][d.Dst] = d.Val
	}
	asymmetric := false
	for a := range n {
		for b := a + 1; b < n; b++ {
			ab, ba := given[a][b], given[b][a]
			if len(o.Distances) > 0 && ab == 0 && ba == 0 {
				return fmt.Errorf("qemu: NUMA distance between nodes %d and %d missing: with distances, give one for every pair", a, b)
			}
			if ab != 0 && ba != 0 && ab != ba {
				asymmetric = true
			}
		}
	}
	for a := range n {
		nodes[a].Dist = make([]int, n)
		for b := range n {
			switch {
			case a == b:
				nodes[a].Dist[b] = 10
			case len(o.Distances) == 0:
				nodes[a].Dist[b] = 20
			case given[a][b] != 0:
				nodes[a].Dist[b] = given[a][b]
			case asymmetric:
				return fmt.Errorf("qemu: NUMA distance %d->%d missing: with an asymmetric pair, give both directions of every pair", a, b)
			default:
				nodes[a].Dist[b] = given[b][a]
			}
		}
	}
	return nil
}

// ParseSize parses a memory size in MiB: a number with an optional M, G or T
// suffix (also MB/GB/TB, MiB/GiB/TiB; no suffix means MiB, as with -m).
func ParseSize(s string) (int, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mul := 1
	switch {
	case strings.HasSuffix(t, "M"):
		t = t[:len(t)-1]
	case strings.HasSuffix(t, "G"):
		mul, t = 1024, t[:len(t)-1]
	case strings.HasSuffix(t, "T"):
		mul, t = 1024*1024, t[:len(t)-1]
	}
	n, err := strconv.Atoi(t)
	if err != nil || n <= 0 || n > (1<<40)/mul {
		return 0, fmt.Errorf("bad size %q (want e.g. 512M, 2G)", s)
	}
	return n * mul, nil
}

// formatMiB writes a size in MiB the way QEMU reads it, in G when exact.
func formatMiB(m int) string {
	if m%1024 == 0 {
		return strconv.Itoa(m/1024) + "G"
	}
	return strconv.Itoa(m) + "M"
}

// binary returns the QEMU executable to run.
func (o Options) binary() string {
	if o.Binary != "" {
		return o.Binary
	}
	return DefaultBinary
}

// kvmUsable reports whether /dev/kvm can be opened; tests replace it.
var kvmUsable = func() bool {
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// KVMUsable reports whether /dev/kvm can be opened, which is what Start's
// "auto" tries KVM on.
func KVMUsable() bool { return kvmUsable() }
