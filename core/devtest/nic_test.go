package devtest

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/hw"
)

// recorder is a NICHandler that writes down what it gets, in order, and
// checks that calls never overlap.
type recorder struct {
	mu      sync.Mutex
	log     []string
	inside  bool
	overlap bool
	onReady func()
}

func (r *recorder) enter(s string) {
	r.mu.Lock()
	r.overlap = r.overlap || r.inside
	r.inside = true
	r.log = append(r.log, s)
	r.mu.Unlock()
}

func (r *recorder) leave() { r.mu.Lock(); r.inside = false; r.mu.Unlock() }

func (r *recorder) Receive(f []byte, ok bool) {
	r.enter(fmt.Sprintf("rx %s %v", f[14:], ok))
	r.leave()
}

func (r *recorder) LinkChanged(up bool) { r.enter(fmt.Sprintf("link %v", up)); r.leave() }

func (r *recorder) TransmitReady() {
	r.enter("ready")
	if r.onReady != nil {
		r.onReady()
	}
	r.leave()
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.log
	r.log = nil
	return l
}

// frame is an Ethernet frame whose payload is s.
func frame(s string) []byte { return append(make([]byte, 14), s...) }

func frames(n int) [][]byte {
	var fs [][]byte
	for i := range n {
		fs = append(fs, frame(fmt.Sprint(i)))
	}
	return fs
}

func TestNICReceiveAndLinkEvents(t *testing.T) {
	n := NewNIC(NICConfig{Name: "eth0", RxChecksum: true})
	if err := n.Inject(frame("early"), true); !errors.Is(err, core.ErrNotAttached) {
		t.Errorf("Inject before Attach: %v, want ErrNotAttached", err)
	}
	r := &recorder{}
	if err := n.Attach(r); err != nil {
		t.Fatal(err)
	}
	if err := n.Attach(r); !errors.Is(err, core.ErrAttached) {
		t.Errorf("second Attach: %v, want ErrAttached", err)
	}
	n.Inject(frame("a"), true)
	n.SetLink(false)
	n.SetLink(false) // no change, no event
	n.Inject(frame("b"), false)
	n.SetLink(true)
	n.Sync()
	want := []string{"link true", "rx a true", "link false", "rx b false", "link true"}
	if got := r.take(); !reflect.DeepEqual(got, want) {
		t.Errorf("handler got %q, want %q", got, want)
	}
	if st := n.Stats(); st.RxFrames != 2 || st.RxBytes != 30 || st.RxDropped != 0 {
		t.Errorf("stats %+v", st)
	}
	// Without RxChecksum the device vouches for nothing.
	m := NewNIC(NICConfig{})
	m.Attach(r)
	m.Inject(frame("c"), true)
	m.Sync()
	if got := r.take(); !reflect.DeepEqual(got, []string{"link true", "rx c false"}) {
		t.Errorf("without RxChecksum: %q", got)
	}
}

// A full receive ring drops, counts and says so.
func TestNICReceiveOverrun(t *testing.T) {
	n := NewNIC(NICConfig{RxQueue: 2})
	block := make(chan struct{})
	h := &blocking{recorder: &recorder{}, block: block}
	h.entered.Add(1)
	n.Attach(h)
	n.Sync()                    // the link event is out of the way
	n.Inject(frame("0"), false) // the handler takes it and blocks
	h.wait()
	n.Inject(frame("1"), false)
	n.Inject(frame("2"), false)
	if err := n.Inject(frame("3"), false); !errors.Is(err, ErrOverrun) {
		t.Errorf("Inject into a full ring: %v, want ErrOverrun", err)
	}
	close(block)
	n.Sync()
	if st := n.Stats(); st.RxFrames != 3 || st.RxDropped != 1 {
		t.Errorf("stats %+v: want 3 delivered, 1 dropped", st)
	}
}

type blocking struct {
	*recorder
	block   chan struct{}
	entered sync.WaitGroup
	once    sync.Once
}

func (b *blocking) Receive(f []byte, ok bool) {
	b.once.Do(func() { b.entered.Done() })
	<-b.block
	b.recorder.Receive(f, ok)
}

func (b *blocking) wait() { b.entered.Wait() }

