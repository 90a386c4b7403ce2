//go:build tamago && amd64

package selftest

import (
	"github.com/aerokernel/aero/core/hw"
	"github.com/aerokernel/aero/core/platform"
)

// periodicRTC drives the CMOS RTC (MC146818) as an interrupt source for the
// interrupt tests: its periodic interrupt on ISA IRQ 8 at 64 Hz. Index port
// 0x70 (bit 7 of the index keeps NMIs masked), data 0x71; register A's low
// bits pick the rate (32768 >> (rate-1) Hz), register B's bit 6 enables the
// periodic interrupt, reading register C acknowledges one (the RTC raises
// the next only after that).
type periodicRTC struct {
	ports      hw.Registers
	oldA, oldB uint8
}

const (
	rtcRegA, rtcRegB, rtcRegC = 0x8a, 0x8b, 0x8c
	rtcRate64Hz               = 10
	rtcPeriodicEnable         = 1 << 6
)

// startRTC starts the periodic interrupt, keeping registers A and B for
// stop.
func startRTC() (*periodicRTC, error) {
	ports, err := platform.Ports(0x70, 2)
	if err != nil {
		return nil, err
	}
	r := &periodicRTC{ports: ports}
	r.oldA, r.oldB = r.read(rtcRegA), r.read(rtcRegB)
	r.write(rtcRegA, r.oldA&0xf0|rtcRate64Hz)
	r.ack()
	r.write(rtcRegB, r.oldB|rtcPeriodicEnable)
	return r, nil
}

// ack acknowledges an interrupt (reads register C).
func (r *periodicRTC) ack() { r.read(rtcRegC) }

// stop restores registers B and A as startRTC found them.
func (r *periodicRTC) stop() {
	r.write(rtcRegB, r.oldB)
	r.write(rtcRegA, r.oldA)
}

func (r *periodicRTC) read(reg uint8) uint8 { r.ports.Write8(0, reg); return r.ports.Read8(1) }

func (r *periodicRTC) write(reg, v uint8) { r.ports.Write8(0, reg); r.ports.Write8(1, v) }
