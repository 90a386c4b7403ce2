package acpi_test

import (
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aerokernel/aero/core/acpi"
)

// memRange is a memory affinity range expected in the SRAT.
type memRange struct {
	base, length uint64
	hotplug      bool
}

const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
	// legacyHole is what QEMU's SRAT leaves out below 1 MiB: the range
	// from 640 KiB (0xA0000: VGA memory, option ROMs, BIOS) to 1 MiB.
	legacyHole = 1*mib - 640*kib
)

// want is what QEMU was told for one fixture (see its qemu.txt).
type want struct {
	fixture string
	// cpus is -smp: the APIC IDs of the enabled processors, in order.
	cpus []uint32
	// possible is maxcpus: processors in the MADT, present or not.
	possible int
	// nodeOf is the -numa node of each possible CPU (by APIC ID = index);
	// nil: no SRAT.
	nodeOf []uint32
	// memdev is each node's backend size; memory is what the SRAT must
	// say about it.
	memdev []uint64
	memory map[uint32][]memRange
	// slit is -numa dist, completed by QEMU; nil: no SLIT.
	slit [][]uint8
	mcfg bool
	// fadtLength tells ACPI 1.0 (pc: 116) from 2.0+ (q35: 244) FADTs.
	fadtLength uint32
}

var wants = []want{
	{
		fixture:    "q35-smp4",
		cpus:       []uint32{0, 1, 2, 3},
		possible:   4,
		mcfg:       true,
		fadtLength: 244,
	},
	{
		fixture:  "q35-numa2",
		cpus:     []uint32{0, 1, 2, 3},
		possible: 4,
		nodeOf:   []uint32{0, 0, 1, 1},
		memdev:   []uint64{1 * gib, 1 * gib},
		memory: map[uint32][]memRange{
			0: {{0, 640 * kib, false}, {1 * mib, 1*gib - 1*mib, false}},
			1: {{1 * gib, 1 * gib, false}},
		},
		mcfg:       true,
		fadtLength: 244,
	},
	{
		fixture:  "q35-numa3",
		cpus:     []uint32{0, 1, 2, 3, 4, 5},
		possible: 6,
		nodeOf:   []uint32{0, 0, 0, 1, 2, 2},
		memdev:   []uint64{2 * gib, 1 * gib, 1 * gib},
		// 4 GiB on q35: 2 GiB below the PCI hole, the rest from 4 GiB.
		memory: map[uint32][]memRange{
			0: {{0, 640 * kib, false}, {1 * mib, 2*gib - 1*mib, false}},
			1: {{4 * gib, 1 * gib, false}},
			2: {{5 * gib, 1 * gib, false}},
		},
		slit:       [][]uint8{{10, 20, 30}, {20, 10, 25}, {30, 25, 10}},
		mcfg:       true,
		fadtLength: 244,
	},
	{
		fixture:    "pc-smp2",
		cpus:       []uint32{0, 1},
		possible:   2,
		fadtLength: 116,
	},
	{
		fixture:  "q35-hotplug",
		cpus:     []uint32{0, 1},
		possible: 4,
		nodeOf:   []uint32{0, 0, 1, 1},
		memdev:   []uint64{1 * gib, 1 * gib},
		// The hot-pluggable range is QEMU's device memory region: from
		// 4 GiB, maxmem-ram (2 GiB) plus 1 GiB of alignment per slot,
		// given to the last node.
		memory: map[uint32][]memRange{
			0: {{0, 640 * kib, false}, {1 * mib, 1*gib - 1*mib, false}},
			1: {{1 * gib, 1 * gib, false}, {4 * gib, 4 * gib, true}},
		},
		mcfg:       true,
		fadtLength: 244,
	},
}

func TestFixtures(t *testing.T) {
	for _, w := range wants {
		t.Run(w.fixture, func(t *testing.T) {
			f := loadFixture(t, w.fixture)
			tabs, err := acpi.Discover(f.memory(), f.rsdpAddr)
			if err != nil {
				t.Fatal(err)
			}
			if len(tabs.Errors) != 0 {
				t.Fatalf("errors: %v", tabs.Errors)
			}
			checkTables(t, f, tabs, w)
		})
	}
}

