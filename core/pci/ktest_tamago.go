//go:build tamago && amd64

package pci

import (
	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/ktest"
)

func init() { ktest.Register("pci/scan", testScan) }

// testScan checks the scan of the booted machine: QEMU's pc and q35 have
// a host bridge at 00:00.0 (i440FX 8086:1237 without a MCFG, or the Q35
// MCH 8086:29c0 with one), and the scan meets no malformed function.
func testScan(t *ktest.T) {
	k := core.Running()
	b, err := Discover(k.ACPI)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range b.Errors {
		if i == 0 && b.Mechanism == "ports" && k.ACPI != nil && k.ACPI.MCFG != nil {
			t.Log(e) // the ECAM region is not mapped uncached: see Discover
			continue
		}
		t.Error(e)
	}
	for _, f := range b.Functions {
		t.Log(f)
		for _, d := range f.Details() {
			t.Log("    ", d)
		}
	}
	if k.ACPI == nil || k.ACPI.MADT == nil || len(b.Functions) == 0 {
		t.Skipf("no PCI on this machine (%d functions)", len(b.Functions))
	}
	host, err := b.Lookup(Addr{})
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case host.VendorID == 0x8086 && host.DeviceID == 0x29c0:
		if k.ACPI.MCFG == nil {
			t.Error("q35 without a MCFG")
		}
	case host.VendorID == 0x8086 && host.DeviceID == 0x1237:
		if b.Mechanism != "ports" {
			t.Errorf("pc scanned through %s, want ports (no MCFG)", b.Mechanism)
		}
	default:
		t.Errorf("host bridge %v is neither the i440FX nor the Q35 MCH", host)
	}
}
