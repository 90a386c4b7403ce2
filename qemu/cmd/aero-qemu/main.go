// Command aero-qemu boots an Aero kernel under QEMU with Aero's defaults, or
// prints the QEMU command line with -dry-run.
//
//	aero-qemu -kernel build/aero.elf -smp 4 -numa 2
//	aero-qemu -kernel build/aero.elf -smp 6 \
//	    -numa-node cpus=0-2,mem=2G -numa-node cpus=3,mem=1G -numa-node cpus=4-5,mem=1G \
//	    -numa-dist 0:1=20 -numa-dist 0:2=30 -numa-dist 1:2=25
//	aero-qemu -cdrom build/aero.iso -dry-run
//	aero-qemu -kernel build/aero.elf -smp 4 -m 2048 \
//	    -numa node,nodeid=0,cpus=0-1 -numa node,nodeid=1,cpus=2-3
//
// -numa takes QEMU's own node and dist syntax too. Nodes that give no
// memory (QEMU 7.2 refuses them) get -m split over them as QEMU before 5.1
// did (qemu.SplitMemory), and aero-qemu says so on standard error; some
// nodes with memory and some without is an error.
//
// Arguments after the flags are passed to QEMU as they are. The serial console
// goes to standard output; QEMU's own messages go to standard error after it
// exits. The exit status is QEMU's (isa-debug-exit's (v<<1)|1 included).
//
// Standard input is the guest's serial input. On a terminal, aero-qemu puts
// it in raw mode for the time QEMU runs: every key goes to the guest as
// typed (Ctrl-C included, which the shell takes as "cancel the line") and
// the output is shown byte for byte; Ctrl-A x quits (status 0), Ctrl-A
// Ctrl-A sends a Ctrl-A, Ctrl-A h lists these keys, as QEMU's -nographic
// does.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aerokernel/aero/qemu"
)