// Transmit takes what fits, says the ring is full, and TransmitReady comes
// once there is room; nothing is lost on the way.
func TestNICBackpressure(t *testing.T) {
	n := NewNIC(NICConfig{TxQueue: 3})
	if _, err := n.Transmit(frames(1)); !errors.Is(err, core.ErrNotAttached) {
		t.Errorf("Transmit before Attach: %v", err)
	}
	r := &recorder{}
	n.Attach(r)
	n.Sync()
	r.take()
	fs := frames(5)
	k, err := n.Transmit(fs)
	if k != 3 || !errors.Is(err, core.ErrTransmitFull) {
		t.Fatalf("Transmit(5) into 3 = %d, %v; want 3, ErrTransmitFull", k, err)
	}
	fs[0][14] = 'X' // Transmit copied: the caller may reuse its buffers
	if out := n.Wire(1); len(out) != 1 || !bytes.Equal(out[0], frame("0")) {
		t.Errorf("wire got %q", out)
	}
	n.Sync()
	if got := r.take(); !reflect.DeepEqual(got, []string{"ready"}) {
		t.Errorf("after room freed: %q, want one TransmitReady", got)
	}
	n.Wire(1)
	n.Sync()
	if got := r.take(); len(got) != 0 {
		t.Errorf("TransmitReady again without a short Transmit: %q", got)
	}
	k, err = n.Transmit(fs[3:])
	if k != 2 || err != nil {
		t.Errorf("the rest: %d, %v", k, err)
	}
	out := n.Wire(-1)
	var got []string
	for _, f := range out {
		got = append(got, string(f[14:]))
	}
	if !reflect.DeepEqual(got, []string{"2", "3", "4"}) {
		t.Errorf("wire order %q", got)
	}
	if st := n.Stats(); st.TxFrames != 5 || st.TxBytes != 5*15 || st.TxErrors != 0 {
		t.Errorf("stats %+v", st)
	}
}

// A handler may transmit from TransmitReady: the goroutine contract.
func TestNICTransmitFromHandler(t *testing.T) {
	n := NewNIC(NICConfig{TxQueue: 1})
	r := &recorder{}
	var retried error
	r.onReady = func() { _, retried = n.Transmit(frames(1)) }
	n.Attach(r)
	n.Transmit(frames(2))
	n.Wire(-1)
	n.Sync()
	if retried != nil || len(n.Wire(-1)) != 1 {
		t.Errorf("Transmit from TransmitReady: %v", retried)
	}
}

func TestNICTransmitRefusals(t *testing.T) {
	n := NewNIC(NICConfig{MTU: 100, LinkDown: true})
	n.Attach(&recorder{})
	if k, err := n.Transmit(frames(1)); k != 0 || !errors.Is(err, core.ErrLinkDown) {
		t.Errorf("link down: %d, %v", k, err)
	}
	n.SetLink(true)
	fs := [][]byte{frame("ok"), make([]byte, 13), frame("late")}
	if k, err := n.Transmit(fs); k != 1 || !errors.Is(err, core.ErrFrameSize) {
		t.Errorf("runt: %d, %v; want 1, ErrFrameSize", k, err)
	}
	if k, err := n.Transmit([][]byte{make([]byte, 115)}); k != 0 || !errors.Is(err, core.ErrFrameSize) {
		t.Errorf("over the MTU: %d, %v", k, err)
	}
	if k, err := n.Transmit([][]byte{make([]byte, 114)}); k != 1 || err != nil {
		t.Errorf("exactly the MTU: %d, %v", k, err)
	}
	n.FailTransmit(1)
	if st := n.Stats(); st.TxErrors != 1 {
		t.Errorf("stats after a device error %+v", st)
	}
}

// Close counts what was in flight, stops the goroutine and refuses
// everything after.
func TestNICClose(t *testing.T) {
	n := NewNIC(NICConfig{})
	r := &recorder{}
	n.Attach(r)
	n.Transmit(frames(2))
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if st := n.Stats(); st.TxErrors != 2 {
		t.Errorf("frames in the ring at Close: stats %+v, want 2 TxErrors", st)
	}
	for name, err := range map[string]error{
		"Close":    n.Close(),
		"Attach":   n.Attach(r),
		"Inject":   n.Inject(frame("x"), false),
		"Transmit": func() error { _, err := n.Transmit(frames(1)); return err }(),
	} {
		if !errors.Is(err, hw.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	n.Sync() // returns at once
	if r.overlap {
		t.Error("handler calls overlapped")
	}
}
