package bootinfo

import (
	"strings"
	"testing"
)

func TestMultiboot2(t *testing.T) {
	b := grub().module(0x200000, 0x201234, "initrd.img quiet").module(0x300000, 0x300000, "").done()
	info, err := Parse(Multiboot2Magic, mb2At, flat(mb2At, b))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Loader", info.Loader, "multiboot2")
	equal(t, "LoaderName", info.LoaderName, "GRUB 2.12")
	equal(t, "Cmdline", info.Cmdline, "test=all")
	equal(t, "RSDP", info.RSDP, uint64(0))
	equal(t, "RSDPCopy", info.RSDPCopy, rsdpV2)
	equal(t, "Memory", info.Memory, q35)
	equal(t, "RAM", info.RAM(), q35RAM)
	equal(t, "MemLowerKiB", info.MemLowerKiB, uint32(639))
	equal(t, "MemUpperKiB", info.MemUpperKiB, uint32(2096000))
	equal(t, "Modules", info.Modules, []Module{{0x200000, 0x1234, "initrd.img quiet"}, {0x300000, 0, ""}})
	equal(t, "Warnings", info.Warnings, []string(nil))
}

// The minimum: a memory map and the end tag.
func TestMultiboot2Minimal(t *testing.T) {
	b := newMB2().mmap(24, q35[:1]).done()
	info, err := Parse(Multiboot2Magic, mb2At, flat(mb2At, b))
	if err != nil {
		t.Fatal(err)
	}
	if info.Cmdline != "" || info.LoaderName != "" || info.RSDPCopy != nil || len(info.Modules) != 0 || len(info.Memory) != 1 {
		t.Errorf("got %+v", info)
	}
}

// Only an ACPI 1.0 RSDP: its copy is kept. With both, the 2.0 one wins
// whatever the order.
func TestMultiboot2RSDP(t *testing.T) {
	for _, c := range []struct {
		name string
		m    *mb2
		want []byte
	}{
		{"old", newMB2().mmap(24, q35).tag(tagACPIOld, rsdpV1), rsdpV1},
		{"new first", newMB2().mmap(24, q35).tag(tagACPINew, rsdpV2).tag(tagACPIOld, rsdpV1), rsdpV2},
		{"none", newMB2().mmap(24, q35), nil},
	} {
		info, err := Parse(Multiboot2Magic, mb2At, flat(mb2At, c.m.done()))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		equal(t, c.name+": RSDPCopy", info.RSDPCopy, c.want)
	}
}

// Entries may be longer than 24 bytes (entry_size): the rest is skipped.
func TestMultiboot2LongEntries(t *testing.T) {
	b := newMB2().mmap(40, q35).done()
	info, err := Parse(Multiboot2Magic, mb2At, flat(mb2At, b))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Memory", info.Memory, q35)
}

// A tag whose size is not a multiple of 8 is followed by padding; unknown
// tags are skipped; anything after the end tag is ignored.
func TestMultiboot2Layout(t *testing.T) {
	m := newMB2().str(tagCmdline, "odd")      // 12 bytes, padded to 16
	m.tag(0x1234, []byte("unknown tag body")) // skipped
	m.mmap(24, q35)
	m.done()
	m.str(tagCmdline, "after the end") // beyond the end tag: not read
	put32(m.b, 0, uint32(len(m.b)))
	info, err := Parse(Multiboot2Magic, mb2At, flat(mb2At, m.b))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Cmdline", info.Cmdline, "odd")
	equal(t, "Warnings", info.Warnings, []string(nil))
}

// A repeated tag: the first counts, and a warning says so.
func TestMultiboot2Repeated(t *testing.T) {
	b := newMB2().str(tagCmdline, "first").mmap(24, q35).str(tagCmdline, "second").mmap(24, q35[:2]).done()
	info, err := Parse(Multiboot2Magic, mb2At, flat(mb2At, b))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Cmdline", info.Cmdline, "first")
	equal(t, "Memory", info.Memory, q35)
	equal(t, "Warnings", info.Warnings, []string{
		"multiboot2: tag 1 at offset 280 repeats an earlier one; ignored",
		"multiboot2: tag 6 at offset 296 repeats an earlier one; ignored",
	})
}

// Without a memory map, basic memory information gives two RAM regions.
func TestMultiboot2BasicMemory(t *testing.T) {
	b := newMB2().basic(639, 130048).done()
	info, err := Parse(Multiboot2Magic, mb2At, flat(mb2At, b))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Memory", info.Memory, []Region{reg(0, 639<<10, RAM), reg(1<<20, 130048<<10, RAM)})
	if len(info.Warnings) != 1 || !strings.Contains(info.Warnings[0], "no memory map tag") {
		t.Errorf("Warnings = %q", info.Warnings)
	}
}

