package platform

import (
	"errors"
	"runtime"
	"testing"
)

func TestCPUExceptionError(t *testing.T) {
	for _, tc := range []struct {
		e    CPUException
		want string
	}{
		{CPUException{Vector: 14, RIP: 0x1234, CR2: 0x18, ErrorCode: 0},
			"runtime error: invalid memory address or nil pointer dereference: CPU exception #PF (page fault) at rip 0x1234, address 0x18, error code 0x0"},
		{CPUException{Vector: 14, RIP: 0x1234, CR2: 1 << 40, ErrorCode: 2},
			"runtime error: invalid memory address: CPU exception #PF (page fault) at rip 0x1234, address 0x10000000000, error code 0x2"},
		{CPUException{Vector: 0, RIP: 0x10},
			"runtime error: integer divide error: CPU exception #DE (divide error) at rip 0x10"},
		{CPUException{Vector: 13, RIP: 0x10, ErrorCode: 0x18},
			"runtime error: CPU exception #GP (general protection) at rip 0x10, error code 0x18"},
		{CPUException{Vector: 3, RIP: 0x10},
			"runtime error: CPU exception #BP (breakpoint) at rip 0x10"},
		{CPUException{Vector: 30, RIP: 0x10, ErrorCode: 1},
			"runtime error: CPU exception #SX (security exception) at rip 0x10, error code 0x1"},
		{CPUException{Vector: 9, RIP: 0x10},
			"runtime error: CPU exception vector 9 at rip 0x10"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("vector %d: %q, want %q", tc.e.Vector, got, tc.want)
		}
	}
	var re runtime.Error
	if !errors.As(error(&CPUException{}), &re) {
		t.Error("*CPUException is not a runtime.Error")
	}
}
