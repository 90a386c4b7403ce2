//go:build tamago && amd64

package shelltest

import (
	"fmt"
	"strings"

	"github.com/aerokernel/aero/core/klog"
	"github.com/aerokernel/aero/core/ktest"
	"github.com/aerokernel/aero/core/platform"
)

// EarlyLine is printed from package init, before Boot and so before any
// console module's Init: the kernel log must still hold it.
const EarlyLine = "shelltest: printed in package init, before the console came up"

func init() {
	fmt.Println(EarlyLine)
	ktest.Register("console/log-from-boot", testLogFromBoot)
	ktest.Register("console/log-levels", testLogLevels)
}

func readLog() []klog.Line {
	lines := make([]klog.Line, klog.Capacity)
	n, _ := platform.ReadLog(0, lines)
	return lines[:n]
}

func find(lines []klog.Line, prefix string) *klog.Line {
	for i := range lines {
		if strings.HasPrefix(lines[i].Text(), prefix) {
			return &lines[i]
		}
	}
	return nil
}

// testLogFromBoot: the line printed in package init is in the kernel log,
// before the banner (printed after the console's Init), with a CPU and a
// time.
func testLogFromBoot(t *ktest.T) {
	lines := readLog()
	early, banner := find(lines, EarlyLine), find(lines, "aero: Aero ")
	if early == nil || banner == nil {
		t.Fatalf("the kernel log (%d lines) lacks the early line (%v) or the banner (%v)", len(lines), early != nil, banner != nil)
	}
	if early.Seq >= banner.Seq || early.Time <= 0 || early.Time > banner.Time || early.CPU != 0 {
		t.Errorf("early line %q: seq %d time %d cpu %d; banner seq %d time %d", early.Text(), early.Seq, early.Time, early.CPU, banner.Seq, banner.Time)
	}
	t.Logf("early line kept: %s", klog.Format(early))
}

// testLogLevels: a line above loglevel= is kept, not shown; one at or
// below is shown.
func testLogLevels(t *ktest.T) {
	level := platform.LogLevel()
	if level >= klog.Debug {
		t.Skipf("loglevel=%d shows every level", level)
	}
	klog.Logf(klog.Debug, "shelltest: a debug line")
	klog.Logf(klog.Err, "shelltest: an error line")
	lines := readLog()
	debug, errLine := find(lines, "shelltest: a debug line"), find(lines, "shelltest: an error line")
	if debug == nil || errLine == nil {
		t.Fatalf("logged lines missing: debug %v err %v", debug != nil, errLine != nil)
	}
	if debug.Shown || debug.Level != klog.Debug || !errLine.Shown || errLine.Level != klog.Err {
		t.Errorf("debug: level %d shown %v; err: level %d shown %v (loglevel %d)", debug.Level, debug.Shown, errLine.Level, errLine.Shown, level)
	}
}
