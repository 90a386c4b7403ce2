package acpi_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/aerokernel/aero/core/acpi"
	"github.com/aerokernel/aero/core/hw"
)

// The register windows of a q35 machine, as its tables give them.
func TestRegisterRanges(t *testing.T) {
	f := loadFixture(t, "q35-smp4")
	tabs, err := acpi.Discover(f.memory(), f.rsdpAddr)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tabs.MADT.LocalAPIC(), (hw.Range{Base: 0xfee00000, Size: 4096}); got != want {
		t.Errorf("LocalAPIC() = %v, want %v", got, want)
	}
	if got, want := tabs.MADT.IOAPICs[0].Registers(), (hw.Range{Base: 0xfec00000, Size: 0x14}); got != want {
		t.Errorf("IOAPIC Registers() = %v, want %v", got, want)
	}
	r, err := tabs.HPET.Registers()
	if want := (hw.Range{Base: 0xfed00000, Size: 1024}); err != nil || r != want {
		t.Errorf("HPET Registers() = %v, %v; want %v", r, err, want)
	}
	if got, want := tabs.MCFG.Regions[0].Range(), (hw.Range{Base: 0xb0000000, Size: 256 << 20}); got != want {
		t.Errorf("ECAM Range() = %v, want %v", got, want)
	}
	// Buses 16-31 of a segment whose bus 0 would be at 0xe0000000.
	if got, want := (acpi.ECAMRegion{Base: 0xe0000000, StartBus: 16, EndBus: 31}).Range(), (hw.Range{Base: 0xe1000000, Size: 16 << 20}); got != want {
		t.Errorf("ECAM Range() of buses 16-31 = %v, want %v", got, want)
	}
	io := acpi.HPET{Address: acpi.GAS{Space: acpi.SpaceSystemIO, Address: 0x400}}
	if _, err := io.Registers(); !errors.Is(err, acpi.ErrEntry) {
		t.Errorf("HPET in I/O space: Registers error %v, want ErrEntry", err)
	}
}

// DiscoverCopy finds from a copy of the RSDP what Discover finds from its
// address; a bad copy is refused as ParseRSDP refuses it.
func TestDiscoverCopy(t *testing.T) {
	f := loadFixture(t, "q35-numa2")
	mem := f.memory()
	want, err := acpi.Discover(mem, f.rsdpAddr)
	if err != nil {
		t.Fatal(err)
	}
	rsdp := make([]byte, acpi.RSDPv1Size)
	if _, err := mem.ReadAt(rsdp, f.rsdpAddr); err != nil {
		t.Fatal(err)
	}
	got, err := acpi.DiscoverCopy(mem, rsdp)
	if err != nil {
		t.Fatal(err)
	}
	if got.RSDPAddr != 0 {
		t.Errorf("RSDPAddr %#x for a copy, want 0", got.RSDPAddr)
	}
	got.RSDPAddr = want.RSDPAddr
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DiscoverCopy = %+v\nDiscover = %+v", got, want)
	}
	rsdp[8]++ // checksum
	if _, err := acpi.DiscoverCopy(mem, rsdp); !errors.Is(err, acpi.ErrChecksum) {
		t.Errorf("bad copy: error %v, want ErrChecksum", err)
	}
}