func checkTables(t *testing.T, f *fixture, tabs *acpi.Tables, w want) {
	t.Helper()
	// QEMU's SeaBIOS tables: an ACPI 1.0 RSDP and an RSDT only.
	if tabs.RSDP.Revision != 0 || tabs.XSDT || tabs.Root.Signature != "RSDT" {
		t.Errorf("root: RSDP revision %d, XSDT %v, root %q", tabs.RSDP.Revision, tabs.XSDT, tabs.Root.Signature)
	}
	if tabs.RSDP.OEMID != "BOCHS " {
		t.Errorf("RSDP OEMID %q", tabs.RSDP.OEMID)
	}
	// Every table was found where memmap.txt (read by the guest through
	// /dev/mem) says.
	for _, p := range f.layout {
		if p.sig == "RSDP" || p.sig == "FACS" {
			continue
		}
		if p.sig == "RSDT" {
			if tabs.RootAddr != p.addr {
				t.Errorf("RSDT at %#x, want %#x", tabs.RootAddr, p.addr)
			}
			continue
		}
		refs := tabs.Lookup(p.sig)
		if len(refs) != 1 || refs[0].Addr != p.addr || refs[0].Err != nil {
			t.Errorf("%s: refs %+v, want one at %#x", p.sig, refs, p.addr)
		}
	}

	// MADT: CPUs, I/O APIC, overrides, NMI.
	m := tabs.MADT
	if m == nil {
		t.Fatal("no MADT")
	}
	var ids []uint32
	for _, p := range m.EnabledProcessors() {
		ids = append(ids, p.APICID)
	}
	if !slices.Equal(ids, w.cpus) {
		t.Errorf("enabled APIC IDs %v, want %v", ids, w.cpus)
	}
	if len(m.Processors) != w.possible {
		t.Errorf("%d processors in the MADT, want %d", len(m.Processors), w.possible)
	}
	for i, p := range m.Processors {
		if p.UID != uint32(i) || p.APICID != uint32(i) || p.X2APIC || p.OnlineCapable {
			t.Errorf("processor %d: %+v", i, p)
		}
	}
	if m.LocalAPICAddress != 0xfee00000 || !m.PCATCompat() {
		t.Errorf("local APIC at %#x, PCAT_COMPAT %v", m.LocalAPICAddress, m.PCATCompat())
	}
	if want := []acpi.IOAPIC{{ID: 0, Address: 0xfec00000, GSIBase: 0}}; !reflect.DeepEqual(m.IOAPICs, want) {
		t.Errorf("I/O APICs %+v, want %+v", m.IOAPICs, want)
	}
	// The PIT's IRQ 0 is on GSI 2; the PCI link IRQs 5, 9, 10, 11 are
	// level-triggered, active high.
	level := uint16(acpi.TriggerLevel | acpi.PolarityActiveHigh)
	wantISO := []acpi.InterruptOverride{
		{Bus: 0, Source: 0, GSI: 2, Flags: 0},
		{Bus: 0, Source: 5, GSI: 5, Flags: level},
		{Bus: 0, Source: 9, GSI: 9, Flags: level},
		{Bus: 0, Source: 10, GSI: 10, Flags: level},
		{Bus: 0, Source: 11, GSI: 11, Flags: level},
	}
	if !reflect.DeepEqual(m.Overrides, wantISO) {
		t.Errorf("overrides %+v, want %+v", m.Overrides, wantISO)
	} else if o := m.Overrides[2]; o.Trigger() != acpi.TriggerLevel || o.Polarity() != acpi.PolarityActiveHigh ||
		m.Overrides[0].Trigger() != acpi.TriggerConforming || m.Overrides[0].Polarity() != acpi.PolarityConforming {
		t.Errorf("IRQ 9: trigger %#x polarity %#x", o.Trigger(), o.Polarity())
	}
	if want := []acpi.LocalNMI{{UID: 0xff, AllProcessors: true, LINT: 1}}; !reflect.DeepEqual(m.LocalNMIs, want) {
		t.Errorf("local NMIs %+v, want %+v", m.LocalNMIs, want)
	}
	if len(m.NMISources) != 0 || m.Skipped != nil {
		t.Errorf("NMI sources %v, skipped %v", m.NMISources, m.Skipped)
	}

	// FADT: PM timer (SeaBIOS puts the ACPI PM base at 0x600 on both
	// machines), DSDT, reset register.
	fa := tabs.FADT
	if fa == nil {
		t.Fatal("no FADT")
	}
	if fa.Header.Length != w.fadtLength {
		t.Errorf("FADT length %d, want %d", fa.Header.Length, w.fadtLength)
	}
	pmt := acpi.GAS{Space: acpi.SpaceSystemIO, BitWidth: 32, Address: 0x608}
	if fa.PMTimer != pmt || !fa.PMTimerPresent() || fa.PMTimer32() || fa.HardwareReduced() {
		t.Errorf("PM timer %+v present %v 32-bit %v HW-reduced %v", fa.PMTimer, fa.PMTimerPresent(), fa.PMTimer32(), fa.HardwareReduced())
	}
	if want := (acpi.GAS{Space: acpi.SpaceSystemIO, BitWidth: 16, Address: 0x604}); fa.PM1aControl != want {
		t.Errorf("PM1a control %+v, want %+v", fa.PM1aControl, want)
	}
	if fa.SCIInterrupt != 9 || fa.Century != 0x32 || fa.SMICommand != 0xb2 {
		t.Errorf("SCI %d, century %#x, SMI_CMD %#x", fa.SCIInterrupt, fa.Century, fa.SMICommand)
	}
	if fa.DSDT != f.addrOf("DSDT") || fa.FACS != f.addrOf("FACS") {
		t.Errorf("DSDT %#x FACS %#x, want %#x %#x", fa.DSDT, fa.FACS, f.addrOf("DSDT"), f.addrOf("FACS"))
	}
	if w.fadtLength > 116 {
		// q35: reset through port 0xCF9.
		if want := (acpi.GAS{Space: acpi.SpaceSystemIO, BitWidth: 8, Address: 0xcf9}); !fa.ResetSupported() || fa.ResetReg != want || fa.ResetValue != 0x0f {
			t.Errorf("reset %v %+v value %#x", fa.ResetSupported(), fa.ResetReg, fa.ResetValue)
		}
	} else if fa.ResetSupported() {
		t.Errorf("ACPI 1.0 FADT claims a reset register: %+v", fa.ResetReg)
	}
	if tabs.DSDT == nil || tabs.DSDT.Err != nil || tabs.DSDT.Addr != f.addrOf("DSDT") || tabs.DSDT.Header.Length != uint32(len(f.files["DSDT.bin"])) {
		t.Errorf("DSDT %+v", tabs.DSDT)
	}

	// HPET.
	h := tabs.HPET
	if h == nil {
		t.Fatal("no HPET")
	}
	if want := (acpi.GAS{Space: acpi.SpaceSystemMemory, Address: 0xfed00000}); h.Address != want {
		t.Errorf("HPET at %+v, want %+v", h.Address, want)
	}
	if h.Comparators != 3 || !h.Counter64 || !h.LegacyReplacement || h.PCIVendorID != 0x8086 || h.MinTick != 0 {
		t.Errorf("HPET %+v", h)
	}

	// MCFG: q35 only.
	if w.mcfg {
		want := []acpi.ECAMRegion{{Base: 0xb0000000, Segment: 0, StartBus: 0, EndBus: 255}}
		if tabs.MCFG == nil || !reflect.DeepEqual(tabs.MCFG.Regions, want) {
			t.Errorf("MCFG %+v, want regions %+v", tabs.MCFG, want)
		}
	} else if tabs.MCFG != nil || !isNotFound(tabs.Require("MCFG")) {
		t.Errorf("MCFG on a machine without one: %+v", tabs.MCFG)
	}

	checkSRAT(t, tabs, w)

	// SLIT.
	if w.slit == nil {
		if tabs.SLIT != nil || !isNotFound(tabs.Require("SLIT")) {
			t.Errorf("unexpected SLIT %+v", tabs.SLIT)
		}
	} else {
		s := tabs.SLIT
		if s == nil || s.Localities != len(w.slit) {
			t.Fatalf("SLIT %+v, want %d localities", s, len(w.slit))
		}
		if err := s.Check(); err != nil {
			t.Errorf("QEMU's SLIT fails Check: %v", err)
		}
		for i := range w.slit {
			for j := range w.slit[i] {
				if d := s.Distance(i, j); d != w.slit[i][j] {
					t.Errorf("distance %d-%d is %d, want %d", i, j, d, w.slit[i][j])
				}
			}
		}
	}

	// The per-table parsers give what Discover gave.
	for file, got := range map[string]any{"APIC.bin": tabs.MADT, "FACP.bin": tabs.FADT, "HPET.bin": tabs.HPET} {
		var again any
		var err error
		switch file {
		case "APIC.bin":
			again, err = acpi.ParseMADT(f.table("APIC"))
		case "FACP.bin":
			again, err = acpi.ParseFADT(f.table("FACP"))
		case "HPET.bin":
			again, err = acpi.ParseHPET(f.table("HPET"))
		}
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("parsing %s alone: %v, %+v; Discover gave %+v", file, err, again, got)
		}
	}
}

