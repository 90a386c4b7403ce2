package main

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aerokernel/aero/qemu"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args []string
		want qemu.Options
	}{
		{[]string{"-kernel", "k.elf"},
			qemu.Options{Machine: "q35", CPUs: 1, Accel: "auto", Kernel: "k.elf", DebugExit: true}},
		{[]string{"-machine", "pc", "-smp", "4", "-m", "4G", "-numa", "2", "-accel", "tcg", "-gdb", "-kernel", "k.elf", "-append", "test=all", "-net", "virtio", "-disk", "d.img", "-debug-exit=false", "--", "-d", "int"},
			qemu.Options{Machine: "pc", CPUs: 4, Memory: "4G", Nodes: 2, Accel: "tcg", GDB: true, Kernel: "k.elf", Append: "test=all",
				Net: "virtio", Disk: "d.img", Extra: []string{"-d", "int"}}},
		{[]string{"-smp", "6", "-cdrom", "a.iso", "-qemu", "/opt/qemu",
			"-numa-node", "cpus=0-2,mem=2G", "-numa-node", "cpus=3,mem=1G", "-numa-node", "cpus=4,5,mem=1G", "-numa-node", "mem=512M",
			"-numa-dist", "0:1=20", "-numa-dist", "2:0=30"},
			qemu.Options{Binary: "/opt/qemu", Machine: "q35", CPUs: 6, Accel: "auto", ISO: "a.iso", DebugExit: true,
				Numa:      []qemu.Node{{CPUs: "0-2", Mem: "2G"}, {CPUs: "3", Mem: "1G"}, {CPUs: "4,5", Mem: "1G"}, {Mem: "512M"}},
				Distances: []qemu.Distance{{Src: 0, Dst: 1, Val: 20}, {Src: 2, Dst: 0, Val: 30}}}},
	}
	for _, tc := range tests {
		got, _, err := parseFlags(tc.args, new(bytes.Buffer))
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tc.args, got, tc.want)
		}
	}
}

// TestParseNumaQEMU checks QEMU's own -numa syntax, as Nautilus's README
// gives it, and its mixes with memory.
func TestParseNumaQEMU(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want qemu.Options
	}{
		{"Nautilus's README", []string{"-numa", "node,nodeid=0,cpus=0-1", "-numa", "node,nodeid=1,cpus=2-3"},
			qemu.Options{Numa: []qemu.Node{{CPUs: "0-1"}, {CPUs: "2-3"}}}},
		{"no nodeid, repeated cpus=", []string{"-numa", "node,cpus=0,cpus=2", "-numa", "node,cpus=1,3"},
			qemu.Options{Numa: []qemu.Node{{CPUs: "0,2"}, {CPUs: "1,3"}}}},
		{"a memoryless node", []string{"-numa", "node,nodeid=0,cpus=0-1,mem=1G", "-numa", "node,nodeid=1,cpus=2-3,mem=0"},
			qemu.Options{Numa: []qemu.Node{{CPUs: "0-1", Mem: "1G"}, {CPUs: "2-3", Mem: qemu.NoMemory}}}},
		{"memory and distances", []string{"-numa", "node,nodeid=0,cpus=0-1,mem=1G", "-numa", "node,nodeid=1,cpus=2-3,mem=512M", "-numa", "dist,src=0,dst=1,val=21"},
			qemu.Options{Numa: []qemu.Node{{CPUs: "0-1", Mem: "1G"}, {CPUs: "2-3", Mem: "512M"}}, Distances: []qemu.Distance{{Src: 0, Dst: 1, Val: 21}}}},
		{"a node count", []string{"-numa", "2"}, qemu.Options{Nodes: 2}},
		{"-numa-node without memory", []string{"-numa-node", "cpus=0-1", "-numa-node", "cpus=2-3"},
			qemu.Options{Numa: []qemu.Node{{CPUs: "0-1"}, {CPUs: "2-3"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := parseFlags(tc.args, new(bytes.Buffer))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Numa, tc.want.Numa) || !reflect.DeepEqual(got.Distances, tc.want.Distances) || got.Nodes != tc.want.Nodes {
				t.Errorf("got nodes %+v dist %+v count %d\nwant %+v %+v %d", got.Numa, got.Distances, got.Nodes, tc.want.Numa, tc.want.Distances, tc.want.Nodes)
			}
		})
	}

	// What is wrong is said, at parse time or by the Options.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-numa", "node,nodeid=1,cpus=0-1"}, "nodeid 1 out of order"},
		{[]string{"-numa", "node,nodeid=x,cpus=0-1"}, `bad nodeid "x"`},
		{[]string{"-numa", "node,cpus=0-1,memdev=m0"}, "memdev= needs an -object"},
		{[]string{"-numa", "node,cpus=0-1,mem="}, "want cpus=LIST,mem=SIZE"},
		{[]string{"-numa", "dist,src=0,dst=1"}, "want dist,src=A,dst=B,val=V"},
		{[]string{"-numa", "dist,src=0,dst=1,val=x"}, "want dist,src=A,dst=B,val=V"},
		{[]string{"-numa", "cpu,node-id=0,socket-id=0"}, "want a node count, node,"},
		{[]string{"-numa", "node,cpus=0-1", "-numa-node", "cpus=2-3"}, "not both"},
		{[]string{"-numa-node", "nodeid=0,cpus=0-1"}, "nodeid= is for -numa node"},
		{[]string{"-smp", "4", "-kernel", "k", "-numa", "node,cpus=0-1", "-numa", "node,cpus=2-3,mem=1G"},
			"NUMA node 0 without memory but node 1 with it"},
	} {
		var errb bytes.Buffer
		code := run(append(tc.args, "-dry-run"), new(bytes.Buffer), &errb)
		if code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%q: status %d, stderr %q; want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
}

