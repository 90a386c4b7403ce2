// Package ktests holds core's in-kernel tests (see ktests.go; it builds for
// GOOS=tamago only): CPUs running goroutines at once, topology consistency,
// time.Sleep against the host clock, the Memory module, ACPI.
package ktests
