//go:build linux

// Command guest is the /init of the Linux guest that dumps a QEMU machine's
// ACPI tables for core/acpi's test fixtures. It is built static
// (CGO_ENABLED=0 GOOS=linux GOARCH=amd64) by the acpidump host tool
// (qemu/internal/acpidump), which boots it under QEMU and reads what it
// prints on the serial console.
//
// What it prints, one record per line (base64 keeps the console 7-bit clean;
// a SHA-256 per file lets the host reject a dump mangled by interleaved
// kernel messages):
//
//	AEROACPI BEGIN <file> <size>
//	AEROACPI DATA <file> <base64 of up to 57 bytes>
//	AEROACPI END <file> <sha256 hex>
//	AEROACPI INFO <free text>
//	AEROACPI DONE
//
// Files sent:
//   - <NAME>.bin for every regular file in /sys/firmware/acpi/tables (Linux
//     names a second table of one signature SSDT1, SSDT2, ...);
//   - RSDP.bin, RSDT.bin and XSDT.bin (if any), read from /dev/mem, because
//     sysfs does not expose them;
//   - memmap.txt: where each table sits in physical memory, as found by
//     following the RSDP's pointers through /dev/mem, naming the file that
//     holds the same bytes;
//   - iomem.txt: a copy of /proc/iomem (where firmware put the tables).
//
// Then it powers the machine off.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

const tablesDir = "/sys/firmware/acpi/tables"

var out = os.Stdout

func main() {
	if err := mounts(); err != nil {
		info("mount: %v", err)
	}
	sysfs := dumpSysfs()
	dumpMemory(sysfs)
	if b, err := os.ReadFile("/proc/iomem"); err == nil {
		send("iomem.txt", b)
	} else {
		info("iomem: %v", err)
	}
	fmt.Fprintf(out, "\nAEROACPI DONE\n")
	out.Sync()
	syscall.Sync()
	if err := syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF); err != nil {
		info("poweroff: %v", err)
	}
	select {}
}

func mounts() error {
	for _, m := range []struct{ src, dir, fstype string }{
		{"proc", "/proc", "proc"},
		{"sysfs", "/sys", "sysfs"},
		{"devtmpfs", "/dev", "devtmpfs"},
	} {
		if err := os.MkdirAll(m.dir, 0o755); err != nil {
			return err
		}
		if err := syscall.Mount(m.src, m.dir, m.fstype, 0, ""); err != nil && err != syscall.EBUSY {
			return fmt.Errorf("%s: %w", m.dir, err)
		}
	}
	return nil
}

func info(format string, args ...any) {
	fmt.Fprintf(out, "\nAEROACPI INFO %s\n", fmt.Sprintf(format, args...))
}

// send writes one file as BEGIN / DATA... / END records.
func send(name string, data []byte) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nAEROACPI BEGIN %s %d\n", name, len(data))
	for off := 0; off < len(data); off += 57 {
		end := min(off+57, len(data))
		fmt.Fprintf(&b, "AEROACPI DATA %s %s\n", name, base64.StdEncoding.EncodeToString(data[off:end]))
	}
	fmt.Fprintf(&b, "AEROACPI END %s %x\n", name, sha256.Sum256(data))
	out.WriteString(b.String())
}

// dumpSysfs sends every table Linux exposes and returns them by file name.
func dumpSysfs() map[string][]byte {
	tables := map[string][]byte{}
	ents, err := os.ReadDir(tablesDir)
	if err != nil {
		info("%s: %v", tablesDir, err)
		return tables
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue // data/, dynamic/: not firmware's static tables
		}
		b, err := os.ReadFile(filepath.Join(tablesDir, e.Name()))
		if err != nil {
			info("%s: %v", e.Name(), err)
			continue
		}
		tables[e.Name()+".bin"] = b
		send(e.Name()+".bin", b)
	}
	return tables
}

// physmem reads physical memory through /dev/mem.
type physmem struct{ f *os.File }

// read uses read(2) where Linux allows it (below high_memory) and mmap(2)
// elsewhere: firmware's tables usually sit in a reserved range above the
// end of the kernel's direct map, where reading /dev/mem fails with EFAULT
// but mapping it is allowed.
func (m physmem) read(addr uint64, n int) ([]byte, error) {
	b := make([]byte, n)
	_, rerr := m.f.ReadAt(b, int64(addr))
	if rerr == nil {
		return b, nil
	}
	page := uint64(os.Getpagesize())
	base := addr &^ (page - 1)
	size := int((addr+uint64(n)+page-1)&^(page-1) - base)
	mapped, err := syscall.Mmap(int(m.f.Fd()), int64(base), size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("/dev/mem at %#x+%d: read: %v; mmap: %w", addr, n, rerr, err)
	}
	copy(b, mapped[addr-base:])
	syscall.Munmap(mapped)
	return b, nil
}

func sum(b []byte) (s byte) {
	for _, c := range b {
		s += c
	}
	return s
}

