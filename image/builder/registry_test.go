package builder

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

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
	want[config.Scheduler] = append(want[config.Scheduler], config.Module{Name: "rr", Path: "example.com/tree/rr"})
	want[config.Console] = append(want[config.Console], config.Module{Name: "raw", Path: config.CorePath})
	want[config.Memory] = append(want[config.Memory],
		config.Module{Name: "default", Path: "github.com/aerokernel/aero/core/mm"})
	want[config.NIC] = []config.Module{{Name: "virtio", Path: "example.com/tree/virtio"}}
	want[config.Block] = []config.Module{{Name: "vblk", Path: "example.com/tree/virtio"}}
	for _, k := range config.Kinds {
		if !slices.Equal(reg[k], want[k]) {
			t.Errorf("%s: %v, want %v", k, reg[k], want[k])
		}
	}
}

// The tree as it is: whatever it registers, core's defaults are there and
// every module found has a name and a path in the tree.
func TestRegistryTree(t *testing.T) {
	reg, err := Registry(root(t), "")
	if err != nil {
		t.Fatal(err)
	}
	for k, ms := range config.DefaultRegistry() {
		for _, m := range ms {
			if !slices.Contains(reg[k], m) {
				t.Errorf("%s: core's %v missing from %v", k, m, reg[k])
			}
		}
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
