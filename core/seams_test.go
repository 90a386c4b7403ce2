package core

import (
	"strings"
	"testing"
	"time"
)

// splitTopology puts CPU i on node i%nodes and never writes Kernel.CPUs:
// core must fill CPU.Node itself.
type splitTopology struct {
	nodes  int
	nodeOf func(cpu int) int
}

func (s splitTopology) Name() string       { return "split" }
func (s splitTopology) Init(*Kernel) error { return nil }
func (s splitTopology) Nodes() []Node      { return make([]Node, s.nodes) }
func (s splitTopology) Distance(a, b int) int {
	if a == b {
		return 10
	}
	return 20
}
func (s splitTopology) NodeOf(cpu int) int {
	if s.nodeOf != nil {
		return s.nodeOf(cpu)
	}
	return cpu % s.nodes
}

func TestAdoptTopologyFillsNodes(t *testing.T) {
	k := &Kernel{CPUs: make([]CPU, 5)}
	for i := range k.CPUs {
		k.CPUs[i] = CPU{Index: i, Node: -1}
	}
	if err := k.adopt(KindTopology, splitTopology{nodes: 2}); err != nil {
		t.Fatal(err)
	}
	for i, c := range k.CPUs {
		if c.Node != i%2 {
			t.Errorf("CPU %d: Node %d, want NodeOf = %d", i, c.Node, i%2)
		}
	}
}

func TestAdoptTopologyRejectsBadNode(t *testing.T) {
	k := &Kernel{CPUs: make([]CPU, 3)}
	bad := splitTopology{nodes: 2, nodeOf: func(cpu int) int { return cpu }} // CPU 2 -> node 2 of 2
	err := k.adopt(KindTopology, bad)
	if err == nil || !strings.Contains(err.Error(), "NodeOf(2) = 2, but there are 2 nodes") {
		t.Fatalf("adopt: %v, want an error naming NodeOf(2)", err)
	}
}

// inputConsole records the deliver function Boot hands it.
type inputConsole struct {
	deliver func([]byte)
	err     error
}

func (c *inputConsole) Name() string                    { return "input" }
func (c *inputConsole) Init(*Kernel) error              { return nil }
func (c *inputConsole) PutByte(byte)                    {}
func (c *inputConsole) StartInput(d func([]byte)) error { c.deliver = d; return c.err }

// valueClock has Nanotime on a value receiver; ptrClock on a pointer.
type valueClock struct{ fakeClock }
type ptrClock struct{}

func (*ptrClock) Name() string       { return "ptr" }
func (*ptrClock) Init(*Kernel) error { return nil }
func (*ptrClock) Nanotime() int64    { return 0 }
func (*ptrClock) Hz() uint64         { return 0 }
func (*ptrClock) Source() string     { return "fake" }
func (*ptrClock) Reference() string  { return "" }

func TestAdoptWantsPointerReceivers(t *testing.T) {
	for _, c := range []struct {
		m    Module
		kind Kind
		want string // "" = accepted
	}{
		{&ptrClock{}, KindClock, ""},
		{fakeClock{}, KindClock, "core.fakeClock must be registered as a pointer with Nanotime on a pointer receiver"},
		{&valueClock{}, KindClock, "core.valueClock.Nanotime must have a pointer receiver"},
		{&inputConsole{}, KindConsole, ""},
		{fakeConsole{}, KindConsole, "core.fakeConsole must be registered as a pointer with PutByte"},
	} {
		err := (&Kernel{}).adopt(c.kind, c.m)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%T: %v, want it accepted", c.m, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%T: %v, want an error containing %q", c.m, err, c.want)
		}
	}
}

func TestAdoptConsoleInput(t *testing.T) {
	k := &Kernel{}
	c := &inputConsole{}
	if err := k.adopt(KindConsole, c); err != nil {
		t.Fatal(err)
	}
	if k.Input == nil || c.deliver == nil {
		t.Fatal("no console input after StartInput succeeded")
	}
	c.deliver([]byte("hi"))
	p := make([]byte, 8)
	if n, _ := k.Input.Read(p); string(p[:n]) != "hi" {
		t.Errorf("read %q, want %q", p[:n], "hi")
	}

	k = &Kernel{}
	if err := k.adopt(KindConsole, &inputConsole{err: ErrNoInput}); err != nil {
		t.Fatal(err)
	}
	if k.Input != nil {
		t.Error("Kernel.Input set for a console without input")
	}
	if len(k.Warnings) != 1 || !strings.Contains(k.Warnings[0], ErrNoInput.Error()) {
		t.Errorf("warnings %q, want one saying the console has no input", k.Warnings)
	}
}

func TestConsoleInputBoundedAndCounted(t *testing.T) {
	in := newConsoleInput(8)
	in.Deliver([]byte("abcde"))
	in.Deliver([]byte("fghijk")) // 3 fit, 3 dropped
	if got := in.Buffered(); got != 8 {
		t.Errorf("Buffered %d, want 8", got)
	}
	if in.Dropped() != 3 || in.Received() != 11 {
		t.Errorf("Dropped %d Received %d, want 3 and 11", in.Dropped(), in.Received())
	}
	p := make([]byte, 3)
	var got []byte
	for len(got) < 8 {
		n, err := in.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p[:n]...)
	}
	if string(got) != "abcdefgh" {
		t.Errorf("read %q, want the first 8 bytes in order", got)
	}
	// Across the ring's end.
	in.Deliver([]byte("123456"))
	n, _ := in.Read(make([]byte, 0))
	if n != 0 {
		t.Errorf("Read of an empty slice returned %d", n)
	}
	all := make([]byte, 16)
	n, _ = in.Read(all)
	if string(all[:n]) != "123456" {
		t.Errorf("read %q after wrapping, want 123456", all[:n])
	}
}

func TestConsoleInputReadWaits(t *testing.T) {
	in := newConsoleInput(InputBufferSize)
	got := make(chan string)
	go func() {
		p := make([]byte, 16)
		n, _ := in.Read(p)
		got <- string(p[:n])
	}()
	select {
	case s := <-got:
		t.Fatalf("Read returned %q before anything was delivered", s)
	case <-time.After(50 * time.Millisecond):
	}
	in.Deliver([]byte("late"))
	select {
	case s := <-got:
		if s != "late" {
			t.Errorf("Read returned %q, want late", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read did not return after Deliver")
	}
}
