package platform

// TimeSource is a clock the runtime's time can come from.
//
// Nanotime returns nanoseconds, monotonic (never smaller than a value it
// returned before, on any CPU). The runtime calls it from everywhere: from
// nosplit code, on the system stack with runtime locks held, inside the
// scheduler and the timer code, on every CPU at once. So Nanotime and
// everything it calls must be nosplit (the linker does not check calls
// through an interface), must not allocate, lock, block, print or call
// into the runtime (time.Now, which calls it back).
type TimeSource interface {
	Nanotime() int64
}

// clockState is an installed source: its reading plus offset, but never
// below floor (what the previous clock said when this one took over).
// Immutable once published, so one pointer store switches clocks.
type clockState struct {
	src    TimeSource
	offset int64
	floor  int64
}

// now is the runtime's time from c.
//
//go:nosplit
func (c *clockState) now() int64 {
	t := c.src.Nanotime() + c.offset
	if t < c.floor {
		// Another CPU read the previous clock an instant before the
		// switch; do not go back behind it.
		return c.floor
	}
	return t
}

// switchTo is the state that makes src the time from now on, going on
// from now, what the previous clock says at the switch.
func switchTo(src TimeSource, now int64) *clockState {
	return &clockState{src: src, offset: now - src.Nanotime(), floor: now}
}
