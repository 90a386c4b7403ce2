// Package bootinfo parses what the boot loader hands the kernel: Xen's PVH
// start info (QEMU -kernel with a PVH ELF note) or the multiboot2 boot
// information (GRUB).
//
// The package is pure Go with no unsafe and no hardware access, so it is
// tested on the host. It reads physical memory through hw.PhysMemory; the
// kernel passes the copies its early boot code made of the loader's
// structures (hw.Pieces), tests pass fake memory.
//
// # Protocols
//
// Parse(magic, addr, mem) takes EAX and EBX as the loader left them:
//
//   - magic 0x36d76289 (Multiboot2Magic): multiboot2 — Multiboot2
//     Specification 3.6. addr points at the boot information: u32
//     total_size, u32 reserved, then tags {u32 type, u32 size, ...}, each
//     8-byte aligned, ending with a tag of type 0. Read: 1 command line,
//     2 boot loader name, 3 module, 4 basic memory information, 6 memory
//     map (entry_size, entry_version, entries {base u64, length u64, type
//     u32, reserved u32}), 14 and 15 copies of the ACPI RSDP (1.0, 2.0+).
//     Other tags are skipped by their size.
//   - anything else: PVH — Xen public/arch-x86/hvm/start_info.h. addr
//     points at struct hvm_start_info, whose magic 0x336ec578 (PVHMagic) is
//     checked: magic, version, flags, nr_modules (u32), modlist_paddr,
//     cmdline_paddr, rsdp_paddr (u64) and, from version 1, memmap_paddr
//     (u64), memmap_entries (u32). Memory map entries are {addr u64, size
//     u64, type u32, reserved u32}; modules {paddr, size, cmdline_paddr,
//     reserved}, all u64. A 0 address means "not present".
//
// Both protocols use the E820 memory types (RegionType): 1 RAM, 2
// reserved, 3 ACPI reclaimable, 4 ACPI NVS, 5 unusable (multiboot2:
// defective RAM); Xen adds 6 disabled and 7 persistent memory. Numbers are
// kept as given.
//
// # What Info holds
//
// Loader is the protocol, "pvh" or "multiboot2"; a multiboot2 loader's own
// name (tag 2, e.g. "GRUB 2.12") is LoaderName. Memory is the memory map
// as given — every entry kept, even empty ones, with its own type, none
// merged — sorted by base (a stable sort: entries at the same base keep
// their order). RAM() is the usable RAM derived from it: type 1 regions
// merged where they overlap or touch, minus every part that a region of
// another type also claims (a conflict is settled towards not using the
// memory), empty ones dropped. A multiboot2 boot without a memory map tag
// but with basic memory information (tag 4) gets the two RAM regions that
// tag describes: [0, mem_lower KiB) and [1 MiB, 1 MiB + mem_upper KiB).
//
// The RSDP comes as an address from PVH (Info.RSDP) and as a copy of its
// bytes from multiboot2 (Info.RSDPCopy, the ACPI 2.0 copy when both are
// given); the other is zero. Neither is validated here: that is package
// acpi's job.
//
// Oddities that do not stop the kernel are reported in Info.Warnings
// rather than as errors: regions of different types that overlap, a
// region that runs past 2^64, an unreadable module command line, a
// duplicated tag (the first is used), a missing memory map replaced by
// basic memory information.
//
// # Errors
//
// Malformed input is an *Error, never a panic. An *Error wraps one of the
// Err* kinds (errors.Is) and names the protocol, the structure and its
// address: "bootinfo: pvh: memory map at 0x2000: 2000 entries (at most
// 1024 believed)". Errors are: a wrong magic (PVH), a structure the memory
// cannot supply in full, a count or size past its limit (MaxMemmap
// entries, MaxModules modules, MaxMultiboot2 bytes of multiboot2
// information), a tag whose size is under 8 or runs past total_size, a
// memory map entry_size under 24, a memory map that is not a whole number
// of entries, a string with no NUL within MaxCmdline bytes (or within its
// tag), no end tag, and no memory map at all.
//
// # Snapshots
//
// The loader's structures lie in memory the kernel reuses (for page
// tables, the Go heap), so the early boot code copies them before the
// runtime starts into a static buffer, as (physical address, bytes)
// pieces, and Parse reads those copies (hw.Pieces: a read must fall
// entirely inside one piece). What to copy: for PVH the start info, the
// command line (with its NUL), the module list and each module's command
// line, the memory map; for multiboot2 [addr, addr+total_size). The early
// code runs before Go can allocate and follows these rules by hand; the
// package's tests check that Parse over exactly those copies gives what
// Parse over the whole memory gives, and Parse reports whatever is missed.
package bootinfo
