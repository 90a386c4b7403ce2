// Package acpi parses the ACPI tables that Aero needs to bring up a machine:
// which CPUs and interrupt controllers exist (MADT), the fixed hardware
// (FADT), the HPET, the NUMA topology (SRAT, SLIT) and PCI Express
// configuration space (MCFG).
//
// The package is pure Go with no unsafe and no hardware access, so it is
// tested on the host. Tables come either as byte slices (ParseMADT,
// ParseFADT, ...) or through a hw.PhysMemory, which the kernel implements
// over its identity map (platform.PhysMemory) and tests over fixtures
// (hw.Pieces): Discover follows the RSDP to the XSDT (or the RSDT when
// there is no valid XSDT) and parses every table it knows; DiscoverCopy
// does the same from a copy of the RSDP (multiboot2's). Physical ranges
// are hw.Range: memory affinity ranges, and the register windows of the
// local APIC, the I/O APICs, the HPET and ECAM regions.
//
// # What is parsed
//
//   - RSDP, revision 0 (ACPI 1.0, 20 bytes) and 2 and later (with the
//     extended checksum over its Length) — ACPI 6.5 §5.2.5.
//   - RSDT and XSDT — §5.2.7, §5.2.8 — and the header of every table they
//     list, including its checksum over the whole table — §5.2.6.
//   - FADT — §5.2.9: FACS and DSDT addresses (the 64-bit X_ fields win when
//     set), the PM1 event/control blocks, the PM timer, the GPE blocks, the
//     reset register and value, the RTC century index, IA-PC boot flags and
//     the feature flags (HW_REDUCED_ACPI among them). FADTs of every length
//     from ACPI 1.0's 116 bytes on are accepted; absent fields read as zero.
//   - MADT — §5.2.12: processor local APIC and x2APIC entries (enabled /
//     online-capable), I/O APICs, interrupt source overrides, NMI sources,
//     local APIC and x2APIC NMIs, the local APIC address override.
//   - SRAT — §5.2.16: processor local APIC and x2APIC affinity, memory
//     affinity (enabled / hot-pluggable / non-volatile).
//   - SLIT — §5.2.17: the locality distance matrix.
//   - HPET — IA-PC HPET Specification 1.0a, §3.2.4.
//   - MCFG — PCI Firmware Specification 3.x, §4.1.2: ECAM regions.
//   - The DSDT's header and checksum (found through the FADT).
//
// Entry types a parser does not know are counted (the Skipped maps) and
// stepped over by their length.
//
// # What is not
//
// AML: the DSDT and SSDTs are definition blocks of AML byte code, and
// interpreting them (the namespace, _PRT routing, _CRS resources, _PXM of
// hot-added devices, sleep states) is out of scope; Discover only checks
// their headers. Nor does it parse the FACS (beyond its address), SSDTs,
// the GIC/SAPIC/RINTC structures of other architectures, HMAT, DMAR/IVRS,
// CEDT or any table not listed above.
//
// # Validation
//
// Every access is checked against both the table's declared length and the
// bytes actually present: a bad checksum, a truncated table, a length
// shorter than the header or longer than MaxTableLength, an entry of length
// 0 or one that runs past its table, or a wrong signature is an *Error
// naming the table and offset (e.g. "acpi: MADT: entry at offset 44 has
// length 0") and never a panic. Discover does not stop at a bad table: it
// records it in Tables.Errors and parses the others. Tables.Require tells a
// table that is absent (ErrNotFound) from one that is present but invalid.
package acpi
