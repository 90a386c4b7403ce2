//go:build tamago

// Command smoke is the toolchain's smoke kernel: it boots on QEMU, runs the
// checks in package checks, prints one line per check and a benchmark line,
// and exits through isa-debug-exit (status 1 when every check passed).
//
// Output, one line each, all starting "smoke: ":
//
//	info cpu=... numcpu=N gomaxprocs=N tsc_hz=N go=...
//	PASS <check> <detail> | FAIL <check>: <reason> | SKIP <check>: <reason>
//	sleep-start w=<n>, sleep-end w=<n> elapsed=<ns>  (around each 2 s sleep, for the host to time)
//	bench spawn_join_ns=N chan_rtt_ns=N gomaxprocs=N
//	DONE pass=N fail=N skip=N
package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/platform"
	"github.com/aerokernel/aero/toolchain/smoke/checks"
	"github.com/aerokernel/aero/toolchain/smoke/workload"
)

func printf(format string, args ...any) {
	fmt.Printf("smoke: "+format+"\n", args...)
}

// main boots through core (machine layer, ACPI, every CPU started) and
// runs the checks as the HRT entry.
func main() {
	core.Boot(run)
}

func run() {
	printf("info cpu=%q numcpu=%d gomaxprocs=%d tsc_hz=%d go=%s",
		runtime.CPU(), runtime.NumCPU(), runtime.GOMAXPROCS(0), platform.TSCFrequency(), runtime.Version())
	env := &checks.Env{
		Printf: printf,
		Dir:    "/tmp/aero-smoke",
		CPUs:   runtime.GOMAXPROCS(0),
		CPUID:  platform.ProcessorID,
		// Without a scheduler module's thread hooks the runtime starts
		// no sysmon (toolchain/README.md).
		NoSysmon: core.Running().Scheduler.Name() == core.DefaultName,
	}
	results := checks.RunAll(checks.Kernel(), env)
	pass, fail, skip := checks.Count(results)

	if r, err := workload.Run(workload.N); err != nil {
		printf("FAIL bench: %v", err)
		fail++
	} else {
		fmt.Println(r.Line("smoke"))
	}

	printf("DONE pass=%d fail=%d skip=%d", pass, fail, skip)
	if fail > 0 {
		os.Exit(1)
	}
	os.Exit(0)
}
