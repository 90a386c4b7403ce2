package toolchain_test

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tamagoCmd runs the GOOS=tamago go command in dir with the tamago
// environment; GOWORK is off so that testdata modules stand alone.
func tamagoCmd(t *testing.T, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	goBin, err := tamagoGo()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=tamago", "GOARCH=amd64", "CGO_ENABLED=0", "GOWORK=off")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var withGOOSPKG = []string{"GOOSPKG=github.com/usbarmory/tamago"}

// TestStd builds and vets the whole standard library for tamago/amd64.
func TestStd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds all of std")
	}
	for _, verb := range []string{"build", "vet"} {
		t.Run(verb, func(t *testing.T) {
			if out, err := tamagoCmd(t, "testdata/compile", withGOOSPKG, verb, "std"); err != nil {
				t.Fatalf("go %s std: %v\n%s", verb, err, out)
			}
		})
	}
}

// TestThirdParty compiles the tamago and gVisor packages Aero builds on
// (testdata/compile/imports.go lists them).
func TestThirdParty(t *testing.T) {
	if out, err := tamagoCmd(t, "testdata/compile", withGOOSPKG, "build", "./..."); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
}

// TestGOOSPKGErrors: a program cannot be linked without a machine package,
// and a GOOSPKG outside the build list is named in the error.
func TestGOOSPKGErrors(t *testing.T) {
	out, err := tamagoCmd(t, ".", nil, "build", "-tags", "linkcpuinit", "-o", os.DevNull, "./smoke")
	if err == nil || !strings.Contains(out, "GOOS=tamago: linking") || !strings.Contains(out, "GOOSPKG") {
		t.Errorf("build without GOOSPKG: err=%v, want a GOOSPKG error; output:\n%s", err, out)
	}
	out, err = tamagoCmd(t, ".", []string{"GOOSPKG=example.com/no/such/machine"}, "build", "-tags", "linkcpuinit", "-o", os.DevNull, "./smoke")
	if err == nil || !strings.Contains(out, "GOOSPKG=example.com/no/such/machine") {
		t.Errorf("build with unknown GOOSPKG: err=%v, want it named; output:\n%s", err, out)
	}
}

// TestPVHNote checks the linker's Xen PVH entry note: a PT_NOTE segment
// holding a note named "Xen" of type 18 whose 8-byte payload is the entry
// point, inside a loadable segment, as QEMU's -kernel loader expects.
func TestPVHNote(t *testing.T) {
	k := buildKernels(t)
	f, err := elf.Open(k.smoke)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC || f.Machine != elf.EM_X86_64 {
		t.Fatalf("ELF type %v machine %v, want ET_EXEC EM_X86_64", f.Type, f.Machine)
	}
	var found bool
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("unexpected %v segment in a bare-metal image", p.Type)
		}
		if p.Type != elf.PT_NOTE {
			continue
		}
		data := make([]byte, p.Filesz)
		if _, err := p.ReadAt(data, 0); err != nil {
			t.Fatal(err)
		}
		for len(data) >= 12 {
			namesz := binary.LittleEndian.Uint32(data[0:])
			descsz := binary.LittleEndian.Uint32(data[4:])
			typ := binary.LittleEndian.Uint32(data[8:])
			name := data[12 : 12+namesz]
			descOff := 12 + (namesz+3)&^3
			desc := data[descOff : descOff+descsz]
			if bytes.Equal(name, []byte("Xen\x00")) && typ == 18 {
				found = true
				if descsz != 8 {
					t.Fatalf("PVH note payload is %d bytes, want 8", descsz)
				}
				entry := binary.LittleEndian.Uint64(desc)
				if entry != f.Entry {
					t.Errorf("PVH entry %#x != ELF entry %#x", entry, f.Entry)
				}
				if entry >= 1<<32 {
					t.Errorf("PVH entry %#x is not a 32-bit physical address", entry)
				}
			}
			data = data[descOff+(descsz+3)&^3:]
		}
	}
	if !found {
		t.Fatalf("%s: no Xen PVH note (type 18) in any PT_NOTE segment", filepath.Base(k.smoke))
	}
}
