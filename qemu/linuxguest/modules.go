package linuxguest

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Module is a Linux kernel module kept for a guest: Name as the kernel
// knows it (.modinfo's name=, with underscores for dashes) and Path, the
// uncompressed .ko on the host.
type Module struct{ Name, Path string }

// errNoModule marks a module that is not where it was looked for.
var errNoModule = errors.New("no such module")

var vmlinuzName = regexp.MustCompile(`^vmlinuz-(\d[\w.+~-]*)$`)

// KernelVersion is the release a vmlinuz is for, read from its name as
// Debian's package gives it: vmlinuz-6.1.0-57-amd64 is 6.1.0-57-amd64.
func KernelVersion(kernel string) (string, error) {
	m := vmlinuzName.FindStringSubmatch(filepath.Base(kernel))
	if m == nil {
		return "", fmt.Errorf("linuxguest: cannot tell the kernel release of %s: want a file named vmlinuz-<release>, as Debian's linux-image package names it", kernel)
	}
	return m[1], nil
}

// ModuleDir is where Modules keeps the modules of kernel: modules-<release>
// beside it.
func ModuleDir(kernel string) (string, error) {
	ver, err := KernelVersion(kernel)
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(kernel), "modules-"+ver), nil
}

// Modules returns the modules that loading names into kernel takes, in an
// order Linux can load them: each after the modules its .modinfo depends=
// names, names themselves in the order given. They are kept flat as
// <name>.ko in ModuleDir(kernel). When some are not there and fetch is
// set, it downloads kernel's Debian package (linux-image-<release>, with
// apt-get download) once more and keeps from it the modules needed — a
// vmlinuz cached by Kernel comes without modules. The package's vmlinuz
// must be kernel's: a different one in the cache is replaced by it (the
// modules are then of the kernel that runs), one elsewhere is an error.
func Modules(kernel string, names []string, fetch bool, logf func(string, ...any)) ([]Module, error) {
	ver, err := KernelVersion(kernel)
	if err != nil {
		return nil, err
	}
	dir, _ := ModuleDir(kernel)
	mods, err := resolveModules(names, ver, cachedModule(dir))
	if err == nil || !errors.Is(err, errNoModule) {
		return mods, err
	}
	pkg := "linux-image-" + ver
	if !fetch {
		return nil, fmt.Errorf("%w; the modules come from Debian's %s: fetch them with linuxguest.Modules(..., fetch=true)", err, pkg)
	}
	logf("%v; fetching %s again to keep the modules %s beside the kernel", err, pkg, strings.Join(names, " "))
	if _, err := fetchPackage(pkg, filepath.Dir(kernel), names, logf); err != nil {
		return nil, err
	}
	return resolveModules(names, ver, cachedModule(dir))
}

// cachedModule finds a module kept by Modules in dir.
func cachedModule(dir string) func(string) (string, error) {
	return func(name string) (string, error) {
		p := filepath.Join(dir, name+".ko")
		if _, err := os.Stat(p); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("%w %s in %s", errNoModule, name, dir)
			}
			return "", err
		}
		return p, nil
	}
}

// ModuleName is how the kernel names a module: dashes and underscores
// are the same to it (kernel/params.c, parameq), Aero writes underscores.
func ModuleName(s string) string { return strings.ReplaceAll(s, "-", "_") }

