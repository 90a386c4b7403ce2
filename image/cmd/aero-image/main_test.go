package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func runMain(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := realMain(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestList(t *testing.T) {
	// From image/cmd/aero-image: the default config is found in the tree.
	code, out, stderr := runMain("list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"topology   default *numa", "memory     default *mm", "nic        e1000 virtio *none", "block      *none", "chosen by "} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	// The tree has other consoles, clocks and schedulers (the seam
	// tests'); the default config chooses core's clock, the console
	// module and sched's round robin.
	for _, c := range []struct{ kind, chosen string }{{"clock", "default"}, {"console", "console"}, {"scheduler", "rr"}} {
		if !regexp.MustCompile(`(?m)^` + c.kind + `\s.*\*` + c.chosen + `( |$)`).MatchString(out) {
			t.Errorf("list's %s line does not mark %s chosen:\n%s", c.kind, c.chosen, out)
		}
	}
}

func TestListExtras(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "k.conf")
	os.WriteFile(cfg, []byte("name k\nscheduler default\nmemory default\ntopology default\nconsole default\nclock default\n"+
		"nic example.com/drivers/nic\nmodule example.com/extra\nentry example.com/hrt.Main\n"), 0o644)
	code, out, stderr := runMain("list", "-config", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"nic        e1000 virtio none *example.com/drivers/nic", "module     *example.com/extra", "entry      *example.com/hrt.Main"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
}

func TestErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.conf")
	os.WriteFile(bad, []byte("name k\nschedular default\n"), 0o644)
	unknown := filepath.Join(t.TempDir(), "unknown.conf")
	os.WriteFile(unknown, []byte("name k\nscheduler fifo\nmemory default\ntopology default\nconsole default\nclock default\n"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"build", "extra"}, 2, "unexpected arguments"},
		{[]string{"build", "-bogus"}, 2, "bogus"},
		{[]string{"list", "-config", bad}, 1, bad + `:2: unknown key "schedular" (did you mean "scheduler"?)`},
		{[]string{"build", "-config", bad, "-go", "/nonexistent/go"}, 1, bad + ":2:"},
		{[]string{"list", "-config", unknown}, 1, unknown + `:2: unknown scheduler module "fifo"`},
		{[]string{"build", "-config", "/nonexistent/x.conf"}, 1, "/nonexistent/x.conf"},
	} {
		code, _, stderr := runMain(tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}
