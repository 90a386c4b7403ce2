//go:build tamago && amd64

package selftest

import (
	"bytes"
	"errors"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/hw"
	"github.com/aerokernel/aero/core/ktest"
	"github.com/aerokernel/aero/core/platform"
)

// The platform's implementations of core/hw, on the machine.
func init() {
	ktest.Register("hw/dma", testDMA)
	ktest.Register("hw/mmio", testMMIO)
	ktest.Register("hw/irq", testIRQLine)
}

// testDMA allocates a DMA buffer from the kernel's Memory and reads its
// bytes back at its physical address through the physical memory reader:
// the address the device would be given is where the bytes are.
func testDMA(t *ktest.T) {
	k := core.Running()
	const size, align = 3*hw.PageSize + 100, 1 << 16
	before := k.Memory.Stats()
	buf, err := k.Memory.AllocDMA(size, align, 0)
	if err != nil {
		t.Fatalf("AllocDMA(%d, %#x): %v", size, align, err)
	}
	if len(buf.Bytes) != 4*hw.PageSize || buf.Align != align || buf.Phys%align != 0 {
		t.Fatalf("AllocDMA(%d, %#x) = %d bytes at %#x, alignment %#x", size, align, len(buf.Bytes), buf.Phys, buf.Align)
	}
	for i := range buf.Bytes {
		if buf.Bytes[i] != 0 {
			t.Fatalf("byte %d of the buffer is %#x, not zeroed", i, buf.Bytes[i])
		}
		buf.Bytes[i] = byte(i*7 + 3)
	}
	got := make([]byte, len(buf.Bytes))
	if n, err := platform.PhysMemory().ReadAt(got, buf.Phys); err != nil || n != len(got) {
		t.Fatalf("reading %d bytes at physical %#x: %d, %v", len(got), buf.Phys, n, err)
	}
	if !bytes.Equal(got, buf.Bytes) {
		t.Fatalf("the bytes at physical %#x differ from the buffer's", buf.Phys)
	}
	// A descriptor pointing into the middle of the buffer.
	mid := make([]byte, 16)
	platform.PhysMemory().ReadAt(mid, buf.PhysAt(5000))
	if !bytes.Equal(mid, buf.Bytes[5000:5016]) {
		t.Errorf("PhysAt(5000) = %#x does not hold byte 5000", buf.PhysAt(5000))
	}
	if err := k.Memory.Free(buf.Bytes[:100]); !errors.Is(err, hw.ErrBadFree) {
		t.Errorf("Free of a reslice: %v, want ErrBadFree", err)
	}
	if err := k.Memory.Free(buf.Bytes); err != nil {
		t.Fatalf("Free: %v", err)
	}
	if err := k.Memory.Free(buf.Bytes); !errors.Is(err, hw.ErrBadFree) {
		t.Errorf("double Free: %v, want ErrBadFree", err)
	}
	after := k.Memory.Stats()
	if len(before) > 0 && len(after) > 0 && (after[0].Allocs != before[0].Allocs+1 || after[0].Frees != before[0].Frees+1) {
		t.Errorf("stats went from %+v to %+v: want one more allocation and free", before[0], after[0])
	}
	t.Logf("%d-byte DMA buffer at physical %#x (aligned to %#x) reads back through the identity map", len(buf.Bytes), buf.Phys, buf.Align)
}

