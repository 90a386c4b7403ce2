package bootinfo

import (
	"math"
	"slices"
	"testing"
)

func TestRAM(t *testing.T) {
	for _, c := range []struct {
		name   string
		memory []Region
		want   []Region
	}{
		{"none", nil, nil},
		{"no RAM", []Region{{0, 0x1000, Reserved}, {0x1000, 0x1000, ACPI}}, nil},
		{"q35", q35, q35RAM},
		{"merged and sorted", []Region{
			{0x2000, 0x1000, RAM}, {0, 0x1000, RAM}, {0x1000, 0x1000, RAM}, // touching
			{0x2800, 0x1000, RAM}, // overlapping
			{0x9000, 0, RAM},      // empty
			{0x10000, 0x1000, RAM},
		}, []Region{{0, 0x3800, RAM}, {0x10000, 0x1000, RAM}}},
		{"contained", []Region{{0, 0x10000, RAM}, {0x1000, 0x1000, RAM}}, []Region{{0, 0x10000, RAM}}},
		{"reserved inside", []Region{{0, 0x10000, RAM}, {0x4000, 0x1000, Reserved}},
			[]Region{{0, 0x4000, RAM}, {0x5000, 0xb000, RAM}}},
		{"reserved touching is no cut", []Region{{0x1000, 0x1000, RAM}, {0, 0x1000, Reserved}, {0x2000, 0x1000, NVS}},
			[]Region{{0x1000, 0x1000, RAM}}},
		{"reserved over the start and end", []Region{{0x1000, 0x3000, RAM}, {0, 0x1800, Reserved}, {0x3800, 0x1000, ACPI}},
			[]Region{{0x1800, 0x2000, RAM}}},
		{"reserved over everything", []Region{{0x1000, 0x1000, RAM}, {0, 0x10000, Unusable}}, nil},
		{"one reserved across two RAM", []Region{{0, 0x2000, RAM}, {0x3000, 0x2000, RAM}, {0x1000, 0x3000, Reserved}},
			[]Region{{0, 0x1000, RAM}, {0x4000, 0x1000, RAM}}},
		{"many holes", []Region{{0, 0x10000, RAM}, {0x1000, 0x1000, 2}, {0x3000, 0x1000, 9}, {0x3800, 0x1000, 3}, {0xf000, 0x1000, 4}},
			[]Region{{0, 0x1000, RAM}, {0x2000, 0x1000, RAM}, {0x4800, 0xa800, RAM}}},
		{"empty reserved is no cut", []Region{{0, 0x2000, RAM}, {0x1000, 0, Reserved}}, []Region{{0, 0x2000, RAM}}},
		{"wraps", []Region{{0xfffffffffffff000, 0x2000, RAM}}, []Region{{0xfffffffffffff000, 0x1000, RAM}}},
		{"everything", []Region{{0, 0x1000, RAM}, {0x1000, math.MaxUint64 - 0xfff, RAM}}, []Region{{0, math.MaxUint64, RAM}}},
		{"everything but a hole", []Region{{0, math.MaxUint64, RAM}, {0xffffffffffffffff, 1, RAM}, {0x1000, 0x1000, Reserved}}, []Region{{0, 0x1000, RAM}, {0x2000, math.MaxUint64 - 0x1fff, RAM}}},
		{"top of memory", []Region{{0xffffffffffff0000, 0x10000, RAM}}, []Region{{0xffffffffffff0000, 0x10000, RAM}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			info := &Info{Memory: slices.Clone(c.memory)}
			equal(t, "RAM()", info.RAM(), c.want)
			equal(t, "Memory after RAM()", info.Memory, c.memory)
		})
	}
}

func TestRegionStrings(t *testing.T) {
	for _, c := range []struct {
		r    Region
		want string
	}{
		{Region{0, 0x9fc00, RAM}, "[0x0-0x9fbff] ram"},
		{Region{0x9fc00, 0x400, Reserved}, "[0x9fc00-0x9ffff] reserved"},
		{Region{0x7ffe0000, 0x20000, ACPI}, "[0x7ffe0000-0x7fffffff] acpi"},
		{Region{0x1000, 1, NVS}, "[0x1000-0x1000] nvs"},
		{Region{0x1000, 0, Unusable}, "[0x1000 empty] unusable"},
		{Region{0, 1 << 20, Disabled}, "[0x0-0xfffff] disabled"},
		{Region{1 << 40, 1 << 30, PMEM}, "[0x10000000000-0x1003fffffff] pmem"},
		{Region{0, 0x1000, 20}, "[0x0-0xfff] type20"},
		{Region{0, 0x1000, 0}, "[0x0-0xfff] type0"},
	} {
		if got := c.r.String(); got != c.want {
			t.Errorf("%#v.String() = %q, want %q", c.r, got, c.want)
		}
	}
	for _, c := range []struct {
		r    Region
		last uint64
	}{
		{Region{0x1000, 0x1000, RAM}, 0x1fff},
		{Region{0xffffffffffff0000, 0x10000, RAM}, math.MaxUint64},
		{Region{0xfffffffffffff000, 0x2000, RAM}, math.MaxUint64}, // wraps: cut
	} {
		if l := c.r.Last(); l != c.last {
			t.Errorf("%v.Last() = %#x, want %#x", c.r, l, c.last)
		}
	}
}
