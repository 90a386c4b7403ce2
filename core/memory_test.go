package core

import (
	"errors"
	"strings"
	"testing"
	"unsafe"

	"github.com/aerokernel/aero/core/hw"
)

// identityPhys stands in for the kernel's identity map: on the host the
// default Memory has no physical addresses of its own.
func identityPhys(t *testing.T) {
	t.Helper()
	old := physAddr
	physAddr = func(virt uintptr) (uint64, error) { return uint64(virt), nil }
	t.Cleanup(func() { physAddr = old })
}

func TestHeapMemoryDMA(t *testing.T) {
	identityPhys(t)
	m := &heapMemory{}
	for _, c := range []struct {
		size, align int
		n, a        uint64
	}{{1, 0, 4096, 4096}, {5000, 4096, 8192, 4096}, {3 * 4096, 1 << 16, 3 * 4096, 1 << 16}, {100, 1 << 21, 4096, 1 << 21}} {
		b, err := m.AllocDMA(c.size, c.align, 0)
		if err != nil {
			t.Fatalf("AllocDMA(%d, %#x): %v", c.size, c.align, err)
		}
		if uint64(len(b.Bytes)) != c.n || uint64(cap(b.Bytes)) != c.n || b.Align != c.a || b.Phys%c.a != 0 {
			t.Errorf("AllocDMA(%d, %#x) = %d bytes (cap %d), align %#x, phys %#x; want %d bytes aligned to %#x",
				c.size, c.align, len(b.Bytes), cap(b.Bytes), b.Align, b.Phys, c.n, c.a)
		}
		if b.Phys != uint64(uintptr(unsafe.Pointer(&b.Bytes[0]))) {
			t.Errorf("Phys %#x is not where the bytes are", b.Phys)
		}
		for i, v := range b.Bytes {
			if v != 0 {
				t.Fatalf("byte %d is %d, not zeroed", i, v)
			}
		}
		if err := m.Free(b.Bytes); err != nil {
			t.Errorf("Free: %v", err)
		}
	}
	for _, c := range []struct{ size, align int }{{0, 0}, {-5, 0}, {1, 100}, {1, 2048}} {
		if _, err := m.AllocDMA(c.size, c.align, 0); !errors.Is(err, hw.ErrBadRequest) {
			t.Errorf("AllocDMA(%d, %d) error %v, want ErrBadRequest", c.size, c.align, err)
		}
	}
	st := m.Stats()[0]
	if st.Allocs != 4 || st.Frees != 4 || st.Failures != 4 {
		t.Errorf("stats %+v: want 4 allocations, 4 frees, 4 failures", st)
	}
}

func TestHeapMemoryDMAWithoutPhysicalAddresses(t *testing.T) {
	old := physAddr
	physAddr = nil
	defer func() { physAddr = old }()
	if _, err := (&heapMemory{}).AllocDMA(4096, 0, 0); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("AllocDMA without an identity map: error %v, want ErrUnsupported", err)
	}
}

// Free accepts exactly what was handed out, once.
func TestHeapMemoryFree(t *testing.T) {
	identityPhys(t)
	m := &heapMemory{}
	a, err := m.Alloc(100, -1)
	if err != nil || len(a) != 100 {
		t.Fatalf("Alloc(100) = %d bytes, %v", len(a), err)
	}
	d, err := m.AllocDMA(4096, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	foreign := make([]byte, 100)
	for _, c := range []struct {
		name string
		b    []byte
		what string
	}{
		{"resliced start", a[1:], "not an allocation"},
		{"resliced length", a[:50], "100 bytes were allocated"},
		{"DMA buffer resliced", d.Bytes[:100], "4096 bytes were allocated"},
		{"foreign", foreign, "not an allocation"},
		{"nil", nil, "empty"},
	} {
		err := m.Free(c.b)
		if !errors.Is(err, hw.ErrBadFree) || !strings.Contains(err.Error(), c.what) {
			t.Errorf("Free(%s) = %v, want ErrBadFree saying %q", c.name, err, c.what)
		}
	}
	if err := m.Free(a); err != nil {
		t.Errorf("Free(a): %v", err)
	}
	if err := m.Free(d.Bytes); err != nil {
		t.Errorf("Free(DMA buffer): %v", err)
	}
	if err := m.Free(a); !errors.Is(err, hw.ErrBadFree) {
		t.Errorf("second Free(a) = %v, want ErrBadFree", err)
	}
	if _, err := m.Alloc(0, 0); !errors.Is(err, hw.ErrBadRequest) {
		t.Errorf("Alloc(0) error %v, want ErrBadRequest", err)
	}
	st := m.Stats()[0]
	if st.Allocs != 2 || st.Frees != 2 || st.Failures != 1 || st.Node != -1 {
		t.Errorf("stats %+v: want 2 allocations, 2 frees, 1 failure, node -1", st)
	}
	if len(m.blocks) != 0 {
		t.Errorf("%d blocks still kept after freeing everything", len(m.blocks))
	}
}
