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
	"strings"
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
	got := readInitramfs(t, p)
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

// readInitramfs unpacks what BuildInitramfs wrote.
func readInitramfs(t *testing.T, p string) map[string][2]uint32 {
	t.Helper()
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
	return readCPIO(t, b)
}

func TestBuildInitramfsExtra(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.ko"), filepath.Join(dir, "b.ko")
	os.WriteFile(a, []byte("module a"), 0o600)
	os.WriteFile(b, []byte("mod b"), 0o600)
	files := append(ModuleFiles([]Module{{"a", a}, {"b", b}}), File{Name: "/etc/x/y", Path: b}, File{Name: "dev/extra", Path: a})
	p, err := BuildInitramfs(goBin, "./testdata/hello", dir, files...)
	if err != nil {
		t.Fatal(err)
	}
	got := readInitramfs(t, p)
	for name, want := range map[string][2]uint32{
		"lib": {0o040755, 0}, "lib/modules": {0o040755, 0}, "etc": {0o040755, 0}, "etc/x": {0o040755, 0},
		"lib/modules/01-a.ko": {0o100644, 8}, "lib/modules/02-b.ko": {0o100644, 5}, "etc/x/y": {0o100644, 5},
		"dev/extra": {0o100644, 8}, "dev": {0o040755, 0},
	} {
		if got[name] != want {
			t.Errorf("%s: mode, size %o, %d; want %o, %d", name, got[name][0], got[name][1], want[0], want[1])
		}
	}
	if len(got) != 13 { // the above, proc, sys, dev/console, init
		t.Errorf("%d entries, want 13: %v", len(got), got)
	}
	for _, c := range []struct {
		files []File
		want  string
	}{
		{[]File{{"init", a}}, "taken by the archive's own"},
		{[]File{{"x", a}, {"/x", b}}, "given twice"},
		{[]File{{"../x", a}}, "want a clean path"},
		{[]File{{"a//b", a}}, "want a clean path"},
		{[]File{{"", a}}, "want a clean path"},
		{[]File{{"lib/m", a}, {"lib/m/n", b}}, "lies under the file lib/m"},
		{[]File{{"init/x", a}}, "lies under the file init"},
		{[]File{{"x", filepath.Join(dir, "missing")}}, "initramfs file x"},
	} {
		if _, err := BuildInitramfs(goBin, "./testdata/hello", dir, c.files...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("BuildInitramfs with %v: error %v, want one saying %q", c.files, err, c.want)
		}
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
