package acpi_test

import (
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aerokernel/aero/core/acpi"
	"github.com/aerokernel/aero/core/acpi/acpitest"
)

// parsers maps each signature to its parser, with the result as any.
var parsers = map[string]func([]byte) (any, error){
	"APIC": func(b []byte) (any, error) { return nilIfErr(acpi.ParseMADT(b)) },
	"FACP": func(b []byte) (any, error) { return nilIfErr(acpi.ParseFADT(b)) },
	"HPET": func(b []byte) (any, error) { return nilIfErr(acpi.ParseHPET(b)) },
	"SRAT": func(b []byte) (any, error) { return nilIfErr(acpi.ParseSRAT(b)) },
	"SLIT": func(b []byte) (any, error) {
		s, err := acpi.ParseSLIT(b)
		if err == nil {
			s.Check() // must not panic either
		}
		return nilIfErr(s, err)
	},
	"MCFG": func(b []byte) (any, error) { return nilIfErr(acpi.ParseMCFG(b)) },
}

// nilIfErr turns a typed nil pointer into a nil any, so tests can check
// that a failed parse returns no table.
func nilIfErr[T any](v *T, err error) (any, error) {
	if v == nil {
		return nil, err
	}
	return v, err
}

func setLength(b []byte, n uint32) []byte {
	binary.LittleEndian.PutUint32(b[4:], n)
	return b
}

// Corruptions every table must reject, whatever its type.
var corruptions = []struct {
	name string
	edit func(b []byte) []byte
	kind error
}{
	{"flipped byte in the middle", func(b []byte) []byte { b[len(b)/2] ^= 0x55; return b }, acpi.ErrChecksum},
	{"flipped byte in the last position", func(b []byte) []byte { b[len(b)-1] ^= 0x01; return b }, acpi.ErrChecksum},
	{"checksum byte changed", func(b []byte) []byte { b[9]++; return b }, acpi.ErrChecksum},
	{"truncated by one byte", func(b []byte) []byte { return b[:len(b)-1] }, acpi.ErrTruncated},
	{"truncated to the header", func(b []byte) []byte { return b[:36] }, acpi.ErrTruncated},
	{"truncated inside the header", func(b []byte) []byte { return b[:20] }, acpi.ErrTruncated},
	{"empty", func(b []byte) []byte { return nil }, acpi.ErrTruncated},
	{"length 0xFFFFFFFF", func(b []byte) []byte { return acpitest.FixChecksum(setLength(b, 0xffffffff)) }, acpi.ErrLength},
	{"length 2 MiB, bytes present", func(b []byte) []byte {
		b = append(b, make([]byte, 2<<20)...)
		return acpitest.FixChecksum(setLength(b, 2<<20))
	}, acpi.ErrLength},
	{"length 0", func(b []byte) []byte { return setLength(b, 0) }, acpi.ErrLength},
	{"length shorter than the header", func(b []byte) []byte { return setLength(b, 35) }, acpi.ErrLength},
	{"length shorter than the fixed part", func(b []byte) []byte { return acpitest.FixChecksum(setLength(b, 37)) }, acpi.ErrLength},
	{"wrong signature", func(b []byte) []byte { b[0] ^= 0x20; return acpitest.FixChecksum(b) }, acpi.ErrSignature},
}

func TestCorruptTables(t *testing.T) {
	for _, name := range fixtureNames {
		f := loadFixture(t, name)
		for sig, parse := range parsers {
			if f.table(sig) == nil {
				continue
			}
			for _, c := range corruptions {
				t.Run(name+"/"+sig+"/"+c.name, func(t *testing.T) {
					got, err := parse(c.edit(f.table(sig)))
					checkErr(t, got, err, c.kind, "")
				})
			}
		}
	}
}

// checkErr checks that a parse failed with an *acpi.Error of the kind and,
// if msg is not empty, exactly that message.
func checkErr(t *testing.T, got any, err error, kind error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; parsed %+v", got)
	}
	if got != nil {
		t.Errorf("a table came back with the error: %+v", got)
	}
	var e *acpi.Error
	if !errors.As(err, &e) {
		t.Errorf("error %v (%T) is no *acpi.Error", err, err)
	}
	if !errors.Is(err, kind) {
		t.Errorf("error %q is not %v", err, kind)
	}
	if msg != "" && err.Error() != msg {
		t.Errorf("error %q, want %q", err, msg)
	}
	if !strings.HasPrefix(err.Error(), "acpi: ") {
		t.Errorf("error %q lacks the package prefix", err)
	}
}

