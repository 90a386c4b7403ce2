package devtest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/aerokernel/aero/core"
)

func TestRAMDiskIO(t *testing.T) {
	d := NewRAMDisk("ram0", 512, 8)
	if d.SectorSize() != 512 || d.Sectors() != 8 || d.ReadOnly() {
		t.Fatalf("geometry %d x %d, read-only %v", d.SectorSize(), d.Sectors(), d.ReadOnly())
	}
	w := bytes.Repeat([]byte("ab"), 512)
	if n, err := d.WriteAt(w, 512*6); n != 1024 || err != nil {
		t.Fatalf("write of the last two sectors: %d, %v", n, err)
	}
	r := make([]byte, 1024)
	if n, err := d.ReadAt(r, 512*6); n != 1024 || err != nil || !bytes.Equal(r, w) {
		t.Errorf("read to the end: %d, %v", n, err)
	}
	for _, c := range []struct {
		name string
		off  int64
		n    int
		kind error
	}{
		{"unaligned offset", 100, 512, core.ErrUnaligned},
		{"unaligned length", 0, 100, core.ErrUnaligned},
		{"past the end", 512 * 7, 1024, core.ErrOutOfRange},
		{"at the end", 512 * 8, 512, core.ErrOutOfRange},
		{"negative", -512, 512, core.ErrOutOfRange},
	} {
		p := make([]byte, c.n)
		if n, err := d.ReadAt(p, c.off); n != 0 || !errors.Is(err, c.kind) {
			t.Errorf("read %s: %d, %v; want 0, %v", c.name, n, err, c.kind)
		}
		if n, err := d.WriteAt(p, c.off); n != 0 || !errors.Is(err, c.kind) {
			t.Errorf("write %s: %d, %v; want 0, %v", c.name, n, err, c.kind)
		}
	}
	d.SetReadOnly(true)
	if n, err := d.WriteAt(make([]byte, 512), 0); n != 0 || !errors.Is(err, core.ErrReadOnly) {
		t.Errorf("write to a read-only disk: %d, %v", n, err)
	}
	if n, err := d.ReadAt(r[:512], 512*6); n != 512 || err != nil {
		t.Errorf("read from a read-only disk: %d, %v", n, err)
	}
}

// Writes survive a crash only once flushed.
func TestRAMDiskFlushAndCrash(t *testing.T) {
	d := NewRAMDisk("ram0", 4096, 4)
	one, two := bytes.Repeat([]byte{1}, 4096), bytes.Repeat([]byte{2}, 4096)
	d.WriteAt(one, 0)
	d.Flush()
	d.WriteAt(two, 0)
	d.WriteAt(two, 4096)
	p := make([]byte, 4096)
	d.ReadAt(p, 0)
	if !bytes.Equal(p, two) {
		t.Fatal("a write is not seen before the flush")
	}
	d.Crash()
	d.ReadAt(p, 0)
	if !bytes.Equal(p, one) {
		t.Errorf("after the crash sector 0 holds %d, want the flushed 1", p[0])
	}
	d.ReadAt(p, 4096)
	if !bytes.Equal(p, make([]byte, 4096)) {
		t.Errorf("after the crash sector 1 holds %d, want the never-flushed zeros", p[0])
	}
	if d.Flushes() != 1 {
		t.Errorf("%d flushes", d.Flushes())
	}
}

func TestRAMDiskSectorSize(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("sector size 1000 accepted")
		}
	}()
	NewRAMDisk("bad", 1000, 1)
}
