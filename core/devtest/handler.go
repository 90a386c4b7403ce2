package devtest

import (
	"fmt"
	"testing"
	"time"
)

// Handler is a core.NICHandler for a driver's host test: each call the
// driver makes becomes one event on a buffered channel, read in order by
// Expect and Quiet. The events are RxEvent(frame, checksumOK) for
// Receive, "link true" or "link false" for LinkChanged and "ready" for
// TransmitReady. A driver that calls while the buffer is full waits, as
// it would on a slow stack.
type Handler struct{ events chan string }

// NewHandler returns a Handler that buffers up to n events.
func NewHandler(n int) *Handler { return &Handler{events: make(chan string, n)} }

// RxEvent is the event Handler records for Receive(frame, checksumOK).
func RxEvent(frame []byte, checksumOK bool) string {
	return fmt.Sprintf("rx %x %v", frame, checksumOK)
}

func (h *Handler) Receive(frame []byte, checksumOK bool) { h.events <- RxEvent(frame, checksumOK) }
func (h *Handler) LinkChanged(up bool)                   { h.events <- fmt.Sprintf("link %v", up) }
func (h *Handler) TransmitReady()                        { h.events <- "ready" }

// ExpectWait is how long Expect waits for the next event.
const ExpectWait = 5 * time.Second

// Expect fails the test unless the next event, within ExpectWait, is want.
func (h *Handler) Expect(t testing.TB, want string) {
	t.Helper()
	select {
	case got := <-h.events:
		if got != want {
			t.Fatalf("event %q, want %q", got, want)
		}
	case <-time.After(ExpectWait):
		t.Fatalf("no event in %v; want %q", ExpectWait, want)
	}
}

// Quiet fails the test if an event comes within d.
func (h *Handler) Quiet(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case got := <-h.events:
		t.Fatalf("unexpected event %q", got)
	case <-time.After(d):
	}
}