// resolveModules orders names and what they depend on, dependencies
// first, finding each module's file with find. Each must be built for
// kernel release ver: Linux refuses a module whose vermagic names
// another (kernel/module/version.c, same_magic).
func resolveModules(names []string, ver string, find func(string) (string, error)) ([]Module, error) {
	if len(names) == 0 {
		return nil, errors.New("linuxguest: no modules named")
	}
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var out []Module
	var visit func(name string, chain []string) error
	visit = func(name string, chain []string) error {
		chain = append(chain, name)
		switch state[name] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("linuxguest: module dependency cycle %s", strings.Join(chain, " -> "))
		}
		state[name] = visiting
		p, err := find(name)
		if err != nil {
			if len(chain) > 1 {
				return fmt.Errorf("linuxguest: %s: %w", strings.Join(chain, " needs "), err)
			}
			return fmt.Errorf("linuxguest: %w", err)
		}
		info, err := readModinfo(p)
		if err != nil {
			return err
		}
		if got := ModuleName(info["name"]); got != name {
			return fmt.Errorf("linuxguest: %s: .modinfo names module %q, want %q", p, info["name"], name)
		}
		if magic := info["vermagic"]; !strings.HasPrefix(magic, ver+" ") {
			return fmt.Errorf("linuxguest: %s: built for kernel %q (vermagic), not %s", p, magic, ver)
		}
		for _, d := range strings.Split(info["depends"], ",") {
			if d = ModuleName(strings.TrimSpace(d)); d != "" {
				if err := visit(d, chain); err != nil {
					return err
				}
			}
		}
		state[name] = done
		out = append(out, Module{Name: name, Path: p})
		return nil
	}
	for _, n := range names {
		if strings.TrimSpace(n) == "" || strings.ContainsAny(n, "/ ") {
			return nil, fmt.Errorf("linuxguest: bad module name %q", n)
		}
		if err := visit(ModuleName(n), nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readModinfo returns the key=value pairs of a module's .modinfo section
// (NUL-separated strings; include/linux/moduleparam.h, __MODULE_INFO).
func readModinfo(path string) (map[string]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("linuxguest: module %s: %w", path, err)
	}
	defer f.Close()
	s := f.Section(".modinfo")
	if s == nil {
		return nil, fmt.Errorf("linuxguest: module %s has no .modinfo section", path)
	}
	data, err := s.Data()
	if err != nil {
		return nil, fmt.Errorf("linuxguest: module %s: .modinfo: %w", path, err)
	}
	info := map[string]string{}
	for _, kv := range bytes.Split(data, []byte{0}) {
		if k, v, ok := bytes.Cut(kv, []byte("=")); ok {
			// Keys such as alias= repeat; name and depends do not.
			if _, seen := info[string(k)]; !seen {
				info[string(k)] = string(v)
			}
		}
	}
	if info["name"] == "" {
		return nil, fmt.Errorf("linuxguest: module %s: .modinfo has no name=", path)
	}
	return info, nil
}

// packageModules indexes the modules of an unpacked kernel package by
// name: every .ko under lib/modules/<release>/. Compressed ones
// (.ko.xz, .ko.zst, .ko.gz) are recorded so that asking for one says why
// it cannot be had: Debian's 6.1 kernels ship them uncompressed
// (CONFIG_MODULE_COMPRESS_NONE) and Aero does not decompress.
func packageModules(root, ver string) (func(string) (string, error), error) {
	base := filepath.Join(root, "lib", "modules", ver)
	plain, packed := map[string]string{}, map[string]string{}
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		if stem, ok := strings.CutSuffix(name, ".ko"); ok {
			plain[ModuleName(stem)] = p
		} else if i := strings.Index(name, ".ko."); i > 0 {
			packed[ModuleName(name[:i])] = p
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("linuxguest: the package's modules: %w", err)
	}
	return func(name string) (string, error) {
		if p, ok := plain[name]; ok {
			return p, nil
		}
		if p, ok := packed[name]; ok {
			return "", fmt.Errorf("module %s is compressed (%s): only uncompressed .ko files can be kept", name, filepath.Base(p))
		}
		return "", fmt.Errorf("%w %s in the package's lib/modules/%s", errNoModule, name, ver)
	}, nil
}

// keepModules copies the modules names need from an unpacked package
// into dir, as <name>.ko.
func keepModules(root, ver, dir string, names []string, logf func(string, ...any)) error {
	find, err := packageModules(root, ver)
	if err != nil {
		return err
	}
	mods, err := resolveModules(names, ver, find)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var kept []string
	for _, m := range mods {
		if err := copyFile(m.Path, filepath.Join(dir, m.Name+".ko")); err != nil {
			return err
		}
		kept = append(kept, m.Name)
	}
	logf("linuxguest: kept modules %s in %s", strings.Join(kept, " "), dir)
	return nil
}

// ModuleFiles places mods in an initramfs for its /init to load:
// lib/modules/NN-<name>.ko, NN their place in mods from 01 (as many
// digits as the count needs), so an /init that loads lib/modules/*.ko in
// name order loads each module after those it depends on.
func ModuleFiles(mods []Module) []File {
	files := make([]File, len(mods))
	width := max(2, len(fmt.Sprint(len(mods))))
	for i, m := range mods {
		files[i] = File{Name: fmt.Sprintf("lib/modules/%0*d-%s.ko", width, i+1, m.Name), Path: m.Path}
	}
	return files
}
