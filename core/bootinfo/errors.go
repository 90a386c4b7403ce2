package bootinfo

import (
	"errors"
	"fmt"
)

// Kinds of failure. An *Error wraps one of them, so callers test with
// errors.Is(err, bootinfo.ErrMagic) and the like.
var (
	// ErrMagic: there is no boot information at the address (the PVH
	// magic is wrong), or the address is 0.
	ErrMagic = errors.New("wrong magic")
	// ErrRead: the memory could not supply the bytes (not copied, or past
	// the end of memory).
	ErrRead = errors.New("memory read failed")
	// ErrLength: a count or size is impossible or past its limit.
	ErrLength = errors.New("bad length")
	// ErrString: a string has no NUL within its bound.
	ErrString = errors.New("unterminated string")
	// ErrMissing: a structure the kernel needs is absent: the memory
	// map, or multiboot2's end tag.
	ErrMissing = errors.New("missing")
)

// Error is a failure to parse the boot information.
type Error struct {
	Protocol string // "pvh" or "multiboot2"
	What     string // the structure: "start info", "memory map", "tag 6 at offset 48", ...
	Addr     uint64 // its physical address, 0 if not known
	Kind     error  // one of the Err* values above
	Msg      string // what exactly is wrong
}

func (e *Error) Error() string {
	if e.Addr != 0 {
		return fmt.Sprintf("bootinfo: %s: %s at %#x: %s", e.Protocol, e.What, e.Addr, e.Msg)
	}
	return fmt.Sprintf("bootinfo: %s: %s: %s", e.Protocol, e.What, e.Msg)
}

// Unwrap returns the kind of failure.
func (e *Error) Unwrap() error { return e.Kind }

func errorf(proto, what string, addr uint64, kind error, format string, args ...any) *Error {
	return &Error{Protocol: proto, What: what, Addr: addr, Kind: kind, Msg: fmt.Sprintf(format, args...)}
}
