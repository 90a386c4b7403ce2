package acpi_test

import (
	"encoding/binary"
	"testing"

	"github.com/aerokernel/aero/core/acpi"
	"github.com/aerokernel/aero/core/acpi/acpitest"
)

// The fuzz targets check one thing: no input panics (or hangs). Run them
// with e.g. go test -run '^$' -fuzz FuzzDiscover -fuzztime 30s; plain go
// test runs just their seeds.

// seedTables adds every table file of every fixture to the corpus.
func seedTables(f *testing.F, sigs ...string) {
	for _, name := range fixtureNames {
		fx := loadFixture(f, name)
		for _, sig := range sigs {
			if b := fx.table(sig); b != nil {
				f.Add(b)
			}
		}
	}
}

func FuzzParseMADT(f *testing.F) {
	seedTables(f, "APIC")
	f.Add(acpitest.Table("APIC", 5, acpitest.LE(uint32(0xfee00000), uint32(1),
		uint8(9), uint8(16), uint16(0), uint32(0x10000), uint32(1), uint32(300),
		uint8(0xa), uint8(12), uint16(0), uint32(0xffffffff), uint8(1), []byte{0, 0, 0},
		uint8(5), uint8(12), uint16(0), uint64(0xfee10000))))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := acpi.ParseMADT(b)
		if (m == nil) == (err == nil) {
			t.Fatalf("ParseMADT = %v, %v", m, err)
		}
	})
}

// FuzzParseTables feeds the same bytes to every table parser.
func FuzzParseTables(f *testing.F) {
	seedTables(f, "APIC", "FACP", "HPET", "SRAT", "SLIT", "MCFG", "RSDT", "DSDT")
	f.Fuzz(func(t *testing.T, b []byte) {
		for sig, parse := range parsers {
			// Give the bytes the parser's signature and a valid
			// checksum half the time, so the fuzzer gets past them.
			if len(b) > 36 && b[len(b)-1]&1 == 0 {
				c := append([]byte{}, b...)
				copy(c, sig)
				parse(acpitest.FixChecksum(c))
			}
			parse(b)
		}
		acpi.ParseRSDP(b)
		acpi.ParseHeader(b, "")
	})
}

// FuzzDiscover runs Discover over flat memory at address 0 with the RSDP
// at 0, seeded with each fixture's tables laid out that way (with an XSDT
// and an RSDT, and with an RSDT only). When repair is set, the checksums of
// the RSDP and of every table it leads to are fixed first, so that
// mutations reach the parsers instead of stopping at a checksum.
func FuzzDiscover(f *testing.F) {
	for _, name := range fixtureNames {
		fx := loadFixture(f, name)
		mem, _ := image(fx, fx.sigs(), fx.sigs())
		f.Add([]byte(mem), true)
		mem, _ = image(fx, nil, fx.sigs())
		f.Add([]byte(mem), false)
	}
	f.Fuzz(func(t *testing.T, b []byte, repair bool) {
		if repair {
			repairChecksums(b)
		}
		tabs, err := acpi.Discover(flatMemory(b), 0)
		if (tabs == nil) == (err == nil) {
			t.Fatalf("Discover = %v, %v", tabs, err)
		}
		if tabs != nil {
			tabs.Require("MADT", "FADT", "HPET", "SRAT", "SLIT", "MCFG", "DSDT")
		}
		acpi.FindRSDP(flatMemory(b))
	})
}

// repairChecksums fixes, in flat memory b, the checksums of the RSDP at 0
// and of the tables reachable from it, wherever their lengths make sense.
func repairChecksums(b []byte) {
	if len(b) < 36 {
		return
	}
	b[8] = 0
	b[8] = -sum(b[:20])
	if binary.LittleEndian.Uint32(b[20:]) == 36 {
		b[32] = 0
		b[32] = -sum(b[:36])
	}
	// table fixes the table at addr and returns its bytes (nil if none).
	table := func(addr uint64) []byte {
		if addr >= uint64(len(b)) || uint64(len(b))-addr < 36 {
			return nil
		}
		t := b[addr:]
		n := uint64(binary.LittleEndian.Uint32(t[4:]))
		if n < 36 || n > uint64(len(t)) {
			return nil
		}
		acpitest.FixChecksum(t)
		return t[:n]
	}
	done := map[uint64]bool{}
	follow := func(root []byte, size int) {
		for off := 36; root != nil && off+size <= len(root); off += size {
			var p uint64
			if size == 4 {
				p = uint64(binary.LittleEndian.Uint32(root[off:]))
			} else {
				p = binary.LittleEndian.Uint64(root[off:])
			}
			if done[p] {
				continue
			}
			done[p] = true
			if t := table(p); len(t) >= 44 && string(t[:4]) == "FACP" {
				// Fix the DSDT before the FADT's own sum is final: table
				// does not change the FADT's bytes.
				if len(t) >= 148 {
					table(binary.LittleEndian.Uint64(t[140:]))
				}
				table(uint64(binary.LittleEndian.Uint32(t[40:])))
			}
		}
	}
	follow(table(binary.LittleEndian.Uint64(b[24:])), 8)
	follow(table(uint64(binary.LittleEndian.Uint32(b[16:]))), 4)
}

func sum(b []byte) (s byte) {
	for _, c := range b {
		s += c
	}
	return s
}
