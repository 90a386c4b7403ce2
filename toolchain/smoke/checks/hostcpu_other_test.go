//go:build !linux

package checks

// hostCPUID is nil where there is no thread ID to stand in for the local
// APIC ID: the smp check skips.
var hostCPUID func() uint64