// config is what the flags say beyond qemu.Options.
type config struct {
	dryRun  bool
	timeout time.Duration
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func parseFlags(args []string, stderr io.Writer) (qemu.Options, config, error) {
	var o qemu.Options
	var c config
	var nodes, dists, numa, fwd listFlag
	fs := flag.NewFlagSet("aero-qemu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: aero-qemu [flags] [-- extra QEMU arguments]\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.Binary, "qemu", "", "QEMU `binary` (default "+qemu.DefaultBinary+")")
	fs.StringVar(&o.Machine, "machine", "q35", "machine: q35, pc or microvm")
	fs.IntVar(&o.CPUs, "smp", 1, "number of CPUs")
	fs.IntVar(&o.Sockets, "sockets", 0, "spread the CPUs over `N` sockets (APIC IDs then need not be contiguous)")
	fs.StringVar(&o.Memory, "m", "", "memory, e.g. 2G (default 2G, or the sum of -numa-node memory)")
	fs.StringVar(&o.Accel, "accel", "auto", "accelerator: tcg, kvm or auto (KVM, falling back to TCG)")
	fs.StringVar(&o.CPU, "cpu", "", "CPU `model` (default max under TCG, host under KVM; QEMU's own default is qemu64)")
	fs.StringVar(&o.Kernel, "kernel", "", "kernel `ELF` to boot")
	fs.StringVar(&o.ISO, "cdrom", "", "`ISO` image to boot")
	fs.StringVar(&o.Append, "append", "", "kernel command line")
	fs.Var(&numa, "numa", "`N`: split CPUs and memory evenly over N NUMA nodes; or QEMU's node,nodeid=I,cpus=LIST[,mem=SIZE] and dist,src=A,dst=B,val=V (repeatable; nodes without memory split -m; mem=0 is a memoryless node)")
	fs.Var(&nodes, "numa-node", "an explicit NUMA node, `cpus=0-2,mem=2G` (repeat per node, in node order; without mem, nodes split -m)")
	fs.Var(&dists, "numa-dist", "a NUMA distance, `src:dst=val` such as 0:1=20 (repeatable)")
	fs.BoolVar(&o.GDB, "gdb", false, "wait for gdb on tcp::1234 (-s -S)")
	fs.BoolVar(&o.DebugExit, "debug-exit", true, fmt.Sprintf("add isa-debug-exit at port %#x", qemu.DebugExitPort))
	fs.StringVar(&o.Net, "net", "", "NIC on user networking: virtio or e1000")
	fs.Var(&fwd, "hostfwd", "forward a host port to the guest (needs -net), QEMU's `hostfwd` syntax: tcp:127.0.0.1:8080-:80 (repeatable)")
	fs.StringVar(&o.Disk, "disk", "", "raw disk `image` on virtio-blk")
	fs.BoolVar(&c.dryRun, "dry-run", false, "print the QEMU command line and exit")
	fs.DurationVar(&c.timeout, "timeout", 0, "kill QEMU after this long (0: never)")
	if err := fs.Parse(args); err != nil {
		return o, c, err
	}
	if fs.NArg() > 0 {
		o.Extra = fs.Args()
	}
	o.HostForward = fwd
	for _, s := range numa {
		if err := parseNuma(s, &o); err != nil {
			return o, c, err
		}
	}
	if len(o.Numa) > 0 && len(nodes) > 0 {
		return o, c, errors.New("give NUMA nodes either as -numa node,... or as -numa-node, not both")
	}
	for _, s := range nodes {
		n, id, err := parseNode(s)
		if err == nil && id >= 0 {
			err = fmt.Errorf("-numa-node %q: nodeid= is for -numa node,...; -numa-node nodes are numbered in order", s)
		}
		if err != nil {
			return o, c, err
		}
		o.Numa = append(o.Numa, n)
	}
	for _, s := range dists {
		d, err := parseDist(s)
		if err != nil {
			return o, c, err
		}
		o.Distances = append(o.Distances, d)
	}
	return o, c, nil
}

// parseNuma parses one -numa value into o: a node count ("2"), or QEMU's
// own syntax, "node,nodeid=0,cpus=0-1[,mem=1G]" (nodes in nodeid order,
// nodeid optional) or "dist,src=0,dst=1,val=20".
func parseNuma(s string, o *qemu.Options) error {
	if n, err := strconv.Atoi(s); err == nil {
		o.Nodes = n
		return nil
	}
	kind, rest, _ := strings.Cut(s, ",")
	switch kind {
	case "node":
		n, id, err := parseNode(rest)
		if err != nil {
			return fmt.Errorf("-numa %q: %w", s, err)
		}
		if id >= 0 && id != len(o.Numa) {
			return fmt.Errorf("-numa %q: nodeid %d out of order: give nodes in nodeid order from 0 (next is %d)", s, id, len(o.Numa))
		}
		o.Numa = append(o.Numa, n)
	case "dist":
		var d qemu.Distance
		seen := map[string]bool{}
		for _, part := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(part, "=")
			p := map[string]*int{"src": &d.Src, "dst": &d.Dst, "val": &d.Val}[k]
			x, err := strconv.Atoi(v)
			if p == nil || err != nil || seen[k] {
				return fmt.Errorf("-numa %q: want dist,src=A,dst=B,val=V", s)
			}
			*p, seen[k] = x, true
		}
		if len(seen) != 3 {
			return fmt.Errorf("-numa %q: want dist,src=A,dst=B,val=V", s)
		}
		o.Distances = append(o.Distances, d)
	default:
		return fmt.Errorf("-numa %q: want a node count, node,nodeid=I,cpus=LIST[,mem=SIZE] or dist,src=A,dst=B,val=V", s)
	}
	return nil
}

// parseNode parses "cpus=0-2,mem=2G", and nodeid=I (returned, -1 when
// absent). CPU lists may hold commas: "cpus=0,2-3,mem=1G" works as every
// part without "=" continues the list, and cpus= may repeat, as in QEMU.
// Without mem= the node leaves its memory to qemu.SplitMemory.
func parseNode(s string) (qemu.Node, int, error) {
	var n qemu.Node
	var cpus []string
	id := -1
	last := ""
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		switch {
		case !ok && last == "cpus":
			cpus = append(cpus, part)
		case ok && k == "cpus":
			cpus, last = append(cpus, v), k
		case ok && (k == "mem" || k == "memory") && n.Mem == "" && v != "":
			n.Mem, last = v, k
		case ok && k == "nodeid" && id < 0:
			x, err := strconv.Atoi(v)
			if err != nil || x < 0 {
				return n, id, fmt.Errorf("-numa-node %q: bad nodeid %q", s, v)
			}
			id, last = x, k
		case ok && k == "memdev":
			return n, id, fmt.Errorf("-numa-node %q: memdev= needs an -object of QEMU's; give mem=SIZE, or no memory to split -m", s)
		default:
			return n, id, fmt.Errorf("-numa-node %q: want cpus=LIST,mem=SIZE", s)
		}
	}
	n.CPUs = strings.Join(cpus, ",")
	return n, id, nil
}

