package linuxguest

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeModule writes a relocatable x86-64 ELF like a kernel module's as
// far as readModinfo looks: a .modinfo section of NUL-ended key=value
// strings (and a section name table).
func writeModule(t *testing.T, path string, modinfo ...string) {
	t.Helper()
	var info []byte
	for _, kv := range modinfo {
		info = append(append(info, kv...), 0)
	}
	shstr := []byte("\x00.modinfo\x00.shstrtab\x00")
	infoOff := uint64(64)
	strOff := infoOff + uint64(len(info))
	shOff := (strOff + uint64(len(shstr)) + 7) &^ 7
	var b bytes.Buffer
	hdr := elf.Header64{
		Type: uint16(elf.ET_REL), Machine: uint16(elf.EM_X86_64), Version: uint32(elf.EV_CURRENT),
		Shoff: shOff, Ehsize: 64, Shentsize: 64, Shnum: 3, Shstrndx: 2,
	}
	copy(hdr.Ident[:], "\x7fELF")
	hdr.Ident[elf.EI_CLASS], hdr.Ident[elf.EI_DATA], hdr.Ident[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	binary.Write(&b, binary.LittleEndian, hdr)
	b.Write(info)
	b.Write(shstr)
	b.Write(make([]byte, shOff-uint64(b.Len())))
	for _, s := range []elf.Section64{
		{},
		{Name: 1, Type: uint32(elf.SHT_PROGBITS), Flags: uint64(elf.SHF_ALLOC), Off: infoOff, Size: uint64(len(info)), Addralign: 1},
		{Name: 10, Type: uint32(elf.SHT_STRTAB), Off: strOff, Size: uint64(len(shstr)), Addralign: 1},
	} {
		binary.Write(&b, binary.LittleEndian, s)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The NIC drivers' modules and what they depend on, as in Debian's
// 6.1.0-57-amd64 (.modinfo depends=).
var nicModules = map[string]string{
	"virtio_ring":           "",
	"virtio":                "virtio_ring",
	"virtio_pci_modern_dev": "",
	"virtio_pci_legacy_dev": "",
	"virtio_pci":            "virtio_ring,virtio_pci_modern_dev,virtio_pci_legacy_dev,virtio",
	"failover":              "",
	"net_failover":          "failover",
	"virtio_net":            "virtio_ring,virtio,net_failover",
	"e1000":                 "",
}

// fakePackage lays out an unpacked kernel package's modules in root as
// Debian does (lib/modules/<release>/kernel/...), file names with dashes
// where the module name has underscores, to check the two are one.
func fakePackage(t *testing.T, root, ver string, mods map[string]string) {
	for name, deps := range mods {
		file := name
		if name == "net_failover" {
			file = "net-failover"
		}
		writeModule(t, filepath.Join(root, "lib", "modules", ver, "kernel", "drivers", file+".ko"),
			"license=GPL", "depends="+deps, "name="+name, "vermagic="+ver+" SMP mod_unload")
	}
}

func TestResolveModules(t *testing.T) {
	root := t.TempDir()
	const ver = "6.1.0-57-amd64"
	fakePackage(t, root, ver, nicModules)
	find, err := packageModules(root, ver)
	if err != nil {
		t.Fatal(err)
	}
	mods, err := resolveModules([]string{"virtio_pci", "virtio-net", "e1000"}, ver, find)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range mods {
		got = append(got, m.Name)
		if !strings.HasSuffix(m.Path, ".ko") {
			t.Errorf("%s: path %s", m.Name, m.Path)
		}
	}
	// Each after its dependencies (depth first, in depends= order), each once.
	want := "virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio virtio_pci failover net_failover virtio_net e1000"
	if strings.Join(got, " ") != want {
		t.Errorf("load order\n %s\nwant\n %s", strings.Join(got, " "), want)
	}

	for _, c := range []struct {
		mods  map[string]string
		names []string
		want  string
	}{
		{map[string]string{"virtio_net": "virtio,net_failover", "virtio": "", "net_failover": "failover"}, []string{"virtio_net"},
			"virtio_net needs net_failover needs failover: no such module failover"},
		{map[string]string{"a": "b", "b": "c", "c": "a"}, []string{"a"}, "module dependency cycle a -> b -> c -> a"},
		{map[string]string{"a": ""}, []string{"zz"}, "no such module zz"},
		{map[string]string{"a": ""}, []string{"a/b"}, `bad module name "a/b"`},
		{map[string]string{"a": ""}, nil, "no modules named"},
	} {
		root := t.TempDir()
		fakePackage(t, root, ver, c.mods)
		find, err := packageModules(root, ver)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := resolveModules(c.names, ver, find); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v of %v: error %v, want one saying %q", c.names, c.mods, err, c.want)
		}
	}
}

func TestModinfoErrors(t *testing.T) {
	dir := t.TempDir()
	find := func(name string) (string, error) { return filepath.Join(dir, name+".ko"), nil }
	writeModule(t, filepath.Join(dir, "wrong.ko"), "name=other", "depends=", "vermagic=6.1.0-1-amd64 SMP")
	writeModule(t, filepath.Join(dir, "nameless.ko"), "depends=")
	writeModule(t, filepath.Join(dir, "other.ko"), "name=other", "depends=", "vermagic=6.1.0-2-amd64 SMP")
	writeModule(t, filepath.Join(dir, "magicless.ko"), "name=magicless", "depends=")
	os.WriteFile(filepath.Join(dir, "text.ko"), []byte("not an ELF file at all"), 0o644)
	for name, want := range map[string]string{
		"wrong":     `.modinfo names module "other", want "wrong"`,
		"nameless":  ".modinfo has no name=",
		"other":     `built for kernel "6.1.0-2-amd64 SMP" (vermagic), not 6.1.0-1-amd64`,
		"magicless": `built for kernel "" (vermagic)`,
		"text":      "bad magic",
	} {
		if _, err := resolveModules([]string{name}, "6.1.0-1-amd64", find); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one saying %q", name, err, want)
		}
	}
}

func TestCompressedModule(t *testing.T) {
	root := t.TempDir()
	const ver = "6.1.0-1-amd64"
	p := filepath.Join(root, "lib", "modules", ver, "kernel", "e1000.ko.xz")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte("\xfd7zXZ"), 0o644)
	find, err := packageModules(root, ver)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := resolveModules([]string{"e1000"}, ver, find); err == nil || !strings.Contains(err.Error(), "e1000 is compressed (e1000.ko.xz)") {
		t.Errorf("a compressed module: error %v", err)
	}
}