func checkSRAT(t *testing.T, tabs *acpi.Tables, w want) {
	t.Helper()
	s := tabs.SRAT
	if w.nodeOf == nil {
		if s != nil || !isNotFound(tabs.Require("SRAT")) {
			t.Errorf("unexpected SRAT %+v", s)
		}
		return
	}
	if s == nil {
		t.Fatal("no SRAT")
	}
	if len(s.Processors) != len(w.nodeOf) {
		t.Errorf("%d processor affinities, want %d", len(s.Processors), len(w.nodeOf))
	}
	for i, p := range s.Processors {
		// QEMU lists every possible CPU as enabled in the SRAT, present
		// or not (the MADT says which are present).
		if p.APICID != uint32(i) || p.X2APIC || !p.Enabled || i >= len(w.nodeOf) || p.Domain != w.nodeOf[i] {
			t.Errorf("processor affinity %d: %+v, want node %v", i, p, w.nodeOf)
		}
	}
	for _, id := range w.cpus {
		if d, ok := s.DomainOfAPIC(id); !ok || d != w.nodeOf[id] {
			t.Errorf("CPU %d on node %d (%v), want %d", id, d, ok, w.nodeOf[id])
		}
	}
	got := map[uint32][]memRange{}
	disabled := 0
	for _, r := range s.Memory {
		if !r.Enabled {
			// QEMU pads the SRAT with zeroed (disabled) entries.
			if r.Base != 0 || r.Size != 0 || r.Flags != 0 {
				t.Errorf("disabled memory affinity with contents: %+v", r)
			}
			disabled++
			continue
		}
		if r.NonVolatile {
			t.Errorf("non-volatile memory: %+v", r)
		}
		got[r.Domain] = append(got[r.Domain], memRange{r.Base, r.Size, r.HotPluggable})
	}
	if !reflect.DeepEqual(got, w.memory) {
		t.Errorf("memory by node:\n got %v\nwant %v", got, w.memory)
	}
	if disabled == 0 {
		t.Errorf("no padding entry (QEMU 7.2 adds one); is this another QEMU?")
	}
	// Each node's boot memory adds up to its -object memory-backend-ram
	// size, less the legacy hole below 1 MiB for the node holding 0.
	for node, size := range w.memdev {
		var sum uint64
		hasZero := false
		for _, r := range got[uint32(node)] {
			if !r.hotplug {
				sum += r.length
				hasZero = hasZero || r.base == 0
			}
		}
		if hasZero {
			sum += legacyHole
		}
		if sum != size {
			t.Errorf("node %d has %#x bytes, memdev is %#x", node, sum, size)
		}
	}
}

func isNotFound(err error) bool {
	return err != nil && errors.Is(err, acpi.ErrNotFound)
}

// TestFixtureFiles checks that every .bin file of every fixture is a valid
// table, and that the files of the QEMU tables match their signature.
func TestFixtureFiles(t *testing.T) {
	for _, name := range fixtureNames {
		f := loadFixture(t, name)
		for file, b := range f.files {
			switch file {
			case "RSDP.bin":
				if _, err := acpi.ParseRSDP(b); err != nil {
					t.Errorf("%s/%s: %v", name, file, err)
				}
				continue
			case "FACS.bin": // no checksum; signature and length only
				if string(b[:4]) != "FACS" || len(b) != 64 {
					t.Errorf("%s/%s: %q, %d bytes", name, file, b[:4], len(b))
				}
				continue
			}
			sig := strings.TrimSuffix(file, ".bin")
			if _, _, err := acpi.ParseHeader(b, sig); err != nil {
				t.Errorf("%s/%s: %v", name, file, err)
			}
		}
		if _, err := os.Stat("testdata/" + name + "/qemu.txt"); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
