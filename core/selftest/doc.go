// Package selftest holds the in-kernel tests of core itself (see
// selftest.go; it builds for GOOS=tamago only), written with core/ktest:
// CPUs running goroutines at once, topology consistency, time.Sleep against
// the host clock, the Memory module, ACPI, the I/O APICs. Linking it (as
// configs/ktest does) registers them.
package selftest
