package acpi

import (
	"errors"
	"fmt"
)

// Kinds of failure. An *Error wraps one of them, so callers test with
// errors.Is(err, acpi.ErrChecksum) and the like.
var (
	// ErrNotFound: a table (or the RSDP) is absent. Only absence is
	// reported with it; a table that is present but invalid is not.
	ErrNotFound = errors.New("not found")
	// ErrSignature: the bytes at an address do not start with the
	// signature expected there.
	ErrSignature = errors.New("wrong signature")
	// ErrChecksum: the bytes of a table (or RSDP) do not sum to zero.
	ErrChecksum = errors.New("bad checksum")
	// ErrTruncated: fewer bytes are present than the structure or its
	// declared length needs.
	ErrTruncated = errors.New("truncated")
	// ErrLength: a declared length is impossible: shorter than the fixed
	// part of the structure, longer than MaxTableLength, or not a whole
	// number of entries.
	ErrLength = errors.New("bad length")
	// ErrEntry: an entry inside a table is malformed (length 0, runs past
	// the table, shorter than its type needs, impossible contents).
	ErrEntry = errors.New("bad entry")
	// ErrRead: the physical memory could not supply the bytes.
	ErrRead = errors.New("memory read failed")
)

// Error is a failure to find or validate one table.
type Error struct {
	Table string // the table's name: "RSDP", "RSDT", "MADT" (signature APIC), "FADT" (FACP), ... or its signature
	Addr  uint64 // physical address of the table; 0 when parsed from a slice
	Kind  error  // one of the Err* values above
	Msg   string // what exactly is wrong, e.g. "entry at offset 44 has length 0"
}

func (e *Error) Error() string {
	if e.Addr != 0 {
		return fmt.Sprintf("acpi: %s at %#x: %s", e.Table, e.Addr, e.Msg)
	}
	return fmt.Sprintf("acpi: %s: %s", e.Table, e.Msg)
}

// Unwrap returns the kind of failure.
func (e *Error) Unwrap() error { return e.Kind }

func errorf(table string, kind error, format string, args ...any) *Error {
	return &Error{Table: table, Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// at sets the address on an *Error from a slice parser.
func at(err error, addr uint64) error {
	var e *Error
	if errors.As(err, &e) && e.Addr == 0 {
		e.Addr = addr
	}
	return err
}
