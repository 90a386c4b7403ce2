package acpi

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/aerokernel/aero/core/hw"
)

// ReadTable reads the table at addr from mem and validates it as
// ParseHeader does: signature (when want is not empty), declared length
// (against HeaderSize and MaxTableLength, or MaxDefinitionBlockLength for
// AML tables) and checksum. It returns the table's bytes.
func ReadTable(mem hw.PhysMemory, addr uint64, want string) (Header, []byte, error) {
	name := tableName(want)
	if name == "" {
		name = "table"
	}
	hb := make([]byte, HeaderSize)
	if err := readFull(mem, hb, addr, name); err != nil {
		return Header{}, nil, err
	}
	h := decodeHeader(hb)
	if want == "" {
		name = tableName(h.Signature)
	} else if h.Signature != want {
		return h, nil, &Error{Table: name, Addr: addr, Kind: ErrSignature,
			Msg: fmt.Sprintf("signature is %q, want %q", printable(h.Signature), want)}
	}
	// Check the length before allocating for it.
	if err := checkLength(name, h.Signature, h.Length, int(maxLength(h.Signature))); err != nil {
		return h, nil, at(err, addr)
	}
	// Probe the last byte before allocating: a garbage length that passes
	// the cap should not cost an allocation when the memory is not there.
	var last [1]byte
	if n, err := mem.ReadAt(last[:], addr+uint64(h.Length)-1); err != nil || n != 1 {
		return h, nil, &Error{Table: name, Addr: addr, Kind: ErrRead,
			Msg: fmt.Sprintf("length is %d but its last byte cannot be read: %v", h.Length, err)}
	}
	b := make([]byte, h.Length)
	if err := readFull(mem, b, addr, name); err != nil {
		return h, nil, err
	}
	h, b, err := ParseHeader(b, want)
	return h, b, at(err, addr)
}

// TableRef is one table found through the root table (or, for the DSDT,
// through the FADT).
type TableRef struct {
	Signature string // as read at Addr; empty if nothing could be read
	Addr      uint64
	Header    Header // as read; trust it only when Err is nil
	Err       error  // why the table is unusable; nil if it is fine
}

// Tables is what Discover found.
type Tables struct {
	// RSDPAddr is where the RSDP was read; 0 when it came as a copy
	// (DiscoverCopy).
	RSDPAddr uint64
	RSDP     *RSDP
	// Root is the header of the table that listed the others: the XSDT
	// when the RSDP has a valid one, else the RSDT.
	Root     Header
	RootAddr uint64
	XSDT     bool // Root is the XSDT

	// Refs lists every table the root table points to, in order, then the
	// DSDT. Tables of unknown signatures are validated (length, checksum)
	// and listed, not parsed.
	Refs []TableRef

	// The parsed tables; nil when absent or invalid (see Require). When
	// firmware lists two tables of one signature, the first valid one is
	// used.
	FADT *FADT
	MADT *MADT
	HPET *HPET
	SRAT *SRAT
	SLIT *SLIT
	MCFG *MCFG
	// DSDT is the DSDT found through the FADT: validated, not interpreted.
	DSDT *TableRef

	// Errors lists every problem met, each an *Error: invalid tables,
	// entries of the root table that are unusable, an RSDP whose 2.0
	// extension is invalid, an XSDT that was given up for the RSDT.
	Errors []error
}

// Discover reads the RSDP at rsdpAddr and every table it leads to. It
// fails only when there is nothing to go on: no valid RSDP, or neither a
// valid XSDT nor a valid RSDT. Otherwise invalid tables are recorded in
// Tables.Errors (and their TableRef.Err) and all valid ones are parsed.
func Discover(mem hw.PhysMemory, rsdpAddr uint64) (*Tables, error) {
	rsdp, err := rsdpAt(mem, rsdpAddr)
	if rsdp == nil {
		return nil, err
	}
	return discover(mem, &Tables{RSDPAddr: rsdpAddr}, rsdp, err)
}

