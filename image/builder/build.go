// Package builder turns an Aero kernel config into a kernel: it generates the
// main package (image/config), builds it with the GOOS=tamago toolchain
// into <out>/<name>.elf, stamps a multiboot2 header into it (image/multiboot)
// and, for ISO images, wraps it with GRUB (grub-mkrescue).
//
// The generated main lives in <out>/gen/<name>/ with its own go.mod and a
// go.work that uses it and every module of the tree's go.work, so imports
// of core and the tree's modules resolve to the checkout, as do those of
// the module directories a config's use lines name (an HRT's own modules,
// never published). Other modules named by an import path outside the
// tree are added to that go.mod with go get
// (the first time only; third-party.txt records what the go.mod was made
// for). Module names in configs resolve through Registry: core's defaults
// plus whatever the tree's packages register with core.
//
// Host tools used: the go on PATH (go work edit, to read go.work), the
// GOOS=tamago go (go list, go get, go build), and for ISOs grub-mkrescue
// with xorriso and mtools.
package builder

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/aerokernel/aero/image/config"
	"github.com/aerokernel/aero/image/multiboot"
)

// DefaultGOOSPkg provides runtime/goos for the kernel unless a config says
// otherwise.
const DefaultGOOSPkg = "github.com/usbarmory/tamago"

// LDFlags link the kernel at 1 MiB (its ELF header page at 0x100000, text
// at 0x101000), where Linux loads too: the lowest RAM above the BIOS areas
// (see core/platform, layout.go).
const LDFlags = "-T 0x101000 -R 0x1000"

// Options says what to build and where.
type Options struct {
	Config string // config file
	Out    string // output directory (default "build" under Root)
	Root   string // the tree (the directory holding go.work); found from Config if empty
	Go     string // GOOS=tamago go; empty: AERO_GO, TAMAGO, or toolchain/build.sh
	Tags   []string
	Log    io.Writer // progress and tool output; nil discards
}

// Result is what Build made.
type Result struct {
	Config *config.Config
	ELF    string
	Size   int64
	Gen    string // directory of the generated main
}

func (o *Options) log() io.Writer {
	if o.Log == nil {
		return io.Discard
	}
	return o.Log
}

// FindRoot walks up from dir to the directory holding go.work.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return d, nil
		}
		if d == filepath.Dir(d) {
			return "", fmt.Errorf("builder: no go.work above %s: run inside an Aero checkout", dir)
		}
	}
}

// rootFor finds the tree for a config: above the config file, else above
// the working directory (for a config kept outside the tree).
func rootFor(cfgPath string) (string, error) {
	r, err := FindRoot(filepath.Dir(cfgPath))
	if err == nil {
		return r, nil
	}
	if r, err2 := FindRoot("."); err2 == nil {
		return r, nil
	}
	return "", err
}

// ToolchainGo finds the GOOS=tamago go: explicit, $AERO_GO, $TAMAGO, or
// what root/toolchain/build.sh builds or reuses.
func ToolchainGo(root, explicit string, log io.Writer) (string, error) {
	for _, g := range []string{explicit, os.Getenv("AERO_GO"), os.Getenv("TAMAGO")} {
		if g != "" {
			return g, nil
		}
	}
	if log == nil {
		log = io.Discard
	}
	script := filepath.Join(root, "toolchain", "build.sh")
	cmd := exec.Command("bash", script)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = io.MultiWriter(log, &stderr) // progress of a toolchain build
	out, err := cmd.Output()
	if err != nil {
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if len(lines) > 20 {
			lines = lines[len(lines)-20:]
		}
		return "", fmt.Errorf("builder: no GOOS=tamago go: -go, AERO_GO and TAMAGO are empty and %s failed: %v\n%s", script, err, strings.Join(lines, "\n"))
	}
	g := strings.TrimSpace(string(out))
	if g == "" {
		return "", fmt.Errorf("builder: %s printed no go binary", script)
	}
	return g, nil
}

// workModules lists the module directories of root's go.work, absolute,
// as goBin go work edit -json reads them ("" means the go on PATH).
func workModules(root, goBin string) ([]string, error) {
	if goBin == "" {
		goBin = "go"
	}
	out, err := run(exec.Command(goBin, "work", "edit", "-json", filepath.Join(root, "go.work")), nil)
	if err != nil {
		return nil, fmt.Errorf("builder: reading %s: %v", filepath.Join(root, "go.work"), err)
	}
	var w struct{ Use []struct{ DiskPath string } }
	if err := json.Unmarshal(out, &w); err != nil {
		return nil, fmt.Errorf("builder: reading go.work: %v", err)
	}
	var dirs []string
	for _, u := range w.Use {
		p := u.DiskPath
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, p)
		}
		dirs = append(dirs, p)
	}
	return dirs, nil
}

