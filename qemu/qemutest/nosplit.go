package qemutest

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// CheckNosplit checks, in the kernel elf, what the linker cannot: code the
// runtime reaches through a func value or an interface (thread hooks, an AP
// entry, a console's byte path, a clock) must not check the stack, since it
// runs where a stack check would enter morestack (interrupt context, g ==
// nil, the system stack inside print). It disassembles each root and every
// function reachable from it by direct calls and fails the test on any call
// to runtime.morestack, and on a root missing from the kernel (renamed or
// inlined: the check would see nothing). Calls to the runtime's panics for
// failed checks (bounds, nil, division) are not followed: a panic there is
// fatal either way. It returns the functions it checked.
func CheckNosplit(t testing.TB, elf string, roots ...string) []string {
	t.Helper()
	seen := map[string]bool{}
	todo := slices.Clone(roots)
	for len(todo) > 0 {
		funcs, err := directCalls(elf, todo)
		if err != nil {
			t.Fatal(err)
		}
		var next []string
		for _, name := range todo {
			seen[name] = true
			calls, ok := funcs[name]
			if !ok {
				if slices.Contains(roots, name) {
					t.Errorf("%s is not in the kernel (renamed or inlined? the check needs it)", name)
				}
				continue
			}
			for _, c := range calls {
				switch {
				case strings.HasPrefix(c, "runtime.morestack"):
					t.Errorf("%s has a stack check (calls %s): it must be nosplit", name, c)
				case isCheckPanic(c), seen[c], slices.Contains(next, c):
				default:
					next = append(next, c)
				}
			}
		}
		todo = next
	}
	checked := slices.Sorted(maps.Keys(seen))
	t.Logf("nosplit: checked %d functions: %s", len(checked), strings.Join(checked, " "))
	return checked
}

// isCheckPanic reports whether a call target is one of the runtime's panics
// for failed checks.
func isCheckPanic(name string) bool {
	return strings.HasPrefix(name, "runtime.panic") || strings.HasPrefix(name, "runtime.goPanic")
}

var (
	objdumpText = regexp.MustCompile(`^TEXT (\S+)\(SB\)`)
	objdumpCall = regexp.MustCompile(`\sCALL (\S+)\(SB\)`)
)

// directCalls returns, for each function named that is in elf, the direct
// call targets in its machine code (from go tool objdump).
func directCalls(elf string, names []string) (map[string][]string, error) {
	var re []string
	for _, n := range names {
		re = append(re, regexp.QuoteMeta(n))
	}
	out, err := exec.Command("go", "tool", "objdump", "-s", "^("+strings.Join(re, "|")+")$", elf).Output()
	if err != nil {
		return nil, fmt.Errorf("go tool objdump %s: %v", elf, err)
	}
	funcs := map[string][]string{}
	cur := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if m := objdumpText.FindStringSubmatch(sc.Text()); m != nil {
			cur = m[1]
			funcs[cur] = funcs[cur][:0:0]
			continue
		}
		if m := objdumpCall.FindStringSubmatch(sc.Text()); m != nil && cur != "" {
			funcs[cur] = append(funcs[cur], m[1])
		}
	}
	return funcs, sc.Err()
}
