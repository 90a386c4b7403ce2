package hw

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestRange(t *testing.T) {
	r := Range{0x1000, 0x2000}
	if r.End() != 0x3000 || r.Last() != 0x2fff {
		t.Errorf("End %#x Last %#x", r.End(), r.Last())
	}
	top := Range{math.MaxUint64 - 0xff, 0x1000} // runs past 2^64
	if top.End() != math.MaxUint64 || top.Last() != math.MaxUint64 {
		t.Errorf("range past 2^64: End %#x Last %#x", top.End(), top.Last())
	}
	for _, c := range []struct {
		addr, n uint64
		want    bool
	}{
		{0x1000, 0x2000, true}, {0x1000, 0, true}, {0x3000, 0, true}, {0x2fff, 1, true},
		{0x2fff, 2, false}, {0xfff, 1, false}, {0x3000, 1, false}, {0x1000, math.MaxUint64, false},
	} {
		if got := r.Contains(c.addr, c.n); got != c.want {
			t.Errorf("%v.Contains(%#x, %#x) = %v", r, c.addr, c.n, got)
		}
	}
	if s := r.String(); s != "[0x1000-0x2fff]" {
		t.Errorf("String = %q", s)
	}
	if s := (Range{0x1000, 0}).String(); s != "[0x1000 empty]" {
		t.Errorf("empty String = %q", s)
	}
}

func TestPieces(t *testing.T) {
	ps := Pieces{{0x1000, []byte("hello")}, {0x2000, []byte("world!")}}
	p := make([]byte, 3)
	if n, err := ps.ReadAt(p, 0x2002); err != nil || n != 3 || string(p) != "rld" {
		t.Errorf("ReadAt inside = %d %v %q", n, err, p)
	}
	if n, err := ps.ReadAt(p[:0], 0x1005); err != nil || n != 0 {
		t.Errorf("empty read at the end of a piece = %d %v", n, err)
	}
	for _, addr := range []uint64{0x1003, 0xfff, 0x1800, 0x2004, math.MaxUint64 - 1} {
		if n, err := ps.ReadAt(p, addr); err == nil || n != 0 {
			t.Errorf("ReadAt(3 bytes at %#x) = %d, %v; want an error and nothing read", addr, n, err)
		}
	}
}

func TestCheckAccess(t *testing.T) {
	ok := []struct{ size, off, width int }{{16, 0, 4}, {16, 12, 4}, {16, 15, 1}, {8, 0, 8}}
	for _, c := range ok {
		CheckAccess(c.size, c.off, c.width)
	}
	bad := []struct{ size, off, width int }{{16, 2, 4}, {16, 16, 1}, {16, 14, 4}, {16, -4, 4}, {4, 0, 8}}
	for _, c := range bad {
		func() {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(r.(string), "offset") {
					t.Errorf("CheckAccess(%d, %d, %d): panic %v, want one naming the offset", c.size, c.off, c.width, r)
				}
			}()
			CheckAccess(c.size, c.off, c.width)
		}()
	}
}

func TestDMASize(t *testing.T) {
	for _, c := range []struct {
		size, align   int
		bytes, align2 uint64
	}{{1, 0, 4096, 4096}, {4096, 4096, 4096, 4096}, {4097, 1 << 16, 8192, 1 << 16}} {
		b, a, err := DMASize(c.size, c.align)
		if err != nil || b != c.bytes || a != c.align2 {
			t.Errorf("DMASize(%d, %d) = %d, %d, %v", c.size, c.align, b, a, err)
		}
	}
	for _, c := range []struct{ size, align int }{{0, 0}, {-1, 0}, {1, 2048}, {1, 3 << 12}} {
		if _, _, err := DMASize(c.size, c.align); !errors.Is(err, ErrBadRequest) {
			t.Errorf("DMASize(%d, %d) error %v, want ErrBadRequest", c.size, c.align, err)
		}
	}
}

func TestPhysAt(t *testing.T) {
	b := DMABuffer{Bytes: make([]byte, 4096), Phys: 0x10000, Align: 4096}
	if b.PhysAt(0) != 0x10000 || b.PhysAt(4096) != 0x11000 {
		t.Errorf("PhysAt = %#x, %#x", b.PhysAt(0), b.PhysAt(4096))
	}
	defer func() {
		if recover() == nil {
			t.Error("PhysAt past the end did not panic")
		}
	}()
	b.PhysAt(4097)
}
