package linuxguest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/aerokernel/aero/qemu"
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

func TestBuildInitramfs(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	p, err := BuildInitramfs(goBin, "./testdata/hello", dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	got := readCPIO(t, b)
	for name, mode := range map[string]uint32{"dev": 0o040755, "proc": 0o040755, "sys": 0o040755, "dev/console": 0o020600, "init": 0o100755} {
		if got[name][0] != mode {
			t.Errorf("%s: mode %o, want %o (entries %v)", name, got[name][0], mode, got)
		}
	}
	if got["init"][1] == 0 {
		t.Error("/init is empty")
	}
	if _, err := BuildInitramfs(goBin, "./testdata/no-such-package", dir); err == nil {
		t.Error("BuildInitramfs of a missing package: no error")
	}
}

func TestOptions(t *testing.T) {
	o := Options(qemu.Options{CPUs: 2, Memory: "1G"}, "vmlinuz", "init.cpio.gz", "quiet", "nokaslr")
	if o.Kernel != "vmlinuz" || o.Initrd != "init.cpio.gz" || o.CPUs != 2 || o.Memory != "1G" {
		t.Errorf("Options = %+v", o)
	}
	if want := "console=ttyS0 panic=-1 quiet nokaslr"; o.Append != want {
		t.Errorf("Append = %q, want %q", o.Append, want)
	}
	if _, err := o.Args(); err != nil {
		t.Error(err)
	}
}

func TestKernelFromEnv(t *testing.T) {
	t.Setenv(KernelEnv, filepath.Join(t.TempDir(), "missing"))
	if _, err := Kernel(false, t.Logf); err == nil {
		t.Errorf("Kernel with %s naming a missing file: no error", KernelEnv)
	}
	t.Setenv(KernelEnv, "")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	if _, err := Kernel(false, t.Logf); err == nil || !bytes.Contains([]byte(err.Error()), []byte("apt-get download")) {
		t.Errorf("Kernel with an empty cache = %v, want ErrNoKernel with how to fetch one", err)
	}
}