// parseDist parses "0:1=20".
func parseDist(s string) (qemu.Distance, error) {
	var d qemu.Distance
	pair, val, ok1 := strings.Cut(s, "=")
	src, dst, ok2 := strings.Cut(pair, ":")
	var e1, e2, e3 error
	d.Src, e1 = strconv.Atoi(src)
	d.Dst, e2 = strconv.Atoi(dst)
	d.Val, e3 = strconv.Atoi(val)
	if !ok1 || !ok2 || e1 != nil || e2 != nil || e3 != nil {
		return d, fmt.Errorf("-numa-dist %q: want SRC:DST=VAL, e.g. 0:1=20", s)
	}
	return d, nil
}

// splitNote is the line that says how the memory was split over NUMA
// nodes that gave none; empty when nothing was split.
func splitNote(o qemu.Options) string {
	if !o.SplitsMemory() {
		return ""
	}
	l, err := o.Layout()
	if err != nil {
		return ""
	}
	var shares []string
	for i, n := range l.Nodes {
		shares = append(shares, fmt.Sprintf("node %d %dM", i, n.MemMiB))
	}
	return fmt.Sprintf("aero-qemu: the NUMA nodes give no memory (QEMU 7.2 refuses that): split -m %dM over them as QEMU before 5.1 did, in %d MiB shares with the rest on the last: %s",
		l.MemMiB, qemu.NodeMemAlign, strings.Join(shares, ", "))
}

// dryRun returns the command line QEMU would first be started with.
func dryRun(o qemu.Options, kvm bool) (string, error) {
	note := ""
	if o.Accel == qemu.AccelAuto {
		o.Accel = qemu.AccelTCG
		note = "# accel auto: no usable /dev/kvm, TCG\n"
		if kvm {
			o.Accel = qemu.AccelKVM
			note = "# accel auto: KVM first; TCG (-accel tcg,thread=multi -cpu max) if the guest fails under KVM\n"
		}
	}
	args, err := o.Args()
	if err != nil {
		return "", err
	}
	bin := o.Binary
	if bin == "" {
		bin = qemu.DefaultBinary
	}
	return note + qemu.ShellJoin(append([]string{bin}, args...)) + "\n", nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, c, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		if !strings.HasPrefix(err.Error(), "flag") {
			fmt.Fprintln(stderr, "aero-qemu:", err)
		}
		return 2
	}
	if note := splitNote(o); note != "" {
		fmt.Fprintln(stderr, note)
	}
	if c.dryRun {
		s, err := dryRun(o, qemu.KVMUsable())
		if err != nil {
			fmt.Fprintln(stderr, "aero-qemu:", err)
			return 2
		}
		fmt.Fprint(stdout, s)
		return 0
	}
	if _, err := o.Args(); err != nil && o.Accel != qemu.AccelAuto {
		fmt.Fprintln(stderr, "aero-qemu:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// A person at a terminal: raw mode, every key to the guest (Ctrl-C
	// too), the output byte for byte; Ctrl-A x quits.
	restore, terminal := rawTerminal(os.Stdin)
	var vm *qemu.VM
	if terminal {
		vm, err = qemu.StartTerminal(ctx, o, stdout)
	} else {
		vm, err = qemu.StartEcho(ctx, o, stdout)
	}
	if err != nil {
		if terminal {
			restore()
		}
		fmt.Fprintln(stderr, "aero-qemu:", err)
		return 2
	}
	if terminal {
		fmt.Fprint(stderr, "aero-qemu: "+keysHelp+"\r\n")
	}
	if vm.Fallback != "" {
		fmt.Fprintf(stderr, "aero-qemu: using TCG: %s\n", vm.Fallback)
	}
	var quit atomic.Bool
	f := &forwarder{guest: serialWriter{vm}, help: func() { fmt.Fprint(stderr, "\r\naero-qemu: "+keysHelp+"\r\n") }}
	go forward(os.Stdin, f, func() { quit.Store(true); vm.Kill() })
	status, err := vm.Wait(c.timeout)
	if terminal {
		restore()
		fmt.Fprintln(stderr)
	}
	for _, l := range vm.Stderr() {
		fmt.Fprintln(stderr, l)
	}
	if quit.Load() {
		fmt.Fprintln(stderr, "aero-qemu: quit (Ctrl-A x)")
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "aero-qemu:", err)
		return 1
	}
	return status
}

// serialWriter is the guest's serial input as an io.Writer.
type serialWriter struct{ vm *qemu.VM }

func (w serialWriter) Write(p []byte) (int, error) { return w.vm.WriteSerial(p) }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
