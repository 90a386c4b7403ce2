package qemutest

import (
	"strings"
	"testing"
	"time"
)

func TestSend(t *testing.T) {
	// The fake guest echoes each line of serial input, marked.
	o := fakeQEMU(t, "echo ready\nwhile read -r l; do echo \"got: $l\"; done\n")
	var echoed string
	r := record(t, func(r *rec) {
		vm := Boot(r, o)
		vm.Expect(`^ready$`, 10*time.Second)
		vm.Send("hello guest\n")
		l, _ := vm.Expect(`^got: `, 10*time.Second)
		echoed = l.Text
	})
	if r.Failed() {
		t.Fatalf("Send to a running guest failed the test:\n%s", r.text())
	}
	if echoed != "got: hello guest" {
		t.Errorf("guest echoed %q, want %q", echoed, "got: hello guest")
	}

	r = record(t, func(r *rec) {
		vm := Boot(r, o)
		vm.Expect(`^ready$`, 10*time.Second)
		vm.Kill()
		vm.Send("too late\n")
	})
	if !r.Failed() || !strings.Contains(r.text(), "Send(\"too late\\n\"): qemu: serial input: QEMU has exited") {
		t.Errorf("Send after QEMU exited: failed=%v, output:\n%s\nwant a failure saying QEMU has exited", r.Failed(), r.text())
	}
}
