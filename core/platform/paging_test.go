package platform

import (
	"slices"
	"testing"

	"github.com/aerokernel/aero/core/hw"
)

func TestCachedRAM(t *testing.T) {
	const gib, mib = 1 << 30, 1 << 20
	for _, c := range []struct {
		name string
		ram  []hw.Range
		want []hw.Range
	}{
		{"q35 8G: nothing in the hole", []hw.Range{{Base: mib, Size: 2*gib - mib}, {Base: 4 * gib, Size: 6 * gib}},
			[]hw.Range{{Base: 0, Size: 3 * gib}, {Base: 4 * gib, Size: 60 * gib}}},
		// pc -m 3300M: RAM to 0xce3e0000; the 2 MiB page holding its end
		// is partly RAM and stays uncached.
		{"pc 3300M", []hw.Range{{Base: mib, Size: 0xce3e0000 - mib}},
			[]hw.Range{{Base: 0, Size: 0xce200000}, {Base: 4 * gib, Size: 60 * gib}}},
		// Two ranges that touch make one run of RAM.
		{"touching ranges", []hw.Range{{Base: 3 * gib, Size: 3 * mib}, {Base: 3*gib + 3*mib, Size: mib}},
			[]hw.Range{{Base: 0, Size: 3*gib + 4*mib}, {Base: 4 * gib, Size: 60 * gib}}},
		{"a page in the middle", []hw.Range{{Base: 3*gib + 8*mib + 4096, Size: 6 * mib}},
			[]hw.Range{{Base: 0, Size: 3 * gib}, {Base: 3*gib + 10*mib, Size: 4 * mib}, {Base: 4 * gib, Size: 60 * gib}}},
	} {
		if got := cachedRAM(c.ram); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
