//go:build tamago && amd64

package console

import (
	"fmt"
	"io"
	"strconv"
	"unsafe"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/platform"
)

// peekMax bounds one peek.
const peekMax = 4096

// mapped checks with the page tables that [addr, addr+n) is mapped, page by
// page, before anything touches it.
func mapped(addr uint64, n int) error {
	if addr+uint64(n) < addr {
		return fmt.Errorf("%#x+%d wraps around", addr, n)
	}
	for page := addr &^ 0xfff; page < addr+uint64(n); page += 0x1000 {
		if _, err := platform.Translate(page); err != nil {
			return err
		}
	}
	return nil
}

func parseAddr(s string) (uint64, error) {
	a, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return 0, core.UsageError("%q is not an address (0x1000, 4096)", s)
	}
	return a, nil
}

func peek(args []string, w io.Writer) error {
	if len(args) < 1 || len(args) > 2 {
		return core.UsageError("an address and at most a count")
	}
	addr, err := parseAddr(args[0])
	if err != nil {
		return err
	}
	n := 16
	if len(args) == 2 {
		n, err = strconv.Atoi(args[1])
		if err != nil || n < 1 || n > peekMax {
			return core.UsageError("count %q: want 1 to %d", args[1], peekMax)
		}
	}
	if err := mapped(addr, n); err != nil {
		return err
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(uintptr(addr))), n)
	for off := 0; off < n; off += 16 {
		row := b[off:min(off+16, n)]
		fmt.Fprintf(w, "%016x ", addr+uint64(off))
		for i := range 16 {
			if i < len(row) {
				fmt.Fprintf(w, " %02x", row[i])
			} else {
				fmt.Fprint(w, "   ")
			}
		}
		fmt.Fprint(w, "  |")
		for _, c := range row {
			if c < 0x20 || c >= 0x7f {
				c = '.'
			}
			fmt.Fprintf(w, "%c", c)
		}
		fmt.Fprintln(w, "|")
	}
	return nil
}

func poke(args []string, w io.Writer) error {
	if len(args) < 2 || len(args) > 3 {
		return core.UsageError("an address, a value and perhaps a width")
	}
	addr, err := parseAddr(args[0])
	if err != nil {
		return err
	}
	width := 1
	if len(args) == 3 {
		width, err = strconv.Atoi(args[2])
		if err != nil || width != 1 && width != 2 && width != 4 && width != 8 {
			return core.UsageError("width %q: want 1, 2, 4 or 8", args[2])
		}
	}
	v, err := strconv.ParseUint(args[1], 0, width*8)
	if err != nil {
		return core.UsageError("value %q does not fit %d bytes", args[1], width)
	}
	if addr%uint64(width) != 0 {
		return core.UsageError("%#x is not aligned to %d bytes", addr, width)
	}
	if err := mapped(addr, width); err != nil {
		return err
	}
	p := unsafe.Pointer(uintptr(addr))
	switch width {
	case 1:
		*(*uint8)(p) = uint8(v)
	case 2:
		*(*uint16)(p) = uint16(v)
	case 4:
		*(*uint32)(p) = uint32(v)
	case 8:
		*(*uint64)(p) = v
	}
	fmt.Fprintf(w, "wrote %#x (%d bytes) at %#x\n", v, width, addr)
	return nil
}
