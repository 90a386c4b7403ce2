package devtest

import (
	"fmt"
	"sync"

	"github.com/aerokernel/aero/core"
)

// RAMDisk is a core.BlockDevice in memory with a volatile write cache:
// writes are seen by reads at once but survive Crash only once flushed,
// as on a disk whose cache loses power. Safe for concurrent use.
type RAMDisk struct {
	name       string
	sectorSize int
	sectors    uint64

	mu       sync.RWMutex
	data     []byte // what reads see
	stable   []byte // what survives Crash
	dirty    map[uint64]bool
	readOnly bool
	flushes  int
}

// NewRAMDisk returns a zeroed disk of sectors sectors of sectorSize bytes,
// which must be a power of two of at least 512.
func NewRAMDisk(name string, sectorSize int, sectors uint64) *RAMDisk {
	if sectorSize < 512 || sectorSize&(sectorSize-1) != 0 {
		panic(fmt.Sprintf("devtest: NewRAMDisk(%q): sector size %d (a power of two, at least 512)", name, sectorSize))
	}
	n := uint64(sectorSize) * sectors
	return &RAMDisk{name: name, sectorSize: sectorSize, sectors: sectors,
		data: make([]byte, n), stable: make([]byte, n), dirty: map[uint64]bool{}}
}

func (d *RAMDisk) Name() string        { return d.name }
func (d *RAMDisk) SectorSize() int     { return d.sectorSize }
func (d *RAMDisk) Sectors() uint64     { return d.sectors }
func (d *RAMDisk) ReadOnly() bool      { d.mu.RLock(); defer d.mu.RUnlock(); return d.readOnly }
func (d *RAMDisk) SetReadOnly(ro bool) { d.mu.Lock(); defer d.mu.Unlock(); d.readOnly = ro }

// check applies the BlockDevice rules to a request of n bytes at off.
func (d *RAMDisk) check(op string, off int64, n int) error {
	ss := int64(d.sectorSize)
	switch {
	case off%ss != 0 || int64(n)%ss != 0:
		return fmt.Errorf("devtest: %s: %s of %d bytes at %d: %w (sector size %d)", d.name, op, n, off, core.ErrUnaligned, ss)
	case off < 0 || uint64(off) > uint64(len(d.data)) || uint64(n) > uint64(len(d.data))-uint64(off):
		return fmt.Errorf("devtest: %s: %s of %d bytes at %d: %w (%d bytes)", d.name, op, n, off, core.ErrOutOfRange, len(d.data))
	}
	return nil
}

// ReadAt implements core.BlockDevice.
func (d *RAMDisk) ReadAt(p []byte, off int64) (int, error) {
	if err := d.check("read", off, len(p)); err != nil {
		return 0, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	return copy(p, d.data[off:]), nil
}

// WriteAt implements core.BlockDevice.
func (d *RAMDisk) WriteAt(p []byte, off int64) (int, error) {
	if err := d.check("write", off, len(p)); err != nil {
		return 0, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.readOnly {
		return 0, fmt.Errorf("devtest: %s: write at %d: %w", d.name, off, core.ErrReadOnly)
	}
	copy(d.data[off:], p)
	for s := uint64(off) / uint64(d.sectorSize); s < (uint64(off)+uint64(len(p)))/uint64(d.sectorSize); s++ {
		d.dirty[s] = true
	}
	return len(p), nil
}

// Flush implements core.BlockDevice: every write so far survives Crash.
func (d *RAMDisk) Flush() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	ss := uint64(d.sectorSize)
	for s := range d.dirty {
		copy(d.stable[s*ss:(s+1)*ss], d.data[s*ss:])
	}
	clear(d.dirty)
	d.flushes++
	return nil
}

// Flushes counts Flush calls.
func (d *RAMDisk) Flushes() int { d.mu.RLock(); defer d.mu.RUnlock(); return d.flushes }

// Crash loses the power: writes since the last Flush are gone, and reads
// see what was flushed.
func (d *RAMDisk) Crash() {
	d.mu.Lock()
	defer d.mu.Unlock()
	ss := uint64(d.sectorSize)
	for s := range d.dirty {
		copy(d.data[s*ss:(s+1)*ss], d.stable[s*ss:])
	}
	clear(d.dirty)
}

var _ core.BlockDevice = (*RAMDisk)(nil)