// Corruptions of the structures inside tables, each with its checksum
// fixed so that the structure check is what fails.
func TestCorruptEntries(t *testing.T) {
	f := loadFixture(t, "q35-numa3")
	edit := func(sig string, fn func(b []byte) []byte) []byte { return acpitest.FixChecksum(fn(f.table(sig))) }
	for _, c := range []struct {
		name string
		sig  string
		b    []byte
		kind error
		msg  string
	}{
		{"MADT entry of length 0", "APIC", edit("APIC", func(b []byte) []byte { b[45] = 0; return b }),
			acpi.ErrEntry, "acpi: MADT: entry at offset 44 has length 0"},
		{"MADT entry of length 1", "APIC", edit("APIC", func(b []byte) []byte { b[45] = 1; return b }),
			acpi.ErrEntry, "acpi: MADT: entry at offset 44 has length 1"},
		{"MADT entry running past the table", "APIC", edit("APIC", func(b []byte) []byte { b[45] = 255; return b }),
			acpi.ErrEntry, "acpi: MADT: entry at offset 44 (type 0, length 255) runs past the end of the table at 160"},
		{"MADT local APIC too short", "APIC", edit("APIC", func(b []byte) []byte { b[45] = 4; return b }),
			acpi.ErrEntry, "acpi: MADT: entry at offset 44 (processor local APIC) has length 4, want at least 8"},
		{"MADT last entry cut by the length", "APIC", edit("APIC", func(b []byte) []byte { return setLength(b, uint32(len(b)-1)) }),
			acpi.ErrEntry, "acpi: MADT: entry at offset 154 (type 4, length 6) runs past the end of the table at 159"},
		{"MADT one stray byte", "APIC", edit("APIC", func(b []byte) []byte { return setLength(append(b, 0), uint32(len(b)+1)) }),
			acpi.ErrEntry, "acpi: MADT: 1 byte(s) left at offset 160, too few for an entry header"},
		{"SRAT entry of length 0", "SRAT", edit("SRAT", func(b []byte) []byte { b[49] = 0; return b }),
			acpi.ErrEntry, "acpi: SRAT: entry at offset 48 has length 0"},
		{"SRAT memory affinity too short", "SRAT", edit("SRAT", func(b []byte) []byte {
			// The first memory affinity entry follows 6 processor entries.
			b[48+6*16+1] = 16
			return b
		}), acpi.ErrEntry, "acpi: SRAT: entry at offset 144 (memory affinity) has length 16, want at least 40"},
		{"SRAT memory range wrapping", "SRAT", edit("SRAT", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[144+12:], 0xffffffff) // base high
			binary.LittleEndian.PutUint32(b[144+20:], 1)          // length high
			return b
		}), acpi.ErrEntry, "acpi: SRAT: entry at offset 144 (memory affinity) covers 0xffffffff00000000+0x1000a0000, past the end of the address space"},
		{"SLIT with 2^63 localities", "SLIT", edit("SLIT", func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[36:], 1<<63)
			return b
		}), acpi.ErrLength, ""},
		{"SLIT with 4 localities in a 3x3 table", "SLIT", edit("SLIT", func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[36:], 4)
			return b
		}), acpi.ErrLength, "acpi: SLIT: 4 localities need an 4-by-4 matrix but only 9 bytes follow the fixed part"},
		{"MCFG partial entry", "MCFG", edit("MCFG", func(b []byte) []byte { return setLength(b, uint32(len(b)-1)) }),
			acpi.ErrLength, "acpi: MCFG: length 59 leaves 15 byte(s) after the last 16-byte entry"},
		{"MCFG start bus after end bus", "MCFG", edit("MCFG", func(b []byte) []byte { b[44+10], b[44+11] = 9, 8; return b }),
			acpi.ErrEntry, "acpi: MCFG: entry at offset 44 has start bus 9 after end bus 8"},
		{"FADT shorter than ACPI 1.0", "FACP", edit("FACP", func(b []byte) []byte { return setLength(b, 115) }),
			acpi.ErrLength, "acpi: FADT: length 115 is shorter than the 116 bytes of an ACPI 1.0 FADT"},
		{"HPET short", "HPET", edit("HPET", func(b []byte) []byte { return setLength(b, 55) }),
			acpi.ErrLength, "acpi: HPET: length 55 is shorter than the 56-byte table"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parsers[c.sig](c.b)
			checkErr(t, got, err, c.kind, c.msg)
		})
	}
}

