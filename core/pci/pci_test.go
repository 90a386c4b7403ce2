package pci_test

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/aerokernel/aero/core/hw/hwtest"
	"github.com/aerokernel/aero/core/pci"
	"github.com/aerokernel/aero/core/pci/pcitest"
)

// machine is a small q35-like machine: a host bridge, a multi-function
// device, a virtio NIC with a 64-bit BAR, an I/O BAR and MSI-X, and a
// bridge to bus 1 with one device behind it.
func machine() *pcitest.Config {
	c := pcitest.New()
	c.Add(pci.Addr{}, pcitest.Header{Vendor: 0x8086, Device: 0x29c0, Class: 6})
	nic := c.Add(pci.Addr{Device: 2}, pcitest.Header{Vendor: 0x1af4, Device: 0x1041, Class: 2, Revision: 1, IntLine: 11, IntPin: 1})
	nic.IOBAR(0, 0xc040, 32)
	nic.MemBAR(1, 0xfebd1000, 4096)
	nic.MemBAR64(4, 0xfe000000, 16384, true)
	msix := make([]byte, 10)
	binary.LittleEndian.PutUint16(msix[0:], 2)       // 3 entries
	binary.LittleEndian.PutUint32(msix[2:], 1)       // table in BAR 1 at 0
	binary.LittleEndian.PutUint32(msix[6:], 0x800|1) // PBA in BAR 1 at 0x800
	nic.Caps(pcitest.Cap{ID: pci.CapMSIX, Body: msix}, pcitest.Cap{ID: pci.CapVendor, Body: make([]byte, 14)}, pcitest.Cap{ID: pci.CapVendor, Body: make([]byte, 14)})
	c.Add(pci.Addr{Device: 3}, pcitest.Header{Vendor: 0x8086, Device: 0x1111, Class: 1, HeaderType: 0x80})
	c.Add(pci.Addr{Device: 3, Function: 5}, pcitest.Header{Vendor: 0x8086, Device: 0x2222, Class: 1})
	// Function 1 of a single-function device must not be seen.
	c.Add(pci.Addr{Device: 4}, pcitest.Header{Vendor: 0x8086, Device: 0x3333, Class: 8})
	c.Add(pci.Addr{Device: 4, Function: 1}, pcitest.Header{Vendor: 0x8086, Device: 0x4444, Class: 8})
	c.Add(pci.Addr{Device: 30}, pcitest.Header{Vendor: 0x8086, Device: 0x244e, Class: 6, Subclass: 4, HeaderType: 1, Secondary: 1})
	c.Add(pci.Addr{Bus: 1, Device: 1}, pcitest.Header{Vendor: 0x1af4, Device: 0x1042, Class: 1})
	return c
}

func TestScan(t *testing.T) {
	b := pci.Scan(machine(), "ecam", 0, 0, 255)
	if len(b.Errors) != 0 {
		t.Fatalf("errors: %v", b.Errors)
	}
	var got []string
	for _, f := range b.Functions {
		got = append(got, f.Addr.String())
	}
	want := "00:00.0 00:02.0 00:03.0 00:03.5 00:04.0 00:1e.0 01:01.0"
	if strings.Join(got, " ") != want {
		t.Errorf("functions %v, want %s", got, want)
	}
	nics := b.Match(0x1af4, 0x1041)
	if len(nics) != 1 {
		t.Fatalf("%d virtio NICs", len(nics))
	}
	f := nics[0]
	wantBARs := []pci.BAR{
		{Index: 0, Base: 0xc040, Size: 32, IO: true},
		{Index: 1, Base: 0xfebd1000, Size: 4096},
		{Index: 4, Base: 0xfe000000, Size: 16384, Is64: true, Prefetchable: true},
	}
	if len(f.BARs) != len(wantBARs) {
		t.Fatalf("BARs %v, want %v", f.BARs, wantBARs)
	}
	for i := range wantBARs {
		if f.BARs[i] != wantBARs[i] {
			t.Errorf("BAR %d: %v, want %v", i, f.BARs[i], wantBARs[i])
		}
	}
	// Sizing restored the BARs and the command register.
	if b4, _ := f.BAR(4); b4.Base != 0xfe000000 || f.Read32(0x14) != 0xfebd1000 || f.Read16(pci.RegCommand) != 0 {
		t.Errorf("after sizing: BAR1 %#x, command %#x", f.Read32(0x14), f.Read16(pci.RegCommand))
	}
	if len(f.Caps) != 3 || f.Caps[0] != (pci.Capability{ID: pci.CapMSIX, Offset: 0x40}) || len(f.Find(pci.CapVendor)) != 2 {
		t.Errorf("capabilities %v", f.Caps)
	}
	m, ok := f.MSIX()
	if !ok || m.TableSize != 3 || m.TableBAR != 1 || m.TableOffset != 0 || m.PBABAR != 1 || m.PBAOffset != 0x800 {
		t.Errorf("MSI-X %+v %v", m, ok)
	}
	if s := f.String(); s != "00:02.0 1af4:1041 network controller: ethernet (virtio) irq 11 pin A" {
		t.Errorf("String: %q", s)
	}
	if d := f.Details(); len(d) != 6 || d[2] != "bar4 mem64,pf 0xfe000000+0x4000" || d[3] != "cap msi-x at 0x40" {
		t.Errorf("Details: %q", d)
	}
	f.Enable(pci.CmdMemory | pci.CmdBusMaster)
	if f.Read16(pci.RegCommand) != 6 {
		t.Errorf("command %#x after Enable", f.Read16(pci.RegCommand))
	}
	if _, err := b.Lookup(pci.Addr{Bus: 1, Device: 1}); err != nil {
		t.Error(err)
	}
	if _, err := b.Lookup(pci.Addr{Bus: 2}); err == nil {
		t.Error("Lookup of an absent function succeeded")
	}
}

