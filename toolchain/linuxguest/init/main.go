//go:build linux

// Command init is the /init of the Linux baseline guest: it runs the smoke
// kernel's benchmark workload, prints the same bench line, and powers the
// machine off. With the argument "aeroidle" on the kernel command line (which
// Linux passes to init) it runs nothing and waits for ever instead, the
// baseline of an idle guest.
package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"syscall"
	"time"

	"github.com/aerokernel/aero/toolchain/smoke/workload"
)

func main() {
	fmt.Printf("linuxguest: up numcpu=%d gomaxprocs=%d go=%s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	if slices.Contains(os.Args[1:], "aeroidle") { // linuxguest.IdleArg
		// The idle baseline: nothing to run, for the host to time.
		fmt.Println("linuxguest: idle")
		for {
			// A sleep, not select{}: with no timer the Go runtime
			// would report a deadlock.
			time.Sleep(time.Hour)
		}
	}
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
