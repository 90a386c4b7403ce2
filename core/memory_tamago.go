//go:build tamago && amd64

package core

import "github.com/aerokernel/aero/core/platform"

// On the machine the default Memory's DMA buffers get their physical
// addresses from the identity map.
func init() { physAddr = platform.PhysAddr }
