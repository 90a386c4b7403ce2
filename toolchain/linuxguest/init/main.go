//go:build linux

// Command init is the /init of the Linux baseline guest: it runs the smoke
// kernel's benchmark workload, prints the same bench line, and powers the
// machine off.
package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"

	"github.com/aerokernel/aero/toolchain/smoke/workload"
)

func main() {
	fmt.Printf("linuxguest: up numcpu=%d gomaxprocs=%d go=%s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	if r, err := workload.Run(workload.N); err != nil {
		fmt.Printf("linuxguest: FAIL bench: %v\n", err)
	} else {
		fmt.Println(r.Line("linuxguest"))
	}
	fmt.Println("linuxguest: DONE")
	// Only as PID 1 inside the guest: run anywhere else, just exit.
	if os.Getpid() != 1 {
		return
	}
	syscall.Sync()
	if err := syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF); err != nil {
		fmt.Printf("linuxguest: power off: %v\n", err)
	}
	select {} // PID 1 must not exit: the kernel would panic
}
