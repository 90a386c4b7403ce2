package qemu

import (
	"slices"
	"strings"
	"testing"
)

// base is the part of every command line before the NUMA arguments.
func base(machine, accel string, smp, mem string) []string {
	a := []string{"-machine", machine}
	if accel == "kvm" {
		a = append(a, "-accel", "kvm", "-cpu", "host")
	} else {
		a = append(a, "-accel", "tcg,thread=multi", "-cpu", "max")
	}
	return append(a, "-smp", smp, "-m", mem, "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot")
}

func cat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestArgs(t *testing.T) {
	k := []string{"-kernel", "k.elf"}
	none := []string{"-nic", "none"}
	tests := []struct {
		name string
		o    Options
		want []string
	}{
		{"defaults", Options{Kernel: "k.elf"},
			cat(base("q35", "tcg", "1", "2G"), k, none)},
		{"pc kvm append debug-exit gdb", Options{Machine: "pc", Accel: "kvm", CPUs: 2, Memory: "512", Kernel: "k.elf", Append: "test=all loglevel=2", DebugExit: true, GDB: true},
			cat(base("pc", "kvm", "2", "512M"), k, []string{"-append", "test=all loglevel=2",
				"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"}, none, []string{"-s", "-S"})},
		{"sockets", Options{CPUs: 6, Sockets: 2, Kernel: "k.elf"},
			cat(base("q35", "tcg", "6,sockets=2,cores=3", "2G"), k, none)},
		{"microvm", Options{Machine: "microvm", CPUs: 2, Memory: "1536M", Kernel: "k.elf"},
			cat(base("microvm", "tcg", "2", "1536M"), k, none)},
		{"initrd", Options{Kernel: "vmlinuz", Initrd: "init.cpio.gz", Append: "console=ttyS0"},
			cat(base("q35", "tcg", "1", "2G"), []string{"-kernel", "vmlinuz", "-initrd", "init.cpio.gz", "-append", "console=ttyS0"}, none)},
		{"hotplug", Options{CPUs: 2, MaxCPUs: 4, Memory: "2G", MemSlots: 2, MaxMemory: "4G", Kernel: "k.elf",
			Numa: []Node{{"0-1", "1G"}, {"2-3", "1G"}}},
			cat(base("q35", "tcg", "2,maxcpus=4", "2G,slots=2,maxmem=4G"), []string{
				"-object", "memory-backend-ram,id=m0,size=1G",
				"-object", "memory-backend-ram,id=m1,size=1G",
				"-numa", "node,nodeid=0,cpus=0-1,memdev=m0",
				"-numa", "node,nodeid=1,cpus=2-3,memdev=m1"}, k, none)},
		{"default nic", Options{Machine: "pc", Kernel: "k.elf", Net: NetDefault},
			cat(base("pc", "tcg", "1", "2G"), k)},
		{"iso", Options{ISO: "aero.iso", Memory: "1g"},
			cat(base("q35", "tcg", "1", "1G"), []string{"-cdrom", "aero.iso"}, none)},
		{"numa preset 2 nodes", Options{CPUs: 4, Memory: "4G", Nodes: 2, Kernel: "k.elf"},
			cat(base("q35", "tcg", "4", "4G"), []string{
				"-object", "memory-backend-ram,id=m0,size=2G",
				"-object", "memory-backend-ram,id=m1,size=2G",
				"-numa", "node,nodeid=0,cpus=0-1,memdev=m0",
				"-numa", "node,nodeid=1,cpus=2-3,memdev=m1"}, k, none)},
		{"numa preset uneven", Options{CPUs: 5, Memory: "3G", Nodes: 2, Kernel: "k.elf"},
			cat(base("q35", "tcg", "5", "3G"), []string{
				"-object", "memory-backend-ram,id=m0,size=1536M",
				"-object", "memory-backend-ram,id=m1,size=1536M",
				"-numa", "node,nodeid=0,cpus=0-2,memdev=m0",
				"-numa", "node,nodeid=1,cpus=3-4,memdev=m1"}, k, none)},
		{"numa preset 1 cpu per node, remainder MiB", Options{CPUs: 3, Memory: "1G", Nodes: 3, Kernel: "k.elf"},
			cat(base("q35", "tcg", "3", "1G"), []string{
				"-object", "memory-backend-ram,id=m0,size=342M",
				"-object", "memory-backend-ram,id=m1,size=341M",
				"-object", "memory-backend-ram,id=m2,size=341M",
				"-numa", "node,nodeid=0,cpus=0,memdev=m0",
				"-numa", "node,nodeid=1,cpus=1,memdev=m1",
				"-numa", "node,nodeid=2,cpus=2,memdev=m2"}, k, none)},
		{"explicit uneven nodes, -m derived, distances", Options{CPUs: 6, Kernel: "k.elf",
			Numa:      []Node{{"0-2", "2G"}, {"3", "1G"}, {"4-5", "1G"}},
			Distances: []Distance{{0, 1, 20}, {0, 2, 30}, {1, 2, 25}, {1, 1, 10}}},
			cat(base("q35", "tcg", "6", "4G"), []string{
				"-object", "memory-backend-ram,id=m0,size=2G",
				"-object", "memory-backend-ram,id=m1,size=1G",
				"-object", "memory-backend-ram,id=m2,size=1G",
				"-numa", "node,nodeid=0,cpus=0-2,memdev=m0",
				"-numa", "node,nodeid=1,cpus=3,memdev=m1",
				"-numa", "node,nodeid=2,cpus=4-5,memdev=m2",
				"-numa", "dist,src=0,dst=1,val=20",
				"-numa", "dist,src=0,dst=2,val=30",
				"-numa", "dist,src=1,dst=2,val=25",
				"-numa", "dist,src=1,dst=1,val=10"}, k, none)},
		{"explicit split CPU list and memory-only node", Options{CPUs: 4, Memory: "3G", Kernel: "k.elf",
			Numa: []Node{{"0,2-3", "1G"}, {"1", "1G"}, {"", "1G"}}},
			cat(base("q35", "tcg", "4", "3G"), []string{
				"-object", "memory-backend-ram,id=m0,size=1G",
				"-object", "memory-backend-ram,id=m1,size=1G",
				"-object", "memory-backend-ram,id=m2,size=1G",
				"-numa", "node,nodeid=0,cpus=0,cpus=2-3,memdev=m0",
				"-numa", "node,nodeid=1,cpus=1,memdev=m1",
				"-numa", "node,nodeid=2,memdev=m2"}, k, none)},
		{"memoryless and CPU-less nodes", Options{CPUs: 4, Kernel: "k.elf",
			Numa: []Node{{"0-1", "1G"}, {"2-3", NoMemory}, {"", "512M"}}},
			cat(base("q35", "tcg", "4", "1536M"), []string{
				"-object", "memory-backend-ram,id=m0,size=1G",
				"-object", "memory-backend-ram,id=m2,size=512M",
				"-numa", "node,nodeid=0,cpus=0-1,memdev=m0",
				"-numa", "node,nodeid=1,cpus=2-3",
				"-numa", "node,nodeid=2,memdev=m2"}, k, none)},
		{"virtio-net pci", Options{Kernel: "k.elf", Net: "virtio"},
			cat(base("q35", "tcg", "1", "2G"), k, []string{"-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0"})},
		{"virtio-net mmio on microvm", Options{Machine: "microvm", Kernel: "k.elf", Net: "virtio"},
			cat(base("microvm", "tcg", "1", "2G"), k, []string{"-netdev", "user,id=net0", "-device", "virtio-net-device,netdev=net0", "-global", "virtio-mmio.force-legacy=false"})},
		{"e1000 and disk", Options{Machine: "pc", Kernel: "k.elf", Net: "e1000", Disk: "d.img"},
			cat(base("pc", "tcg", "1", "2G"), k, []string{"-netdev", "user,id=net0", "-device", "e1000,netdev=net0",
				"-drive", "file=d.img,format=raw,if=none,id=disk0", "-device", "virtio-blk-pci,drive=disk0"})},
		{"disk path with a comma", Options{Kernel: "k.elf", Disk: "a,b.img"},
			cat(base("q35", "tcg", "1", "2G"), k, none, []string{
				"-drive", "file=a,,b.img,format=raw,if=none,id=disk0", "-device", "virtio-blk-pci,drive=disk0"})},
		{"disk on microvm, extra", Options{Machine: "microvm", Kernel: "k.elf", Disk: "d.img", Extra: []string{"-d", "int"}},
			cat(base("microvm", "tcg", "1", "2G"), k, none, []string{
				"-drive", "file=d.img,format=raw,if=none,id=disk0", "-device", "virtio-blk-device,drive=disk0", "-global", "virtio-mmio.force-legacy=false", "-d", "int"})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.o.Args()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Args:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestArgsErrors(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string // substring of the error
	}{
		{"unknown machine", Options{Machine: "virt", Kernel: "k"}, `unknown machine "virt"`},
		{"unknown accel", Options{Accel: "hvf", Kernel: "k"}, `unknown accel "hvf"`},
		{"auto not resolved", Options{Accel: "auto", Kernel: "k"}, "resolved by Start"},
		{"nothing to boot", Options{}, "no kernel"},
		{"both", Options{Kernel: "k", ISO: "i"}, "both"},
		{"uneven sockets", Options{Kernel: "k", CPUs: 5, Sockets: 2}, "5 CPUs do not split evenly over 2 sockets"},
		{"append with iso", Options{ISO: "i", Append: "x"}, "-append"},
		{"iso on microvm", Options{Machine: "microvm", ISO: "i"}, "microvm has no firmware"},
		{"bad memory", Options{Kernel: "k", Memory: "2X"}, `bad size "2X"`},
		{"numa on microvm", Options{Machine: "microvm", Kernel: "k", CPUs: 2, Nodes: 2}, "no ACPI SRAT"},
		{"nodes and specs", Options{Kernel: "k", CPUs: 2, Nodes: 2, Numa: []Node{{"0-1", "2G"}}}, "not both"},
		{"more nodes than cpus", Options{Kernel: "k", CPUs: 2, Nodes: 3}, "3 NUMA nodes for 2 CPUs"},
		{"cpu uncovered", Options{Kernel: "k", CPUs: 6, Numa: []Node{{"0-2", "1G"}, {"4-5", "1G"}}}, "CPUs 3 are in no NUMA node"},
		{"cpus uncovered", Options{Kernel: "k", CPUs: 6, Numa: []Node{{"0-1", "1G"}, {"5", "1G"}}}, "CPUs 2-4 are in no NUMA node"},
		{"cpu twice", Options{Kernel: "k", CPUs: 4, Numa: []Node{{"0-2", "1G"}, {"2-3", "1G"}}}, "CPU 2 is in NUMA nodes 0 and 1"},
		{"cpu twice in a list", Options{Kernel: "k", CPUs: 4, Numa: []Node{{"0-2,1", "1G"}, {"3", "1G"}}}, "CPU 1 given twice"},
		{"initrd with iso", Options{ISO: "i", Initrd: "r"}, "-initrd"},
		{"maxcpus below cpus", Options{Kernel: "k", CPUs: 4, MaxCPUs: 2}, "maxcpus 2"},
		{"hotplug cpu in no node", Options{Kernel: "k", CPUs: 2, MaxCPUs: 4, Numa: []Node{{"0-2", "1G"}}}, "CPUs 3 are in no NUMA node"},
		{"node count with maxcpus", Options{Kernel: "k", CPUs: 2, MaxCPUs: 4, Nodes: 2}, "explicit nodes"},
		{"slots without maxmem", Options{Kernel: "k", MemSlots: 2}, "both slots and a maximum"},
		{"maxmem below memory", Options{Kernel: "k", Memory: "2G", MemSlots: 1, MaxMemory: "1G"}, "below the memory"},
		{"cpu out of range", Options{Kernel: "k", CPUs: 4, Numa: []Node{{"0-1", "1G"}, {"2-4", "1G"}}}, "CPU 4 out of range"},
		{"bad cpu list", Options{Kernel: "k", CPUs: 4, Numa: []Node{{"0-x", "1G"}}}, `bad CPU list "0-x"`},
		{"nodes with and without memory", Options{Kernel: "k", CPUs: 4, Numa: []Node{{"0-1", ""}, {"2-3", "1G"}}},
			"NUMA node 0 without memory but node 1 with it: give every node its memory, or none"},
		{"first with, rest without memory", Options{Kernel: "k", CPUs: 3, Numa: []Node{{"0", "1G"}, {"1", ""}, {"2", ""}}},
			"NUMA nodes 1-2 without memory but node 0 with it"},
		{"memory-only node, split", Options{Kernel: "k", CPUs: 2, Numa: []Node{{"0-1", ""}, {"", "1G"}}}, "node 0 without memory but node 1 with it"},
		{"too little memory to split", Options{Kernel: "k", CPUs: 2, Memory: "12M", Numa: []Node{{"0", ""}, {"1", ""}}},
			"12M cannot be split over 2 NUMA nodes in shares of 8 MiB"},
		{"node with nothing", Options{Kernel: "k", CPUs: 2, Numa: []Node{{"0-1", "1G"}, {"", NoMemory}}}, "NUMA node 1 has neither CPUs nor memory"},
		{"no node with memory", Options{Kernel: "k", CPUs: 2, Numa: []Node{{"0", NoMemory}, {"1", NoMemory}}}, "no NUMA node has memory"},
		{"memory mismatch", Options{Kernel: "k", CPUs: 2, Memory: "4G", Numa: []Node{{"0", "2G"}, {"1", "1G"}}}, "sums to 3G, but memory is 4G"},
		{"distance too small", Options{Kernel: "k", CPUs: 2, Nodes: 2, Distances: []Distance{{0, 1, 9}}}, "want 10 to 254"},
		{"distance too big", Options{Kernel: "k", CPUs: 2, Nodes: 2, Distances: []Distance{{0, 1, 255}}}, "want 10 to 254"},
		{"self distance", Options{Kernel: "k", CPUs: 2, Nodes: 2, Distances: []Distance{{1, 1, 20}}}, "itself must be 10"},
		{"remote distance 10", Options{Kernel: "k", CPUs: 2, Nodes: 2, Distances: []Distance{{0, 1, 10}}}, "only a node's distance to itself"},
		{"distance no node", Options{Kernel: "k", CPUs: 2, Nodes: 2, Distances: []Distance{{0, 2, 20}}}, "no such node"},
		{"distance twice", Options{Kernel: "k", CPUs: 2, Nodes: 2, Distances: []Distance{{0, 1, 20}, {0, 1, 30}}}, "given twice"},
		{"distance without nodes", Options{Kernel: "k", Distances: []Distance{{0, 1, 20}}}, "without NUMA nodes"},
		{"distance pair missing", Options{Kernel: "k", CPUs: 3, Nodes: 3, Distances: []Distance{{0, 1, 20}, {0, 2, 30}}}, "between nodes 1 and 2 missing"},
		{"asymmetric, a direction missing", Options{Kernel: "k", CPUs: 3, Nodes: 3,
			Distances: []Distance{{0, 1, 20}, {1, 0, 21}, {0, 2, 30}, {1, 2, 25}}}, "distance 2->0 missing: with an asymmetric pair"},
		{"e1000 on microvm", Options{Machine: "microvm", Kernel: "k", Net: "e1000"}, "e1000 needs PCI"},
		{"unknown nic", Options{Kernel: "k", Net: "rtl8139"}, `unknown NIC "rtl8139"`},
		{"too many cpus", Options{Kernel: "k", CPUs: 300}, "300 CPUs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.o.Args()
			if err == nil {
				t.Fatalf("no error; args %q", got)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int{"512": 512, "512M": 512, "2G": 2048, "2g": 2048, "1GiB": 1024, "1T": 1 << 20, "64MB": 64} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "G", "-1G", "0", "1.5G", "2K"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestHostForward(t *testing.T) {
	o := Options{Kernel: "k.elf", Net: NetVirtio, HostForward: []string{"tcp:127.0.0.1:8080-:80", "udp::5353-:53"}}
	args, err := o.Args()
	if err != nil {
		t.Fatal(err)
	}
	if s := strings.Join(args, " "); !strings.Contains(s, "-netdev user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp::5353-:53 -device virtio-net-pci,netdev=net0") {
		t.Errorf("args %s", s)
	}
	for _, bad := range []Options{
		{Kernel: "k.elf", HostForward: []string{"tcp::1-:2"}},
		{Kernel: "k.elf", Net: NetVirtio, HostForward: []string{"tcp::1-:2,hostfwd=tcp::3-:4"}},
	} {
		if _, err := bad.Args(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
