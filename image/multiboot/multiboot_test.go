package multiboot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestHeaderChecksum(t *testing.T) {
	h := Header()
	if len(h)%8 != 0 {
		t.Errorf("header is %d bytes, not a multiple of 8", len(h))
	}
	var sum uint32
	for i := 0; i < 16; i += 4 {
		sum += binary.LittleEndian.Uint32(h[i:])
	}
	if sum != 0 {
		t.Errorf("magic+arch+length+checksum = %#x, want 0", sum)
	}
	if binary.LittleEndian.Uint32(h[8:]) != uint32(len(h)) {
		t.Error("length field wrong")
	}
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

func TestStamp(t *testing.T) {
	path := hostELF(t)
	before, _ := os.ReadFile(path)
	off, err := Stamp(path)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	if off%8 != 0 || off+int64(len(Header())) > searchWindow {
		t.Errorf("header at %d: not 8-aligned inside the first 32 KiB", off)
	}
	if !bytes.Equal(after[off:off+int64(len(Header()))], Header()) {
		t.Error("header not written where reported")
	}
	// Nothing else changed.
	copy(after[off:], before[off:off+int64(len(Header()))])
	if !bytes.Equal(before, after) {
		t.Error("Stamp changed bytes outside the header")
	}
	// Idempotent.
	again, err := Stamp(path)
	if err != nil || again != off {
		t.Errorf("second Stamp = %d, %v; want %d, nil", again, err, off)
	}
	if _, err := exec.LookPath("grub-file"); err == nil {
		if out, err := exec.Command("grub-file", "--is-x86-multiboot2", path).CombinedOutput(); err != nil {
			t.Errorf("grub-file --is-x86-multiboot2 rejects the stamped ELF: %v %s", err, out)
		}
	} else {
		t.Log("grub-file not installed: GRUB's own check skipped")
	}
}

func TestStampRejects(t *testing.T) {
	if _, err := StampBytes([]byte("not an elf")); err == nil {
		t.Error("non-ELF accepted")
	}
	path := hostELF(t)
	img, _ := os.ReadFile(path)
	// Fill the first 32 KiB after the program headers with non-zero bytes:
	// no room.
	phEnd := int(binary.LittleEndian.Uint64(img[0x20:])) + 56*int(binary.LittleEndian.Uint16(img[0x38:]))
	shoff := int(binary.LittleEndian.Uint64(img[0x28:]))
	shEnd := shoff + 64*int(binary.LittleEndian.Uint16(img[0x3c:]))
	for i := phEnd; i < searchWindow && i < len(img); i++ {
		if i >= shoff && i < shEnd {
			continue // the section headers must stay readable
		}
		if img[i] == 0 {
			img[i] = 0xcc
		}
	}
	if _, err := StampBytes(img); !errors.Is(err, ErrNoRoom) {
		t.Errorf("full file: %v, want ErrNoRoom", err)
	}
}
