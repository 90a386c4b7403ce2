package platform

// Faults before the Go runtime can report them. cpuinit and early install
// an IDT of their own (earlyidt.go, fault_amd64.s) whose handlers need no
// runtime: each prints the one line a fault with no goroutine prints once
// the runtime is up (faultFatal, exception.go) on COM1 and exits failing:
//
//	aero: fatal CPU exception #PF (page fault): vector 0xe rip 0x218147 error code 0x0 cr2 0x8 apic 0x1
//
// The hand-over: the boot CPU keeps the early IDT until package platform's
// init loads tamago's (CPU.EnableExceptions, through amd64.load_idt, with
// the platform's exception entries: installExceptions), from which on
// exceptions are Go panics; an AP keeps it from its long-mode entry
// (apEarlyStart) until it takes its first task, when it loads the BSP's
// IDT (tamago's idtptr) and runs Go.

// EarlyCrashOption is the command line word that makes early fault on
// purpose (a page fault at address 8) once its IDT is in place, to test
// the report: crash=early (see core/cmdline).
const EarlyCrashOption = "crash=early"

// APCrashOption makes every AP fault on purpose (a page fault at address
// 8) in apEarlyStart, before it runs Go: crash=ap.
const APCrashOption = "crash=ap"

// faultErrorCodeVectors has bit v set for the vectors whose exceptions
// push an error code, as hasErrorCode says (the early handlers, in
// assembly, read this mask).
const faultErrorCodeVectors = 1<<8 | 1<<10 | 1<<11 | 1<<12 | 1<<13 | 1<<14 | 1<<17 | 1<<21 | 1<<29 | 1<<30

//go:nosplit
func appendDecimal(buf []byte, n int, v uint64) int {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + v%10)
		if v /= 10; v == 0 || i == 0 {
			break
		}
	}
	for ; i < len(d) && n < len(buf); i++ {
		buf[n] = d[i]
		n++
	}
	return n
}

// hasWord reports whether the command line line (up to its first NUL) has
// word as one of its space-separated words.
//
//go:nosplit
func hasWord(line []byte, word string) bool {
	for i := 0; i < len(line) && line[i] != 0; {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		j := i
		for j < len(line) && line[j] != 0 && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		if j-i == len(word) {
			same := true
			for k := 0; k < len(word); k++ {
				if line[i+k] != word[k] {
					same = false
					break
				}
			}
			if same {
				return true
			}
		}
		if j == i {
			break
		}
		i = j
	}
	return false
}
