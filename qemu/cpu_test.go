package qemu_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aerokernel/aero/qemu"
	"github.com/aerokernel/aero/qemu/qemutest"
)

// entropyWarningRE is the boot warning of a CPU without RDRAND or RDSEED.
var entropyWarningRE = regexp.MustCompile(`^aero: warning: entropy: the CPU has neither RDRAND nor RDSEED; .*TSC jitter`)

// TestBootCPUModels boots the configs/ktest kernel on CPU models with and
// without the features beyond x86-64's baseline (issue 8): each reaches the
// boot summary, one without RDRAND says where its entropy comes from, and
// crypto/rand works on each (the in-kernel test cpu/entropy), as do CPU
// exceptions recovered as Go panics on every CPU (cpu/exceptions).
// QEMU's default CPU is qemu64 (no RDRAND, no RDSEED); Nehalem has neither;
// Haswell-noTSX and EPYC have RDRAND; max has everything TCG models.
func TestBootCPUModels(t *testing.T) {
	elf := ktestKernel(t, false)
	for _, c := range []struct {
		name string
		opts qemu.Options
		// noRDRAND: the model has neither RDRAND nor RDSEED.
		noRDRAND bool
	}{
		{"pc-qemu64", qemu.Options{Machine: qemu.MachinePC, CPU: "qemu64", CPUs: 2}, true},
		{"q35-qemu64", qemu.Options{CPU: "qemu64", CPUs: 2}, true},
		{"q35-Nehalem", qemu.Options{CPU: "Nehalem", CPUs: 2}, true},
		{"q35-Haswell-noTSX", qemu.Options{CPU: "Haswell-noTSX", CPUs: 2}, false},
		{"q35-EPYC", qemu.Options{CPU: "EPYC", CPUs: 2}, false},
		{"q35-max", qemu.Options{CPU: "max", CPUs: 2}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := c.opts
			o.Memory, o.Kernel, o.Append = "1G", elf, "test=cpu/entropy,cpu/exceptions"
			vm := qemutest.Boot(t, o).FailOnPanic()
			checkSummary(t, vm)
			if warned := warnedEntropy(vm); warned != c.noRDRAND {
				t.Errorf("entropy warning printed: %v, want %v (the model has no RDRAND: %v)", warned, c.noRDRAND, c.noRDRAND)
			}
			qemutest.RunKTests(t, vm, bootTimeout)
		})
	}
}

// TestBootISODefaultCPU boots the GRUB ISO the way a Nautilus user would
// (qemu-system-x86_64 -cdrom aero.iso -m 2048 -smp 4): QEMU's default CPU,
// qemu64, and its default machine, pc.
func TestBootISODefaultCPU(t *testing.T) {
	iso := ktestKernel(t, true)
	vm := qemutest.Boot(t, qemu.Options{Machine: qemu.MachinePC, CPU: "qemu64", CPUs: 4, Memory: "2048M", ISO: iso}).FailOnPanic()
	if _, m := vm.Expect(`booted by (\S+) `, bootTimeout); m[1] != "multiboot2" {
		t.Errorf("booted by %s, want multiboot2", m[1])
	}
	checkSummary(t, vm)
	if !warnedEntropy(vm) {
		t.Errorf("qemu64 has no RDRAND, but the boot did not warn about entropy")
	}
}

// warnedEntropy reports whether the boot output so far has the warning of
// a CPU without RDRAND and RDSEED (the boot prints it before the summary).
func warnedEntropy(vm *qemutest.VM) bool {
	for _, l := range vm.Lines() {
		if entropyWarningRE.MatchString(l.Text) {
			return true
		}
	}
	return false
}

// TestOptionsCPU: Options.CPU picks -cpu; empty keeps each accelerator's
// default (max under TCG, host under KVM).
func TestOptionsCPU(t *testing.T) {
	for _, c := range []struct {
		accel, cpu, want string
	}{
		{"", "", "max"},
		{qemu.AccelTCG, "qemu64", "qemu64"},
		{qemu.AccelKVM, "", "host"},
		{qemu.AccelKVM, "Nehalem", "Nehalem"},
	} {
		args, err := qemu.Options{Kernel: "k.elf", Accel: c.accel, CPU: c.cpu}.Args()
		if err != nil {
			t.Fatalf("accel %q cpu %q: %v", c.accel, c.cpu, err)
		}
		i := slices.Index(args, "-cpu")
		if i < 0 || i+1 >= len(args) || args[i+1] != c.want {
			t.Errorf("accel %q cpu %q: %v, want -cpu %s", c.accel, c.cpu, args, c.want)
		}
		if n := strings.Count(strings.Join(args, " "), "-cpu "); n != 1 {
			t.Errorf("accel %q cpu %q: %d -cpu options in %v, want 1", c.accel, c.cpu, n, args)
		}
	}
}
