//go:build tamago

// Package compile lists the third-party packages that must compile with
// Aero's GOOS=tamago toolchain (see ../../std_test.go). It is never linked.
package compile

import (
	_ "github.com/usbarmory/tamago/amd64"
	_ "github.com/usbarmory/tamago/amd64/lapic"
	_ "github.com/usbarmory/tamago/bits"
	_ "github.com/usbarmory/tamago/board/cloud_hypervisor/vm"
	_ "github.com/usbarmory/tamago/board/firecracker/microvm"
	_ "github.com/usbarmory/tamago/board/google/gcp"
	_ "github.com/usbarmory/tamago/board/qemu/microvm"
	_ "github.com/usbarmory/tamago/dma"
	_ "github.com/usbarmory/tamago/kvm/clock"
	_ "github.com/usbarmory/tamago/kvm/gvnic"
	_ "github.com/usbarmory/tamago/kvm/pvclock"
	_ "github.com/usbarmory/tamago/kvm/sev"
	_ "github.com/usbarmory/tamago/kvm/virtio"
	_ "github.com/usbarmory/tamago/soc/intel/ioapic"
	_ "github.com/usbarmory/tamago/soc/intel/pci"
	_ "github.com/usbarmory/tamago/soc/intel/rtc"
	_ "github.com/usbarmory/tamago/soc/intel/uart"

	_ "gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	_ "gvisor.dev/gvisor/pkg/tcpip/link/channel"
	_ "gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	_ "gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	_ "gvisor.dev/gvisor/pkg/tcpip/stack"
	_ "gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	_ "gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)