// DiscoverCopy is Discover for an RSDP given as its bytes rather than its
// address: multiboot2's copy of it, when the firmware leaves none where
// FindRSDP looks (UEFI). The tables it points to are read from mem.
func DiscoverCopy(mem hw.PhysMemory, rsdp []byte) (*Tables, error) {
	r, err := ParseRSDP(rsdp)
	if r == nil {
		return nil, err
	}
	return discover(mem, &Tables{}, r, err)
}

// discover reads the tables rsdp leads to; rsdpErr is what was wrong with
// the RSDP's 2.0 extension, if anything.
func discover(mem hw.PhysMemory, t *Tables, rsdp *RSDP, rsdpErr error) (*Tables, error) {
	err := rsdpErr
	t.RSDP = rsdp
	if err != nil {
		t.Errors = append(t.Errors, err)
	}

	var ptrs []uint64
	ok := false
	if rsdp.XSDTAddress != 0 {
		ptrs, ok = t.root(mem, rsdp.XSDTAddress, "XSDT", 8)
		t.XSDT = ok
	}
	if !ok && rsdp.RSDTAddress != 0 {
		ptrs, ok = t.root(mem, uint64(rsdp.RSDTAddress), "RSDT", 4)
	}
	if !ok {
		if len(t.Errors) == 0 {
			t.Errors = append(t.Errors, &Error{Table: "RSDP", Addr: t.RSDPAddr, Kind: ErrNotFound, Msg: "points to neither an RSDT nor an XSDT"})
		}
		return nil, errors.Join(t.Errors...)
	}

	for i, p := range ptrs {
		if p == 0 {
			t.fail(&Error{Table: t.Root.Signature, Addr: t.RootAddr, Kind: ErrEntry, Msg: fmt.Sprintf("entry %d is a null pointer", i)})
			continue
		}
		t.Refs = append(t.Refs, t.table(mem, p))
	}

	if t.FADT != nil && t.FADT.DSDT != 0 {
		ref := TableRef{Addr: t.FADT.DSDT}
		ref.Header, _, ref.Err = ReadTable(mem, ref.Addr, "DSDT")
		ref.Signature = ref.Header.Signature
		if ref.Err != nil {
			t.fail(ref.Err)
		}
		t.Refs = append(t.Refs, ref)
		t.DSDT = &t.Refs[len(t.Refs)-1]
	}
	return t, nil
}

func (t *Tables) fail(err error) { t.Errors = append(t.Errors, err) }

// root reads the RSDT or XSDT (entries of size bytes) at addr and returns
// its pointers. A length that is not a whole number of entries is reported
// but the whole entries are used.
func (t *Tables) root(mem hw.PhysMemory, addr uint64, sig string, size int) ([]uint64, bool) {
	h, b, err := ReadTable(mem, addr, sig)
	if err != nil {
		t.fail(err)
		return nil, false
	}
	t.Root, t.RootAddr = h, addr
	body := b[HeaderSize:]
	if r := len(body) % size; r != 0 {
		t.fail(&Error{Table: sig, Addr: addr, Kind: ErrLength,
			Msg: fmt.Sprintf("length %d leaves %d byte(s) after the last %d-byte entry", len(b), r, size)})
	}
	ptrs := make([]uint64, 0, len(body)/size)
	for off := 0; off+size <= len(body); off += size {
		if size == 4 {
			ptrs = append(ptrs, uint64(binary.LittleEndian.Uint32(body[off:])))
		} else {
			ptrs = append(ptrs, binary.LittleEndian.Uint64(body[off:]))
		}
	}
	return ptrs, true
}

// table reads, validates and (for known signatures) parses the table at addr.
func (t *Tables) table(mem hw.PhysMemory, addr uint64) TableRef {
	ref := TableRef{Addr: addr}
	h, b, err := ReadTable(mem, addr, "")
	ref.Header, ref.Signature = h, h.Signature
	if err == nil {
		err = t.parse(h.Signature, b)
	}
	if err != nil {
		ref.Err = at(err, addr)
		t.fail(ref.Err)
	}
	return ref
}

