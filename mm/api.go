package mm

import (
	"fmt"

	"github.com/aerokernel/aero/core/hw"
)

// The package's functions are the kernel's mm, for an HRT: the Memory that
// Boot initialised (memory=mm). Before that, or when the kernel's Memory
// is another, they return an error wrapping ErrNotRunning. Running gives
// the Memory itself, for Stats and Zones.

// Alloc is Memory.Alloc of the kernel's mm: size bytes of zeroed memory
// on node, falling back to the nearest node with room.
func Alloc(size, node int) ([]byte, error) {
	m, err := kernelMemory("Alloc")
	if err != nil {
		return nil, err
	}
	return m.Alloc(size, node)
}

// AllocStrict is Memory.AllocStrict of the kernel's mm: memory on node or
// an error, never another node's.
func AllocStrict(size, node int) ([]byte, error) {
	m, err := kernelMemory("AllocStrict")
	if err != nil {
		return nil, err
	}
	return m.AllocStrict(size, node)
}

// AllocDMA is Memory.AllocDMA of the kernel's mm.
func AllocDMA(size, align, node int) (hw.DMABuffer, error) {
	m, err := kernelMemory("AllocDMA")
	if err != nil {
		return hw.DMABuffer{}, err
	}
	return m.AllocDMA(size, align, node)
}

// Free is Memory.Free of the kernel's mm.
func Free(b []byte) error {
	m, err := kernelMemory("Free")
	if err != nil {
		return err
	}
	return m.Free(b)
}

// Running returns the kernel's mm, nil when it is not the kernel's Memory.
func Running() *Memory { return running.Load() }

func kernelMemory(op string) (*Memory, error) {
	if m := running.Load(); m != nil {
		return m, nil
	}
	return nil, fmt.Errorf("mm: %s: %w (memory=mm not chosen, or Boot has not initialised it)", op, ErrNotRunning)
}
