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
		{"no RAM", []Region{reg(0, 0x1000, Reserved), reg(0x1000, 0x1000, ACPI)}, nil},
		{"q35", q35, q35RAM},
		{"merged and sorted", []Region{
			reg(0x2000, 0x1000, RAM), reg(0, 0x1000, RAM), reg(0x1000, 0x1000, RAM), // touching
			reg(0x2800, 0x1000, RAM), // overlapping
			reg(0x9000, 0, RAM),      // empty
			reg(0x10000, 0x1000, RAM),
		}, []Region{reg(0, 0x3800, RAM), reg(0x10000, 0x1000, RAM)}},
		{"contained", []Region{reg(0, 0x10000, RAM), reg(0x1000, 0x1000, RAM)}, []Region{reg(0, 0x10000, RAM)}},
		{"reserved inside", []Region{reg(0, 0x10000, RAM), reg(0x4000, 0x1000, Reserved)},
			[]Region{reg(0, 0x4000, RAM), reg(0x5000, 0xb000, RAM)}},
		{"reserved touching is no cut", []Region{reg(0x1000, 0x1000, RAM), reg(0, 0x1000, Reserved), reg(0x2000, 0x1000, NVS)},
			[]Region{reg(0x1000, 0x1000, RAM)}},
		{"reserved over the start and end", []Region{reg(0x1000, 0x3000, RAM), reg(0, 0x1800, Reserved), reg(0x3800, 0x1000, ACPI)},
			[]Region{reg(0x1800, 0x2000, RAM)}},
		{"reserved over everything", []Region{reg(0x1000, 0x1000, RAM), reg(0, 0x10000, Unusable)}, nil},
		{"one reserved across two RAM", []Region{reg(0, 0x2000, RAM), reg(0x3000, 0x2000, RAM), reg(0x1000, 0x3000, Reserved)},
			[]Region{reg(0, 0x1000, RAM), reg(0x4000, 0x1000, RAM)}},
		{"many holes", []Region{reg(0, 0x10000, RAM), reg(0x1000, 0x1000, 2), reg(0x3000, 0x1000, 9), reg(0x3800, 0x1000, 3), reg(0xf000, 0x1000, 4)},
			[]Region{reg(0, 0x1000, RAM), reg(0x2000, 0x1000, RAM), reg(0x4800, 0xa800, RAM)}},
		{"empty reserved is no cut", []Region{reg(0, 0x2000, RAM), reg(0x1000, 0, Reserved)}, []Region{reg(0, 0x2000, RAM)}},
		{"wraps", []Region{reg(0xfffffffffffff000, 0x2000, RAM)}, []Region{reg(0xfffffffffffff000, 0x1000, RAM)}},
		{"everything", []Region{reg(0, 0x1000, RAM), reg(0x1000, math.MaxUint64-0xfff, RAM)}, []Region{reg(0, math.MaxUint64, RAM)}},
		{"everything but a hole", []Region{reg(0, math.MaxUint64, RAM), reg(0xffffffffffffffff, 1, RAM), reg(0x1000, 0x1000, Reserved)}, []Region{reg(0, 0x1000, RAM), reg(0x2000, math.MaxUint64-0x1fff, RAM)}},
		{"top of memory", []Region{reg(0xffffffffffff0000, 0x10000, RAM)}, []Region{reg(0xffffffffffff0000, 0x10000, RAM)}},
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
		{reg(0, 0x9fc00, RAM), "[0x0-0x9fbff] ram"},
		{reg(0x9fc00, 0x400, Reserved), "[0x9fc00-0x9ffff] reserved"},
		{reg(0x7ffe0000, 0x20000, ACPI), "[0x7ffe0000-0x7fffffff] acpi"},
		{reg(0x1000, 1, NVS), "[0x1000-0x1000] nvs"},
		{reg(0x1000, 0, Unusable), "[0x1000 empty] unusable"},
		{reg(0, 1<<20, Disabled), "[0x0-0xfffff] disabled"},
		{reg(1<<40, 1<<30, PMEM), "[0x10000000000-0x1003fffffff] pmem"},
		{reg(0, 0x1000, 20), "[0x0-0xfff] type20"},
		{reg(0, 0x1000, 0), "[0x0-0xfff] type0"},
	} {
		if got := c.r.String(); got != c.want {
			t.Errorf("%#v.String() = %q, want %q", c.r, got, c.want)
		}
	}
	for _, c := range []struct {
		r    Region
		last uint64
	}{
		{reg(0x1000, 0x1000, RAM), 0x1fff},
		{reg(0xffffffffffff0000, 0x10000, RAM), math.MaxUint64},
		{reg(0xfffffffffffff000, 0x2000, RAM), math.MaxUint64}, // wraps: cut
	} {
		if l := c.r.Last(); l != c.last {
			t.Errorf("%v.Last() = %#x, want %#x", c.r, l, c.last)
		}
	}
}