// run runs cmd and returns its standard output. Its standard error goes to
// log (if not nil) and, on failure, into the error.
func run(cmd *exec.Cmd, log io.Writer) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return nil, err
		}
		return nil, fmt.Errorf("%v:\n%s", err, msg)
	}
	if log != nil && stderr.Len() > 0 {
		log.Write(stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

// Build builds the kernel ELF the config describes.
func Build(o Options) (*Result, error) {
	cfg, err := config.ParseFile(o.Config)
	if err != nil {
		return nil, err
	}
	if o.Root == "" {
		if o.Root, err = rootFor(o.Config); err != nil {
			return nil, err
		}
	}
	// Config errors come before the toolchain, which may need building.
	use, err := useModules(cfg)
	if err != nil {
		return nil, err
	}
	reg, err := Registry(o.Root, "", use...)
	if err != nil {
		return nil, err
	}
	src, err := config.Generate(cfg, reg)
	if err != nil {
		return nil, err
	}
	if o.Out == "" {
		o.Out = filepath.Join(o.Root, "build")
	}
	out, err := filepath.Abs(o.Out)
	if err != nil {
		return nil, err
	}
	gen := filepath.Join(out, "gen", cfg.Name)
	if err := writeGen(gen, cfg.Name, src, o.Root, use); err != nil {
		return nil, err
	}
	goBin, err := ToolchainGo(o.Root, o.Go, o.log())
	if err != nil {
		return nil, err
	}
	goospkg := cfg.GOOSPkg
	if goospkg == "" {
		goospkg = DefaultGOOSPkg
	}
	tags := append([]string{"linkcpuinit"}, o.Tags...)
	env := append(os.Environ(), "GOOS=tamago", "GOARCH=amd64", "GOOSPKG="+goospkg, "CGO_ENABLED=0",
		"GOWORK="+filepath.Join(gen, "go.work"))
	if err := requireThirdParty(cfg, reg, gen, goBin, env, tags, o.log()); err != nil {
		return nil, err
	}

	elfPath := filepath.Join(out, cfg.Name+".elf")
	cmd := exec.Command(goBin, "build", "-tags", strings.Join(tags, ","), "-trimpath", "-ldflags", LDFlags, "-o", elfPath, ".")
	cmd.Dir, cmd.Env = gen, env
	fmt.Fprintf(o.log(), "image: %s: building %s with %s\n", cfg.File, elfPath, goBin)
	if _, err := run(cmd, o.log()); err != nil {
		return nil, fmt.Errorf("builder: go build of %s (generated in %s) failed: %v", cfg.Name, gen, err)
	}
	if _, err := multiboot.Stamp(elfPath); err != nil {
		return nil, err
	}
	st, err := os.Stat(elfPath)
	if err != nil {
		return nil, err
	}
	return &Result{Config: cfg, ELF: elfPath, Size: st.Size(), Gen: gen}, nil
}

// genModHeader starts the go.mod of a generated main.
func genModHeader(name string) string {
	return "// Generated by the aero image tool; DO NOT EDIT.\nmodule aero.image/" + name + "\n\ngo 1.26.5\n"
}

// useModules returns the module directories of cfg's use lines,
// absolute, checking that each holds a go.mod.
func useModules(cfg *config.Config) ([]string, error) {
	dirs, err := cfg.UseDirs()
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		if _, err := modulePath(filepath.Join(d, "go.mod")); err != nil {
			return nil, fmt.Errorf("%s: use %s: not a Go module directory: %v", cfg.File, d, err)
		}
	}
	return dirs, nil
}

// writeGen writes the generated main package into gen: main.go, a go.work
// using gen, every module of the tree and the modules in use, and a go.mod. An existing go.mod
// of the same image is kept, with the requirements go get added to it
// (see requireThirdParty), so that rebuilds need no network.
func writeGen(gen, name string, src []byte, root string, use []string) error {
	if err := os.MkdirAll(gen, 0o755); err != nil {
		return err
	}
	mods, err := workModules(root, "")
	if err != nil {
		return err
	}
	var work bytes.Buffer
	work.WriteString("// Generated by the aero image tool; DO NOT EDIT.\ngo 1.26.5\n\nuse (\n\t.\n")
	for _, m := range append(mods, use...) {
		fmt.Fprintf(&work, "\t%s\n", strconv.Quote(m))
	}
	work.WriteString(")\n")
	if err := os.WriteFile(filepath.Join(gen, "main.go"), src, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(gen, "go.work"), work.Bytes(), 0o644); err != nil {
		return err
	}
	if mod, err := modulePath(filepath.Join(gen, "go.mod")); err == nil && mod == "aero.image/"+name {
		return nil
	}
	return resetGoMod(gen, name)
}

// resetGoMod writes a go.mod without requirements and removes go.sum.
func resetGoMod(gen, name string) error {
	if err := os.Remove(filepath.Join(gen, "go.sum")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.WriteFile(filepath.Join(gen, "go.mod"), []byte(genModHeader(name)), 0o644)
}

// thirdParty returns the import paths cfg links that no module of the tree
// provides, asking goBin go list -m for the tree's modules.
func thirdParty(cfg *config.Config, reg config.Registry, gen, goBin string, env []string) ([]string, error) {
	var paths []string
	chosen, err := cfg.Resolve(reg)
	if err != nil {
		return nil, err
	}
	for _, m := range chosen {
		paths = append(paths, m.Path)
	}
	paths = append(paths, cfg.Extra...)
	if cfg.Entry.Path != "" {
		paths = append(paths, cfg.Entry.Path)
	}
	if cfg.GOOSPkg != "" {
		paths = append(paths, cfg.GOOSPkg)
	}
	cmd := exec.Command(goBin, "list", "-m", "-f", "{{.Path}}")
	cmd.Dir, cmd.Env = gen, env
	out, err := run(cmd, nil)
	if err != nil {
		return nil, fmt.Errorf("builder: listing the tree's modules: %v", err)
	}
	local := strings.Fields(string(out))
	var third []string
	for _, p := range paths {
		inTree := false
		for _, m := range local {
			if p == m || strings.HasPrefix(p, m+"/") {
				inTree = true
			}
		}
		if !inTree && !slices.Contains(third, p) {
			third = append(third, p)
		}
	}
	slices.Sort(third)
	return third, nil
}

// thirdPartyList names the file in the generated directory that lists the
// third-party import paths its go.mod was made for, one a line.
const thirdPartyList = "third-party.txt"

// requireThirdParty makes the generated go.mod require the modules
// providing the config's third-party imports (modules, entry or goospkg
// named by an import path outside the tree). It runs go get only for the
// packages the build list does not provide yet, so rebuilds need no
// network; when the config no longer names a path the go.mod was made for,
// the go.mod starts afresh.
func requireThirdParty(cfg *config.Config, reg config.Registry, gen, goBin string, env, tags []string, log io.Writer) error {
	env = append(env, "GOFLAGS=-tags="+strings.Join(tags, ","))
	third, err := thirdParty(cfg, reg, gen, goBin, env)
	if err != nil {
		return err
	}
	listPath := filepath.Join(gen, thirdPartyList)
	prev, _ := os.ReadFile(listPath)
	for _, p := range strings.Fields(string(prev)) {
		if !slices.Contains(third, p) {
			if err := resetGoMod(gen, cfg.Name); err != nil {
				return err
			}
			break
		}
	}
	// Until go get succeeds, go.mod may be incomplete: no list means "start afresh".
	os.Remove(listPath)
	if len(third) == 0 {
		return resetGoMod(gen, cfg.Name)
	}
	// Which packages does the build list not provide yet, or provide only
	// through a module the go.mod does not require itself (one a module of
	// the tree depends on: go build refuses an import from such an
	// "implicitly required module")?
	cmd := exec.Command(goBin, append([]string{"list", "-e", "-f", "{{.ImportPath}} {{if .Error}}-{{else if .Module}}{{if .Module.Main}}+{{else}}{{.Module.Path}}{{end}}{{else}}+{{end}}"}, third...)...)
	cmd.Dir, cmd.Env = gen, env
	out, err := run(cmd, nil)
	if err != nil {
		return fmt.Errorf("builder: go list %s: %v", strings.Join(third, " "), err)
	}
	required, err := goModRequires(gen, goBin, env)
	if err != nil {
		return err
	}
	var missing []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		// "path -": not found; "path +": the tree's or the standard
		// library's; "path module": found in module.
		f := strings.Fields(line)
		if len(f) == 2 && (f[1] == "-" || f[1] != "+" && !slices.Contains(required, f[1])) {
			missing = append(missing, f[0])
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(log, "image: fetching third-party modules for %s\n", strings.Join(missing, ", "))
		cmd = exec.Command(goBin, append([]string{"get"}, missing...)...)
		cmd.Dir, cmd.Env = gen, env
		if _, err := run(cmd, log); err != nil {
			return fmt.Errorf("builder: go get %s (in %s): %v", strings.Join(missing, " "), gen, err)
		}
	}
	return os.WriteFile(listPath, []byte(strings.Join(third, "\n")+"\n"), 0o644)
}

// goModRequires returns the module paths the go.mod in dir requires.
func goModRequires(dir, goBin string, env []string) ([]string, error) {
	cmd := exec.Command(goBin, "mod", "edit", "-json")
	cmd.Dir, cmd.Env = dir, env
	out, err := run(cmd, nil)
	if err != nil {
		return nil, fmt.Errorf("builder: go mod edit -json (in %s): %v", dir, err)
	}
	var mod struct{ Require []struct{ Path string } }
	if err := json.Unmarshal(out, &mod); err != nil {
		return nil, fmt.Errorf("builder: go mod edit -json (in %s): %v", dir, err)
	}
	var paths []string
	for _, r := range mod.Require {
		paths = append(paths, r.Path)
	}
	return paths, nil
}

// GRUB's tools and the Debian packages they come in.
const grubPackages = "grub-pc-bin grub-common xorriso mtools"

// ISO builds the kernel and a BIOS-bootable GRUB ISO around it:
// <out>/<name>.iso, booting the ELF with multiboot2 and the config's
// command line, GRUB's console on COM1.
func ISO(o Options) (*Result, string, error) {
	if _, err := exec.LookPath("grub-mkrescue"); err != nil {
		return nil, "", fmt.Errorf("builder: grub-mkrescue not found: install the Debian packages %s (make deps)", grubPackages)
	}
	if _, err := exec.LookPath("xorriso"); err != nil {
		return nil, "", fmt.Errorf("builder: xorriso not found: install the Debian packages %s (make deps)", grubPackages)
	}
	r, err := Build(o)
	if err != nil {
		return nil, "", err
	}
	tree := filepath.Join(filepath.Dir(r.ELF), "iso", r.Config.Name)
	os.RemoveAll(tree)
	if err := os.MkdirAll(filepath.Join(tree, "boot", "grub"), 0o755); err != nil {
		return nil, "", err
	}
	elf, err := os.ReadFile(r.ELF)
	if err != nil {
		return nil, "", err
	}
	if err := os.WriteFile(filepath.Join(tree, "boot", r.Config.Name+".elf"), elf, 0o644); err != nil {
		return nil, "", err
	}
	if err := os.WriteFile(filepath.Join(tree, "boot", "grub", "grub.cfg"), GrubConfig(r.Config), 0o644); err != nil {
		return nil, "", err
	}
	iso := filepath.Join(filepath.Dir(r.ELF), r.Config.Name+".iso")
	if _, err := run(exec.Command("grub-mkrescue", "-o", iso, tree), nil); err != nil {
		return nil, "", fmt.Errorf("builder: grub-mkrescue failed: %v", err)
	}
	if _, err := os.Stat(iso); err != nil {
		return nil, "", errors.New("builder: grub-mkrescue made no image")
	}
	return r, iso, nil
}

// GrubConfig is the grub.cfg of an ISO: no menu delay, GRUB on COM1, the
// kernel loaded with multiboot2 and the config's command line.
//
// GRUB's script lexer would expand $variables and split on ';' and the
// like, so each word of the command line that holds more than plain
// characters is single-quoted for it. GRUB's multiboot2 command then joins
// the words with single spaces, but puts a backslash before every double
// quote, single quote and backslash (grub-core/lib/cmdline.c); a command
// line holding one of those
// cannot reach the kernel verbatim through GRUB, so it is left off the
// multiboot2 line, and the kernel, given an empty command line, uses its
// built-in default (core.DefaultCmdline), which is the same text.
func GrubConfig(c *config.Config) []byte {
	var b bytes.Buffer
	b.WriteString("# Generated by the aero image tool.\n")
	b.WriteString("serial --unit=0 --speed=115200\nterminal_input serial\nterminal_output serial\n")
	b.WriteString("set timeout=0\n\n")
	fmt.Fprintf(&b, "menuentry 'Aero %s' {\n", c.Name)
	line := "\tmultiboot2 /boot/" + c.Name + ".elf"
	if strings.ContainsAny(c.Cmdline, `"'\`) {
		b.WriteString("\t# The config's command line holds quotes or backslashes, which GRUB\n")
		b.WriteString("\t# would escape: the kernel's built-in default (the same text) applies.\n")
	} else {
		for _, w := range strings.Fields(c.Cmdline) {
			line += " " + grubWord(w)
		}
	}
	b.WriteString(line + "\n\tboot\n}\n")
	return b.Bytes()
}

// grubWord quotes w for GRUB's script lexer unless it is plain. w holds
// no '\”.
func grubWord(w string) string {
	for _, r := range w {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("=.,:/_+-@%", r)) {
			return "'" + w + "'"
		}
	}
	return w
}
