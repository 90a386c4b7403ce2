// Package linuxguest is the toolchain's Linux baseline: a Debian kernel
// whose initramfs /init is a static Go program running the smoke kernel's
// benchmark workload (see ./init), so the same code is timed under Linux
// and under Aero on the same QEMU. Finding the kernel, packing the
// initramfs and the boot options are qemu/linuxguest's.
package linuxguest

import (
	"github.com/aerokernel/aero/qemu"
	"github.com/aerokernel/aero/qemu/linuxguest"
)

// InitPackage is the import path of the guest's /init.
const InitPackage = "github.com/aerokernel/aero/toolchain/linuxguest/init"

// BuildInitramfs builds the baseline's initramfs (InitPackage as /init,
// with the go command goBin) in dir and returns its path.
func BuildInitramfs(goBin, dir string) (string, error) {
	return linuxguest.BuildInitramfs(goBin, InitPackage, dir)
}

// Options is the QEMU setup of the baseline: q35 under TCG, cpus cores on
// one socket, 2 GiB, the serial port as console and a quiet kernel;
// power-off (or a kernel panic) ends QEMU.
func Options(kernel, initramfs string, cpus int) qemu.Options {
	return linuxguest.Options(qemu.Options{Machine: qemu.MachineQ35, CPUs: cpus, Sockets: 1, Memory: "2G"},
		kernel, initramfs, "quiet")
}

// IdleArg, on the guest's kernel command line, makes /init idle instead
// of running the workload: the baseline for an idle kernel's cost to the
// host (init/main.go tests for it by value). Linux passes words it does
// not know to init; "idle" itself is a kernel parameter.
const IdleArg = "aeroidle"

// IdleOptions is Options for the idle baseline.
func IdleOptions(kernel, initramfs string, cpus int) qemu.Options {
	o := Options(kernel, initramfs, cpus)
	o.Append += " " + IdleArg
	return o
}
