package hwtest

import (
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aerokernel/aero/core/hw"
)

func TestRegsStoreAndRecord(t *testing.T) {
	r := NewRegs(16)
	r.Write32(4, 0x11223344)
	if v := r.Read8(5); v != 0x33 {
		t.Errorf("Read8(5) after Write32(4, 0x11223344) = %#x, want 0x33 (little-endian)", v)
	}
	r.Write64(8, 0xdeadbeefcafef00d)
	if v := r.Read16(14); v != 0xdead {
		t.Errorf("Read16(14) = %#x", v)
	}
	want := []Access{{true, 4, 4, 0x11223344}, {false, 5, 1, 0x33}, {true, 8, 8, 0xdeadbeefcafef00d}, {false, 14, 2, 0xdead}}
	if got := r.Accesses(); !reflect.DeepEqual(got, want) {
		t.Errorf("Accesses = %v, want %v", got, want)
	}
	if s := want[0].String(); s != "w32 0x4 0x11223344" {
		t.Errorf("String = %q", s)
	}
	r.ClearAccesses()
	if r.Get(4, 4) != 0x11223344 || len(r.Accesses()) != 0 {
		t.Errorf("Get after ClearAccesses: %#x, %d accesses", r.Get(4, 4), len(r.Accesses()))
	}
}

// A scripted device: writing 1 to a command register sets a status bit
// that reading clears.
func TestRegsScripted(t *testing.T) {
	const cmd, status = 0x0, 0x4
	r := NewRegs(8)
	r.OnWrite(cmd, func(v uint64) {
		if v == 1 {
			r.Set(status, 4, 0x80)
		}
	})
	r.OnRead(status, func() uint64 {
		v := r.Get(status, 4)
		r.Set(status, 4, 0)
		return v
	})
	if r.Read32(status) != 0 {
		t.Fatal("status set before the command")
	}
	r.Write32(cmd, 1)
	if r.Get(cmd, 4) != 0 {
		t.Error("a write with an OnWrite hook was stored")
	}
	if v := r.Read32(status); v != 0x80 {
		t.Errorf("status after the command = %#x, want 0x80", v)
	}
	if v := r.Read32(status); v != 0 {
		t.Errorf("status read twice = %#x, want 0 (read-to-clear)", v)
	}
}

func TestRegsCheckAccess(t *testing.T) {
	r := NewRegs(8)
	for name, f := range map[string]func(){
		"unaligned": func() { r.Read32(2) },
		"outside":   func() { r.Write8(8, 1) },
		"too wide":  func() { r.Read64(4) },
	} {
		func() {
			defer func() {
				if p := recover(); p == nil || !strings.Contains(p.(string), "offset") {
					t.Errorf("%s access: panic %v, want hw.CheckAccess's", name, p)
				}
			}()
			f()
		}()
	}
}

func TestIRQ(t *testing.T) {
	var q IRQ
	calls := 0
	if q.Fire() || q.Missed() != 1 {
		t.Fatal("a new line delivered an interrupt")
	}
	if err := q.Enable(nil); err == nil {
		t.Error("Enable(nil) succeeded")
	}
	if err := q.Enable(func() { calls++ }); err != nil {
		t.Fatal(err)
	}
	if !q.Fire() || !q.Fire() || calls != 2 || q.Handled() != 2 {
		t.Errorf("enabled line: %d calls, %d handled", calls, q.Handled())
	}
	q.Mask()
	if q.Fire() || calls != 2 || q.Enabled() {
		t.Error("masked line delivered")
	}
	// A handler may mask its own line.
	q.Enable(func() { calls++; q.Mask() })
	q.Fire()
	if q.Fire() || calls != 3 {
		t.Errorf("handler that masks: %d calls", calls)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{q.Enable(func() {}), q.Mask(), q.Close()} {
		if !errors.Is(err, hw.ErrClosed) {
			t.Errorf("after Close: %v, want ErrClosed", err)
		}
	}
}

// Handlers run one at a time even when the device fires from several
// goroutines.
func TestIRQSerial(t *testing.T) {
	var q IRQ
	var mu sync.Mutex
	running, overlap := 0, false
	q.Enable(func() {
		mu.Lock()
		running++
		overlap = overlap || running > 1
		mu.Unlock()
		mu.Lock()
		running--
		mu.Unlock()
	})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				q.Fire()
			}
		}()
	}
	wg.Wait()
	if overlap || q.Handled() != 800 {
		t.Errorf("overlap %v, %d handled", overlap, q.Handled())
	}
}

