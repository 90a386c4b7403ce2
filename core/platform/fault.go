package platform

// Faults before the Go runtime can report them. cpuinit and early install
// an IDT of their own (earlyIDT, fault_amd64.s) whose handlers need no
// runtime: each prints one line on COM1 and exits failing. The line is
// formatted here, pure and host-tested (fault_test.go):
//
//	aero: fault before the Go runtime: vector=14 (#PF) rip=0x1a2b3c error=0x0 cr2=0x8 apic=0
//
// The hand-over: the boot CPU keeps the early IDT until package platform's
// init loads tamago's (CPU.EnableExceptions, through amd64.load_idt), from
// which on exceptions are the runtime's to report; an AP keeps it from its
// long-mode entry (apEarlyStart) until it takes its first task, when it
// loads the BSP's IDT (tamago's idtptr) and runs Go.

// FaultPrefix starts the line an early fault prints.
const FaultPrefix = "aero: fault before the Go runtime: "

// EarlyCrashOption is the command line word that makes early fault on
// purpose (a page fault at address 8) once its IDT is in place, to test
// the report: crash=early (see core/cmdline).
const EarlyCrashOption = "crash=early"

// APCrashOption makes every AP fault on purpose (a page fault at address
// 8) in apEarlyStart, before it runs Go: crash=ap.
const APCrashOption = "crash=ap"

// faultErrorCodeVectors has bit v set for the vectors whose exceptions
// push an error code (Intel SDM Vol. 3A, 6.15; AMD APM Vol. 2, 8.2): #DF,
// #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX.
const faultErrorCodeVectors = 1<<8 | 1<<10 | 1<<11 | 1<<12 | 1<<13 | 1<<14 | 1<<17 | 1<<21 | 1<<29 | 1<<30

// faultNames are the exceptions' mnemonics by vector (SDM Vol. 3A, Table
// 6-1); "" for reserved vectors.
var faultNames = [32]string{
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "", "#TS", "#NP", "#SS", "#GP", "#PF", "",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "", "",
	"", "", "", "", "#HV", "#VC", "#SX", "",
}

// formatFault writes the report line (with its newline) into buf and
// returns its length; buf must hold 160 bytes.
//
//go:nosplit
func formatFault(buf []byte, vector, code, rip, cr2, apic uint64) int {
	n := appendString(buf, 0, FaultPrefix)
	n = appendString(buf, n, "vector=")
	n = appendDecimal(buf, n, vector)
	if vector < uint64(len(faultNames)) && faultNames[vector] != "" {
		n = appendString(buf, n, " (")
		n = appendString(buf, n, faultNames[vector])
		n = appendString(buf, n, ")")
	}
	n = appendString(buf, n, " rip=")
	n = appendHex(buf, n, rip)
	n = appendString(buf, n, " error=")
	n = appendHex(buf, n, code)
	n = appendString(buf, n, " cr2=")
	n = appendHex(buf, n, cr2)
	n = appendString(buf, n, " apic=")
	n = appendDecimal(buf, n, apic)
	n = appendString(buf, n, "\n")
	return n
}

//go:nosplit
func appendString(buf []byte, n int, s string) int {
	for i := 0; i < len(s) && n < len(buf); i++ {
		buf[n] = s[i]
		n++
	}
	return n
}

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

//go:nosplit
func appendHex(buf []byte, n int, v uint64) int {
	n = appendString(buf, n, "0x")
	started := false
	for shift := 60; shift >= 0; shift -= 4 {
		x := byte(v>>uint(shift)) & 0xf
		if x == 0 && !started && shift > 0 {
			continue
		}
		started = true
		if n < len(buf) {
			buf[n] = "0123456789abcdef"[x]
			n++
		}
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
