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

func TestParseFlagsErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-numa-node", "cpus=0-1"},
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