func TestRAMDMA(t *testing.T) {
	ram := NewRAM(0x100000, 64<<10)
	a, err := ram.AllocDMA(100, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ram.AllocDMA(4096, 1<<14, 0)
	if err != nil {
		t.Fatal(err)
	}
	if a.Phys != 0x100000 || len(a.Bytes) != 4096 || b.Phys != 0x104000 || b.Align != 1<<14 {
		t.Errorf("a at %#x (%d bytes), b at %#x align %#x", a.Phys, len(a.Bytes), b.Phys, b.Align)
	}
	// The driver writes; the device reads at the physical address, and
	// the other way round.
	copy(a.Bytes[10:], "descriptor")
	got := make([]byte, 10)
	if _, err := ram.ReadAt(got, a.PhysAt(10)); err != nil || string(got) != "descriptor" {
		t.Errorf("device read %q, %v", got, err)
	}
	ram.WriteAt([]byte("packet"), b.Phys+4)
	if string(b.Bytes[4:10]) != "packet" {
		t.Errorf("driver sees %q", b.Bytes[4:10])
	}
	if _, err := ram.ReadAt(got, 0x100000+64<<10-5); err == nil {
		t.Error("read past the end of the RAM succeeded")
	}
	// Free: exactly what was handed out, once; a freed range is reused.
	for name, s := range map[string][]byte{"resliced": a.Bytes[1:], "shortened": a.Bytes[:10], "foreign": make([]byte, 4096), "nil": nil} {
		if err := ram.Free(s); !errors.Is(err, hw.ErrBadFree) {
			t.Errorf("Free(%s) = %v, want ErrBadFree", name, err)
		}
	}
	if err := ram.Free(a.Bytes); err != nil {
		t.Fatal(err)
	}
	if err := ram.Free(a.Bytes); !errors.Is(err, hw.ErrBadFree) {
		t.Errorf("double Free = %v", err)
	}
	// a's page is free again: with the padding below b, 16 KiB at
	// 0x100000 hold the next 8 KiB and 4 KiB, lowest first.
	c, err := ram.AllocDMA(8192, 0, 0)
	if err != nil || c.Phys != 0x100000 {
		t.Errorf("8 KiB after the free: %#x, %v; want 0x100000", c.Phys, err)
	}
	d, err := ram.AllocDMA(4096, 0, 0)
	if err != nil || d.Phys != 0x102000 {
		t.Errorf("4 KiB next: %#x, %v; want 0x102000", d.Phys, err)
	}
	e, err := ram.AllocDMA(8192, 0, 0)
	if err != nil || e.Phys != 0x105000 {
		t.Errorf("8 KiB next: %#x, %v; want 0x105000, past b", e.Phys, err)
	}
	if ram.Outstanding() != 4 {
		t.Errorf("%d outstanding, want 4", ram.Outstanding())
	}
	if _, err := ram.AllocDMA(64<<10, 0, 0); !errors.Is(err, hw.ErrNoMemory) {
		t.Errorf("exhaustion: %v, want ErrNoMemory", err)
	}
	if _, err := ram.AllocDMA(1, 1000, 0); !errors.Is(err, hw.ErrBadRequest) {
		t.Errorf("bad alignment: %v, want ErrBadRequest", err)
	}
}
