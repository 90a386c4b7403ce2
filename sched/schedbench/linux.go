//go:build linux

package schedbench

import (
	"fmt"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Linux is the Platform of a Linux process: getcpu(2), sched_setaffinity(2)
// on the calling thread, and thread IDs, which Linux does not hand out
// again until its PID space wraps, checked against /proc/self/task.
type Linux struct {
	tids []int
}

// Name is "linux".
func (*Linux) Name() string { return "linux" }

// CPU is getcpu(2)'s CPU (x/sys/unix has the call number but no wrapper).
func (*Linux) CPU() int {
	var cpu uint32
	// getcpu(unsigned *cpu, unsigned *node, void *tcache): node and tcache
	// may be NULL.
	if _, _, e := unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), 0, 0); e != 0 {
		return -1
	}
	return int(cpu)
}

// Pin sets the calling thread's affinity (pid 0) to cpu alone; Linux
// moves it there before the call returns (sched_setaffinity(2)).
func (*Linux) Pin(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("schedbench: sched_setaffinity to CPU %d: %w", cpu, err)
	}
	return nil
}

// BeginThreads makes room for n thread IDs.
func (l *Linux) BeginThreads(n int) error {
	l.tids = make([]int, n)
	return nil
}

// MarkThread records the calling thread's ID.
func (l *Linux) MarkThread(i int) { l.tids[i] = unix.Gettid() }

// EndedThreads counts the distinct thread IDs marked that are no longer in
// /proc/self/task (threads of their own, ended) and the marks of the main
// thread, whose ID is the process's.
func (l *Linux) EndedThreads() (ended, onMain int, err error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0, 0, fmt.Errorf("schedbench: %w", err)
	}
	live := make(map[int]bool, len(ents))
	for _, e := range ents {
		if id, err := strconv.Atoi(e.Name()); err == nil {
			live[id] = true
		}
	}
	main := os.Getpid()
	seen := make(map[int]bool, len(l.tids))
	for _, id := range l.tids {
		switch {
		case id == main:
			onMain++
		case id != 0 && !seen[id] && !live[id]:
			ended++
		}
		seen[id] = true
	}
	return ended, onMain, nil
}
