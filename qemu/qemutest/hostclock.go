package qemutest

import (
	"fmt"
	"strings"
	"time"
)

// HostSleep judges a kernel's timed sleeps by the host's clock. host holds
// what the host measured for each window, from the serial line that opened
// it to the one that closed it; want is how long the kernel slept in each.
//
// The host sees a line when it reads it, so a loaded host can see one late
// and measure that window long (or the next one short); a kernel clock that
// runs at the wrong rate is wrong in every window. So the check passes when
// at least one window is within tol (a fraction of want) of want, and its
// error names every window. A kernel that wants this check sleeps at least
// twice; with one window it is as strict as a single comparison.
func HostSleep(host []time.Duration, want time.Duration, tol float64) error {
	if len(host) == 0 {
		return fmt.Errorf("no timed window to judge")
	}
	lo := time.Duration(float64(want) * (1 - tol))
	hi := time.Duration(float64(want) * (1 + tol))
	seen := make([]string, len(host))
	for i, d := range host {
		if d >= lo && d <= hi {
			return nil
		}
		seen[i] = d.String()
	}
	return fmt.Errorf("the host measured no window of %v within %.0f%%: %s", want, tol*100, strings.Join(seen, ", "))
}

// ExpectSleeps reads the lines of n timed windows, each opened by a line
// matching fmt.Sprintf(start, w) and closed by one matching
// fmt.Sprintf(end, w) for w = 0..n-1, and returns what the host measured
// for each and the submatches of every closing line. It fails the test as
// Expect does.
func (vm *VM) ExpectSleeps(start, end string, n int, timeout time.Duration) (host []time.Duration, ends [][]string) {
	for w := range n {
		s, _ := vm.Expect(fmt.Sprintf(start, w), timeout)
		e, m := vm.Expect(fmt.Sprintf(end, w), timeout)
		host = append(host, e.Time.Sub(s.Time))
		ends = append(ends, m)
	}
	return host, ends
}