func TestKernelVersion(t *testing.T) {
	for in, want := range map[string]string{
		"/c/aero/linux/vmlinuz-6.1.0-57-amd64": "6.1.0-57-amd64",
		"vmlinuz-6.12.9+bpo-amd64":             "6.12.9+bpo-amd64",
		"/boot/bzImage":                        "",
		"vmlinuz-":                             "",
		"vmlinuz-6.1/x":                        "",
	} {
		got, err := KernelVersion(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("KernelVersion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if d, err := ModuleDir("/c/vmlinuz-6.1.0-57-amd64"); err != nil || d != "/c/modules-6.1.0-57-amd64" {
		t.Errorf("ModuleDir = %q, %v", d, err)
	}
}

// TestModulesCached runs Modules on a cache laid out as fetchPackage
// leaves it: keepModules from a fake package, then the lookup without
// fetching; and without the modules, the error says where they come from.
func TestModulesCached(t *testing.T) {
	cache, root := t.TempDir(), t.TempDir()
	const ver = "6.1.0-57-amd64"
	kernel := filepath.Join(cache, "vmlinuz-"+ver)
	os.WriteFile(kernel, []byte("kernel"), 0o644)
	if _, err := Modules(kernel, []string{"e1000"}, false, t.Logf); err == nil || !strings.Contains(err.Error(), "linux-image-"+ver) {
		t.Errorf("Modules with none kept: error %v, want one naming the package", err)
	}
	fakePackage(t, root, ver, nicModules)
	if err := keepModules(root, ver, filepath.Join(cache, "modules-"+ver), []string{"virtio_net"}, t.Logf); err != nil {
		t.Fatal(err)
	}
	kept, _ := filepath.Glob(filepath.Join(cache, "modules-"+ver, "*.ko"))
	if len(kept) != 5 { // virtio_net, virtio, virtio_ring, net_failover, failover
		t.Errorf("kept %v, want virtio_net's 5", kept)
	}
	mods, err := Modules(kernel, []string{"virtio_net"}, false, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if len(mods) != 5 || mods[4].Name != "virtio_net" || filepath.Dir(mods[4].Path) != filepath.Join(cache, "modules-"+ver) {
		t.Errorf("Modules = %v", mods)
	}
	if _, err := Modules(kernel, []string{"e1000"}, false, t.Logf); err == nil || !strings.Contains(err.Error(), "no such module e1000") {
		t.Errorf("Modules of one not kept: error %v", err)
	}
}

func TestKeepKernel(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "pkg-vmlinuz"), filepath.Join(dir, "vmlinuz-6.1.0-1-amd64")
	os.WriteFile(src, []byte("new"), 0o644)
	read := func() string { b, _ := os.ReadFile(dst); return string(b) }
	if err := keepKernel(src, dst, false, t.Logf); err != nil || read() != "new" {
		t.Errorf("into an empty cache: %v, %q", err, read())
	}
	if err := keepKernel(src, dst, false, t.Logf); err != nil {
		t.Errorf("the same again: %v", err)
	}
	os.WriteFile(dst, []byte("old"), 0o644)
	if err := keepKernel(src, dst, false, t.Logf); err == nil || read() != "old" {
		t.Errorf("over a different kernel outside the cache: %v, %q; want an error and the file left", err, read())
	}
	if err := keepKernel(src, dst, true, t.Logf); err != nil || read() != "new" {
		t.Errorf("over a different kernel in the cache: %v, %q; want it replaced", err, read())
	}
}

func TestModuleFiles(t *testing.T) {
	var mods []Module
	for i := range 120 {
		mods = append(mods, Module{Name: fmt.Sprint("m", i), Path: fmt.Sprint("/x/m", i, ".ko")})
	}
	if f := ModuleFiles(mods[:3]); f[0].Name != "lib/modules/01-m0.ko" || f[2].Name != "lib/modules/03-m2.ko" || f[2].Path != "/x/m2.ko" {
		t.Errorf("ModuleFiles = %v", f)
	}
	f := ModuleFiles(mods)
	for i := 1; i < len(f); i++ {
		if f[i-1].Name >= f[i].Name {
			t.Fatalf("%s sorts after %s: name order is not load order", f[i-1].Name, f[i].Name)
		}
	}
}

// TestCachedNICModules resolves the NIC drivers among the real modules
// when a kernel and they are cached (BenchmarkHTTPDVsLinux in qemu/
// fetches them): each named one is there, and each comes after every
// module its .modinfo depends on.
func TestCachedNICModules(t *testing.T) {
	kernel, err := Kernel(false, t.Logf)
	if err != nil {
		t.Skip(err)
	}
	names := []string{"virtio_pci", "virtio_net", "e1000"}
	mods, err := Modules(kernel, names, false, t.Logf)
	if errors.Is(err, errNoModule) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range mods {
		info, err := readModinfo(m.Path)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range strings.Split(info["depends"], ",") {
			if d != "" && !seen[ModuleName(d)] {
				t.Errorf("%s comes before %s, which it depends on", m.Name, d)
			}
		}
		if seen[m.Name] {
			t.Errorf("%s twice", m.Name)
		}
		seen[m.Name] = true
	}
	for _, n := range names {
		if !seen[n] {
			t.Errorf("%s missing from %v", n, mods)
		}
	}
	t.Logf("%s: %d modules", kernel, len(mods))
}