func TestCorruptRSDP(t *testing.T) {
	f := loadFixture(t, "q35-smp4")
	good := f.files["RSDP.bin"]
	v2 := rsdp(2, 0x1000, 0x2000)
	for _, c := range []struct {
		name    string
		b       []byte
		kind    error
		partial bool // the 1.0 part still comes back
	}{
		{"short", good[:19], acpi.ErrTruncated, false},
		{"signature", append([]byte("RSD PTX "), good[8:]...), acpi.ErrSignature, false},
		{"checksum", func() []byte { b := append([]byte{}, good...); b[16]++; return b }(), acpi.ErrChecksum, false},
		{"v2 truncated", v2[:30], acpi.ErrTruncated, true},
		{"v2 extended checksum", func() []byte { b := append([]byte{}, v2...); b[33]++; return b }(), acpi.ErrChecksum, true},
		{"v2 length 0", func() []byte { b := append([]byte{}, v2...); b[20] = 0; return b }(), acpi.ErrLength, true},
		{"v2 length past the bytes", func() []byte { b := append([]byte{}, v2...); b[20] = 40; return b }(), acpi.ErrTruncated, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := acpi.ParseRSDP(c.b)
			if !errors.Is(err, c.kind) {
				t.Errorf("error %v, want %v", err, c.kind)
			}
			if c.partial != (r != nil) {
				t.Errorf("RSDP %+v (partial result expected: %v)", r, c.partial)
			}
			if r != nil && (r.XSDTAddress != 0 || r.RSDTAddress != 0x1000) {
				t.Errorf("partial RSDP %+v", r)
			}
		})
	}
}

// TestDiscoverCorrupt corrupts each table in memory in turn: Discover
// reports that one and parses every other exactly as from clean memory.
func TestDiscoverCorrupt(t *testing.T) {
	f := loadFixture(t, "q35-numa3")
	clean, err := acpi.Discover(f.memory(), f.rsdpAddr)
	if err != nil || len(clean.Errors) != 0 {
		t.Fatal(err, clean.Errors)
	}
	fields := func(tabs *acpi.Tables) map[string]any {
		return map[string]any{
			"FACP": tabs.FADT, "APIC": tabs.MADT, "HPET": tabs.HPET,
			"SRAT": tabs.SRAT, "SLIT": tabs.SLIT, "MCFG": tabs.MCFG,
		}
	}
	for _, sig := range []string{"FACP", "APIC", "HPET", "SRAT", "SLIT", "MCFG", "DSDT", "WAET"} {
		for _, c := range []struct {
			name string
			edit func(b []byte)
			kind error
		}{
			{"checksum", func(b []byte) { b[len(b)/2] ^= 0xff }, acpi.ErrChecksum},
			{"length 0x7fffffff", func(b []byte) { setLength(b, 0x7fffffff) }, acpi.ErrLength},
			{"length past the memory", func(b []byte) { setLength(b, uint32(len(b)+4096)) }, acpi.ErrRead},
			{"signature", func(b []byte) { b[0] = 'Z'; acpitest.FixChecksum(b) }, nil},
		} {
			t.Run(sig+"/"+c.name, func(t *testing.T) {
				mem := f.memory()
				addr := f.addrOf(sig)
				c.edit(mem.at(addr))
				tabs, err := acpi.Discover(mem, f.rsdpAddr)
				if err != nil {
					t.Fatal(err)
				}
				if c.kind == nil {
					// A table whose signature changed is no longer that
					// table: it is missing, not broken.
					if len(tabs.Errors) != 0 && sig != "DSDT" {
						t.Errorf("errors: %v", tabs.Errors)
					}
					if sig != "WAET" && !errors.Is(tabs.Require(sig), acpi.ErrNotFound) && !errors.Is(tabs.Require(sig), acpi.ErrSignature) {
						t.Errorf("Require(%s) = %v", sig, tabs.Require(sig))
					}
					return
				}
				if len(tabs.Errors) != 1 {
					t.Fatalf("errors: %v", tabs.Errors)
				}
				var e *acpi.Error
				if !errors.As(tabs.Errors[0], &e) || e.Addr != addr || !errors.Is(e, c.kind) {
					t.Errorf("error %v, want %v at %#x", tabs.Errors[0], c.kind, addr)
				}
				if sig != "WAET" {
					rerr := tabs.Require(sig)
					if errors.Is(rerr, acpi.ErrNotFound) || !errors.Is(rerr, c.kind) {
						t.Errorf("Require(%s) = %v, want a %v error", sig, rerr, c.kind)
					}
				}
				// Everything else is as from clean memory.
				want := fields(clean)
				for s, v := range fields(tabs) {
					if s == sig {
						if !reflect.ValueOf(v).IsNil() {
							t.Errorf("corrupt %s parsed: %+v", s, v)
						}
						continue
					}
					if !reflect.DeepEqual(v, want[s]) {
						t.Errorf("%s differs from a clean discovery:\n got %+v\nwant %+v", s, v, want[s])
					}
				}
				if sig != "FACP" && sig != "DSDT" && (tabs.DSDT == nil || tabs.DSDT.Err != nil) {
					t.Errorf("DSDT %+v", tabs.DSDT)
				}
			})
		}
	}
}

