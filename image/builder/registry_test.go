package builder

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aerokernel/aero/core/kind"
	"github.com/aerokernel/aero/image/config"
)

// writeTree writes files (path -> content) under a new directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, body := range files {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRegistryScan(t *testing.T) {
	root := writeTree(t, map[string]string{
		"go.work":      "go 1.26.5\n\nuse (\n\t./core\n\t./drivers\n)\n",
		"core/go.mod":  "module github.com/aerokernel/aero/core\n\ngo 1.26.5\n",
		"core/core.go": "package core\n\nconst DefaultName = \"default\"\n\nfunc init() {\n\tRegisterScheduler(DefaultName, nil)\n\tRegisterConsole(\"raw\", nil)\n\tRegisterClock(\"tsc\", nil)\n}\n",
		// A package of core registering with core's constant.
		"core/mm/mm.go":         "package mm\n\nimport \"github.com/aerokernel/aero/core\"\n\nfunc init() { core.RegisterMemory(core.DefaultName+\"x\", nil); core.RegisterMemory(core.DefaultName, nil) }\n",
		"drivers/go.mod":        "module \"example.com/tree\" // the drivers\n\ngo 1.26.5\n",
		"drivers/rr/rr.go":      "package rr\n\nimport \"github.com/aerokernel/aero/core\"\n\nfunc init() { core.RegisterScheduler(\"rr\", nil) }\n",
		"drivers/virtio/v.go":   "package virtio\n\nimport c \"github.com/aerokernel/aero/core\"\n\nconst Name = \"virtio\"\n\nfunc init() { c.RegisterNICDriver(Name, nil) }\n",
		"drivers/virtio/blk.go": "package virtio\n\nimport c \"github.com/aerokernel/aero/core\"\n\nfunc init() { c.RegisterBlockDriver(`vblk`, nil) }\n",
		// Not counted: tests, testdata, a nested module, a main package,
		// a package not importing core, an unparsable file.
		"drivers/rr/rr_test.go":    "package rr\n\nimport \"github.com/aerokernel/aero/core\"\n\nfunc init() { core.RegisterScheduler(\"test\", nil) }\n",
		"drivers/testdata/x/x.go":  "package x\n\nimport \"github.com/aerokernel/aero/core\"\n\nfunc init() { core.RegisterScheduler(\"td\", nil) }\n",
		"drivers/nested/go.mod":    "module example.com/nested\n",
		"drivers/nested/n.go":      "package n\n\nimport \"github.com/aerokernel/aero/core\"\n\nfunc init() { core.RegisterScheduler(\"nested\", nil) }\n",
		"drivers/cmd/tool/main.go": "package main\n\nimport \"github.com/aerokernel/aero/core\"\n\nfunc main() { core.RegisterScheduler(\"main\", nil) }\n",
		"drivers/other/o.go":       "package other\n\nfunc RegisterScheduler(string, any) {}\n\nfunc init() { RegisterScheduler(\"other\", nil) }\n",
		"drivers/broken/b.go":      "package broken\n\nfunc {\n",
	})
	reg, err := Registry(root, "")
	if err != nil {
		t.Fatal(err)
	}
	want := config.DefaultRegistry()
	want[kind.Scheduler] = append(want[kind.Scheduler], config.Module{Name: "rr", Path: "example.com/tree/rr"})
	want[kind.Console] = append(want[kind.Console], config.Module{Name: "raw", Path: config.CorePath})
	want[kind.Clock] = append(want[kind.Clock], config.Module{Name: "tsc", Path: config.CorePath})
	want[kind.Memory] = append(want[kind.Memory],
		config.Module{Name: "default", Path: "github.com/aerokernel/aero/core/mm"})
	want[kind.NIC] = []config.Module{{Name: "virtio", Path: "example.com/tree/virtio"}}
	want[kind.Block] = []config.Module{{Name: "vblk", Path: "example.com/tree/virtio"}}
	for _, k := range kind.All {
		if !slices.Equal(reg[k.Name], want[k.Name]) {
			t.Errorf("%s: %v, want %v", k.Name, reg[k.Name], want[k.Name])
		}
	}
}

