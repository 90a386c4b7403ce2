package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxCPU is the highest CPU number ParseCPUList accepts.
const MaxCPU = 4095

// FormatCPUList writes ascending CPU numbers as a list of ranges, the
// syntax QEMU and Linux use: "0-2,4". The empty list is "".
func FormatCPUList(cpus []int) string {
	return strings.Join(CPURanges(cpus), ",")
}

// CPURanges splits ascending CPU numbers into the ranges of
// FormatCPUList: "0-2", "4". QEMU's -numa takes one cpus= per range.
func CPURanges(cpus []int) []string {
	var out []string
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if i == j {
			out = append(out, strconv.Itoa(cpus[i]))
		} else {
			out = append(out, fmt.Sprintf("%d-%d", cpus[i], cpus[j]))
		}
		i = j + 1
	}
	return out
}

// ParseCPUList parses a CPU list such as "0-2,5" into ascending CPU
// numbers. The empty string (or white space) is the empty list. A CPU given
// twice, a range going down, or a CPU above MaxCPU is an error.
func ParseCPUList(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	seen := make(map[int]bool)
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("bad CPU list %q", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("bad CPU list %q", s)
			}
		}
		if b > MaxCPU {
			return nil, fmt.Errorf("CPU %d in %q: CPU numbers go up to %d", b, s, MaxCPU)
		}
		for c := a; c <= b; c++ {
			if seen[c] {
				return nil, fmt.Errorf("CPU %d given twice in %q", c, s)
			}
			seen[c] = true
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out, nil
}