func TestDiscoverRootFailures(t *testing.T) {
	f := loadFixture(t, "q35-numa2")
	rsdtAddr := f.addrOf("RSDT")
	for _, c := range []struct {
		name string
		edit func(m *segMemory)
		kind error
	}{
		{"RSDP checksum", func(m *segMemory) { m.at(f.rsdpAddr)[10]++ }, acpi.ErrChecksum},
		{"RSDP signature", func(m *segMemory) { m.at(f.rsdpAddr)[0] = 'X' }, acpi.ErrSignature},
		{"RSDP unmapped", func(m *segMemory) { m.Pieces[0].Addr += 0x100000 }, acpi.ErrRead},
		{"RSDT checksum", func(m *segMemory) { m.at(rsdtAddr)[40]++ }, acpi.ErrChecksum},
		{"RSDT signature", func(m *segMemory) { copy(m.at(rsdtAddr), "XSDT"); acpitest.FixChecksum(m.at(rsdtAddr)) }, acpi.ErrSignature},
		{"RSDT huge", func(m *segMemory) { setLength(m.at(rsdtAddr), 1<<31); acpitest.FixChecksum(m.at(rsdtAddr)) }, acpi.ErrLength},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := f.memory()
			c.edit(m)
			tabs, err := acpi.Discover(m, f.rsdpAddr)
			if tabs != nil || !errors.Is(err, c.kind) {
				t.Errorf("Discover = %v, %v; want a %v error", tabs, err, c.kind)
			}
		})
	}

	// Root entries that lead nowhere are reported; the rest parse.
	m := f.memory()
	rsdt := m.at(rsdtAddr)
	binary.LittleEndian.PutUint32(rsdt[36:], 0) // the FADT: null
	acpitest.FixChecksum(rsdt)
	tabs, err := acpi.Discover(m, f.rsdpAddr)
	if err != nil {
		t.Fatal(err)
	}
	if len(tabs.Errors) != 1 || !errors.Is(tabs.Errors[0], acpi.ErrEntry) ||
		tabs.Errors[0].Error() != "acpi: RSDT at 0x7ffe2520: entry 0 is a null pointer" {
		t.Errorf("errors %v", tabs.Errors)
	}
	if tabs.FADT != nil || tabs.DSDT != nil || tabs.MADT == nil || tabs.SRAT == nil {
		t.Errorf("tables %+v", tabs)
	}
	// A null entry is no table: the FADT is absent.
	if err := tabs.Require("FADT", "DSDT"); !errors.Is(err, acpi.ErrNotFound) {
		t.Errorf("Require(FADT, DSDT) = %v", err)
	}

	binary.LittleEndian.PutUint32(rsdt[40:], 0xdead0000) // the MADT: unmapped
	acpitest.FixChecksum(rsdt)
	tabs, err = acpi.Discover(m, f.rsdpAddr)
	if err != nil {
		t.Fatal(err)
	}
	if len(tabs.Errors) != 2 || !errors.Is(tabs.Errors[1], acpi.ErrRead) {
		t.Errorf("errors %v", tabs.Errors)
	}
	// The unreadable entry may have been the MADT (or the FADT): that is
	// not the same as absent.
	for _, name := range []string{"MADT", "FADT"} {
		if err := tabs.Require(name); errors.Is(err, acpi.ErrNotFound) || !errors.Is(err, acpi.ErrRead) {
			t.Errorf("Require(%s) = %v", name, err)
		}
	}
	if err := tabs.Require("SRAT", "HPET", "MCFG"); err != nil {
		t.Errorf("Require(SRAT, HPET, MCFG) = %v", err)
	}
}
