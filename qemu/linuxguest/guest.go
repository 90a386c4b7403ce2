// Package linuxguest boots a Linux guest under QEMU whose /init is a Go
// program: Kernel finds (or fetches) a Debian kernel, BuildInitramfs
// builds the program as a static /init and packs it in a newc cpio
// (CPIOWriter), and Options adds the kernel, the initramfs and a serial
// console command line to a QEMU machine. Drivers that Debian builds as
// modules (virtio_net, e1000) come from the same package: Modules (or
// KernelWithModules) keeps them, with what they depend on, beside the
// vmlinuz, and ModuleFiles puts them in the initramfs for /init to load.
// The toolchain's Linux baseline (toolchain/linuxguest), qemu's
// BenchmarkSchedVsLinux (sched/schedbench's /init), core/acpi's fixture
// dumper (qemu/internal/acpidump) and the Linux httpd beside Aero's
// (examples/httpd/linuxinit, BenchmarkHTTPDVsLinux in qemu/) boot their
// guests this way.
package linuxguest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aerokernel/aero/qemu"
)

// KernelEnv names a vmlinuz to use instead of the cached Debian one.
const KernelEnv = "AERO_LINUX_KERNEL"

// ErrNoKernel is returned by Kernel when none is cached and fetching is off.
var ErrNoKernel = errors.New("no Linux kernel cached")

// CacheDir is where the kernel is kept: outside the repository, reused
// across runs.
func CacheDir() (string, error) {
	dir := os.Getenv("XDG_CACHE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".cache")
	}
	return filepath.Join(dir, "aero", "linux"), nil
}

// Kernel returns the path of a bootable vmlinuz: $AERO_LINUX_KERNEL, else
// the newest one cached, else (if fetch) one taken from Debian's
// linux-image-6.1.0-*-amd64 package with apt-get download and dpkg-deb.
func Kernel(fetch bool, logf func(string, ...any)) (string, error) {
	return findKernel(fetch, nil, logf)
}

// KernelWithModules is Kernel, then Modules of names for it: the vmlinuz
// and, in load order, the modules loading names takes. With no kernel at
// hand and fetch set, one download of the package gives both.
func KernelWithModules(fetch bool, names []string, logf func(string, ...any)) (string, []Module, error) {
	kernel, err := findKernel(fetch, names, logf)
	if err != nil {
		return "", nil, err
	}
	mods, err := Modules(kernel, names, fetch, logf)
	return kernel, mods, err
}

// findKernel is Kernel; a kernel it fetches comes with the modules
// loading names takes.
func findKernel(fetch bool, names []string, logf func(string, ...any)) (string, error) {
	if p := os.Getenv(KernelEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s: %w", KernelEnv, err)
		}
		return p, nil
	}
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	if cached, _ := filepath.Glob(filepath.Join(dir, "vmlinuz-*")); len(cached) > 0 {
		slices.SortFunc(cached, compareVersions)
		return cached[len(cached)-1], nil
	}
	if !fetch {
		return "", fmt.Errorf("%w in %s: set %s, or fetch one into it:\n"+
			"  apt-get update && apt-get download linux-image-6.1.0-<N>-amd64\n"+
			"  dpkg-deb -x linux-image-*.deb x && cp x/boot/vmlinuz-* %s/", ErrNoKernel, dir, KernelEnv, dir)
	}
	return fetchKernel(dir, names, logf)
}

var numRun = regexp.MustCompile(`\d+`)

// compareVersions orders names by their numbers, so -50- sorts after -9-.
func compareVersions(a, b string) int {
	na, nb := numRun.FindAllString(a, -1), numRun.FindAllString(b, -1)
	for i := 0; i < len(na) && i < len(nb); i++ {
		x, _ := strconv.Atoi(na[i])
		y, _ := strconv.Atoi(nb[i])
		if x != y {
			return x - y
		}
	}
	return len(na) - len(nb)
}

var imagePackage = regexp.MustCompile(`^linux-image-6\.1\.0-\d+-amd64$`)