// testMMIO reads device registers through hw.MMIO and checks them against
// what tamago's own accessors and the ACPI tables say: the local APIC's ID
// and version registers (Intel SDM Vol. 3A §11.4.6, §11.4.8) and the
// HPET's capabilities and main counter (IA-PC HPET 1.0a §2.3.4, §2.3.7).
func testMMIO(t *ktest.T) {
	k := core.Running()
	if k.ACPI == nil || k.ACPI.MADT == nil {
		t.Fatal("no MADT")
	}
	lapic, err := platform.MMIO(k.ACPI.MADT.LocalAPIC())
	if err != nil {
		t.Fatal(err)
	}
	// Each CPU sees its own local APIC at that address: stay on one.
	runtime.LockOSThread()
	id, ver := lapic.Read32(0x20), lapic.Read32(0x30)
	cpuID, cpuVer := platform.ProcessorID(), platform.CPU.LAPIC.Version()
	runtime.UnlockOSThread()
	if uint64(id>>24) != cpuID || ver != cpuVer {
		t.Errorf("local APIC ID %#x, version %#x through MMIO; tamago reads ID %d, version %#x", id, ver, cpuID, cpuVer)
	}
	if v := ver & 0xff; v < 0x10 || v > 0x15 {
		t.Errorf("local APIC version %#x is not an integrated APIC's (0x10-0x15)", v)
	}
	t.Logf("local APIC at %v: ID %d, version %#x, %d LVT entries", k.ACPI.MADT.LocalAPIC(), id>>24, ver&0xff, ver>>16&0xff+1)

	if k.ACPI.HPET == nil {
		t.Skip("no HPET on this machine")
	}
	r, err := k.ACPI.HPET.Registers()
	if err != nil {
		t.Fatal(err)
	}
	hpet, err := platform.MMIO(r)
	if err != nil {
		t.Fatal(err)
	}
	caps := hpet.Read64(0)
	if uint32(caps) != k.ACPI.HPET.BlockID {
		t.Errorf("HPET capabilities %#x: low half should be the ACPI table's event timer block ID %#x", caps, k.ACPI.HPET.BlockID)
	}
	period := caps >> 32 // femtoseconds per tick, at most 100 ns (§2.3.4)
	if period == 0 || period > 100_000_000 {
		t.Errorf("HPET period %d fs", period)
	}
	c0 := hpet.Read64(0xf0)
	time.Sleep(10 * time.Millisecond)
	c1 := hpet.Read64(0xf0)
	if c1 <= c0 {
		t.Errorf("HPET main counter did not advance in 10 ms: %d then %d", c0, c1)
	}
	t.Logf("HPET at %v: capabilities %#x, %d fs per tick, counter advanced %d ticks in 10 ms", r, caps, period, c1-c0)
}

// testIRQLine drives the CMOS RTC's periodic interrupt (ISA IRQ 8) through
// an IRQ line and an I/O port window: the line delivers while enabled,
// nothing while masked (the RTC kept raising: its register C is polled),
// and again once re-enabled.
func testIRQLine(t *ktest.T) {
	line, err := platform.ISAIRQ(8)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := line.Close(); err != nil {
			t.Error(err)
		}
		if err := line.Mask(); !errors.Is(err, hw.ErrClosed) {
			t.Errorf("Mask after Close: %v, want ErrClosed", err)
		}
	}()
	var count atomic.Int32
	rtc, err := startRTC()
	if err != nil {
		t.Fatal(err)
	}
	defer rtc.stop()
	handler := func() { count.Add(1); rtc.ack() }

	if err := line.Enable(handler); err != nil {
		t.Fatal(err)
	}
	// Delivery is what is checked, not the rate: a loaded host delays
	// the dispatcher, and each late handler call coalesces the RTC's
	// ticks (it raises the next only once register C is read).
	const want = 5
	start := time.Now()
	enabled, ok := waitCount(&count, want, 5*time.Second)
	if !ok {
		t.Fatalf("%d RTC interrupts in %v with the line enabled, want %d", enabled, time.Since(start).Round(time.Millisecond), want)
	}
	if err := line.Mask(); err != nil {
		t.Fatal(err)
	}
	masked := count.Load()
	stray := platform.StrayInterrupts()
	for end := time.Now().Add(200 * time.Millisecond); time.Now().Before(end); {
		rtc.ack() // by polling: the RTC keeps interrupting
		time.Sleep(5 * time.Millisecond)
	}
	// Masking stops deliveries; one interrupt already taken when Mask ran
	// may still be dispatched after it (to the handler or, the line
	// having none, as stray). More than that came through the mask.
	late := int64(count.Load()-masked) + int64(platform.StrayInterrupts()-stray)
	if late > 1 {
		t.Errorf("%d interrupts arrived on the masked line (at most the one in flight when it was masked may)", late)
	}
	if err := line.Enable(handler); err != nil {
		t.Fatal(err)
	}
	base := count.Load()
	rtc.ack()
	if got, ok := waitCount(&count, base+3, 5*time.Second); !ok {
		t.Errorf("%d RTC interrupts after the line was enabled again, want 3", got-base)
	}
	t.Logf("RTC on ISA IRQ 8: %d interrupts enabled, %d late while masked, %d after enabling again", enabled, late, count.Load()-base)
}

// waitCount waits until *c reaches want or d passes; it returns the last
// count seen and whether it reached want.
func waitCount(c *atomic.Int32, want int32, d time.Duration) (int32, bool) {
	for end := time.Now().Add(d); ; time.Sleep(5 * time.Millisecond) {
		n := c.Load()
		if n >= want || time.Now().After(end) {
			return n, n >= want
		}
	}
}
