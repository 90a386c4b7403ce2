package build

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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

const base = "scheduler default\nmemory default\ntopology default\nconsole default\n"

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
	cfg := writeConfig(t, "name tp\n"+base+"module golang.org/x/time/rate\n")
	res, err := Build(Options{Config: cfg, Out: t.TempDir(), Go: g, Root: r})
	if err != nil {
		t.Fatal(err)
	}
	mod, _ := os.ReadFile(filepath.Join(res.Gen, "go.mod"))
	if !strings.Contains(string(mod), "golang.org/x/time") {
		t.Errorf("generated go.mod does not require golang.org/x/time:\n%s", mod)
	}
}

func TestBuildErrors(t *testing.T) {
	r := root(t)
	for _, c := range []struct {
		name, body, want string
	}{
		{"unknown module", "name x\nscheduler fifo\nmemory default\ntopology default\nconsole default\n", "fifo"},
		{"missing kind", "name x\nscheduler default\nmemory default\ntopology default\n", "console"},
		{"malformed", "name x\n" + base + "bogus line here\n", "test.conf:6"},
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
	c, err := parseForTest(writeConfig(t, "name k\n"+base+"cmdline test=all smp=2\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := string(GrubConfig(c))
	for _, want := range []string{"serial --unit=0", "terminal_output serial", "set timeout=0", "multiboot2 /boot/k.elf test=all smp=2", "boot"} {
		if !strings.Contains(got, want) {
			t.Errorf("grub.cfg lacks %q:\n%s", want, got)
		}
	}
}
