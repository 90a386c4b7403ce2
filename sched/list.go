//go:build tamago && amd64

package sched

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/aerokernel/aero/core"
)

// State is a kernel thread's scheduling state.
type State uint32

// The states List reports (a free table slot is not a thread).
const (
	Runnable State = runnable // queued by the policy
	Running  State = running  // some CPU's current thread
	Blocked  State = blocked  // in Sleep or Park, waiting for a wake-up or its deadline
)

func (s State) String() string {
	switch s {
	case Runnable:
		return "runnable"
	case Running:
		return "running"
	case Blocked:
		return "blocked"
	}
	return fmt.Sprintf("state(%d)", uint32(s))
}

// ThreadInfo is one kernel thread as List saw it.
type ThreadInfo struct {
	ID TID
	// Name is the Named option of the Start thread running on it, empty
	// for a runtime M that runs no Start function.
	Name  string
	State State
	// Bound is the CPU it is bound to (OnCPU), -1 if none; Node the node
	// (OnNode), -1 if none.
	Bound, Node int
	Stats
}

// row is what List copies out of the tables under the lock: pointer-free,
// so that the copy writes no pointers with interrupts off.
type row struct {
	id          TID
	state       uint32
	bound, node int32
	stats       Stats
}

// names are the Named names of the Start threads running now, by TID:
// strings cannot live in the pointer-free thread table.
var names struct {
	sync.Mutex
	byTID map[TID]string
}

func setName(t TID, name string) {
	names.Lock()
	defer names.Unlock()
	if name == "" {
		delete(names.byTID, t)
		return
	}
	if names.byTID == nil {
		names.byTID = map[TID]string{}
	}
	names.byTID[t] = name
}

// List returns every kernel thread, in TID order: its state, binding and
// statistics read at one instant (under the scheduler lock), and the name
// of the Start thread on it. It is empty when the kernel's scheduler is
// not sched's.
func List() []ThreadInfo {
	if cur == nil {
		return nil
	}
	// Sized before the lock: nothing allocates while it is held.
	rows := make([]row, MaxThreads)
	rows = rows[:snapshot(rows)]
	names.Lock()
	defer names.Unlock()
	out := make([]ThreadInfo, len(rows))
	for i, r := range rows {
		out[i] = ThreadInfo{ID: r.id, Name: names.byTID[r.id], State: State(r.state), Bound: int(r.bound), Node: int(r.node), Stats: r.stats}
	}
	return out
}

// snapshot copies every used slot of the thread table into rows (room for
// MaxThreads) and returns how many it copied.
//
//go:nosplit
func snapshot(rows []row) int {
	fl := lock()
	now := nanotime()
	n := 0
	for i := TID(0); i < TID(nthreads) && n < len(rows); i++ {
		th := &threads[i]
		if th.state == free {
			continue
		}
		run := th.runNS
		if th.state == running {
			run += now - th.since
		}
		rows[n] = row{id: i, state: th.state, bound: attr[i].bound, node: attr[i].node,
			stats: Stats{Switches: th.switches, RunTime: time.Duration(run), Preemptions: th.preempts, CPU: int(th.cpu)}}
		n++
	}
	unlock(fl)
	return n
}

func init() {
	core.AddCommand(core.Command{Name: "threads", Help: "the kernel threads: ID, name, CPU, state, switches, run time, preemptions", Run: threadsCommand})
}

func threadsCommand(args []string, w io.Writer) error {
	if len(args) > 0 {
		return core.UsageError("no arguments expected, got %q", strings.Join(args, " "))
	}
	if cur == nil {
		return ErrNotRunning
	}
	ts := List()
	fmt.Fprintf(w, "%d kernel threads (scheduler %s; this command runs on thread %d)\n", len(ts), cur.Name(), Current())
	fmt.Fprintf(w, "%5s %-12s %4s %-8s %5s %10s %12s %8s\n", "tid", "name", "cpu", "state", "bound", "switches", "runtime", "preempts")
	for _, t := range ts {
		name, bound := t.Name, "-"
		if name == "" {
			name = "-"
		}
		switch {
		case t.Bound >= 0:
			bound = fmt.Sprintf("cpu%d", t.Bound)
		case t.Node >= 0:
			bound = fmt.Sprintf("node%d", t.Node)
		}
		fmt.Fprintf(w, "%5d %-12s %4d %-8s %5s %10d %12v %8d\n", t.ID, name, t.CPU, t.State, bound, t.Switches, t.RunTime.Round(time.Microsecond), t.Preemptions)
	}
	return nil
}
