package linuxguest

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/aerokernel/aero/toolchain/internal/qemutest"
	"github.com/aerokernel/aero/toolchain/smoke/workload"
)

// readCPIO parses what CPIOWriter writes, independently of it.
func readCPIO(t *testing.T, b []byte) map[string][2]uint32 {
	t.Helper()
	out := map[string][2]uint32{} // name -> mode, size
	off := 0
	field := func(i int) uint32 {
		v, err := strconv.ParseUint(string(b[off+6+8*i:off+14+8*i]), 16, 32)
		if err != nil {
			t.Fatalf("field %d at %d: %v", i, off, err)
		}
		return uint32(v)
	}
	for {
		if string(b[off:off+6]) != "070701" {
			t.Fatalf("bad magic at %d: %q", off, b[off:off+6])
		}
		mode, size, namesize := field(1), field(6), field(11)
		name := string(b[off+110 : off+110+int(namesize)-1])
		off = (off + 110 + int(namesize) + 3) &^ 3
		off = (off + int(size) + 3) &^ 3
		if name == "TRAILER!!!" {
			if off != len(b) {
				t.Fatalf("%d bytes after the trailer", len(b)-off)
			}
			return out
		}
		out[name] = [2]uint32{mode, size}
	}
}

func TestCPIO(t *testing.T) {
	var buf bytes.Buffer
	w := NewCPIOWriter(&buf)
	w.Dir("dev", 0o755)
	w.CharDevice("dev/console", 0o600, 5, 1)
	w.File("/init", 0o755, []byte("hello"))
	w.File("x", 0o644, []byte("four"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := readCPIO(t, buf.Bytes())
	want := map[string][2]uint32{
		"dev":         {0o040755, 0},
		"dev/console": {0o020600, 0},
		"init":        {0o100755, 5},
		"x":           {0o100644, 4},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("entries %v, want %v", got, want)
	}
	if buf.Len()%4 != 0 {
		t.Errorf("archive of %d bytes is not 4-aligned", buf.Len())
	}
	// Cross-check with GNU cpio where it is installed.
	if cpio, err := exec.LookPath("cpio"); err == nil {
		cmd := exec.Command(cpio, "-t", "-v")
		cmd.Stdin = &buf
		out, err := cmd.CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("dev/console")) {
			t.Errorf("cpio -t: %v\n%s", err, out)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	if compareVersions("linux-image-6.1.0-9-amd64", "linux-image-6.1.0-50-amd64") >= 0 {
		t.Error("-9- should sort before -50-")
	}
}

// TestBoot boots the baseline guest when a kernel is at hand (cached or
// $AERO_LINUX_KERNEL); BenchmarkSmokeVsLinux fetches one.
func TestBoot(t *testing.T) {
	if testing.Short() {
		t.Skip("boots Linux under TCG")
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("qemu-system-x86_64 not installed")
	}
	kernel, err := Kernel(false, t.Logf)
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
			vm, err := qemutest.Start(Config(kernel, initrd, cpus))
			if err != nil {
				t.Fatal(err)
			}
			defer vm.Kill()
			l, _, err := vm.Expect(regexp.MustCompile(`^linuxguest: bench `), 3*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			r, err := workload.ParseLine(l.Text)
			if err != nil {
				t.Fatal(err)
			}
			if r.GOMAXPROCS != cpus {
				t.Errorf("GOMAXPROCS %d, want %d", r.GOMAXPROCS, cpus)
			}
			status, err := vm.Wait(time.Minute)
			if err != nil || status != 0 {
				t.Fatalf("QEMU exit %d, %v; want 0 (power off)\n%s", status, err, vm.Tail(qemutest.TailLines))
			}
			t.Logf("%s (boot to poweroff %v)", l.Text, time.Since(vm.Start).Round(time.Millisecond))
		})
	}
}