func TestScanMalformed(t *testing.T) {
	c := pcitest.New()
	loop := c.Add(pci.Addr{Device: 1}, pcitest.Header{Vendor: 1, Device: 1})
	loop.Caps(pcitest.Cap{ID: 5, Body: []byte{0, 0}}, pcitest.Cap{ID: 9, Body: []byte{0, 0}})
	loop.Space[0x45] = 0x40 // the second entry points back at the first
	low := c.Add(pci.Addr{Device: 2}, pcitest.Header{Vendor: 1, Device: 2})
	low.Caps(pcitest.Cap{ID: 5})
	low.Space[0x41] = 0x20
	c.Add(pci.Addr{Device: 3}, pcitest.Header{Vendor: 1, Device: 3, IntPin: 9})
	half := c.Add(pci.Addr{Device: 4}, pcitest.Header{Vendor: 1, Device: 4})
	half.Space[0x10+4*5] = 4 // BAR 5, the last, says 64-bit
	bad := c.Add(pci.Addr{Device: 5}, pcitest.Header{Vendor: 1, Device: 5})
	bad.MemBAR(0, 0, 4096)
	bad.Space[0x10] |= 2 // reserved memory type 1
	c.Add(pci.Addr{Device: 6}, pcitest.Header{Vendor: 1, Device: 6})
	b := pci.Scan(c, "ecam", 0, 0, 0)
	for _, want := range []string{"loops at 0x40", "pointer 0x20", "pin 9", "reserved memory type 1", "BAR 5 has no upper half"} {
		found := false
		for _, err := range b.Errors {
			found = found || strings.Contains(err.Error(), want)
		}
		if !found {
			t.Errorf("no error mentions %q: %v", want, b.Errors)
		}
	}
	// The good ones are still there.
	if _, err := b.Lookup(pci.Addr{Device: 6}); err != nil {
		t.Error(err)
	}
	if _, err := b.Lookup(pci.Addr{Device: 4}); err == nil {
		t.Error("the function with half a 64-bit BAR was listed")
	}
}

// A bridge whose secondary bus is outside the scanned range, or loops
// back, is followed no further.
func TestScanBridgeLoop(t *testing.T) {
	c := pcitest.New()
	c.Add(pci.Addr{Device: 1}, pcitest.Header{Vendor: 1, HeaderType: 1, Secondary: 1})
	c.Add(pci.Addr{Bus: 1}, pcitest.Header{Vendor: 1, HeaderType: 1, Secondary: 0})
	c.Add(pci.Addr{Bus: 1, Device: 1}, pcitest.Header{Vendor: 1, HeaderType: 1, Secondary: 9})
	c.Add(pci.Addr{Bus: 9}, pcitest.Header{Vendor: 1})
	b := pci.Scan(c, "ecam", 0, 0, 8)
	if len(b.Functions) != 3 {
		t.Errorf("%d functions: %v", len(b.Functions), b.Functions)
	}
}

func TestECAM(t *testing.T) {
	r := hwtest.NewRegs(2 << 20) // buses 4 and 5
	e := &pci.ECAM{Regs: r, StartBus: 4, EndBus: 5}
	a := pci.Addr{Bus: 5, Device: 3, Function: 2}
	off := 1<<20 | 3<<15 | 2<<12
	r.Set(off+0x10, 4, 0x12345678)
	if v := e.Read(a, 0x10, 4); v != 0x12345678 {
		t.Errorf("read %#x", v)
	}
	if v := e.Read(a, 0x12, 2); v != 0x1234 {
		t.Errorf("read16 %#x", v)
	}
	e.Write(a, 0x13, 1, 0xab)
	if v := r.Get(off+0x10, 4); v != 0xab345678 {
		t.Errorf("after write8: %#x", v)
	}
	if v := e.Read(pci.Addr{Bus: 3}, 0, 4); v != 0xffffffff {
		t.Errorf("bus outside the window reads %#x", v)
	}
	if v := e.Read(pci.Addr{Segment: 1, Bus: 4}, 0, 2); v != 0xffff {
		t.Errorf("other segment reads %#x", v)
	}
	defer func() {
		if recover() == nil {
			t.Error("unaligned access did not panic")
		}
	}()
	e.Read(a, 1, 2)
}

func TestPorts(t *testing.T) {
	r := hwtest.NewRegs(8)
	p := &pci.Ports{Regs: r}
	r.OnRead(4, func() uint64 { return uint64(r.Get(0, 4)) }) // echo the address
	a := pci.Addr{Bus: 2, Device: 31, Function: 7}
	want := uint32(1<<31 | 2<<16 | 31<<11 | 7<<8 | 0x3c)
	if v := p.Read(a, 0x3c, 4); v != want {
		t.Errorf("address %#x, want %#x", v, want)
	}
	r.ClearAccesses()
	p.Write(a, 0x3d, 1, 0x5a)
	acc := r.Accesses()
	if len(acc) != 2 || acc[0].String() != "w32 0x0 0x8002ff3c" || acc[1].String() != "w8 0x5 0x5a" {
		t.Errorf("accesses %v", acc)
	}
	if v := p.Read(pci.Addr{Segment: 1}, 0, 2); v != 0xffff {
		t.Errorf("segment 1 through ports reads %#x", v)
	}
	defer func() {
		if recover() == nil {
			t.Error("offset 0x100 through ports did not panic")
		}
	}()
	p.Read(a, 0x100, 4)
}
