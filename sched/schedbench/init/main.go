//go:build linux

// Command init is the /init of the Linux guest that qemu's
// BenchmarkSchedVsLinux boots beside Aero on the same QEMU: it mounts /proc
// (the Linux Platform reads /proc/self/task), runs the workload with
// schedbench.Default on schedbench.Linux, prints its line (Report) and
// powers the machine off.
package main

import (
	"fmt"
	"os"
	"syscall"

	"github.com/aerokernel/aero/sched/schedbench"
)

func main() {
	pid1 := os.Getpid() == 1
	if pid1 {
		// The kernel mounts nothing for init; an error shows in the run's
		// thread check.
		if err := syscall.Mount("proc", "/proc", "proc", 0, ""); err != nil {
			fmt.Printf("init: mount /proc: %v\n", err)
		}
	}
	fmt.Println(schedbench.Report(schedbench.Run(&schedbench.Linux{}, schedbench.Default)))
	// Only as PID 1 inside the guest: run anywhere else, just exit.
	if !pid1 {
		return
	}
	syscall.Sync()
	if err := syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF); err != nil {
		fmt.Printf("init: power off: %v\n", err)
	}
	select {} // PID 1 must not exit: the kernel would panic
}
