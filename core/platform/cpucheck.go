//go:build tamago && amd64

package platform

// What cpuinit checks with CPUID before it enters long mode (checkCPU in
// cpuinit_amd64.s): the features cpuinit itself, tamago's AP trampoline
// and Go's GOAMD64=v1 code (which early already is) use. Without one,
// cpuinit prints "aero: boot failed: the CPU lacks <name>, which Aero
// needs" on COM1 and exits failing. Optional features (RDRAND and the
// like) are probed later, in Go, where they are used.
//
// Not needed: 1 GiB pages (CPUID 0x80000001 EDX bit 26). cpuinit maps the
// first 4 GiB in 2 MiB pages, and finishPaging uses 1 GiB pages above only
// where CPUID offers them (QEMU's qemu64 and Nehalem do not).

// cpuFeature is one CPUID bit: leaf's register (cpuidECX or cpuidEDX).
type cpuFeature struct {
	leaf uint32
	reg  uint32
	bit  uint32
	name string
}

const (
	cpuidECX = 2
	cpuidEDX = 3
)

// cpuCheckTable is what checkCPU reads (its field offsets come from
// go_asm.h): the message around a missing feature's name and the list.
type cpuCheckTable struct {
	lacks, needs, cpuid string
	count               uint32
	features            [14]cpuFeature
}

// Intel SDM Vol. 2A, CPUID, Tables 3-8 to 3-11 (leaf 1 and 0x80000001).
var cpuCheck = cpuCheckTable{
	lacks: "aero: boot failed: the CPU lacks ",
	needs: ", which Aero needs\n",
	cpuid: "the CPUID instruction",
	count: 14,
	features: [14]cpuFeature{
		{0x80000001, cpuidEDX, 29, "long mode (LM)"},
		{1, cpuidEDX, 6, "PAE"},
		{1, cpuidEDX, 13, "global pages (PGE)"},
		{1, cpuidEDX, 5, "RDMSR/WRMSR (MSR)"},
		{0x80000001, cpuidEDX, 20, "no-execute pages (NX), which tamago's AP start enables"},
		{1, cpuidEDX, 9, "a local APIC (APIC)"},
		{1, cpuidEDX, 4, "the time stamp counter (TSC)"},
		{1, cpuidEDX, 0, "an x87 FPU (FPU)"},
		{1, cpuidEDX, 8, "CMPXCHG8B (CX8)"},
		{1, cpuidEDX, 15, "CMOV"},
		{1, cpuidEDX, 23, "MMX"},
		{1, cpuidEDX, 24, "FXSAVE/FXRSTOR (FXSR)"},
		{1, cpuidEDX, 25, "SSE"},
		{1, cpuidEDX, 26, "SSE2"},
	},
}