// kernelPackage finds the Debian package holding the current 6.1 kernel:
// the one the linux-image-amd64 metapackage depends on, else the newest
// matching name.
func kernelPackage() (string, error) {
	if out, err := exec.Command("apt-cache", "depends", "linux-image-amd64").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if dep, ok := strings.CutPrefix(strings.TrimSpace(line), "Depends: "); ok && imagePackage.MatchString(dep) {
				return dep, nil
			}
		}
	}
	out, err := exec.Command("apt-cache", "search", "--names-only", `^linux-image-6\.1\.0-[0-9]+-amd64$`).Output()
	if err != nil {
		return "", fmt.Errorf("apt-cache search: %w", err)
	}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if name, _, _ := strings.Cut(sc.Text(), " "); imagePackage.MatchString(name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return "", errors.New("apt-cache knows no linux-image-6.1.0-*-amd64 package")
	}
	slices.SortFunc(names, compareVersions)
	return names[len(names)-1], nil
}

func fetchKernel(cache string, modules []string, logf func(string, ...any)) (string, error) {
	pkg, err := kernelPackage()
	if err != nil && os.Geteuid() == 0 {
		logf("linuxguest: %v; running apt-get update", err)
		if out, uerr := exec.Command("apt-get", "update", "-q").CombinedOutput(); uerr != nil {
			return "", fmt.Errorf("apt-get update: %v\n%s", uerr, out)
		}
		pkg, err = kernelPackage()
	}
	if err != nil {
		return "", err
	}
	return fetchPackage(pkg, cache, modules, logf)
}

