//go:build linux

package main

import (
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// parse reads one request back with the standard library's parser.
func parse(t *testing.T, b []byte) (syscall.NetlinkMessage, []syscall.NetlinkRouteAttr) {
	t.Helper()
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("ParseNetlinkMessage: %d messages, %v", len(msgs), err)
	}
	m := msgs[0]
	if int(m.Header.Len) != len(b) || len(b)%4 != 0 {
		t.Errorf("header length %d, message %d bytes", m.Header.Len, len(b))
	}
	if m.Header.Flags&(unix.NLM_F_REQUEST|unix.NLM_F_ACK) != unix.NLM_F_REQUEST|unix.NLM_F_ACK {
		t.Errorf("flags %#x lack REQUEST|ACK", m.Header.Flags)
	}
	if m.Header.Type == unix.RTM_NEWLINK {
		return m, nil
	}
	attrs, err := syscall.ParseNetlinkRouteAttr(&m)
	if err != nil {
		t.Fatalf("ParseNetlinkRouteAttr: %v", err)
	}
	return m, attrs
}

func TestRequests(t *testing.T) {
	m, _ := parse(t, linkUp(7, 1))
	if m.Header.Type != unix.RTM_NEWLINK || m.Header.Seq != 1 || len(m.Data) != unix.SizeofIfInfomsg {
		t.Fatalf("link up: %+v, %d bytes of body", m.Header, len(m.Data))
	}
	if idx, flags, change := binary.NativeEndian.Uint32(m.Data[4:]), binary.NativeEndian.Uint32(m.Data[8:]), binary.NativeEndian.Uint32(m.Data[12:]); idx != 7 || flags != unix.IFF_UP || change != unix.IFF_UP {
		t.Errorf("link up: index %d flags %#x change %#x", idx, flags, change)
	}

	m, attrs := parse(t, addAddress(3, netip.MustParsePrefix("10.0.2.15/24"), 2))
	if m.Header.Type != unix.RTM_NEWADDR || m.Header.Flags&(unix.NLM_F_CREATE|unix.NLM_F_EXCL) == 0 {
		t.Errorf("address: header %+v", m.Header)
	}
	if m.Data[0] != unix.AF_INET || m.Data[1] != 24 || binary.NativeEndian.Uint32(m.Data[4:]) != 3 {
		t.Errorf("address: ifaddrmsg % x", m.Data[:unix.SizeofIfAddrmsg])
	}
	want := map[uint16]string{unix.IFA_LOCAL: "0a00020f", unix.IFA_ADDRESS: "0a00020f"}
	checkAttrs(t, "address", attrs, want)

	m, attrs = parse(t, addDefaultRoute(3, netip.MustParseAddr("10.0.2.2"), 3))
	if m.Header.Type != unix.RTM_NEWROUTE || m.Header.Seq != 3 {
		t.Errorf("route: header %+v", m.Header)
	}
	if got := m.Data[:8]; got[0] != unix.AF_INET || got[1] != 0 || got[4] != unix.RT_TABLE_MAIN || got[7] != unix.RTN_UNICAST {
		t.Errorf("route: rtmsg % x", got)
	}
	checkAttrs(t, "route", attrs, map[uint16]string{unix.RTA_GATEWAY: "0a000202", unix.RTA_OIF: "03000000"})
}

func checkAttrs(t *testing.T, what string, attrs []syscall.NetlinkRouteAttr, want map[uint16]string) {
	t.Helper()
	got := map[uint16]string{}
	for _, a := range attrs {
		got[a.Attr.Type] = hex.EncodeToString(a.Value)
	}
	if len(got) != len(want) {
		t.Errorf("%s: attributes %v, want %v", what, got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: attribute %d = %s, want %s", what, k, got[k], v)
		}
	}
}

// answer builds the kernel's NLMSG_ERROR answer to request seq.
func answer(seq uint32, errno int32) []byte {
	b := make([]byte, unix.SizeofNlMsghdr+4+unix.SizeofNlMsghdr)
	binary.NativeEndian.PutUint32(b[0:], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], unix.NLMSG_ERROR)
	binary.NativeEndian.PutUint32(b[8:], seq)
	binary.NativeEndian.PutUint32(b[16:], uint32(errno))
	return b
}

func TestAckError(t *testing.T) {
	if err := ackError(answer(2, 0), 2); err != nil {
		t.Errorf("an acknowledgement: %v", err)
	}
	if err := ackError(answer(2, -int32(unix.EEXIST)), 2); err != unix.EEXIST {
		t.Errorf("an EEXIST answer: %v", err)
	}
	if err := ackError(answer(1, 0), 2); err == nil || !strings.Contains(err.Error(), "no acknowledgement of request 2") {
		t.Errorf("an answer to another request: %v", err)
	}
	if err := ackError([]byte{1, 2, 3}, 1); err == nil {
		t.Error("a truncated answer: no error")
	}
}

func TestModules(t *testing.T) {
	if _, err := loadModules(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no modules in") {
		t.Errorf("loadModules of an empty directory: %v", err)
	}
	for in, want := range map[string]string{"03-virtio_net.ko": "virtio_net", "120-e1000.ko": "e1000", "plain.ko": "plain"} {
		if got := moduleName(in); got != want {
			t.Errorf("moduleName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestBuildsAsInit builds the package as qemu/linuxguest.BuildInitramfs
// does, with examples/httpd's handlers: a static linux/amd64 executable.
func TestBuildsAsInit(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out := filepath.Join(t.TempDir(), "init")
	cmd := exec.Command(goBin, "build", "-trimpath", "-o", out, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 || f.Type != elf.ET_EXEC {
		t.Errorf("machine %v type %v, want a static x86-64 executable", f.Machine, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("has %v: not static, the initramfs has no dynamic loader", p.Type)
		}
	}
}