// A tree with a module of every kind, each registered through the Register
// function package kind's table names for it, yields one module per kind.
func TestRegistryScanEveryKind(t *testing.T) {
	files := map[string]string{
		"go.work":     "go 1.26.5\n\nuse (\n\t./core\n\t./mods\n)\n",
		"core/go.mod": "module github.com/aerokernel/aero/core\n\ngo 1.26.5\n",
		"mods/go.mod": "module example.com/mods\n\ngo 1.26.5\n",
	}
	for _, k := range kind.All {
		files["mods/"+k.Name+"/m.go"] = "package " + k.Name + "\n\nimport \"github.com/aerokernel/aero/core\"\n\n" +
			"func init() { core." + k.Register + "(\"my" + k.Name + "\", nil) }\n"
	}
	reg, err := Registry(writeTree(t, files), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kind.All {
		m, ok := reg.Lookup(k.Name, "my"+k.Name)
		if !ok || m.Path != "example.com/mods/"+k.Name {
			t.Errorf("%s: registered by core.%s in example.com/mods/%s, but the scan found %v", k.Name, k.Register, k.Name, reg[k.Name])
		}
	}
	if len(reg) != len(kind.All) {
		t.Errorf("registry has %d kinds, want %d: %v", len(reg), len(kind.All), reg)
	}
}

// The tree as it is: the scan finds core's own "default" of every required
// kind (what config.DefaultRegistry promises), and every module found has a
// name and a path in the tree.
func TestRegistryTree(t *testing.T) {
	found, err := scanTree(root(t), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, ms := range config.DefaultRegistry() {
		for _, m := range ms {
			if !slices.Contains(found[k], m) {
				t.Errorf("%s: core registers no %v; found %v", k, m, found[k])
			}
		}
	}
	reg, err := Registry(root(t), "")
	if err != nil {
		t.Fatal(err)
	}
	for k, ms := range reg {
		for _, m := range ms {
			if m.Name == "" || !config.IsImportPath(m.Path) {
				t.Errorf("%s: bad module %+v", k, m)
			}
		}
	}
	t.Logf("tree registry: %v", reg)
}

// TestTreeConfigs resolves every config of configs/ against the tree's
// registry and generates its main package, which must parse.
func TestTreeConfigs(t *testing.T) {
	reg, err := Registry(root(t), "")
	if err != nil {
		t.Fatal(err)
	}
	paths, err := filepath.Glob(filepath.Join(root(t), "configs", "*"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no configs: %v", err)
	}
	for _, p := range paths {
		c, err := config.ParseFile(p)
		if err != nil {
			t.Error(err)
			continue
		}
		if _, err := c.Resolve(reg); err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		src, err := config.Generate(c, reg)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if _, err := parser.ParseFile(token.NewFileSet(), "main.go", src, 0); err != nil {
			t.Errorf("%s: generated main does not parse: %v", p, err)
		}
	}
}

// TestRegistryUse checks that a config's use line makes a module outside
// the tree count as the tree's: its Register calls name modules, the
// generated workspace uses it, and no go get is tried for it; a use line
// naming a directory without a go.mod is an error naming it.
func TestRegistryUse(t *testing.T) {
	dir := t.TempDir()
	mod := filepath.Join(dir, "myhrt")
	if err := os.MkdirAll(filepath.Join(mod, "lifo"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(mod, "go.mod"), "module example.com/myhrt\n\ngo 1.26.5\n")
	write(filepath.Join(mod, "lifo", "lifo.go"), `package lifo

import "github.com/aerokernel/aero/core"

func init() { core.RegisterScheduler("lifo", nil) }
`)
	cfgPath := filepath.Join(dir, "k.conf")
	write(cfgPath, "name k\nscheduler lifo\nmemory default\ntopology default\nconsole default\nclock default\nuse myhrt\n")
	cfg, err := config.ParseFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	use, err := useModules(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(use) != 1 || use[0] != mod {
		t.Fatalf("use dirs %v, want [%s] (relative to the config's directory)", use, mod)
	}
	reg, err := Registry(root(t), "", use...)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := reg.Lookup("scheduler", "lifo")
	if !ok || m.Path != "example.com/myhrt/lifo" {
		t.Fatalf("registry: lifo is %+v (found %v), want example.com/myhrt/lifo", m, ok)
	}
	src, err := config.Generate(cfg, reg)
	if err != nil {
		t.Fatal(err)
	}
	gen := filepath.Join(dir, "gen")
	if err := writeGen(gen, "k", src, root(t), use); err != nil {
		t.Fatal(err)
	}
	work, _ := os.ReadFile(filepath.Join(gen, "go.work"))
	if !strings.Contains(string(work), strconv.Quote(mod)) {
		t.Errorf("generated go.work does not use %s:\n%s", mod, work)
	}

	write(cfgPath, "name k\n"+base+"use nowhere\n")
	cfg, err = config.ParseFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := useModules(cfg); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "nowhere")) {
		t.Errorf("use of a directory without go.mod: error %v, want one naming it", err)
	}
}