// fetchPackage downloads Debian's kernel package pkg (apt-get download,
// unpacked with dpkg-deb) and keeps its vmlinuz in cache and, when modules
// are named, what loading them takes in the vmlinuz's ModuleDir. A
// vmlinuz of the same name already there must be the package's: in
// CacheDir a different one is replaced (logged), elsewhere it is an
// error, since the modules would not be of the kernel that runs. It
// returns the vmlinuz's path.
func fetchPackage(pkg, cache string, modules []string, logf func(string, ...any)) (string, error) {
	tmp, err := os.MkdirTemp("", "aero-linux-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	logf("linuxguest: downloading %s", pkg)
	dl := exec.Command("apt-get", "download", pkg)
	dl.Dir = tmp
	if out, err := dl.CombinedOutput(); err != nil {
		return "", fmt.Errorf("apt-get download %s: %v\n%s", pkg, err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if len(debs) != 1 {
		return "", fmt.Errorf("apt-get download %s left %d .deb files", pkg, len(debs))
	}
	root := filepath.Join(tmp, "root")
	if out, err := exec.Command("dpkg-deb", "-x", debs[0], root).CombinedOutput(); err != nil {
		return "", fmt.Errorf("dpkg-deb -x: %v\n%s", err, out)
	}
	images, _ := filepath.Glob(filepath.Join(root, "boot", "vmlinuz-*"))
	if len(images) != 1 {
		return "", fmt.Errorf("%s holds %d boot/vmlinuz-* files", filepath.Base(debs[0]), len(images))
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	dst := filepath.Join(cache, filepath.Base(images[0]))
	if err := keepKernel(images[0], dst, inCache(cache), logf); err != nil {
		return "", fmt.Errorf("%w (package %s)", err, filepath.Base(debs[0]))
	}
	if len(modules) > 0 {
		ver, err := KernelVersion(dst)
		if err != nil {
			return "", err
		}
		dir, _ := ModuleDir(dst)
		if err := keepModules(root, ver, dir, modules, logf); err != nil {
			return "", fmt.Errorf("%w (package %s)", err, filepath.Base(debs[0]))
		}
	}
	return dst, nil
}

// keepKernel copies the package's vmlinuz src to dst unless dst holds it
// already. A different dst is replaced when replace is set (logged), else
// it is an error: the modules kept beside it would not be its own.
func keepKernel(src, dst string, replace bool, logf func(string, ...any)) error {
	same, err := sameContents(src, dst)
	switch {
	case err == nil && same:
		return nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	case err == nil && !replace:
		return fmt.Errorf("linuxguest: %s is not the package's vmlinuz: modules from the package would not be this kernel's", dst)
	case err == nil:
		logf("linuxguest: %s differs from the package's vmlinuz; replacing it, so that the kernel and its modules are one build", dst)
	}
	if err := copyFile(src, dst); err != nil {
		return err
	}
	logf("linuxguest: cached %s", dst)
	return nil
}

// inCache tells whether dir is CacheDir.
func inCache(dir string) bool {
	c, err := CacheDir()
	return err == nil && filepath.Clean(c) == filepath.Clean(dir)
}

// sameContents tells whether files a and b hold the same bytes; a missing
// b is an fs.ErrNotExist error.
func sameContents(a, b string) (bool, error) {
	x, err := os.ReadFile(a)
	if err != nil {
		return false, err
	}
	y, err := os.ReadFile(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(x, y), nil
}

// copyFile copies through a temporary name so a reader never sees half a kernel.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.CreateTemp(filepath.Dir(dst), ".part-*")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := os.Chmod(out.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(out.Name(), dst)
}

// File is a host file to put in an initramfs: Name is its path in the
// archive (its directories are added), Path the file on the host.
type File struct{ Name, Path string }

// BuildInitramfs builds the Go package initPkg as /init with the go
// command goBin (static: CGO_ENABLED=0, GOOS=linux, GOARCH=amd64), run in
// the current directory, and writes a gzipped newc cpio holding it, the
// directories dev, proc and sys (mount points), /dev/console and the extra
// files (mode 0644, e.g. ModuleFiles), to dir/init.cpio.gz, whose path it
// returns.
func BuildInitramfs(goBin, initPkg, dir string, extra ...File) (string, error) {
	fixedDirs := map[string]bool{"dev": true, "proc": true, "sys": true}
	fixedFiles := map[string]bool{"dev/console": true, "init": true}
	names := map[string]bool{}
	for _, f := range extra {
		n := strings.TrimPrefix(f.Name, "/")
		if n == "" || path.Clean(n) != n || n == ".." || strings.HasPrefix(n, "../") {
			return "", fmt.Errorf("linuxguest: initramfs file name %q: want a clean path inside the archive", f.Name)
		}
		if fixedDirs[n] || fixedFiles[n] || names[n] {
			return "", fmt.Errorf("linuxguest: initramfs file %s given twice or taken by the archive's own", n)
		}
		names[n] = true
	}
	// The kernel's unpacker creates no missing directories
	// (init/initramfs.c, do_name): each is an entry of its own.
	dirs := map[string]bool{}
	for n := range names {
		for d := path.Dir(n); d != "."; d = path.Dir(d) {
			if names[d] || fixedFiles[d] {
				return "", fmt.Errorf("linuxguest: initramfs file %s lies under the file %s", n, d)
			}
			if !fixedDirs[d] {
				dirs[d] = true
			}
		}
	}
	initBin := filepath.Join(dir, "init")
	cmd := exec.Command(goBin, "build", "-trimpath", "-ldflags=-s -w", "-o", initBin, initPkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building /init from %s: %v\n%s", initPkg, err, out)
	}
	data, err := os.ReadFile(initBin)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	cw := NewCPIOWriter(zw)
	for _, d := range []string{"dev", "proc", "sys"} {
		cw.Dir(d, 0o755)
	}
	// The kernel opens /dev/console as init's stdin, stdout and stderr.
	cw.CharDevice("dev/console", 0o600, 5, 1)
	cw.File("init", 0o755, data)
	// Sorted, a directory comes before what is in it.
	for _, d := range slices.Sorted(maps.Keys(dirs)) {
		cw.Dir(d, 0o755)
	}
	for _, f := range extra {
		b, err := os.ReadFile(f.Path)
		if err != nil {
			return "", fmt.Errorf("linuxguest: initramfs file %s: %w", f.Name, err)
		}
		cw.File(path.Clean(strings.TrimPrefix(f.Name, "/")), 0o644, b)
	}
	if err := cw.Close(); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "init.cpio.gz")
	return out, os.WriteFile(out, buf.Bytes(), 0o644)
}

// Console is the start of every guest's kernel command line: the serial
// port as console, and a kernel panic rebooting at once, which ends QEMU
// (it runs with -no-reboot).
const Console = "console=ttyS0 panic=-1"

// Options returns machine (CPUs, memory, NUMA, ...) set to boot kernel with
// initramfs, the command line Console followed by args.
func Options(machine qemu.Options, kernel, initramfs string, args ...string) qemu.Options {
	machine.Kernel, machine.Initrd = kernel, initramfs
	machine.Append = strings.Join(append([]string{Console}, args...), " ")
	return machine
}
