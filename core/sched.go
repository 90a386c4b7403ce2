package core

import (
	"errors"
	"unsafe"
)

// ThreadHooks are the Go runtime's thread operations as a Scheduler takes
// them over: core's copy of runtime.ThreadHooks in Aero's toolchain (which
// host builds of core cannot name), converted when Boot installs them. The
// runtime's Ms are the kernel's threads; every M is started, put to sleep,
// woken, yields and idles through these functions. See "Writing a
// scheduler" in the package documentation for the rules they must keep.
type ThreadHooks struct {
	// Start runs a new thread: stack pointer sp, g register (R14) gp,
	// jumping to fn, which never returns. mp names the thread in later
	// Sleep and Wake calls. Required.
	Start func(sp, mp, gp, fn unsafe.Pointer)

	// Sleep blocks the calling thread mp until Wake(mp), or until
	// Nanotime reaches deadline (deadline < 0: none). It may return early;
	// it must return at once when *sema is non-zero, so that a Wake that
	// came first is not lost. Every wait of a thread comes here (runtime
	// locks and notes, the wait for the next timer, sysmon's sleep between
	// rounds), so with a deadline it should give the CPU away or halt it
	// until then, not poll. Required.
	Sleep func(mp unsafe.Pointer, sema *uint32, deadline int64)

	// Wake makes thread mp, sleeping or about to sleep in Sleep, run. It is
	// also called in interrupt context. Required.
	Wake func(mp unsafe.Pointer)

	// Yield offers the calling thread's CPU to another thread (nil: spin
	// briefly, the runtime's default).
	Yield func()

	// Idle is called by a thread that holds a P and found nothing to run,
	// with the Nanotime of the next timer; it returns whether it waited
	// (nil: the runtime's default).
	Idle func(until int64) bool

	// Exit ends the calling thread mp for good: the runtime calls it when
	// a goroutine locked to its thread (runtime.LockOSThread) exits
	// without unlocking. It must leave mp's stack (the runtime frees it),
	// then store 0 atomically to *wait to say nothing uses that stack,
	// and run another thread; it never returns. Without it such an exit
	// ends the kernel; OnePerCPU hooks never see one (LockOSThread does
	// not wire a thread then).
	Exit func(mp unsafe.Pointer, wait *uint32)

	// KeepP reports whether thread mp runs a real-time thread whose P
	// (its right to run goroutines) the runtime must not hand to others:
	// sysmon then neither preempts its goroutine after 10 ms nor takes
	// the P while it blocks in a system call, and the collector does not
	// preempt it to start a mark worker. Stop-the-world pauses still stop
	// it. Called often by sysmon and the collector, without a P (nil: no
	// such threads).
	KeepP func(mp unsafe.Pointer) bool

	// OnePerCPU declares that Start runs at most one thread per CPU, as
	// the default does: the runtime then asks for no more Ms than CPUs
	// (runtime patch 0011), and runs sysmon's rounds on the idle time of
	// Ms waiting for a P (not the one blocked in the poller) instead of
	// on an M of its own. Without it the
	// runtime may ask for more at any time (sysmon, LockOSThread, its
	// template thread), and Start must take them.
	OnePerCPU bool
}

// APEntry is what each application processor runs once it is up, in place
// of the platform's own wait for a thread (see "Writing a scheduler"). cpu
// is the CPU's index (Kernel.CPUs[cpu] once Boot has filled it; 0 is the
// boot CPU, so APs see 1 and up). It never returns.
type APEntry func(cpu int)

// ErrIncompleteHooks is the error for thread hooks without Start, Sleep or
// Wake.
var ErrIncompleteHooks = errors.New("thread hooks need Start, Sleep and Wake")

// check reports whether h can be installed (nil, the default, can).
func (h *ThreadHooks) check() error {
	if h != nil && (h.Start == nil || h.Sleep == nil || h.Wake == nil) {
		return ErrIncompleteHooks
	}
	return nil
}

// chooseScheduler picks the Scheduler as soon as the command line is read:
// its threads must be set up before any AP starts (see Kernel.startCPUs),
// so it cannot wait for the other kinds.
func (k *Kernel) chooseScheduler() error {
	explicit := ""
	if k.Cmdline != nil {
		explicit = k.Cmdline.String(KindScheduler.cmdlineKey(), "")
	}
	m, _, err := choose(KindScheduler, explicit)
	if err != nil {
		return err
	}
	k.setModule(KindScheduler, m)
	return nil
}

// chooseOnce is choose for chooseModules: the Scheduler was chosen before
// the other kinds (chooseScheduler), and that instance is the one whose
// threads run.
func (k *Kernel) chooseOnce(kind Kind, explicit string) (Module, string, error) {
	if kind == KindScheduler && k.Scheduler != nil {
		return k.Scheduler, k.Scheduler.Name(), nil
	}
	return choose(kind, explicit)
}

// schedulerThreads asks the chosen Scheduler how it runs threads on at most
// maxCPUs CPUs, and checks the answer.
func (k *Kernel) schedulerThreads(maxCPUs int) (*ThreadHooks, APEntry, error) {
	hooks, entry, err := k.Scheduler.Threads(maxCPUs)
	if err == nil {
		err = hooks.check()
	}
	if err != nil {
		return nil, nil, &ModuleError{Kind: KindScheduler, Name: k.Scheduler.Name(), Err: err}
	}
	return hooks, entry, nil
}
