package multiboot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var le = binary.LittleEndian

func TestHeader(t *testing.T) {
	h := Header()
	if len(h)%8 != 0 {
		t.Errorf("header is %d bytes, not a multiple of 8", len(h))
	}
	if le.Uint32(h) != Magic || le.Uint32(h[4:]) != 0 {
		t.Errorf("magic/architecture %#x/%d", le.Uint32(h), le.Uint32(h[4:]))
	}
	var sum uint32
	for i := 0; i < 16; i += 4 {
		sum += le.Uint32(h[i:])
	}
	if sum != 0 {
		t.Errorf("magic+arch+length+checksum = %#x, want 0", sum)
	}
	if le.Uint32(h[8:]) != uint32(len(h)) {
		t.Error("length field wrong")
	}
	// Walk the tags as GRUB does.
	type req struct {
		optional bool
		types    []uint32
	}
	var reqs []req
	off := 16
	for {
		if off%8 != 0 || off+8 > len(h) {
			t.Fatalf("tag at %d: misaligned or past the end", off)
		}
		typ, flags, size := le.Uint16(h[off:]), le.Uint16(h[off+2:]), int(le.Uint32(h[off+4:]))
		if typ == tagEnd {
			if size != 8 || off+8 != len(h) {
				t.Errorf("end tag size %d at %d of %d", size, off, len(h))
			}
			break
		}
		if typ != tagInfoReq {
			t.Errorf("unexpected tag type %d", typ)
		}
		r := req{optional: flags&tagOptional != 0}
		for i := off + 8; i < off+size; i += 4 {
			r.types = append(r.types, le.Uint32(h[i:]))
		}
		reqs = append(reqs, r)
		off += (size + 7) &^ 7
	}
	want := []req{{false, []uint32{InfoCmdline, InfoMmap}}, {true, []uint32{InfoACPIOld, InfoACPINew}}}
	if len(reqs) != len(want) {
		t.Fatalf("requests %v, want %v", reqs, want)
	}
	for i := range want {
		if reqs[i].optional != want[i].optional || !slicesEqual(reqs[i].types, want[i].types) {
			t.Errorf("request %d = %v, want %v", i, reqs[i], want[i])
		}
	}
	if Find(h) != 0 {
		t.Error("Find does not find the header")
	}
}

