// Package console is Aero's console module (registry name "console"): the
// COM1 16550 serial console with interrupt-driven receive, the kernel log
// shown on its own virtual console, and the root shell, with further
// shells opened on demand. Link it by naming it in a config
// ("console console"; configs/defconfig does).
//
// # Output
//
// Every byte of kernel output reaches the kernel log (core/klog) before it
// reaches any console: core's printk keeps each line with the time since
// boot, the CPU that printed it and its level, from the first byte of boot
// on, so nothing printed before this console came up is lost (dmesg shows
// it all). The console's PutByte shows kernel output on the terminal while
// the kernel log's virtual console is in front, which it is during boot and
// in-kernel tests; otherwise the output is kept in the log and shown when
// the log comes to the front. A line starting "panic: " or "fatal error: "
// brings the kernel log to the front at once, so a crash is always seen.
// Lines logged at a level above loglevel= (klog.Logf) are kept, not shown.
//
// # Virtual consoles
//
// The terminal shows one virtual console at a time (package vc): a, the
// kernel log; b, the root shell; c and on, shells opened later. Keys, as
// in Nautilus: two backticks, then 1 (previous console), 2 (next) or 3
// (the list: then a letter picks a console, + opens a new shell). A
// console's output while it is behind is kept (its last 16 KiB) and drawn
// again when it comes back. The kernel log's console takes no commands:
// Enter there says how to get to the shell.
//
// # The shell
//
// Boot starts the root shell right before the HRT entry (core.ConsoleShell),
// so an HRT runs with the shell beside it. It reads the console's input
// (Kernel.Input). What an HRT prints goes to the kernel log like all kernel
// output: with the shell in front it is seen with “1 or dmesg. shell= on
// the command line chooses: front (the default: the shell comes to the
// front), behind (the kernel log stays in front; “2 shows the shell) or
// off (no shell; Kernel.Input is the HRT's). Commands are core.Command values that modules register
// with core.AddCommand; this package registers cores, numa, meminfo,
// pci (the boot's one core/pci scan), devs, time, sleep, bench, test, gc,
// peek, poke, dmesg, log, loglevel, halt and reboot, and the shell has
// help; sched adds threads and net/netstack net when they are linked.
// Line editing: package lineedit.
package console

// Name is the console's name in configs and on the command line.
const Name = "console"

// The settings of shell= (see "The shell").
const (
	ShellFront  = "front"
	ShellBehind = "behind"
	ShellOff    = "off"
)

// ShellModes lists the settings of shell=.
var ShellModes = []string{ShellFront, ShellBehind, ShellOff}
