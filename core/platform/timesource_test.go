package platform

import "testing"

// fakeSource reads whatever the test sets.
type fakeSource struct{ t int64 }

func (f *fakeSource) Nanotime() int64 { return f.t }

func TestSwitchToIsContinuous(t *testing.T) {
	for _, c := range []struct {
		name      string
		now, from int64 // the old clock at the switch, the new one's reading
	}{
		{"new clock starts at 0", 5_000_000_000, 0},
		{"new clock ahead", 5_000_000_000, 9_000_000_000},
		{"same reading", 7, 7},
	} {
		src := &fakeSource{c.from}
		s := switchTo(src, c.now)
		if got := s.now(); got != c.now {
			t.Errorf("%s: time at the switch %d, want %d (no jump)", c.name, got, c.now)
		}
		src.t += 1500
		if got := s.now(); got != c.now+1500 {
			t.Errorf("%s: 1500 ns of the new clock later: %d, want %d", c.name, got, c.now+1500)
		}
	}
}

func TestSwitchToNeverGoesBack(t *testing.T) {
	// A source read a little late at the switch (what another CPU sees
	// when its read of the old clock was later than the switch's).
	src := &fakeSource{1000}
	s := switchTo(src, 2000)
	src.t = 990
	if got := s.now(); got != 2000 {
		t.Errorf("reading below the switch: %d, want the floor 2000", got)
	}
	src.t = 1010
	if got := s.now(); got != 2010 {
		t.Errorf("after the switch: %d, want 2010", got)
	}
}
