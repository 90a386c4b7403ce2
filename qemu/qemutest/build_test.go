package qemutest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestRoot(t *testing.T) {
	tree := t.TempDir()
	deep := filepath.Join(tree, "qemu", "qemutest")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "go.work"), []byte("go 1.26.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r, err := Root(deep); err != nil || r != tree {
		t.Errorf("Root(%s) = %q, %v; want %s", deep, r, err, tree)
	}
	if _, err := Root(t.TempDir()); err == nil {
		t.Error("Root outside any tree: no error")
	}
	// This package's tests run inside the Aero tree.
	r, err := Root(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(r, "configs", "ktest")); err != nil {
		t.Errorf("Root(.) = %s, which has no configs/ktest: %v", r, err)
	}
}

// fakeBuilds replaces the image tool with a recorder of what was built,
// on a fresh cache, for the test.
func fakeBuilds(t *testing.T, fail map[string]error) *[]string {
	t.Helper()
	var mu sync.Mutex
	var calls []string
	saved := buildKernel
	buildKernel = func(root, config, goBin, out string, iso bool) (string, string, error) {
		mu.Lock()
		defer mu.Unlock()
		name := filepath.Base(config)
		if iso {
			name += " iso"
		}
		calls = append(calls, name+" with "+goBin)
		if err := fail[filepath.Base(config)]; err != nil {
			return "", "", err
		}
		if !strings.HasPrefix(config, root+string(filepath.Separator)) || !filepath.IsAbs(out) {
			t.Errorf("build of %s in %s into %s: want an absolute config in the tree and output", config, root, out)
		}
		isoPath := ""
		if iso {
			isoPath = filepath.Join(out, filepath.Base(config)+".iso")
		}
		return filepath.Join(out, filepath.Base(config)+".elf"), isoPath, nil
	}
	t.Cleanup(func() {
		buildKernel = saved
		if err := RemoveBuilds(); err != nil {
			t.Error(err)
		}
	})
	if err := RemoveBuilds(); err != nil {
		t.Fatal(err)
	}
	return &calls
}

func TestBuildConfigCache(t *testing.T) {
	t.Setenv(AeroGoEnv, "/fake/tamago/go")
	calls := fakeBuilds(t, map[string]error{"broken": errors.New("generated main does not compile")})
	var elfs []string
	for range 3 {
		r := record(t, func(r *rec) { elfs = append(elfs, BuildConfig(r, "configs/ktest")) })
		if r.Failed() || r.Skipped() {
			t.Fatalf("BuildConfig failed:\n%s", r.text())
		}
	}
	if elfs[0] != elfs[1] || elfs[1] != elfs[2] || !strings.HasSuffix(elfs[0], "ktest.elf") {
		t.Errorf("ELFs %q: want one path, the same each time", elfs)
	}
	// Another config is another build; an ISO build serves later ELF requests.
	var iso, elf2, elf3 string
	record(t, func(r *rec) {
		elf2, iso = BuildConfigISO(r, "configs/hello")
		elf3 = BuildConfig(r, "configs/hello")
	})
	if iso == "" || elf2 != elf3 || elf2 == elfs[0] {
		t.Errorf("hello: ELF %q then %q, ISO %q", elf2, elf3, iso)
	}
	// A failed build fails every test that asks for it, with its error,
	// and is not retried.
	for range 2 {
		r := record(t, func(r *rec) { BuildConfig(r, "configs/broken") })
		if !r.fatal || !strings.Contains(r.text(), "qemutest: building configs/broken: generated main does not compile") {
			t.Errorf("failed build: fatal %v, output:\n%s", r.fatal, r.text())
		}
	}
	want := []string{"ktest with /fake/tamago/go", "hello iso with /fake/tamago/go", "broken with /fake/tamago/go"}
	if strings.Join(*calls, "; ") != strings.Join(want, "; ") {
		t.Errorf("builds %q, want %q", *calls, want)
	}
	if builds.dir == "" {
		t.Fatal("no build directory")
	}
	dir := builds.dir
	if err := RemoveBuilds(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("RemoveBuilds left %s: %v", dir, err)
	}
}

func TestBuildConfigSkipsWithoutAeroGo(t *testing.T) {
	t.Setenv(AeroGoEnv, "")
	calls := fakeBuilds(t, nil)
	r := record(t, func(r *rec) { BuildConfig(r, "configs/ktest") })
	if !r.Skipped() || r.Failed() || !strings.Contains(r.text(), "AERO_GO is not set") {
		t.Errorf("skipped %v, failed %v, output:\n%s", r.Skipped(), r.Failed(), r.text())
	}
	if len(*calls) != 0 {
		t.Errorf("built %q without AERO_GO", *calls)
	}
}

func TestSweepBuilds(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	// A process ID that is not running: a child that has exited and been
	// reaped.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip(err)
	}
	dead := filepath.Join(os.TempDir(), fmt.Sprintf("%s%d-123", buildDirPrefix, cmd.Process.Pid))
	live := filepath.Join(os.TempDir(), fmt.Sprintf("%s%d-456", buildDirPrefix, os.Getppid()))
	other := filepath.Join(os.TempDir(), buildDirPrefix+"x-789")
	for _, d := range []string{dead, live, other} {
		if err := os.MkdirAll(filepath.Join(d, "build0"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sweepBuilds()
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the build directory of an exited process is still there (%v)", err)
	}
	for _, d := range []string{live, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("sweepBuilds removed %s, of a running process or not named by one: %v", d, err)
		}
	}
}