// parse decodes a validated table into its field of t, unless an earlier
// table of the signature was already used.
func (t *Tables) parse(sig string, b []byte) (err error) {
	switch sig {
	case "FACP":
		if t.FADT == nil {
			t.FADT, err = ParseFADT(b)
		}
	case "APIC":
		if t.MADT == nil {
			t.MADT, err = ParseMADT(b)
		}
	case "HPET":
		if t.HPET == nil {
			t.HPET, err = ParseHPET(b)
		}
	case "SRAT":
		if t.SRAT == nil {
			t.SRAT, err = ParseSRAT(b)
		}
	case "SLIT":
		if t.SLIT == nil {
			t.SLIT, err = ParseSLIT(b)
		}
	case "MCFG":
		if t.MCFG == nil {
			t.MCFG, err = ParseMCFG(b)
		}
	}
	return err
}

// Lookup returns the tables with signature sig, valid or not.
func (t *Tables) Lookup(sig string) []TableRef {
	var refs []TableRef
	for _, r := range t.Refs {
		if r.Signature == sig {
			refs = append(refs, r)
		}
	}
	return refs
}

// signatures maps the names Require accepts to signatures.
var signatures = map[string]string{
	"MADT": "APIC", "APIC": "APIC",
	"FADT": "FACP", "FACP": "FACP",
	"HPET": "HPET", "SRAT": "SRAT", "SLIT": "SLIT", "MCFG": "MCFG", "DSDT": "DSDT",
}

// Require checks that each named table ("MADT" or "APIC", "FADT" or
// "FACP", "HPET", "SRAT", "SLIT", "MCFG", "DSDT") was found and is valid.
// For a table that is absent the error wraps ErrNotFound; for one that is
// present but invalid it is that table's *Error (checksum, length, ...);
// when the table is not found but some entry of the root table could not be
// read at all (it might have been that table), it is an *Error of kind
// ErrRead, not ErrNotFound.
// Several failures are joined.
func (t *Tables) Require(names ...string) error {
	var errs []error
	for _, name := range names {
		sig, known := signatures[name]
		if !known {
			errs = append(errs, &Error{Table: name, Kind: ErrNotFound, Msg: "is not a table this package parses"})
			continue
		}
		if t.valid(sig) {
			continue
		}
		var bad error
		for _, r := range t.Refs {
			if r.Signature == sig && r.Err != nil {
				bad = r.Err
				break
			}
		}
		if bad == nil {
			bad = t.missing(sig)
		}
		errs = append(errs, bad)
	}
	return errors.Join(errs...)
}

// missing explains why no table with signature sig was found: it is absent
// (ErrNotFound) only if every entry of the root table could be read;
// otherwise an unreadable entry may have been it, and the error is that
// entry's (ErrRead, or ErrLength for a header with an impossible length).
func (t *Tables) missing(sig string) error {
	where := t.Root.Signature
	if sig == "DSDT" {
		where = "FADT"
		if t.FADT == nil {
			return &Error{Table: "DSDT", Kind: ErrNotFound, Msg: "no valid FADT to find it through"}
		}
	} else {
		for _, r := range t.Refs {
			if r.Signature == "" && r.Err != nil {
				return &Error{Table: tableName(sig), Addr: r.Addr, Kind: ErrRead,
					Msg: fmt.Sprintf("not among the readable entries of the %s, and the entry at %#x could not be read: %v", where, r.Addr, r.Err)}
			}
		}
	}
	return &Error{Table: tableName(sig), Kind: ErrNotFound, Msg: fmt.Sprintf("no table with signature %s in the %s", sig, where)}
}

func (t *Tables) valid(sig string) bool {
	switch sig {
	case "FACP":
		return t.FADT != nil
	case "APIC":
		return t.MADT != nil
	case "HPET":
		return t.HPET != nil
	case "SRAT":
		return t.SRAT != nil
	case "SLIT":
		return t.SLIT != nil
	case "MCFG":
		return t.MCFG != nil
	case "DSDT":
		return t.DSDT != nil && t.DSDT.Err == nil
	}
	return false
}
