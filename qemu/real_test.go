package qemu

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aerokernel/aero/core/report"
	"github.com/aerokernel/aero/image/builder"
)

// realKernel returns a kernel ELF for tests against the real QEMU: the file
// named by AERO_QEMU_KERNEL, else the toolchain's smoke kernel built with
// the GOOS=tamago go in AERO_GO (as make test sets it). Such tests are
// skipped without QEMU or a kernel, and with -short.
func realKernel(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no real QEMU")
	}
	if _, err := exec.LookPath(DefaultBinary); err != nil {
		t.Skip("no " + DefaultBinary)
	}
	if k := os.Getenv("AERO_QEMU_KERNEL"); k != "" {
		if _, err := os.Stat(k); err != nil {
			t.Fatalf("AERO_QEMU_KERNEL: %v", err)
		}
		return k
	}
	goBin := os.Getenv("AERO_GO")
	if goBin == "" {
		t.Skip("no kernel ELF: set AERO_QEMU_KERNEL, or AERO_GO to build the smoke kernel")
	}
	smokeOnce.Do(func() {
		out := filepath.Join(os.TempDir(), fmt.Sprintf("aero-qemu-test-smoke-%d.elf", os.Getpid()))
		cmd := exec.Command(goBin, "build", "-tags", "linkcpuinit", "-ldflags", builder.LDFlags, "-o", out, "./smoke")
		cmd.Dir = filepath.Join("..", "toolchain")
		cmd.Env = append(os.Environ(), "GOOS=tamago", "GOARCH=amd64", "GOOSPKG=github.com/usbarmory/tamago", "CGO_ENABLED=0", "GOWORK=off")
		if msg, err := cmd.CombinedOutput(); err != nil {
			smokeErr = fmt.Errorf("building the smoke kernel: %v\n%s", err, msg)
			return
		}
		smokeELF = out
	})
	if smokeErr != nil {
		t.Fatal(smokeErr)
	}
	return smokeELF
}

var (
	smokeOnce sync.Once
	smokeELF  string
	smokeErr  error
)

// TestRealCommandLines starts QEMU with generated command lines, stopped at
// the first instruction (-S), and checks it is still running a second later:
// QEMU accepted every argument.
func TestRealCommandLines(t *testing.T) {
	k := realKernel(t)
	// Each run gets its own image: QEMU locks the images it writes.
	const disk = "DISK"
	for name, o := range map[string]Options{
		"q35 smp6 3 uneven nodes with distances": {CPUs: 6,
			Numa:      []Node{{"0-2", "2G"}, {"3", "1G"}, {"4-5", "1G"}},
			Distances: []Distance{{0, 1, 20}, {0, 2, 30}, {1, 2, 25}, {1, 0, 20}}},
		"q35 smp4 numa preset 2, virtio-net, disk": {CPUs: 4, Memory: "2G", Nodes: 2, Net: NetVirtio, Disk: disk},
		"q35 smp4 split CPU list":                  {CPUs: 4, Numa: []Node{{"0,2", "1G"}, {"1,3", "1G"}}},
		"pc smp2 e1000":                            {Machine: MachinePC, CPUs: 2, Net: NetE1000},
		"microvm smp2 virtio-net, disk":            {Machine: MachineMicrovm, CPUs: 2, Net: NetVirtio, Disk: disk},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o.Kernel, o.DebugExit, o.GDB = k, true, true
			if o.Disk == disk {
				o.Disk = filepath.Join(t.TempDir(), "disk.img")
				if err := os.WriteFile(o.Disk, make([]byte, 1<<20), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// -s would make parallel runs race for tcp::1234: keep -S only.
			args, err := o.Args()
			if err != nil {
				t.Fatal(err)
			}
			o.GDB = false
			o.Extra = []string{"-S"}
			vm, err := Start(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			defer vm.Kill()
			select {
			case <-vm.Done():
				t.Fatalf("QEMU exited with %d: %q\n%q", vm.ExitStatus(), vm.Stderr(), args)
			case <-time.After(time.Second):
			}
		})
	}
}

// TestRealBoot boots the kernel on microvm under TCG to its end, as the
// smoke kernel does: it prints "smoke: DONE pass=N fail=0 ..." and leaves
// through isa-debug-exit.
func TestRealBoot(t *testing.T) {
	k := realKernel(t)
	for _, accel := range []string{AccelTCG, AccelAuto} {
		t.Run(accel, func(t *testing.T) {
			vm, err := Start(context.Background(), Options{Machine: MachineMicrovm, CPUs: 2, Kernel: k, DebugExit: true, Accel: accel})
			if err != nil {
				t.Fatal(err)
			}
			defer vm.Kill()
			t.Logf("accel %s, fallback %q", vm.Accel, vm.Fallback)
			l, _, err := vm.Expect(regexp.MustCompile(`^smoke: DONE pass=\d+ fail=0`), 90*time.Second)
			if err != nil {
				t.Skipf("the kernel is not the smoke kernel or failed: %v", err)
			}
			status, err := vm.Wait(30 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			code, ok := report.DebugExitCode(status)
			t.Logf("%q after %v; exit status %d (debug exit %d, %v)", l.Text, l.Time.Sub(vm.Start), status, code, ok)
			if !ok {
				t.Errorf("exit status %d is not from isa-debug-exit", status)
			}
		})
	}
}
