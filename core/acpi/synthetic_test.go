package acpi_test

import (
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aerokernel/aero/core/acpi"
	"github.com/aerokernel/aero/core/acpi/acpitest"

	"github.com/aerokernel/aero/core/hw"
)

// QEMU with SeaBIOS builds no XSDT, so these tests wrap its real tables in
// an RSDP 2.0 + XSDT (+ RSDT) of their own.

func TestXSDT(t *testing.T) {
	f := loadFixture(t, "q35-numa3")
	clean, err := acpi.Discover(f.memory(), f.rsdpAddr)
	if err != nil {
		t.Fatal(err)
	}
	same := func(t *testing.T, got *acpi.Tables) {
		t.Helper()
		if !reflect.DeepEqual(got.MADT, clean.MADT) || !reflect.DeepEqual(got.SRAT, clean.SRAT) ||
			!reflect.DeepEqual(got.SLIT, clean.SLIT) || !reflect.DeepEqual(got.HPET, clean.HPET) ||
			!reflect.DeepEqual(got.MCFG, clean.MCFG) {
			t.Errorf("tables differ from QEMU's layout")
		}
		if got.DSDT == nil || got.DSDT.Err != nil || got.DSDT.Header != clean.DSDT.Header {
			t.Errorf("DSDT %+v", got.DSDT)
		}
	}
	all := f.sigs()

	t.Run("XSDT preferred", func(t *testing.T) {
		// The RSDT lists only the FADT: had Discover used it, there
		// would be no MADT.
		mem, addrs := image(f, all, []string{"FACP"})
		tabs, err := acpi.Discover(mem, 0)
		if err != nil || len(tabs.Errors) != 0 {
			t.Fatal(err, tabs.Errors)
		}
		if !tabs.XSDT || tabs.RootAddr != addrs["XSDT"] || tabs.RSDP.Revision != 2 || tabs.RSDP.XSDTAddress != addrs["XSDT"] {
			t.Errorf("root %+v at %#x, XSDT %v", tabs.Root, tabs.RootAddr, tabs.XSDT)
		}
		same(t, tabs)
		if got := tabs.FADT.DSDT; got != addrs["DSDT"] {
			t.Errorf("X_DSDT %#x, want %#x", got, addrs["DSDT"])
		}
	})

	t.Run("XSDT only", func(t *testing.T) {
		mem, _ := image(f, all, nil)
		tabs, err := acpi.Discover(mem, 0)
		if err != nil || len(tabs.Errors) != 0 || !tabs.XSDT {
			t.Fatal(err, tabs.Errors)
		}
		same(t, tabs)
	})

	t.Run("corrupt XSDT falls back to the RSDT", func(t *testing.T) {
		mem, addrs := image(f, all, all)
		mem[addrs["XSDT"]+40] ^= 1
		tabs, err := acpi.Discover(mem, 0)
		if err != nil {
			t.Fatal(err)
		}
		if tabs.XSDT || tabs.RootAddr != addrs["RSDT"] {
			t.Errorf("root %+v", tabs.Root)
		}
		if len(tabs.Errors) != 1 || !errors.Is(tabs.Errors[0], acpi.ErrChecksum) {
			t.Errorf("errors %v", tabs.Errors)
		}
		same(t, tabs)
	})

	t.Run("bad extended checksum: RSDT", func(t *testing.T) {
		mem, addrs := image(f, all, all)
		mem[33]++ // reserved byte: only the extended checksum covers it
		tabs, err := acpi.Discover(mem, 0)
		if err != nil {
			t.Fatal(err)
		}
		if tabs.XSDT || tabs.RootAddr != addrs["RSDT"] || tabs.RSDP.XSDTAddress != 0 {
			t.Errorf("root %+v, RSDP %+v", tabs.Root, tabs.RSDP)
		}
		if len(tabs.Errors) != 1 || !errors.Is(tabs.Errors[0], acpi.ErrChecksum) {
			t.Errorf("errors %v", tabs.Errors)
		}
		same(t, tabs)
	})

	t.Run("XSDT with a stray byte", func(t *testing.T) {
		mem, addrs := image(f, all, nil)
		x := addrs["XSDT"]
		l := binary.LittleEndian.Uint32(mem[x+4:])
		binary.LittleEndian.PutUint32(mem[x+4:], l+1) // the next byte is padding or the end
		mem = append(mem, 0)
		acpitest.FixChecksum(mem[x:])
		tabs, err := acpi.Discover(mem, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(tabs.Errors) != 1 || !errors.Is(tabs.Errors[0], acpi.ErrLength) {
			t.Errorf("errors %v", tabs.Errors)
		}
		same(t, tabs)
	})

	t.Run("neither root", func(t *testing.T) {
		mem, addrs := image(f, all, all)
		mem[addrs["XSDT"]+40] ^= 1
		mem[addrs["RSDT"]+40] ^= 1
		tabs, err := acpi.Discover(mem, 0)
		if tabs != nil || !errors.Is(err, acpi.ErrChecksum) {
			t.Errorf("Discover = %v, %v", tabs, err)
		}
	})
}

func TestMADTX2APIC(t *testing.T) {
	entries := acpitest.LE(
		uint32(0xfee00000), uint32(0), // local APIC address, flags: no 8259s
		// processor local APIC: UID 1, APIC ID 2, online capable only
		uint8(0), uint8(8), uint8(1), uint8(2), uint32(acpi.LAPICOnlineCapable),
		// processor local x2APIC: x2APIC ID 0x1_0000, enabled, UID 300
		uint8(9), uint8(16), uint16(0), uint32(0x10000), uint32(acpi.LAPICEnabled), uint32(300),
		// local x2APIC NMI: all processors, LINT1, level, active low
		uint8(0xa), uint8(12), uint16(acpi.TriggerLevel|acpi.PolarityActiveLow), uint32(0xffffffff), uint8(1), []byte{0, 0, 0},
		// NMI source on GSI 7
		uint8(3), uint8(8), uint16(0), uint32(7),
		// local APIC address override
		uint8(5), uint8(12), uint16(0), uint64(0xfee10000),
		// an I/O SAPIC (type 6, 16 bytes) and an unknown type 0x80 of 4 bytes
		uint8(6), uint8(16), make([]byte, 14),
		uint8(0x80), uint8(4), uint16(0),
		// a longer local APIC structure than ACPI 6.5 defines: accepted
		uint8(0), uint8(10), uint8(3), uint8(4), uint32(acpi.LAPICEnabled), uint16(0xffff),
	)
	for _, rev := range []uint8{3, 5} {
		m, err := acpi.ParseMADT(acpitest.Table("APIC", rev, entries))
		if err != nil {
			t.Fatal(err)
		}
		onlineCapable := rev >= 5 // reserved before MADT revision 5
		want := []acpi.Processor{
			{UID: 1, APICID: 2, Flags: acpi.LAPICOnlineCapable, OnlineCapable: onlineCapable},
			{UID: 300, APICID: 0x10000, X2APIC: true, Flags: acpi.LAPICEnabled, Enabled: true},
			{UID: 3, APICID: 4, Flags: acpi.LAPICEnabled, Enabled: true},
		}
		if !reflect.DeepEqual(m.Processors, want) {
			t.Errorf("revision %d: processors %+v, want %+v", rev, m.Processors, want)
		}
		nmi := []acpi.LocalNMI{{UID: 0xffffffff, AllProcessors: true, X2APIC: true, Flags: acpi.TriggerLevel | acpi.PolarityActiveLow, LINT: 1}}
		if !reflect.DeepEqual(m.LocalNMIs, nmi) {
			t.Errorf("local NMIs %+v", m.LocalNMIs)
		}
		if !reflect.DeepEqual(m.NMISources, []acpi.NMISource{{GSI: 7}}) {
			t.Errorf("NMI sources %+v", m.NMISources)
		}
		if m.LocalAPICAddress != 0xfee10000 || m.PCATCompat() {
			t.Errorf("local APIC at %#x, PCAT %v", m.LocalAPICAddress, m.PCATCompat())
		}
		if !reflect.DeepEqual(m.Skipped, map[uint8]int{6: 1, 0x80: 1}) {
			t.Errorf("skipped %v", m.Skipped)
		}
		if len(m.EnabledProcessors()) != 2 {
			t.Errorf("enabled %+v", m.EnabledProcessors())
		}
	}
}

func TestSRATDomains(t *testing.T) {
	entries := acpitest.LE(
		uint32(1), uint64(0), // reserved fields
		// processor local APIC affinity: domain bytes 0x78 (bits 7:0) and
		// 0x56 0x34 0x12 (bits 31:8), APIC ID 9, enabled, clock domain 5
		uint8(0), uint8(16), uint8(0x78), uint8(9), uint32(1), uint8(0), []byte{0x56, 0x34, 0x12}, uint32(5),
		// processor local x2APIC affinity: domain 0x10002, x2APIC ID 0x300
		uint8(2), uint8(24), uint16(0), uint32(0x10002), uint32(0x300), uint32(1), uint32(0), uint32(0),
		// memory affinity: domain 0x01000003, 0x1_0000_0000 + 0x2_4000_0000,
		// enabled, hot-pluggable, non-volatile
		uint8(1), uint8(40), uint32(0x01000003), uint16(0),
		uint32(0), uint32(1), uint32(0x40000000), uint32(2), uint32(0), uint32(7), uint64(0),
		// a GICC affinity (type 3, 18 bytes): skipped
		uint8(3), uint8(18), make([]byte, 16),
	)
	s, err := acpi.ParseSRAT(acpitest.Table("SRAT", 3, entries))
	if err != nil {
		t.Fatal(err)
	}
	wantP := []acpi.ProcessorAffinity{
		{Domain: 0x12345678, APICID: 9, Flags: 1, Enabled: true, ClockDomain: 5},
		{Domain: 0x10002, APICID: 0x300, X2APIC: true, Flags: 1, Enabled: true},
	}
	if !reflect.DeepEqual(s.Processors, wantP) {
		t.Errorf("processors %+v, want %+v", s.Processors, wantP)
	}
	wantM := []acpi.MemoryAffinity{{Range: hw.Range{Base: 1 << 32, Size: 0x240000000}, Domain: 0x01000003, Flags: 7,
		Enabled: true, HotPluggable: true, NonVolatile: true}}
	if !reflect.DeepEqual(s.Memory, wantM) || s.Memory[0].End() != 0x340000000 {
		t.Errorf("memory %+v, want %+v", s.Memory, wantM)
	}
	if !reflect.DeepEqual(s.Skipped, map[uint8]int{3: 1}) {
		t.Errorf("skipped %v", s.Skipped)
	}
	if d, ok := s.DomainOfAPIC(0x300); !ok || d != 0x10002 {
		t.Errorf("DomainOfAPIC(0x300) = %#x, %v", d, ok)
	}

	// Revision 1 (ACPI 2.0): domains are 8 bits; the other bytes were
	// reserved then.
	s, err = acpi.ParseSRAT(acpitest.Table("SRAT", 1, entries))
	if err != nil {
		t.Fatal(err)
	}
	if s.Processors[0].Domain != 0x78 || s.Memory[0].Domain != 0x03 {
		t.Errorf("revision 1 domains: %#x, %#x", s.Processors[0].Domain, s.Memory[0].Domain)
	}
}

func TestSLITSynthetic(t *testing.T) {
	s, err := acpi.ParseSLIT(acpitest.Table("SLIT", 1, acpitest.LE(uint64(2)), []byte{10, 0xff, 21, 10}))
	if err != nil {
		t.Fatal(err)
	}
	if s.Distance(0, 1) != 0xff || s.Distance(1, 0) != 21 || s.Distance(2, 0) != 0xff || s.Distance(-1, 0) != 0xff {
		t.Errorf("SLIT %+v", s)
	}
	s, err = acpi.ParseSLIT(acpitest.Table("SLIT", 1, acpitest.LE(uint64(0))))
	if err != nil || s.Localities != 0 {
		t.Errorf("empty SLIT: %+v, %v", s, err)
	}
}

func TestFADTVersions(t *testing.T) {
	f := loadFixture(t, "q35-smp4")
	b := f.table("FACP")
	// A 6.x-sized FADT whose X_PM_TMR_BLK points elsewhere, and which is
	// HW-reduced: the X_ field wins, and the timer is not present.
	b = append(b, make([]byte, 276-len(b))...)
	binary.LittleEndian.PutUint32(b[4:], 276)
	b[8] = 6
	copy(b[208:], acpitest.LE(uint8(acpi.SpaceSystemIO), uint8(32), uint8(0), uint8(3), uint64(0x1008)))
	binary.LittleEndian.PutUint32(b[112:], binary.LittleEndian.Uint32(b[112:])|acpi.FADTHWReducedACPI|acpi.FADTTimerValExt)
	binary.LittleEndian.PutUint64(b[268:], 0x4b4d564b) // "KVMK"
	fa, err := acpi.ParseFADT(acpitest.FixChecksum(b))
	if err != nil {
		t.Fatal(err)
	}
	if fa.PMTimer != (acpi.GAS{Space: acpi.SpaceSystemIO, BitWidth: 32, AccessSize: 3, Address: 0x1008}) ||
		!fa.HardwareReduced() || fa.PMTimerPresent() || !fa.PMTimer32() || fa.HypervisorVendor != 0x4b4d564b {
		t.Errorf("FADT %+v", fa)
	}
	// GPE0 of 64 bytes, from the legacy field (X_GPE0_BLK cleared): too
	// wide for a GAS's BitWidth.
	b[92] = 64
	clear(b[220:232])
	fa, err = acpi.ParseFADT(acpitest.FixChecksum(b))
	if err != nil || fa.GPE0Length != 64 || fa.GPE0.BitWidth != 0 || fa.GPE0.Address != 0x620 {
		t.Errorf("GPE0 %+v length %d: %v", fa.GPE0, fa.GPE0Length, err)
	}
}

func TestFindRSDP(t *testing.T) {
	f := loadFixture(t, "pc-smp2")
	area := make([]byte, 0x20000) // 0xE0000-0xFFFFF
	copy(area[f.rsdpAddr-0xe0000:], f.files["RSDP.bin"])
	// A decoy with the signature but a bad checksum comes first.
	copy(area[0x100:], "RSD PTR ")
	m := &segMemory{}
	m.add(0xe0000, area)
	got, err := acpi.FindRSDP(m)
	if err != nil || got != f.rsdpAddr {
		t.Errorf("FindRSDP = %#x, %v; want %#x", got, err, f.rsdpAddr)
	}
	// In the EBDA, which comes first.
	m.add(0x40e, []byte{0x00, 0x9f}) // the EBDA's segment: 0x9F00
	ebda := make([]byte, 1024)
	copy(ebda[0x40:], f.files["RSDP.bin"])
	m.add(0x9f000, ebda)
	if got, err := acpi.FindRSDP(m); err != nil || got != 0x9f040 {
		t.Errorf("FindRSDP = %#x, %v; want 0x9f040", got, err)
	}
	if _, err := acpi.FindRSDP(&segMemory{}); !errors.Is(err, acpi.ErrNotFound) {
		t.Errorf("FindRSDP in no memory: %v", err)
	}
}

func TestSLITCheck(t *testing.T) {
	for _, c := range []struct {
		name string
		b    []byte
		want []string // substrings of the error; nil: no error
	}{
		{"good", acpitest.SLIT([][]uint8{{10, 20, 0xff}, {21, 10, 30}, {0xff, 30, 10}}), nil},
		{"empty", acpitest.SLIT(nil), nil},
		{"local not 10", acpitest.SLIT([][]uint8{{10, 20}, {20, 11}}), []string{"distance 1->1 is 11: want 10 to itself"}},
		{"reserved distance", acpitest.SLIT([][]uint8{{10, 9, 5}, {20, 10, 20}, {20, 20, 10}}), []string{"distance 0->1 is 9: below 10, a reserved value (and 1 more like it)"}},
		{"trailing bytes", acpitest.Table("SLIT", 1, acpitest.LE(uint64(1)), []byte{10, 0}), []string{"length 46, but 1 localities need 45 bytes"}},
		{"all at once", acpitest.Table("SLIT", 1, acpitest.LE(uint64(2)), []byte{0, 0, 0, 0, 0}), []string{"length 49", "distance 0->0 is 0: want 10 to itself (and 1 more", "distance 0->1 is 0: below 10"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := acpi.ParseSLIT(c.b)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Check()
			if c.want == nil {
				if err != nil {
					t.Errorf("Check() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Check() = nil, want %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Check() = %q, want it to say %q", err, w)
				}
			}
			if !errors.Is(err, acpi.ErrEntry) && !errors.Is(err, acpi.ErrLength) {
				t.Errorf("Check() = %v: neither ErrEntry nor ErrLength", err)
			}
		})
	}
}

// TestSRATBuilders checks acpitest's SRAT structures against the parser
// (and so against the byte layouts TestSRATDomains spells out).
func TestSRATBuilders(t *testing.T) {
	b := acpitest.SRAT(3,
		acpitest.APIC(0x12345678, 9, acpitest.Enabled),
		acpitest.X2APIC(0x10002, 0x300, 0),
		acpitest.Memory(7, 0x1_0000_0000, 0x2_4000_0000, acpitest.Enabled|acpitest.HotPluggable))
	s, err := acpi.ParseSRAT(b)
	if err != nil {
		t.Fatal(err)
	}
	wantP := []acpi.ProcessorAffinity{
		{Domain: 0x12345678, APICID: 9, Flags: 1, Enabled: true},
		{Domain: 0x10002, APICID: 0x300, X2APIC: true},
	}
	wantM := []acpi.MemoryAffinity{{Range: hw.Range{Base: 1 << 32, Size: 0x240000000}, Domain: 7, Flags: 3, Enabled: true, HotPluggable: true}}
	if !reflect.DeepEqual(s.Processors, wantP) || !reflect.DeepEqual(s.Memory, wantM) || len(s.Skipped) != 0 {
		t.Errorf("SRAT %+v %+v %v, want %+v %+v", s.Processors, s.Memory, s.Skipped, wantP, wantM)
	}
	sl, err := acpi.ParseSLIT(acpitest.SLIT([][]uint8{{10, 21}, {22, 10}}))
	if err != nil || sl.Localities != 2 || sl.Distance(0, 1) != 21 || sl.Distance(1, 0) != 22 {
		t.Errorf("SLIT %+v, %v", sl, err)
	}
}
