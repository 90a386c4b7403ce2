package pci

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Bus is the result of a scan: every function found through one Config.
type Bus struct {
	Config Config
	// Mechanism says how configuration space is reached: "ecam" or
	// "ports".
	Mechanism string
	// Functions is every function found, by segment, bus, device and
	// function.
	Functions []*Function
	// Errors are the functions whose configuration space made no sense
	// (skipped, not fatal to the scan).
	Errors []error
}

// Scan walks segment's buses from startBus through PCI-to-PCI bridges'
// secondary buses (each bus once, none outside startBus..endBus): every
// device 0-31, and functions 1-7 of a multi-function device.
func Scan(c Config, mechanism string, segment uint16, startBus, endBus uint8) *Bus {
	b := &Bus{Config: c, Mechanism: mechanism}
	visited := map[uint8]bool{}
	queue := []uint8{startBus}
	for len(queue) > 0 {
		bus := queue[0]
		queue = queue[1:]
		if visited[bus] || bus < startBus || bus > endBus {
			continue
		}
		visited[bus] = true
		for dev := uint8(0); dev < 32; dev++ {
			for fn := uint8(0); fn < 8; fn++ {
				a := Addr{Segment: segment, Bus: bus, Device: dev, Function: fn}
				f, err := probe(c, a)
				if err != nil {
					b.Errors = append(b.Errors, err)
				}
				if f == nil {
					if fn == 0 && err == nil {
						break // no device
					}
					continue
				}
				b.Functions = append(b.Functions, f)
				if f.HeaderType == 1 && f.Secondary != 0 {
					queue = append(queue, f.Secondary)
				}
				if fn == 0 && c.Read(a, RegHeaderType, 1)&0x80 == 0 {
					break // single-function device
				}
			}
		}
	}
	slices.SortFunc(b.Functions, func(x, y *Function) int { return cmp.Compare(x.key(), y.key()) })
	return b
}

// ErrNotFound is the error of a lookup that matched no function.
var ErrNotFound = errors.New("pci: no such function")

// Match returns the functions with the given vendor and device IDs, in
// scan order.
func (b *Bus) Match(vendor, device uint16) []*Function {
	var out []*Function
	for _, f := range b.Functions {
		if f.VendorID == vendor && f.DeviceID == device {
			out = append(out, f)
		}
	}
	return out
}

// Lookup returns the function at a.
func (b *Bus) Lookup(a Addr) (*Function, error) {
	for _, f := range b.Functions {
		if f.Addr == a {
			return f, nil
		}
	}
	return nil, fmt.Errorf("%w at %v", ErrNotFound, a)
}

func (f *Function) key() uint64 {
	return uint64(f.Segment)<<16 | uint64(f.Bus)<<8 | uint64(f.Device)<<3 | uint64(f.Function)
}
