package report

// QEMU's isa-debug-exit device (-device isa-debug-exit,iobase=0xf4,iosize=0x04)
// ends QEMU when the guest writes to its port: a value v makes QEMU exit
// with status (v<<1)|1 (QEMU's hw/misc/debugexit.c), so a guest can hand
// the host a result. Status 1 (v = 0) is also what QEMU returns on its own
// errors: a test kernel should give its pass and fail other codes than 0,
// or the host should look at what it printed.

// DebugExitPort is the I/O port Aero's QEMU runs put isa-debug-exit at.
const DebugExitPort = 0xf4

// DebugExitStatus is QEMU's exit status after the guest wrote v.
func DebugExitStatus(v int) int { return v<<1 | 1 }

// DebugExitCode decodes a QEMU exit status written through isa-debug-exit:
// odd statuses decode to the value v the guest wrote and ok is true; the
// others (0 for a normal shutdown, negative for a signal) cannot come from
// the device and give ok false.
func DebugExitCode(status int) (v int, ok bool) {
	if status <= 0 || status&1 == 0 {
		return 0, false
	}
	return status >> 1, true
}
