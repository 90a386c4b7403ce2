package console_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aerokernel/aero/qemu/qemutest"
)

// tmux runs tmux on a server of the test's own (-L), so that it neither
// sees nor disturbs anyone else's sessions.
type tmux struct {
	t      *testing.T
	socket string
}

func (x *tmux) run(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", x.socket}, args...)...).CombinedOutput()
	return string(out), err
}

func (x *tmux) keys(keys ...string) {
	x.t.Helper()
	if out, err := x.run(append([]string{"send-keys", "-t", "run"}, keys...)...); err != nil {
		x.t.Fatalf("tmux send-keys %q: %v: %s", keys, err, out)
	}
}

// screen is the pane as a person sees it, trailing blanks removed.
func (x *tmux) screen() string {
	out, _ := x.run("capture-pane", "-p", "-t", "run")
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		lines = append(lines, strings.TrimRight(l, " "))
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// waitFor polls the pane until re matches it (multi-line mode: ^ and $ are
// a line's ends).
func (x *tmux) waitFor(pattern string, timeout time.Duration) string {
	x.t.Helper()
	re := regexp.MustCompile(`(?m)` + pattern)
	deadline := time.Now().Add(timeout)
	for {
		s := x.screen()
		if re.MatchString(s) {
			return s
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("the terminal did not show %q within %v; it shows:\n%s", pattern, timeout, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestMakeRunInTerminal runs `make run` in a real terminal (a tmux pane),
// types as a person does and reads the screen as a person sees it: the
// shell's prompt, a command's output, line editing (home, end, left,
// backspace), history, Ctrl-C, and Ctrl-A x quitting QEMU.
func TestMakeRunInTerminal(t *testing.T) {
	qemutest.NeedQEMU(t)
	aeroGo := os.Getenv(qemutest.AeroGoEnv)
	if aeroGo == "" {
		t.Skipf("$%s is not set: no kernel toolchain", qemutest.AeroGoEnv)
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("no tmux (make deps installs it)")
	}
	wd, _ := os.Getwd()
	root, err := qemutest.Root(wd)
	if err != nil {
		t.Fatal(err)
	}
	x := &tmux{t: t, socket: fmt.Sprintf("aero-test-%d", os.Getpid())}
	t.Cleanup(func() { x.run("kill-server") })
	build := t.TempDir()
	// TCG: what every test here runs on (KVM is not usable on these hosts).
	cmd := fmt.Sprintf("make run TAMAGO=%s BUILD=%s RUNFLAGS='-accel tcg'; echo make-run-ended-$?; sleep 600", aeroGo, build)
	if out, err := x.run("new-session", "-d", "-s", "run", "-x", "150", "-y", "50", "-c", root, cmd); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	x.waitFor(`^aero>$`, 5*time.Minute) // build and boot (the pane has no trailing blanks)
	x.waitFor(`^aero: boot cpus=4 nodes=2 `, time.Second)

	// "ores", Home, "c", End, Enter: the line reads "aero> cores".
	x.keys("ores", "Home", "c", "End", "Enter")
	x.waitFor(`^aero> cores\n4 CPUs `, time.Minute)
	x.waitFor(`^    3      3     1\naero>$`, time.Minute)
	// "nuXma", Left, Left, Backspace: "numa".
	x.keys("nuXma", "Left", "Left", "BSpace", "Enter")
	x.waitFor(`^aero> numa\n2 NUMA nodes .*\nnode 0: cpus 0-1, .*\nnode 1: cpus 2-3, `, time.Minute)
	x.waitFor(`^node 1: .*\naero>$`, time.Minute)
	// Up, Up, Enter: cores again (the line before numa).
	x.keys("Up", "Up", "Enter")
	x.waitFor(`^aero> numa\n(.|\n)*^aero> cores\n4 CPUs `, time.Minute)
	// Ctrl-C cancels the line: no halt.
	x.keys("halt", "C-c")
	x.waitFor(`^aero> halt\^C\naero>$`, time.Minute)
	// Ctrl-A x quits QEMU, and make run ends.
	x.keys("C-a", "x")
	s := x.waitFor(`^make-run-ended-0$`, time.Minute)
	if !strings.Contains(s, "aero-qemu: quit (Ctrl-A x)") {
		t.Errorf("no quit message on the terminal:\n%s", s)
	}
	if matches, _ := filepath.Glob(filepath.Join(build, "*.elf")); len(matches) != 1 {
		t.Errorf("make run built %v in BUILD", matches)
	}
}
