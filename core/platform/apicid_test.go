package platform

import (
	"slices"
	"strings"
	"testing"
)

func TestXAPICID(t *testing.T) {
	for _, c := range []struct {
		reg, want uint32
	}{
		{0x00000000, 0},
		{0x0f000000, 15},
		{0x10000000, 16}, // where a 4-bit mask (tamago's LAPIC.ID) says 0
		{0x1f000000, 31},
		{0x3f000000, 63},
		{0xff000000, 255},
		{0x2000ffff, 32}, // reserved low bits are not the ID
	} {
		if got := xapicID(c.reg); got != c.want {
			t.Errorf("xapicID(%#x) = %d, want %d", c.reg, got, c.want)
		}
	}
}

func TestX2APICMode(t *testing.T) {
	for _, c := range []struct {
		base uint64
		want bool
	}{
		{0xfee00000 | apicBaseEnable, false},                        // xAPIC
		{0xfee00000 | apicBaseEnable | apicBaseX2APIC, true},        // x2APIC
		{0xfee00000 | apicBaseX2APIC, false},                        // invalid: EXTD without EN
		{0xfee00000, false},                                         // disabled
		{0xfee00000 | apicBaseEnable | apicBaseX2APIC | 1<<8, true}, // BSP flag too
	} {
		if got := x2APICMode(c.base); got != c.want {
			t.Errorf("x2APICMode(%#x) = %v, want %v", c.base, got, c.want)
		}
	}
}

func TestX2APICICR(t *testing.T) {
	// A fixed IPI, vector 0xfe, to x2APIC ID 0x1234: destination in 63:32.
	if got, want := x2APICICR(0x1234, 0xfe), uint64(0x00001234_000000fe); got != want {
		t.Errorf("x2APICICR = %#x, want %#x", got, want)
	}
	if got, want := x2APICICR(0xffffffff, 0x4500), uint64(0xffffffff_00004500); got != want {
		t.Errorf("x2APICICR = %#x, want %#x", got, want)
	}
}

func TestCPUTable(t *testing.T) {
	var tab cpuTable
	if tab.len() != 0 || tab.index(0) != -1 {
		t.Fatalf("empty table: len %d, index(0) %d", tab.len(), tab.index(0))
	}
	// The order CPUs came up in, not the order of IDs; 8-bit IDs beyond
	// 15 and x2APIC IDs beyond 255.
	ids := []uint32{3, 0, 16, 17, 255, 256, 0x10000, 1}
	for i, id := range ids {
		got, err := tab.add(id)
		if err != nil || got != i {
			t.Fatalf("add(%d) = %d, %v; want %d", id, got, err, i)
		}
	}
	if tab.len() != len(ids) {
		t.Errorf("len %d, want %d", tab.len(), len(ids))
	}
	for i, id := range ids {
		if got := tab.index(id); got != i {
			t.Errorf("index(%d) = %d, want %d", id, got, i)
		}
		if got := tab.id(i); got != id {
			t.Errorf("id(%d) = %d, want %d", i, got, id)
		}
	}
	for _, id := range []uint32{2, 15, 254, 257, 0xffffffff} {
		if got := tab.index(id); got != -1 {
			t.Errorf("index(%d) = %d for an ID not in the table", id, got)
		}
	}
	if _, err := tab.add(16); err == nil {
		t.Error("adding APIC ID 16 twice succeeded")
	}
	if _, err := tab.add(0x10000); err == nil {
		t.Error("adding APIC ID 0x10000 twice succeeded")
	}
	tab.reset()
	if tab.len() != 0 || tab.index(16) != -1 || tab.index(0x10000) != -1 {
		t.Errorf("after reset: len %d, index(16) %d, index(0x10000) %d", tab.len(), tab.index(16), tab.index(0x10000))
	}
	if got, err := tab.add(16); err != nil || got != 0 {
		t.Errorf("add(16) after reset = %d, %v; want 0", got, err)
	}
}

func TestCPUTableFull(t *testing.T) {
	var tab cpuTable
	for i := range MaxCPUs {
		if _, err := tab.add(uint32(1000 + i)); err != nil {
			t.Fatalf("add #%d: %v", i, err)
		}
	}
	if _, err := tab.add(7); err == nil {
		t.Errorf("add to a table of %d CPUs succeeded", MaxCPUs)
	}
	if got := tab.index(1000 + MaxCPUs - 1); got != MaxCPUs-1 {
		t.Errorf("index of the last CPU = %d, want %d", got, MaxCPUs-1)
	}
}

func TestStartable(t *testing.T) {
	ids := []uint32{0, 1, 16, 255, 256, 300, 2, 16, 300, 0}
	start, need, over := startable(ids, 0, false)
	if !slices.Equal(start, []uint32{1, 16, 255, 2}) || !slices.Equal(need, []uint32{256, 300}) || over != nil {
		t.Errorf("xAPIC: start %v, need x2APIC %v, overflow %v", start, need, over)
	}
	start, need, over = startable(ids, 16, true)
	if !slices.Equal(start, []uint32{0, 1, 255, 256, 300, 2}) || need != nil || over != nil {
		t.Errorf("x2APIC: start %v, need x2APIC %v, overflow %v", start, need, over)
	}
	many := make([]uint32, MaxCPUs+2)
	for i := range many {
		many[i] = uint32(i)
	}
	start, _, over = startable(many, 0, true)
	if len(start) != MaxCPUs-1 || !slices.Equal(over, []uint32{MaxCPUs, MaxCPUs + 1}) {
		t.Errorf("%d IDs: %d to start, overflow %v; want %d and [%d %d]", len(many), len(start), over, MaxCPUs-1, MaxCPUs, MaxCPUs+1)
	}
}

func TestStartError(t *testing.T) {
	if err := startError(nil, nil, nil, false); err != nil {
		t.Errorf("nothing left out: %v", err)
	}
	err := startError([]uint32{5}, []uint32{256, 300}, []uint32{2000}, false)
	if err == nil {
		t.Fatal("CPUs left out, no error")
	}
	for _, want := range []string{
		"1 CPU(s) did not answer INIT-SIPI: APIC IDs [5]",
		"2 CPU(s) not started: APIC IDs [256 300] are above 255",
		"this CPU does not offer x2APIC",
		"at most 1024 CPUs (APIC IDs [2000])",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	err = startError(nil, []uint32{256}, nil, true)
	if err == nil || !strings.Contains(err.Error(), "Aero does not enable x2APIC") {
		t.Errorf("x2APIC offered, not in use: %v", err)
	}
}
