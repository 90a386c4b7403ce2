// Package selftest holds the in-kernel tests of core itself (see
// selftest.go; it builds for GOOS=tamago only), written with core/ktest:
// CPUs running goroutines at once, topology consistency, time.Sleep against
// the host clock, the Memory module, ACPI, the I/O APICs. Linking it (as
// configs/ktest does) registers them.
package selftest

// SleepWindows is how many timed sleeps of one second the time/sleep test
// makes, each between two serial lines for the host to time (qemu's
// TestBootSleep, which builds for the host and so reads it here).
const SleepWindows = 2