// TestSplitNote checks the stderr line that says -m was split, and the
// command line QEMU 7.2 gets instead of nodes without memory.
func TestSplitNote(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"-accel", "tcg", "-smp", "4", "-m", "1000", "-kernel", "k.elf", "-dry-run",
		"-numa", "node,nodeid=0,cpus=0", "-numa", "node,nodeid=1,cpus=1-2", "-numa", "node,nodeid=2,cpus=3"}, &out, &errb)
	if code != 0 {
		t.Fatalf("status %d, stderr %q", code, errb.String())
	}
	wantNote := "aero-qemu: the NUMA nodes give no memory (QEMU 7.2 refuses that): split -m 1000M over them as QEMU before 5.1 did, in 8 MiB shares with the rest on the last: node 0 328M, node 1 328M, node 2 344M\n"
	if errb.String() != wantNote {
		t.Errorf("stderr %q\nwant %q", errb.String(), wantNote)
	}
	for _, want := range []string{"-m 1000M", "-object memory-backend-ram,id=m0,size=328M -object memory-backend-ram,id=m1,size=328M -object memory-backend-ram,id=m2,size=344M",
		"-numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1-2,memdev=m1 -numa node,nodeid=2,cpus=3,memdev=m2"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("command line lacks %q:\n%s", want, out.String())
		}
	}
	errb.Reset()
	if code := run([]string{"-accel", "tcg", "-smp", "2", "-kernel", "k.elf", "-dry-run", "-numa", "node,cpus=0,mem=1G", "-numa", "node,cpus=1,mem=1G"}, &out, &errb); code != 0 || errb.Len() != 0 {
		t.Errorf("nodes with memory: status %d, stderr %q; want 0 and nothing", code, errb.String())
	}
}

func TestParseFlagsErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-numa-node", "cpu=0,mem=1G"},
		{"-numa-node", "0-1,mem=1G"},
		{"-numa-dist", "0-1=20"},
		{"-numa-dist", "0:1"},
		{"-numa-dist", "0:x=20"},
		{"-smp", "many"},
		{"-bogus"},
	} {
		if _, _, err := parseFlags(args, new(bytes.Buffer)); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

func TestDryRun(t *testing.T) {
	o, _, err := parseFlags([]string{"-smp", "6", "-kernel", "my kernel.elf", "-append", "test=all loglevel=1",
		"-numa-node", "cpus=0-2,mem=2G", "-numa-node", "cpus=3,mem=1G", "-numa-node", "cpus=4-5,mem=1G",
		"-numa-dist", "0:1=20", "-numa-dist", "0:2=30", "-numa-dist", "2:1=25"}, new(bytes.Buffer))
	if err != nil {
		t.Fatal(err)
	}
	got, err := dryRun(o, false)
	if err != nil {
		t.Fatal(err)
	}
	want := "# accel auto: no usable /dev/kvm, TCG\n" +
		"qemu-system-x86_64 -machine q35 -accel tcg,thread=multi -cpu max -smp 6 -m 4G -display none -monitor none -serial stdio -no-reboot" +
		" -object memory-backend-ram,id=m0,size=2G -object memory-backend-ram,id=m1,size=1G -object memory-backend-ram,id=m2,size=1G" +
		" -numa node,nodeid=0,cpus=0-2,memdev=m0 -numa node,nodeid=1,cpus=3,memdev=m1 -numa node,nodeid=2,cpus=4-5,memdev=m2" +
		" -numa dist,src=0,dst=1,val=20 -numa dist,src=0,dst=2,val=30 -numa dist,src=2,dst=1,val=25 -kernel 'my kernel.elf' -append 'test=all loglevel=1'" +
		" -device isa-debug-exit,iobase=0xf4,iosize=0x04 -nic none\n"
	if got != want {
		t.Errorf("dry run:\n got %q\nwant %q", got, want)
	}
	if got, _ := dryRun(o, true); !strings.Contains(got, "-accel kvm -cpu host") || !strings.HasPrefix(got, "# accel auto: KVM first") {
		t.Errorf("dry run with KVM: %q", got)
	}
}

func TestRunErrors(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-machine", "virt", "-kernel", "k", "-dry-run"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `unknown machine "virt"`) {
		t.Errorf("run = %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"-machine", "microvm", "-numa", "2", "-smp", "2", "-kernel", "k", "-dry-run"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "no ACPI SRAT") {
		t.Errorf("run = %d, stderr %q", code, errb.String())
	}
}

// The test binary doubles as a fake QEMU when FAKE_QEMU is set.
func TestMain(m *testing.M) {
	if os.Getenv("FAKE_QEMU") != "" {
		fmt.Println("guest says hi")
		fmt.Fprintln(os.Stderr, "qemu: a warning")
		os.Exit(7)
	}
	os.Exit(m.Run())
}

func TestRunFake(t *testing.T) {
	t.Setenv("FAKE_QEMU", "1")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run([]string{"-qemu", exe, "-accel", "tcg", "-kernel", "k.elf", "-timeout", "30s"}, &out, &errb)
	if code != 7 || out.String() != "guest says hi\n" || errb.String() != "qemu: a warning\n" {
		t.Errorf("run = %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}