// findRSDP scans where the ACPI spec (6.5, §5.2.5.1) says an IA-PC BIOS puts
// the RSDP: the first KiB of the EBDA, then 0xE0000-0xFFFFF, on 16-byte
// boundaries, for the signature with a valid 20-byte checksum.
func findRSDP(m physmem) (uint64, error) {
	var areas [][2]uint64
	if seg, err := m.read(0x40e, 2); err == nil {
		if ebda := uint64(binary.LittleEndian.Uint16(seg)) << 4; ebda != 0 {
			areas = append(areas, [2]uint64{ebda, ebda + 1024})
		}
	}
	areas = append(areas, [2]uint64{0xe0000, 0x100000})
	for _, a := range areas {
		b, err := m.read(a[0], int(a[1]-a[0]))
		if err != nil {
			info("rsdp scan: %v", err)
			continue
		}
		for off := 0; off+20 <= len(b); off += 16 {
			if string(b[off:off+8]) == "RSD PTR " && sum(b[off:off+20]) == 0 {
				return a[0] + uint64(off), nil
			}
		}
	}
	return 0, fmt.Errorf("no RSDP found")
}

type mapping struct {
	sig, file string
	addr      uint64
	length    int
}

func dumpMemory(sysfs map[string][]byte) {
	f, err := os.Open("/dev/mem")
	if err != nil {
		info("/dev/mem: %v", err)
		return
	}
	defer f.Close()
	m := physmem{f}
	var maps []mapping
	defer func() {
		var b bytes.Buffer
		fmt.Fprintf(&b, "# signature file physical-address length (found by following the RSDP through /dev/mem)\n")
		for _, e := range maps {
			fmt.Fprintf(&b, "%s %s %#016x %d\n", e.sig, e.file, e.addr, e.length)
		}
		send("memmap.txt", b.Bytes())
	}()

	rsdpAddr, err := findRSDP(m)
	if err != nil {
		info("%v", err)
		return
	}
	rsdp, err := m.read(rsdpAddr, 36)
	if err != nil {
		info("%v", err)
		return
	}
	rev := rsdp[15]
	n := 20
	if rev >= 2 {
		if l := int(binary.LittleEndian.Uint32(rsdp[20:])); l >= 36 && l <= 4096 {
			if rsdp, err = m.read(rsdpAddr, l); err != nil {
				info("%v", err)
				return
			}
			n = l
		}
	}
	send("RSDP.bin", rsdp[:n])
	maps = append(maps, mapping{"RSDP", "RSDP.bin", rsdpAddr, n})

	// seen maps each dumped address to its record, so a table referenced
	// twice (e.g. from both RSDT and XSDT) is listed once.
	seen := map[uint64]bool{}
	var table func(addr uint64, wantFile string) []byte
	table = func(addr uint64, wantFile string) []byte {
		if addr == 0 || seen[addr] {
			return nil
		}
		seen[addr] = true
		hdr, err := m.read(addr, 8)
		if err != nil {
			info("%v", err)
			return nil
		}
		sig := string(hdr[:4])
		l := int(binary.LittleEndian.Uint32(hdr[4:]))
		if l < 8 || l > 1<<20 {
			info("table %q at %#x has length %d: skipped", sig, addr, l)
			return nil
		}
		b, err := m.read(addr, l)
		if err != nil {
			info("%v", err)
			return nil
		}
		file := wantFile
		if file == "" {
			names := make([]string, 0, len(sysfs))
			for name := range sysfs {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				if bytes.Equal(sysfs[name], b) {
					file = name
					break
				}
			}
			if file == "" {
				file = fmt.Sprintf("mem-%s-%x.bin", sig, addr)
				info("table %s at %#x differs from every sysfs copy: sent as %s", sig, addr, file)
				send(file, b)
			}
		} else {
			send(file, b)
		}
		maps = append(maps, mapping{sig, file, addr, l})
		return b
	}

	var roots []struct {
		b    []byte
		size int
	}
	if r := table(uint64(binary.LittleEndian.Uint32(rsdp[16:])), "RSDT.bin"); r != nil {
		roots = append(roots, struct {
			b    []byte
			size int
		}{r, 4})
	}
	if rev >= 2 && n >= 32 {
		if x := table(binary.LittleEndian.Uint64(rsdp[24:]), "XSDT.bin"); x != nil {
			roots = append(roots, struct {
				b    []byte
				size int
			}{x, 8})
		}
	}
	for _, r := range roots {
		for off := 36; off+r.size <= len(r.b); off += r.size {
			var addr uint64
			if r.size == 4 {
				addr = uint64(binary.LittleEndian.Uint32(r.b[off:]))
			} else {
				addr = binary.LittleEndian.Uint64(r.b[off:])
			}
			t := table(addr, "")
			if len(t) >= 44 && string(t[:4]) == "FACP" {
				// FACS (offset 36) and DSDT (40); X_FIRMWARE_CTRL (132) and
				// X_DSDT (140) when the FADT is long enough (ACPI 6.5 §5.2.9).
				table(uint64(binary.LittleEndian.Uint32(t[36:])), "")
				table(uint64(binary.LittleEndian.Uint32(t[40:])), "")
				if len(t) >= 148 {
					table(binary.LittleEndian.Uint64(t[132:]), "")
					table(binary.LittleEndian.Uint64(t[140:]), "")
				}
			}
		}
	}
}