func TestMultiboot2Errors(t *testing.T) {
	many := make([]Region, MaxMemmap+1)
	for i := range many {
		many[i] = reg(uint64(i)<<12, 1<<12, RAM)
	}
	for _, c := range []struct {
		name  string
		b     func() []byte
		kind  error
		words []string
	}{
		{"total_size too small", func() []byte { b := grub().done(); put32(b, 0, 15); return b },
			ErrLength, []string{"multiboot2: information at 0x10000", "total_size 15 (want 16 to 65536)"}},
		{"total_size too big", func() []byte { b := grub().done(); put32(b, 0, MaxMultiboot2+8); return b },
			ErrLength, []string{"total_size 65544"}},
		{"total_size past memory", func() []byte { b := grub().done(); put32(b, 0, uint32(len(b)+8)); return b },
			ErrRead, []string{"information at 0x10000", "reading 496 bytes"}},
		{"header truncated", func() []byte { return []byte{1, 2, 3} },
			ErrRead, []string{"reading 8 bytes"}},
		{"no end tag", func() []byte {
			b := grub().done()
			b = b[:len(b)-8]
			put32(b, 0, uint32(len(b)))
			return b
		}, ErrMissing, []string{"no end tag within total_size 480"}},
		{"tag size under 8", func() []byte {
			b := newMB2().mmap(24, q35).tag(99, nil).done()
			put32(b, 264+4, 4)
			return b
		}, ErrLength, []string{"tag 99 at offset 264", "size 4 (at least 8)"}},
		{"tag past total_size", func() []byte {
			b := newMB2().mmap(24, q35).tag(99, make([]byte, 8)).done()
			put32(b, 264+4, 4000)
			return b
		}, ErrLength, []string{"tag 99 at offset 264", "size 4000 runs past total_size 288"}},
		{"end tag past total_size", func() []byte {
			b := newMB2().mmap(24, q35).done()
			put32(b, uint64(len(b)-4), 16)
			return b
		}, ErrLength, []string{"tag 0 at offset 264", "size 16 runs past"}},
		{"no memory map", func() []byte { return newMB2().str(tagCmdline, "x").done() },
			ErrMissing, []string{"no memory map (tag 6) or basic memory information (tag 4)"}},
		{"memory map entry_size 16", func() []byte { return newMB2().mmap(16, q35).done() },
			ErrLength, []string{"tag 6 at offset 8 (memory map)", "entry_size 16 (at least 24)"}},
		{"memory map entry_size 0", func() []byte { return newMB2().mmap(0, q35).done() },
			ErrLength, []string{"entry_size 0"}},
		{"memory map tag too short", func() []byte { return newMB2().tag(tagMmap, []byte{24, 0, 0, 0}).done() },
			ErrLength, []string{"4 bytes after the tag header"}},
		{"memory map partial entry", func() []byte {
			return newMB2().tag(tagMmap, append([]byte{24, 0, 0, 0, 0, 0, 0, 0}, make([]byte, 40)...)).done()
		},
			ErrLength, []string{"40 bytes of entries is not a whole number of 24-byte entries"}},
		{"memory map too long", func() []byte { return newMB2().mmap(24, many).done() },
			ErrLength, []string{"1025 entries (at most 1024"}},
		{"command line without NUL", func() []byte { return newMB2().tag(tagCmdline, []byte("abcdefgh")).mmap(24, q35).done() },
			ErrString, []string{"tag 1 at offset 8 (command line)", "no NUL within the tag's 8 bytes"}},
		{"command line too long", func() []byte { return newMB2().str(tagCmdline, strings.Repeat("z", MaxCmdline+1)).mmap(24, q35).done() },
			ErrLength, []string{"4097 bytes long (at most 4096"}},
		{"loader name without NUL", func() []byte { return newMB2().tag(tagLoader, []byte("GRUB")).mmap(24, q35).done() },
			ErrString, []string{"(boot loader name)"}},
		{"module ends before it starts", func() []byte { return newMB2().module(0x2000, 0x1000, "").mmap(24, q35).done() },
			ErrLength, []string{"(module)", "mod_end 0x1000 is below mod_start 0x2000"}},
		{"module tag too short", func() []byte { return newMB2().tag(tagModule, []byte{1, 2, 3, 4}).mmap(24, q35).done() },
			ErrLength, []string{"(module)", "size 12"}},
		{"module string without NUL", func() []byte {
			return newMB2().tag(tagModule, []byte("\x00\x10\x00\x00\x00\x20\x00\x00abcdefgh")).mmap(24, q35).done()
		},
			ErrString, []string{"(module)"}},
		{"too many modules", func() []byte {
			m := newMB2().mmap(24, q35)
			for range MaxModules + 1 {
				m.module(0x1000, 0x2000, "")
			}
			return m.done()
		}, ErrLength, []string{"more than 64 modules"}},
		{"basic memory too short", func() []byte { return newMB2().tag(tagBasicMem, []byte{1, 2, 3, 4}).done() },
			ErrLength, []string{"(basic memory information)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			info, err := Parse(Multiboot2Magic, mb2At, flat(mb2At, c.b()))
			if info != nil {
				t.Errorf("Parse returned %+v with the error", info)
			}
			wantErr(t, err, c.kind, c.words...)
		})
	}
	_, err := Parse(Multiboot2Magic, 0, flat(0, make([]byte, 64)))
	wantErr(t, err, ErrMagic, "multiboot2", "EBX is 0")
}
