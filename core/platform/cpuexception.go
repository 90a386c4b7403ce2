package platform

import "fmt"

// CPUException is the value a CPU exception panics with: a runtime.Error.
type CPUException struct {
	Vector    int
	ErrorCode uint64  // 0 for exceptions that push none
	RIP       uintptr // the faulting instruction
	CR2       uintptr // the faulting address, for #PF only
}

// exceptionNames are the mnemonics and names of the architectural
// exceptions (Intel SDM Vol. 3A, Table 6-1).
var exceptionNames = [32]struct{ mnemonic, name string }{
	0: {"DE", "divide error"}, 1: {"DB", "debug"}, 2: {"NMI", "non-maskable interrupt"},
	3: {"BP", "breakpoint"}, 4: {"OF", "overflow"}, 5: {"BR", "bound range exceeded"},
	6: {"UD", "invalid opcode"}, 7: {"NM", "device not available"}, 8: {"DF", "double fault"},
	10: {"TS", "invalid TSS"}, 11: {"NP", "segment not present"}, 12: {"SS", "stack-segment fault"},
	13: {"GP", "general protection"}, 14: {"PF", "page fault"}, 16: {"MF", "x87 floating-point error"},
	17: {"AC", "alignment check"}, 18: {"MC", "machine check"}, 19: {"XM", "SIMD floating-point exception"},
	20: {"VE", "virtualization exception"}, 21: {"CP", "control protection"},
	28: {"HV", "hypervisor injection"}, 29: {"VC", "VMM communication"}, 30: {"SX", "security exception"},
}

// hasErrorCode reports whether the CPU pushes an error code for vector
// (SDM Vol. 3A, 6.13 and Table 6-1; 28-30: AMD APM Vol. 2, 8.2).
func hasErrorCode(vector int) bool {
	switch vector {
	case 8, 10, 11, 12, 13, 14, 17, 21, 29, 30:
		return true
	}
	return false
}

func exceptionName(vector int) string {
	if vector >= 0 && vector < len(exceptionNames) && exceptionNames[vector].name != "" {
		n := exceptionNames[vector]
		return "#" + n.mnemonic + " (" + n.name + ")"
	}
	return fmt.Sprintf("vector %d", vector)
}

// Error names the exception the way Go names its runtime errors: a page
// fault below 4 KiB (page 0 is unmapped) is a nil dereference.
func (e *CPUException) Error() string {
	what := "CPU exception " + exceptionName(e.Vector)
	switch e.Vector {
	case 14:
		kind := "invalid memory address"
		if e.CR2 < 0x1000 {
			kind = "invalid memory address or nil pointer dereference"
		}
		return fmt.Sprintf("runtime error: %s: %s at rip %#x, address %#x, error code %#x", kind, what, e.RIP, e.CR2, e.ErrorCode)
	case 0:
		return fmt.Sprintf("runtime error: integer divide error: %s at rip %#x", what, e.RIP)
	}
	if hasErrorCode(e.Vector) {
		return fmt.Sprintf("runtime error: %s at rip %#x, error code %#x", what, e.RIP, e.ErrorCode)
	}
	return fmt.Sprintf("runtime error: %s at rip %#x", what, e.RIP)
}

// RuntimeError marks CPUException as a runtime.Error.
func (e *CPUException) RuntimeError() {}
