package platform

// CPUFeatures is what CPUID says the processor offers, of the features
// beyond x86-64's baseline (what GOAMD64=v1 code may assume) that Aero, the
// Go runtime or tamago would use. Code asks Features() before it executes
// such an instruction or touches such a register; the runtime probes its
// own (internal/cpu) the same way.
//
// Bit positions: Intel SDM Vol. 2A, CPUID, Tables 3-8 (leaf 01H), 3-8
// (leaf 07H) and 3-9 (leaves 80000001H, 80000007H); AMD APM Vol. 3,
// Appendix E.
//
// What a kernel executes beyond the baseline (audited for tamago v1.26.6's
// amd64, amd64/lapic, kvm/clock, dma and Aero's platform, the packages a
// kernel links), and how it is probed:
//   - RDRAND (tamago's goos.GetRandomData): replaced by the platform's
//     source, which asks RDRAND and RDSEED here first (entropy.go).
//   - the TSC rate (Aero's clock): calibrated at boot; InvariantTSC here,
//     CPUWarnings on bare metal without it.
//   - the TSC-deadline MSR (tamago's CPU.SetAlarm): tamago checks
//     01H:ECX[24] itself; Aero does not call SetAlarm.
//   - KVM's MSRs and VMMCALL (Aero's refclock, tamago's kvm/clock): only
//     after the KVM signature at CPUID 40000000H and its feature bits.
//   - AMD's P-state MSR (tamago's frequency guess): behind 80000007H:EDX[7].
//   - the local APIC through its xAPIC MMIO window only: no x2APIC MSRs.
//   - EFER.NXE, set by tamago's AP trampoline (amd64/smp.s): NX is one of
//     the features cpuinit requires before long mode (cpucheck.go), with
//     long mode, PAE, PGE, MSR, APIC, TSC and GOAMD64=v1's.
//   - 1 GiB pages in the identity map above 4 GiB: only where early's
//     hasGigPages (the same bit as Page1G here, read before the runtime)
//     finds them, else 2 MiB pages; below 4 GiB cpuinit uses 2 MiB pages.
//   - the Go runtime probes its own (internal/cpu: RDTSCP, POPCNT, AVX
//     after XGETBV, which needs CR4.OSXSAVE, which nothing sets).
//
// Nothing executes XSAVE, FSGSBASE, MONITOR/MWAIT, PCID or INVPCID today;
// they are decoded for the code that will.
type CPUFeatures struct {
	// MaxLeaf and MaxExtLeaf are the highest basic and extended leaves.
	MaxLeaf, MaxExtLeaf uint32

	RDRAND bool // 01H:ECX[30]: RDRAND, the DRBG output
	RDSEED bool // 07H:EBX[18]: RDSEED, the entropy source itself
	RDTSCP bool // 80000001H:EDX[27]
	// InvariantTSC (80000007H:EDX[8]): the TSC ticks at a constant rate
	// in every P-, C- and T-state. Without it, a TSC calibrated at boot
	// may drift from real time (under a hypervisor the host decides).
	InvariantTSC bool
	TSCDeadline  bool // 01H:ECX[24]: the local APIC's TSC-deadline timer mode
	X2APIC       bool // 01H:ECX[21]
	XSAVE        bool // 01H:ECX[26]
	MONITOR      bool // 01H:ECX[3]: MONITOR/MWAIT
	PCID         bool // 01H:ECX[17]: CR4.PCIDE
	INVPCID      bool // 07H:EBX[10]
	FSGSBASE     bool // 07H:EBX[0]: RDFSBASE and friends (CR4.FSGSBASE)
	NX           bool // 80000001H:EDX[20]: EFER.NXE and the XD page bit
	Page1G       bool // 80000001H:EDX[26]: 1 GiB pages
	Hypervisor   bool // 01H:ECX[31]: running under a hypervisor
}

// CPUIDFunc executes CPUID for a leaf and subleaf.
type CPUIDFunc func(leaf, sub uint32) (a, b, c, d uint32)

// DecodeCPUID reads the features from cpuid, asking only for leaves the
// processor says it has (a leaf past the maximum returns another leaf's
// data on Intel: SDM Vol. 2A, CPUID, "If a value entered for CPUID.EAX is
// higher than the maximum..."). It does not allocate: the entropy source is
// chosen with it before the Go heap exists.
func DecodeCPUID(cpuid CPUIDFunc) CPUFeatures {
	var f CPUFeatures
	f.MaxLeaf, _, _, _ = cpuid(0, 0)
	if f.MaxLeaf >= 1 {
		_, _, c, _ := cpuid(1, 0)
		f.RDRAND = bit(c, 30)
		f.TSCDeadline = bit(c, 24)
		f.X2APIC = bit(c, 21)
		f.XSAVE = bit(c, 26)
		f.MONITOR = bit(c, 3)
		f.PCID = bit(c, 17)
		f.Hypervisor = bit(c, 31)
	}
	if f.MaxLeaf >= 7 {
		_, b, _, _ := cpuid(7, 0)
		f.RDSEED = bit(b, 18)
		f.INVPCID = bit(b, 10)
		f.FSGSBASE = bit(b, 0)
	}
	ext, _, _, _ := cpuid(0x80000000, 0)
	if ext&0xffff0000 == 0x80000000 { // else no extended leaves at all
		f.MaxExtLeaf = ext
	}
	if f.MaxExtLeaf >= 0x80000001 {
		_, _, _, d := cpuid(0x80000001, 0)
		f.RDTSCP = bit(d, 27)
		f.NX = bit(d, 20)
		f.Page1G = bit(d, 26)
	}
	if f.MaxExtLeaf >= 0x80000007 {
		_, _, _, d := cpuid(0x80000007, 0)
		f.InvariantTSC = bit(d, 8)
	}
	return f
}

func bit(v uint32, n uint) bool { return v>>n&1 != 0 }

// Names lists the features present, by their CPUID names in lower case
// (as Linux's /proc/cpuinfo spells them, but invariant_tsc).
func (f CPUFeatures) Names() []string {
	var names []string
	for _, x := range []struct {
		on   bool
		name string
	}{
		{f.RDRAND, "rdrand"}, {f.RDSEED, "rdseed"}, {f.RDTSCP, "rdtscp"},
		{f.InvariantTSC, "invariant_tsc"}, {f.TSCDeadline, "tsc_deadline_timer"},
		{f.X2APIC, "x2apic"}, {f.XSAVE, "xsave"}, {f.MONITOR, "monitor"},
		{f.PCID, "pcid"}, {f.INVPCID, "invpcid"}, {f.FSGSBASE, "fsgsbase"},
		{f.NX, "nx"}, {f.Page1G, "pdpe1gb"}, {f.Hypervisor, "hypervisor"},
	} {
		if x.on {
			names = append(names, x.name)
		}
	}
	return names
}
