package virtio

import (
	"fmt"
	"strconv"
	"strings"
)

// MMIODevice is one virtio-mmio device the kernel command line lists.
type MMIODevice struct {
	Base, Size uint64
	IRQ        uint32
}

// MMIODevices parses the command line's virtio_mmio.device=<size>@<base>:<irq>
// options (Linux's syntax, which QEMU's microvm appends for each
// virtio-mmio transport with a device: e.g. 512@0xfeb00e00:12). Size may
// have a K or M suffix.
func MMIODevices(cmdline string) ([]MMIODevice, error) {
	var out []MMIODevice
	for _, f := range strings.Fields(cmdline) {
		v, ok := strings.CutPrefix(f, "virtio_mmio.device=")
		if !ok {
			continue
		}
		d, err := parseMMIODevice(v)
		if err != nil {
			return out, fmt.Errorf("virtio: command line %q: %w", f, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// parseMMIODevice parses <size>@<base>:<irq>.
func parseMMIODevice(v string) (MMIODevice, error) {
	size, rest, ok := strings.Cut(v, "@")
	base, irq, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 {
		return MMIODevice{}, fmt.Errorf("want <size>@<base>:<irq>")
	}
	mult := uint64(1)
	switch {
	case strings.HasSuffix(size, "K"), strings.HasSuffix(size, "k"):
		mult, size = 1<<10, size[:len(size)-1]
	case strings.HasSuffix(size, "M"), strings.HasSuffix(size, "m"):
		mult, size = 1<<20, size[:len(size)-1]
	}
	s, err := strconv.ParseUint(size, 0, 32)
	if err != nil || s == 0 {
		return MMIODevice{}, fmt.Errorf("size %q", size)
	}
	b, err := strconv.ParseUint(base, 0, 64)
	if err != nil {
		return MMIODevice{}, fmt.Errorf("base %q", base)
	}
	i, err := strconv.ParseUint(irq, 0, 8)
	if err != nil {
		return MMIODevice{}, fmt.Errorf("irq %q", irq)
	}
	return MMIODevice{Base: b, Size: s * mult, IRQ: uint32(i)}, nil
}