func slicesEqual(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// crafted describes a small ELF64 kernel laid out as the Go linker lays out
// a tamago kernel: ELF header, program headers, zero padding, a note, then
// code; one PT_LOAD from file offset 0 covers it all.
type crafted struct {
	typ        uint16
	entry      uint64
	paddr      uint64 // of the PT_LOAD (vaddr is the same)
	memsz      uint64 // 0: the file size
	phoff      uint64 // 0: 64
	size       int    // file size; 0: 0x2000
	noteOff    int    // PT_NOTE at this offset, 0x20 bytes of 0x11
	codeOff    int    // code bytes (0x90) from here to the end
	extraPhdrs int
}

func (c crafted) build() []byte {
	if c.size == 0 {
		c.size = 0x2000
	}
	if c.phoff == 0 {
		c.phoff = 64
	}
	if c.typ == 0 {
		c.typ = 2 // ET_EXEC
	}
	img := make([]byte, max(c.size, int(c.phoff)+56*3))
	copy(img, []byte{0x7f, 'E', 'L', 'F', 2, 1, 1})
	le.PutUint16(img[0x10:], c.typ)
	le.PutUint16(img[0x12:], 62) // EM_X86_64
	le.PutUint32(img[0x14:], 1)
	le.PutUint64(img[0x18:], c.entry)
	le.PutUint64(img[0x20:], c.phoff)
	le.PutUint16(img[0x34:], 64)
	le.PutUint16(img[0x36:], 56)
	nph := 2 + c.extraPhdrs
	le.PutUint16(img[0x38:], uint16(nph))
	le.PutUint16(img[0x3a:], 64)
	ph := func(i int, typ uint32, off, addr, filesz, memsz uint64) {
		p := img[c.phoff+uint64(i)*56:]
		le.PutUint32(p, typ)
		le.PutUint32(p[4:], 5)
		le.PutUint64(p[8:], off)
		le.PutUint64(p[16:], addr)
		le.PutUint64(p[24:], addr)
		le.PutUint64(p[32:], filesz)
		le.PutUint64(p[40:], memsz)
		le.PutUint64(p[48:], 0x1000)
	}
	memsz := c.memsz
	if memsz == 0 {
		memsz = uint64(c.size)
	}
	ph(0, 1, 0, c.paddr, uint64(c.size), memsz) // PT_LOAD
	ph(1, 4, uint64(c.noteOff), c.paddr+uint64(c.noteOff), 0x20, 0x20)
	for i := 2; i < nph; i++ {
		ph(i, 6, c.phoff, c.paddr+c.phoff, 56*uint64(nph), 56*uint64(nph)) // PT_PHDR
	}
	for i := c.noteOff; i < c.noteOff+0x20; i++ {
		img[i] = 0x11
	}
	for i := c.codeOff; i < c.size; i++ {
		img[i] = 0x90
	}
	return img
}

func kernel() crafted {
	return crafted{entry: 0x101000, paddr: 0x100000, noteOff: 0xf80, codeOff: 0x1000}
}

func TestStampCrafted(t *testing.T) {
	img := kernel().build()
	before := bytes.Clone(img)
	off, err := StampBytes(img)
	if err != nil {
		t.Fatal(err)
	}
	// ELF header 64 + 2 program headers of 56 = 176: the first 8-aligned
	// free offset.
	if off != 176 {
		t.Errorf("header at %#x, want 0xb0", off)
	}
	h := Header()
	if !bytes.Equal(img[off:off+len(h)], h) || Find(img) != off {
		t.Fatal("header not written where reported")
	}
	copy(img[off:], before[off:off+len(h)])
	if !bytes.Equal(before, img) {
		t.Error("StampBytes changed bytes outside the header")
	}
}

func TestStampAvoidsNotesAndNonZero(t *testing.T) {
	c := kernel()
	c.noteOff = 0xc0 // a note right after the program headers
	img := c.build()
	img[0x100] = 1 // a stray non-zero byte in the padding
	off, err := StampBytes(img)
	if err != nil {
		t.Fatal(err)
	}
	if off < 0x108 {
		t.Errorf("header at %#x overlaps the note (0xc0-0xe0) or the byte at 0x100", off)
	}
}

func TestStampIdempotent(t *testing.T) {
	img := kernel().build()
	off, err := StampBytes(img)
	if err != nil {
		t.Fatal(err)
	}
	once := bytes.Clone(img)
	again, err := StampBytes(img)
	if err != nil || again != off || !bytes.Equal(img, once) {
		t.Errorf("second stamp: %#x, %v, changed %v; want %#x, nil, false", again, err, !bytes.Equal(img, once), off)
	}
}

// oldHeader is what an earlier Stamp wrote: one request (cmdline, mmap).
func oldHeader() []byte {
	h := []byte{}
	for _, v := range []uint32{Magic, 0, 40, 0, 1, 16, 1, 6, 0, 8} {
		h = le.AppendUint32(h, v)
	}
	sum := uint32(Magic) + 40
	le.PutUint32(h[12:], -sum)
	return h
}

func TestStampReplacesOldHeader(t *testing.T) {
	img := kernel().build()
	copy(img[0x200:], oldHeader())
	off, err := StampBytes(img)
	if err != nil {
		t.Fatal(err)
	}
	if Find(img) != off || !bytes.HasPrefix(img[off:], Header()) {
		t.Fatalf("new header not first: Find = %#x, stamped at %#x", Find(img), off)
	}
	if i := bytes.Index(img, le.AppendUint32(nil, Magic)); i != off || bytes.Count(img, le.AppendUint32(nil, Magic)) != 1 {
		t.Errorf("a second header remains (first magic at %#x)", i)
	}
}

func TestStampKeepsKernelsOwnHeader(t *testing.T) {
	c := kernel()
	img := c.build()
	copy(img[c.noteOff:], oldHeader()) // inside a segment the file format owns
	before := bytes.Clone(img)
	off, err := StampBytes(img)
	if err != nil || off != c.noteOff || !bytes.Equal(img, before) {
		t.Errorf("got %#x, %v (changed: %v); want the kernel's header at %#x left alone", off, err, !bytes.Equal(img, before), c.noteOff)
	}
}

func TestStampNoRoom(t *testing.T) {
	c := kernel()
	img := c.build()
	for i := 64 + 2*56; i < len(img); i++ {
		if img[i] == 0 {
			img[i] = 0xcc
		}
	}
	if _, err := StampBytes(img); !errors.Is(err, ErrNoRoom) {
		t.Errorf("full file: %v, want ErrNoRoom", err)
	}
	// Room only past the first 32 KiB does not count.
	c.size, c.codeOff = 0x9000, 0x9000
	img = c.build()
	for i := 64 + 2*56; i < SearchWindow; i++ {
		img[i] = 0xcc
	}
	if _, err := StampBytes(img); !errors.Is(err, ErrNoRoom) {
		t.Errorf("room past 32 KiB only: %v, want ErrNoRoom", err)
	}
}

func TestStampRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		img  func() []byte
		want string
	}{
		{"not ELF", func() []byte { return []byte("not an elf at all, not at all, not at all, not at all, not at all") }, "not an ELF"},
		{"ELF32", func() []byte { img := kernel().build(); img[4] = 1; return img }, "ELF"},
		{"ET_DYN", func() []byte { c := kernel(); c.typ = 3; return c.build() }, "ET_EXEC"},
		{"entry outside segments", func() []byte { c := kernel(); c.entry = 0x2000_0000; return c.build() }, "in no PT_LOAD"},
		{"segment above 4 GiB", func() []byte {
			c := kernel()
			c.paddr, c.entry = 0xffff_f000, 0xffff_f100
			c.memsz = 0x10000
			return c.build()
		}, "above 4 GiB"},
		{"linked above 4 GiB", func() []byte { c := kernel(); c.paddr, c.entry = 1<<33, 1<<33+0x1000; return c.build() }, "above 4 GiB"},
		{"program headers beyond 32 KiB", func() []byte {
			c := kernel()
			c.size, c.phoff, c.codeOff = 0x9000, 0x8000, 0x8200
			return c.build()
		}, "32 KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := StampBytes(tc.img())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// grubFile runs GRUB's own multiboot2 check on path, if grub-file is
// installed.
func grubFile(t *testing.T, path string) {
	t.Helper()
	if _, err := exec.LookPath("grub-file"); err != nil {
		t.Log("grub-file not installed (Debian grub-common): GRUB's own check skipped")
		return
	}
	if out, err := exec.Command("grub-file", "--is-x86-multiboot2", path).CombinedOutput(); err != nil {
		t.Errorf("grub-file --is-x86-multiboot2 %s: %v %s", path, err, out)
	}
}

func TestStampFileCrafted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.elf")
	if err := os.WriteFile(path, kernel().build(), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("grub-file"); err == nil {
		if exec.Command("grub-file", "--is-x86-multiboot2", path).Run() == nil {
			t.Error("grub-file accepts the unstamped ELF")
		}
	}
	if _, err := Stamp(path); err != nil {
		t.Fatal(err)
	}
	grubFile(t, path)
}

// hostELF builds a small amd64 ELF with the host Go toolchain: its layout
// (headers, gap, notes) is the Go linker's, as for a kernel.
func hostELF(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	os.WriteFile(src, []byte("package main\nfunc main() {}\n"), 0o644)
	out := filepath.Join(dir, "k.elf")
	cmd := exec.Command("go", "build", "-o", out, src)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0", "GOWORK=off", "GO111MODULE=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

func TestStampHostELF(t *testing.T) {
	path := hostELF(t)
	before, _ := os.ReadFile(path)
	st0, _ := os.Stat(path)
	off, err := Stamp(path)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	n := int64(len(Header()))
	if off%8 != 0 || off+n > SearchWindow {
		t.Errorf("header at %d: not 8-aligned inside the first 32 KiB", off)
	}
	if !bytes.Equal(after[off:off+n], Header()) {
		t.Error("header not written where reported")
	}
	copy(after[off:], before[off:off+n])
	if !bytes.Equal(before, after) {
		t.Error("Stamp changed bytes outside the header")
	}
	if st1, _ := os.Stat(path); st1.Mode() != st0.Mode() {
		t.Errorf("mode %v became %v", st0.Mode(), st1.Mode())
	}
	again, err := Stamp(path)
	if err != nil || again != off {
		t.Errorf("second Stamp = %d, %v; want %d, nil", again, err, off)
	}
	grubFile(t, path)
}
