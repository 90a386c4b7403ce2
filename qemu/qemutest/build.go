package qemutest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aerokernel/aero/image/builder"
	"github.com/aerokernel/aero/qemu"
)

// Kernels from configs: BuildConfig builds a kernel config of the tree with
// the image tool (package image/builder, as aero-image does) and the
// GOOS=tamago go in $AERO_GO, so that a module's boot tests build the
// kernel they need themselves:
//
//	elf := qemutest.BuildConfig(t, "configs/ktest")
//	vm := qemutest.Boot(t, qemu.Options{Kernel: elf, Append: "test=all"})
//
// Each config is built once per test binary, whichever tests ask for it;
// the kernels are kept in a temporary directory that RemoveBuilds deletes
// (a TestMain calls it after m.Run). A test binary that could not call it
// (a package whose internal tests cannot import qemutest) leaves the
// directory behind; the next binary's first build removes those of
// binaries no longer running.

// AeroGoEnv names the GOOS=tamago go that BuildConfig builds with (make
// test sets it; toolchain/build.sh prints one).
const AeroGoEnv = "AERO_GO"

// BuildConfig returns the ELF of the kernel config at path (relative to
// the tree's root, the directory holding go.work above the test's working
// directory, or absolute), building it on first use. It skips the test
// when $AERO_GO is unset, and fails it when the build fails (each test
// that asks for a config whose build failed fails with the same error).
func BuildConfig(t testing.TB, path string) (elf string) {
	t.Helper()
	elf, _ = builds.get(t, path, false)
	return elf
}

// BuildConfigISO is BuildConfig that also makes the GRUB ISO booting the
// same ELF (image/builder.ISO); a later BuildConfig of the config reuses this
// build.
func BuildConfigISO(t testing.TB, path string) (elf, iso string) {
	t.Helper()
	return builds.get(t, path, true)
}

// RemoveBuilds deletes the kernels BuildConfig built. Call it when no test
// of the binary needs them any more (after m.Run in a TestMain).
func RemoveBuilds() error {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir == "" {
		return nil
	}
	err := os.RemoveAll(builds.dir)
	builds.dir, builds.m = "", nil
	return err
}

// Root returns the tree's root: the directory holding go.work, at or above
// dir.
func Root(dir string) (string, error) { return builder.FindRoot(dir) }

// buildKernel builds config into out; tests replace it.
var buildKernel = func(root, config, goBin, out string, iso bool) (elfPath, isoPath string, err error) {
	o := builder.Options{Config: config, Out: out, Root: root, Go: goBin}
	if iso {
		r, isoPath, err := builder.ISO(o)
		if err != nil {
			return "", "", err
		}
		return r.ELF, isoPath, nil
	}
	r, err := builder.Build(o)
	if err != nil {
		return "", "", err
	}
	return r.ELF, "", nil
}

// buildCache holds the builds of one test binary, by config path.
type buildCache struct {
	mu  sync.Mutex
	dir string // parent of every build's output directory
	m   map[buildKey]*kernelBuild
}

type buildKey struct {
	config string // absolute
	iso    bool
}

type kernelBuild struct {
	once     sync.Once
	elf, iso string
	took     time.Duration
	err      error
}

var builds buildCache

func (c *buildCache) get(t testing.TB, path string, iso bool) (string, string) {
	t.Helper()
	goBin := os.Getenv(AeroGoEnv)
	if goBin == "" {
		t.Skipf("qemutest: %s is not set (make test sets it to the GOOS=tamago go; toolchain/build.sh prints one): cannot build %s", AeroGoEnv, path)
	}
	root, err := Root(".")
	if err != nil {
		t.Fatalf("qemutest: building %s: %v", path, err)
	}
	config := path
	if !filepath.IsAbs(config) {
		config = filepath.Join(root, config)
	}
	b, out, err := c.entry(config, iso)
	if err != nil {
		t.Fatalf("qemutest: building %s: %v", path, err)
	}
	b.once.Do(func() {
		start := time.Now()
		b.elf, b.iso, b.err = buildKernel(root, config, goBin, out, iso)
		b.took = time.Since(start)
	})
	if b.err != nil {
		t.Fatalf("qemutest: building %s: %v", path, b.err)
	}
	t.Logf("qemutest: %s is %s (built once per test binary, in %v)", path, b.elf, b.took.Round(time.Millisecond))
	return b.elf, b.iso
}

// entry returns the build of config (an ISO build serves an ELF request
// too) and the directory a new build writes to.
func (c *buildCache) entry(config string, iso bool) (*kernelBuild, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[buildKey]*kernelBuild)
	}
	if !iso {
		if b, ok := c.m[buildKey{config, true}]; ok {
			return b, "", nil
		}
	}
	k := buildKey{config, iso}
	if b, ok := c.m[k]; ok {
		return b, "", nil
	}
	if c.dir == "" {
		sweepBuilds()
		d, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", buildDirPrefix, os.Getpid()))
		if err != nil {
			return nil, "", err
		}
		c.dir = d
	}
	out := filepath.Join(c.dir, fmt.Sprintf("build%d", len(c.m)))
	b := &kernelBuild{}
	c.m[k] = b
	return b, out, nil
}

// buildDirPrefix starts the name of a test binary's build directory, which
// goes on with the binary's process ID and a dash.
const buildDirPrefix = "aero-qemutest-"

// sweepBuilds removes the build directories of test binaries that are no
// longer running.
func sweepBuilds() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), buildDirPrefix+"*-*"))
	for _, d := range dirs {
		pid, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(d), buildDirPrefix), "-")
		n, err := strconv.Atoi(pid)
		if err != nil || n <= 0 || n == os.Getpid() {
			continue
		}
		// Signal 0 checks that the process exists (kill(2)).
		if err := syscall.Kill(n, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(d)
		}
	}
}

// NeedQEMU skips a boot test under -short or when QEMU is not installed:
// the one check every package's boot tests start with.
func NeedQEMU(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no boot tests")
	}
	if _, err := exec.LookPath(qemu.DefaultBinary); err != nil {
		t.Skip("no " + qemu.DefaultBinary)
	}
}
