package checks

import "syscall"

// hostCPUID is the host's stand-in for the local APIC ID: the calling
// thread's ID. (The CPU from getcpu(2) would be closer, but Linux may run
// two spinning threads on one CPU while other work holds the other.) On the
// kernel each M owns one processor, so the check means more there.
var hostCPUID = func() uint64 {
	return uint64(syscall.Gettid())
}
