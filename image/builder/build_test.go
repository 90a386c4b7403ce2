package builder

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aerokernel/aero/image/config"
)

// writeConfig writes a config into a temporary directory (tests pass the
// tree as Options.Root).
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "test.conf")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func root(t *testing.T) string {
	t.Helper()
	r, err := FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const base = "scheduler default\nmemory default\ntopology default\nconsole default\nclock default\n"

func needToolchain(t *testing.T) string {
	t.Helper()
	g := os.Getenv("AERO_GO")
	if g == "" || testing.Short() {
		t.Skip("AERO_GO not set (make test sets it): no kernel builds")
	}
	return g
}

func TestBuildDefconfig(t *testing.T) {
	g := needToolchain(t)
	r := root(t)
	res, err := Build(Options{Config: filepath.Join(r, "configs", "defconfig"), Out: t.TempDir(), Go: g, Root: r})
	if err != nil {
		t.Fatal(err)
	}
	if res.Size < 1<<20 {
		t.Errorf("%s is %d bytes", res.ELF, res.Size)
	}
	main, err := os.ReadFile(filepath.Join(res.Gen, "main.go"))
	if err != nil || !strings.Contains(string(main), `core.DefaultCmdline = "loglevel=info"`) {
		t.Errorf("generated main lacks the config's command line: %v\n%s", err, main)
	}
	if _, err := exec.LookPath("grub-file"); err == nil {
		if out, err := exec.Command("grub-file", "--is-x86-multiboot2", res.ELF).CombinedOutput(); err != nil {
			t.Errorf("GRUB does not see a multiboot2 kernel: %v %s", err, out)
		}
	}
}

func TestBuildThirdPartyModule(t *testing.T) {
	g := needToolchain(t)
	r := root(t)
	// A module no module of the tree depends on (golang.org/x/time, the
	// earlier choice, came in with net's gVisor), so the build must add it.
	cfg := writeConfig(t, "name tp\n"+base+"module golang.org/x/sync/errgroup\n")
	res, err := Build(Options{Config: cfg, Out: t.TempDir(), Go: g, Root: r})
	if err != nil {
		t.Fatal(err)
	}
	mod, _ := os.ReadFile(filepath.Join(res.Gen, "go.mod"))
	if !strings.Contains(string(mod), "golang.org/x/sync") {
		t.Errorf("generated go.mod does not require golang.org/x/sync:\n%s", mod)
	}
}

func TestBuildErrors(t *testing.T) {
	r := root(t)
	for _, c := range []struct {
		name, body, want string
	}{
		{"unknown module", "name x\nscheduler fifo\nmemory default\ntopology default\nconsole default\nclock default\n", "fifo"},
		{"missing kind", "name x\nscheduler default\nmemory default\ntopology default\n", "console"},
		{"malformed", "name x\n" + base + "bogus line here\n", "test.conf:7"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Build(Options{Config: writeConfig(t, c.body), Out: t.TempDir(), Go: "/nonexistent/go", Root: r})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
	t.Run("missing third-party module", func(t *testing.T) {
		g := needToolchain(t)
		cfg := writeConfig(t, "name x\n"+base+"module example.invalid/nothing/here\n")
		_, err := Build(Options{Config: cfg, Out: t.TempDir(), Go: g, Root: r})
		if err == nil || !strings.Contains(err.Error(), "example.invalid/nothing/here") {
			t.Errorf("error %v, want one naming the module", err)
		}
	})
}

func TestGrubConfig(t *testing.T) {
	for _, tc := range []struct{ cmdline, want string }{
		{"test=all smp=2", "multiboot2 /boot/k.elf test=all smp=2\n"},
		{"", "multiboot2 /boot/k.elf\n"},
		{"a=$x b;c  d#e {f}", "multiboot2 /boot/k.elf 'a=$x' 'b;c' 'd#e' '{f}'\n"},
		{`msg="a b"`, "multiboot2 /boot/k.elf\n"},
		{`p=\x`, "multiboot2 /boot/k.elf\n"},
	} {
		body := "name k\n" + base
		if tc.cmdline != "" {
			body += "cmdline " + tc.cmdline + "\n"
		}
		c, err := config.ParseFile(writeConfig(t, body))
		if err != nil {
			t.Fatal(err)
		}
		got := string(GrubConfig(c))
		for _, want := range []string{"serial --unit=0 --speed=115200", "terminal_input serial", "terminal_output serial", "set timeout=0", "\t" + tc.want, "\tboot\n"} {
			if !strings.Contains(got, want) {
				t.Errorf("cmdline %q: grub.cfg lacks %q:\n%s", tc.cmdline, want, got)
			}
		}
		if strings.ContainsAny(tc.cmdline, `"\`) && !strings.Contains(got, "built-in default") {
			t.Errorf("cmdline %q: grub.cfg does not say why the command line is left off:\n%s", tc.cmdline, got)
		}
		if _, err := exec.LookPath("grub-script-check"); err == nil {
			p := filepath.Join(t.TempDir(), "grub.cfg")
			os.WriteFile(p, []byte(got), 0o644)
			if out, err := exec.Command("grub-script-check", p).CombinedOutput(); err != nil {
				t.Errorf("grub-script-check rejects:\n%s\n%v %s", got, err, out)
			}
		}
	}
}

// fakeProxy serves the module example.test/fakehrt v1.0.0 (a package with
// an entry point, func Main) from a GOPROXY directory.
func fakeProxy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	v := filepath.Join(dir, "example.test", "fakehrt", "@v")
	os.MkdirAll(v, 0o755)
	mod := "module example.test/fakehrt\n\ngo 1.21\n"
	files := map[string]string{
		"go.mod":  mod,
		"hrt.go":  "// Package fakehrt is a stand-in third-party HRT.\npackage fakehrt\n\n// Main is the entry point.\nfunc Main() { println(\"fake hrt\") }\n",
		"LICENSE": "public domain\n",
	}
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for name, body := range files {
		w, err := zw.Create("example.test/fakehrt@v1.0.0/" + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{
		"list":        []byte("v1.0.0\n"),
		"v1.0.0.info": []byte(`{"Version":"v1.0.0","Time":"2026-01-01T00:00:00Z"}`),
		"v1.0.0.mod":  []byte(mod),
		"v1.0.0.zip":  zb.Bytes(),
	} {
		if err := os.WriteFile(filepath.Join(v, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return "file://" + filepath.ToSlash(dir)
}

// A third-party entry point from a (local) module proxy: go get adds it to
// the generated go.mod; a rebuild needs no proxy; a config that no longer
// names it gets a go.mod without it; an unknown module fails naming it.
func TestBuildThirdPartyLocalProxy(t *testing.T) {
	g := needToolchain(t)
	r := root(t)
	// The fake proxy, then the module cache's downloads (what the tree
	// needs is there once it has been built): no network.
	modcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOPROXY", fakeProxy(t)+",file://"+filepath.ToSlash(filepath.Join(strings.TrimSpace(string(modcache)), "cache", "download")))
	t.Setenv("GOSUMDB", "off")
	t.Setenv("GOFLAGS", "")
	cfg := writeConfig(t, "name fake\n"+base+"entry example.test/fakehrt.Main\ncmdline x=1\n")
	out := t.TempDir()
	res, err := Build(Options{Config: cfg, Out: out, Go: g, Root: r, Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	mod, _ := os.ReadFile(filepath.Join(res.Gen, "go.mod"))
	if !strings.Contains(string(mod), "example.test/fakehrt v1.0.0") {
		t.Errorf("generated go.mod does not require example.test/fakehrt v1.0.0:\n%s", mod)
	}
	main, _ := os.ReadFile(filepath.Join(res.Gen, "main.go"))
	if !strings.Contains(string(main), "core.Boot(hrt.Main)") {
		t.Errorf("generated main does not boot the entry:\n%s", main)
	}
	if ok, _ := exec.Command("go", "tool", "nm", res.ELF).Output(); !strings.Contains(string(ok), "example.test/fakehrt.Main") {
		t.Error("the kernel does not contain example.test/fakehrt.Main")
	}

	// Rebuild without the proxy.
	t.Setenv("GOPROXY", "off")
	if _, err := Build(Options{Config: cfg, Out: out, Go: g, Root: r}); err != nil {
		t.Fatalf("rebuild without a proxy: %v", err)
	}

	// The config drops the module: so does go.mod.
	os.WriteFile(cfg, []byte("name fake\n"+base), 0o644)
	if _, err := Build(Options{Config: cfg, Out: out, Go: g, Root: r}); err != nil {
		t.Fatal(err)
	}
	mod, _ = os.ReadFile(filepath.Join(res.Gen, "go.mod"))
	if strings.Contains(string(mod), "fakehrt") {
		t.Errorf("go.mod still requires fakehrt:\n%s", mod)
	}

	// A module the proxy does not have.
	os.WriteFile(cfg, []byte("name fake\n"+base+"module example.test/absent/pkg\n"), 0o644)
	_, err = Build(Options{Config: cfg, Out: out, Go: g, Root: r})
	if err == nil || !strings.Contains(err.Error(), "go get example.test/absent/pkg") {
		t.Errorf("error %v, want the go get failure naming example.test/absent/pkg", err)
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func TestToolchainGo(t *testing.T) {
	fake := writeTree(t, map[string]string{
		"toolchain/build.sh": "#!/bin/bash\necho progress >&2\necho /opt/fake/bin/go\n",
	})
	t.Setenv("AERO_GO", "")
	t.Setenv("TAMAGO", "")
	for _, tc := range []struct{ explicit, aero, tamago, want string }{
		{"/x/go", "/a/go", "/t/go", "/x/go"},
		{"", "/a/go", "/t/go", "/a/go"},
		{"", "", "/t/go", "/t/go"},
		{"", "", "", "/opt/fake/bin/go"},
	} {
		t.Setenv("AERO_GO", tc.aero)
		t.Setenv("TAMAGO", tc.tamago)
		var log bytes.Buffer
		got, err := ToolchainGo(fake, tc.explicit, &log)
		if err != nil || got != tc.want {
			t.Errorf("%+v: %q, %v", tc, got, err)
		}
	}
	os.WriteFile(filepath.Join(fake, "toolchain", "build.sh"), []byte("echo cannot build >&2\nexit 3\n"), 0o755)
	if _, err := ToolchainGo(fake, "", io.Discard); err == nil || !strings.Contains(err.Error(), "cannot build") {
		t.Errorf("failing build.sh: %v, want its message", err)
	}
}

func TestISOWithoutGrub(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, _, err := ISO(Options{Config: filepath.Join(root(t), "configs", "defconfig"), Out: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "grub-pc-bin grub-common xorriso mtools") {
		t.Errorf("error %v, want one naming the Debian packages", err)
	}
}
