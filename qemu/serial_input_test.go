package qemu

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// echoQEMU is a fake QEMU whose guest echoes every line of serial input
// marked, and exits on "quit".
func echoQEMU(t *testing.T) Options {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fake-qemu")
	script := "#!/bin/sh\necho ready\nwhile read -r l; do\n  [ \"$l\" = quit ] && exit 1\n  echo \"got: $l\"\ndone\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return Options{Binary: path, Kernel: "k.elf", Accel: AccelTCG}
}

func TestWriteSerial(t *testing.T) {
	vm, err := Start(context.Background(), echoQEMU(t))
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Kill()
	if _, _, err := vm.Expect(regexp.MustCompile(`^ready$`), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"ping 1", "two words"} {
		if n, err := vm.WriteSerial([]byte(s + "\n")); err != nil || n != len(s)+1 {
			t.Fatalf("WriteSerial(%q) = %d, %v", s, n, err)
		}
		if _, _, err := vm.Expect(regexp.MustCompile(`^got: `+regexp.QuoteMeta(s)+`$`), 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := vm.WriteSerial([]byte("quit\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	_, err = vm.WriteSerial([]byte("late\n"))
	if err == nil || !strings.Contains(err.Error(), "QEMU has exited") {
		t.Errorf("WriteSerial after exit: %v, want an error saying QEMU has exited", err)
	}
}
