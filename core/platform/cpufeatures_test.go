package platform

import (
	"slices"
	"testing"
)

// leaves is a scripted CPUID: registers by leaf (subleaf 0).
type leaves map[uint32][4]uint32

func (l leaves) cpuid(t *testing.T) CPUIDFunc {
	return func(leaf, sub uint32) (a, b, c, d uint32) {
		r, ok := l[leaf]
		if !ok {
			t.Errorf("CPUID leaf %#x asked for, but the processor does not list it", leaf)
		}
		return r[0], r[1], r[2], r[3]
	}
}

func TestDecodeCPUID(t *testing.T) {
	for _, tc := range []struct {
		name   string
		leaves leaves
		want   []string
	}{
		{
			// QEMU's qemu64 as TCG shows it: no RDRAND, no RDSEED.
			name: "qemu64",
			leaves: leaves{
				0:          {0xd, 0, 0, 0},
				1:          {0x663, 0, 1<<31 | 1<<23 | 1<<13 | 1<<9 | 1<<0, 0x078bfbff},
				7:          {0, 0, 0, 0},
				0x80000000: {0x8000000a, 0, 0, 0},
				0x80000001: {0, 0, 0x1, 1<<29 | 1<<20 | 1<<11},
				0x80000007: {0, 0, 0, 0},
			},
			want: []string{"nx", "hypervisor"},
		},
		{
			name: "everything",
			leaves: leaves{
				0:          {0x16, 0, 0, 0},
				1:          {0, 0, 1<<30 | 1<<24 | 1<<21 | 1<<26 | 1<<3 | 1<<17 | 1<<31, 0},
				7:          {0, 1<<18 | 1<<10 | 1<<0, 0, 0},
				0x80000000: {0x80000008, 0, 0, 0},
				0x80000001: {0, 0, 0, 1<<27 | 1<<20 | 1<<26},
				0x80000007: {0, 0, 0, 1 << 8},
			},
			want: []string{"rdrand", "rdseed", "rdtscp", "invariant_tsc", "tsc_deadline_timer",
				"x2apic", "xsave", "monitor", "pcid", "invpcid", "fsgsbase", "nx", "pdpe1gb", "hypervisor"},
		},
		{
			// A processor with leaf 1 only: leaf 7 and the extended
			// leaves must not be asked for (Intel answers a leaf past
			// the maximum with another leaf's data).
			name: "leaf 1 only",
			leaves: leaves{
				0:          {1, 0, 0, 0},
				1:          {0, 0, 1 << 30, 0},
				0x80000000: {0x1, 0, 0, 0}, // not an extended maximum
			},
			want: []string{"rdrand"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := DecodeCPUID(tc.leaves.cpuid(t))
			if got := f.Names(); !slices.Equal(got, tc.want) {
				t.Errorf("features %v, want %v", got, tc.want)
			}
		})
	}
}
