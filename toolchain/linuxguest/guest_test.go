package linuxguest

import (
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/aerokernel/aero/qemu/linuxguest"
	"github.com/aerokernel/aero/qemu/qemutest"
	"github.com/aerokernel/aero/toolchain/smoke/workload"
)

// TestBoot boots the baseline guest when a kernel is at hand (cached or
// $AERO_LINUX_KERNEL); BenchmarkSmokeVsLinux fetches one.
func TestBoot(t *testing.T) {
	if testing.Short() {
		t.Skip("boots Linux under TCG")
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("qemu-system-x86_64 not installed")
	}
	kernel, err := linuxguest.Kernel(false, t.Logf)
	if err != nil {
		t.Skip(err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	initrd, err := BuildInitramfs(goBin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, cpus := range []int{1, 2} {
		t.Run(fmt.Sprintf("smp%d", cpus), func(t *testing.T) {
			vm := qemutest.Boot(t, Options(kernel, initrd, cpus))
			l, _ := vm.Expect(`^linuxguest: bench `, 3*time.Minute)
			r, err := workload.ParseLine(l.Text)
			if err != nil {
				t.Fatal(err)
			}
			if r.GOMAXPROCS != cpus {
				t.Errorf("GOMAXPROCS %d, want %d", r.GOMAXPROCS, cpus)
			}
			status, err := vm.Wait(time.Minute)
			if err != nil || status != 0 {
				t.Fatalf("QEMU exit %d, %v; want 0 (power off)\n%s", status, err, vm.TailReport())
			}
			t.Logf("%s (boot to poweroff %v)", l.Text, time.Since(vm.Start).Round(time.Millisecond))
		})
	}
}
