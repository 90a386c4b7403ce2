package devtest

import (
	"testing"
	"time"

	"github.com/aerokernel/aero/core"
)

var _ core.NICHandler = (*Handler)(nil)

func TestHandler(t *testing.T) {
	h := NewHandler(4)
	h.LinkChanged(true)
	h.Receive([]byte{1, 0xab}, true)
	h.TransmitReady()
	h.Expect(t, "link true")
	h.Expect(t, "rx 01ab true")
	h.Expect(t, "ready")
	h.Quiet(t, 10*time.Millisecond)
}
