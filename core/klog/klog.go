// Package klog is the kernel log: every line of kernel output, kept in
// memory with the time since boot, the CPU that printed it and a level,
// from the first byte of boot on. The platform's printk feeds every byte of
// kernel output to one Ring (so what was printed before a console module
// came up is kept too); consoles and the shell's dmesg read it back.
//
// A line's level comes from a marker at its start, as Linux's printk
// takes one: Mark followed by the level's digit ('0' emergency to '7'
// debug, core/cmdline's Level* values). Logf writes such lines. A line
// without a marker is plain kernel output (fmt, print, panics): level
// Print, always shown. Lines at a level above the ring's Level (loglevel=)
// are kept but not shown: PutByte tells its caller not to print them.
//
// The writing side keeps the rules of the console's byte path (see
// core.Console): nosplit, no allocation, no blocking. Each CPU assembles
// its own line (so lines printed at once on several CPUs do not mix), and
// a finished line is committed under a spin lock that the caller takes with
// interrupts off (the platform does).
package klog

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
)

// Mark starts a line's level marker: Mark, then '0'+level.
const Mark = 0x01

// Print is the level of a line without a marker: plain kernel output,
// always shown.
const Print = -1

// The levels, as core/cmdline numbers them (syslog's).
const (
	Emerg = iota
	Alert
	Crit
	Err
	Warning
	Notice
	Info
	Debug
)

// LevelName names a level as dmesg shows it.
func LevelName(l int) string {
	switch l {
	case Emerg:
		return "emerg"
	case Alert:
		return "alert"
	case Crit:
		return "crit"
	case Err:
		return "err"
	case Warning:
		return "warn"
	case Notice:
		return "notice"
	case Info:
		return "info"
	case Debug:
		return "debug"
	}
	return "print"
}

// ParseLevel reads a level by name (as LevelName gives it, or warning,
// error) or digit.
func ParseLevel(s string) (int, error) {
	switch s {
	case "warning":
		return Warning, nil
	case "error":
		return Err, nil
	}
	for l := Emerg; l <= Debug; l++ {
		if s == LevelName(l) || len(s) == 1 && s[0] == byte('0'+l) {
			return l, nil
		}
	}
	return 0, fmt.Errorf("klog: unknown level %q (want 0-7 or emerg, alert, crit, err, warn, notice, info, debug)", s)
}

// Logf writes one line of kernel output at level (Emerg to Debug) with its
// marker: the ring keeps it with the level and shows it only at or below
// loglevel=. The line ends at the first newline of the formatted text;
// further lines are logged at the same level.
func Logf(level int, format string, args ...any) {
	os.Stdout.Write(Marked(level, fmt.Sprintf(format, args...)))
}

// Marked returns msg as marked lines at level (clamped to Emerg..Debug),
// each ended by a newline: what Logf writes.
func Marked(level int, msg string) []byte {
	level = min(max(level, Emerg), Debug)
	out := make([]byte, 0, len(msg)+8)
	for _, l := range strings.Split(strings.TrimSuffix(msg, "\n"), "\n") {
		out = append(out, Mark, byte('0'+level))
		out = append(out, l...)
		out = append(out, '\n')
	}
	return out
}

// LineMax is the most text one Line holds; a longer line is kept as
// several Lines, each but the last marked Cont.
const LineMax = 200

// Capacity is how many Lines a Ring keeps: the oldest are overwritten.
const Capacity = 2048

// MaxCPUs is how many CPUs a Ring assembles lines for, one more for a CPU
// the caller cannot name (its index is then MaxCPUs).
const MaxCPUs = 1024

// Line is one line of kernel output, without its newline.
type Line struct {
	Seq   uint64 // its number: 0 is the first line since boot
	Time  int64  // nanoseconds since boot at its first byte
	CPU   int16  // index of the CPU that printed it; -1 unknown
	Level int8   // Emerg to Debug, or Print
	Cont  bool   // the line goes on in the next Line (it was longer than LineMax)
	Shown bool   // it was printed (its level was at or below the ring's Level)
	n     uint8
	text  [LineMax]byte
}

// Text returns the line's text.
func (l *Line) Text() string { return string(l.text[:l.n]) }

// partial is the line a CPU is printing.
type partial struct {
	open   bool // a line was started
	marker uint8
	line   Line
}

const (
	markNone  = iota
	markSeen  // Mark came at the start of the line; the digit comes next
	markTaken // the line has its level
)

// Ring keeps the last Capacity lines. The zero value is ready, at level
// Info... until SetLevel says otherwise: see Level.
type Ring struct {
	lock    atomic.Uint32
	next    uint64 // Seq of the next committed line
	lines   [Capacity]Line
	level   atomic.Int32 // lines above it are hidden; stored as level+1 so the zero value means Info
	partial [MaxCPUs + 1]partial
}

// SetLevel makes lines at levels above l hidden (kept, not shown).
func (r *Ring) SetLevel(l int) { r.level.Store(int32(l) + 1) }

// Level returns the level lines are shown up to (Info unless SetLevel
// changed it).
//
//go:nosplit
func (r *Ring) Level() int {
	if v := r.level.Load(); v != 0 {
		return int(v) - 1
	}
	return Info
}

// PutByte adds one byte that CPU cpu printed (cpu out of range: the
// unnamed CPU's slot, recorded as -1) at time now, and reports whether the
// byte is to be shown: marker bytes and the bytes of hidden lines are not.
// The caller runs with interrupts off and is the only writer for cpu.
//
//go:nosplit
func (r *Ring) PutByte(cpu int, now int64, c byte) bool {
	slot := cpu
	if cpu < 0 || cpu >= MaxCPUs {
		slot, cpu = MaxCPUs, -1
	}
	p := &r.partial[slot]
	if !p.open {
		p.open = true
		p.marker = markNone
		p.line.Time = now
		p.line.CPU = int16(cpu)
		p.line.Level = Print
		p.line.Cont = false
		p.line.Shown = true
		p.line.n = 0
		if c == Mark {
			p.marker = markSeen
			return false
		}
	} else if p.marker == markSeen {
		p.marker = markTaken
		if c >= '0' && c <= '7' {
			p.line.Level = int8(c - '0')
			p.line.Shown = int(p.line.Level) <= r.Level()
			return false
		}
		// Not a level after all: the line is plain output; the marker
		// byte was eaten.
	}
	show := p.line.Shown
	if c == '\n' {
		r.commit(&p.line)
		p.open = false
		return show
	}
	if int(p.line.n) == LineMax {
		p.line.Cont = true
		r.commit(&p.line)
		p.line.Cont = false
		p.line.n = 0
	}
	p.line.text[p.line.n] = c
	p.line.n++
	return show
}

//go:nosplit
func (r *Ring) commit(l *Line) {
	for !r.lock.CompareAndSwap(0, 1) {
	}
	l.Seq = r.next
	r.lines[r.next%Capacity] = *l
	r.next++
	r.lock.Store(0)
}

// Read copies the committed lines from Seq from on into dst, oldest
// first, as many as fit, and returns how many it copied and the Seq to read
// from next. Lines overwritten before they were read are skipped: the
// first copied line's Seq says where the kept lines start. The caller runs
// with interrupts off if writers can run on its CPU.
//
//go:nosplit
func (r *Ring) Read(from uint64, dst []Line) (n int, next uint64) {
	for !r.lock.CompareAndSwap(0, 1) {
	}
	end := r.next
	if end > Capacity && from < end-Capacity {
		from = end - Capacity
	}
	for from < end && n < len(dst) {
		dst[n] = r.lines[from%Capacity]
		n++
		from++
	}
	r.lock.Store(0)
	return n, from
}

// Written returns the Seq the next committed line will have: how many
// lines were committed since boot.
func (r *Ring) Written() uint64 {
	for !r.lock.CompareAndSwap(0, 1) {
	}
	n := r.next
	r.lock.Store(0)
	return n
}

// Format writes l as dmesg shows it: time since boot in seconds, the CPU,
// the level (for marked lines), the text.
func Format(l *Line) string {
	cpu := "cpu?"
	if l.CPU >= 0 {
		cpu = fmt.Sprintf("cpu%d", l.CPU)
	}
	lvl := ""
	if l.Level != Print {
		lvl = LevelName(int(l.Level)) + ": "
	}
	cont := ""
	if l.Cont {
		cont = "\\"
	}
	return fmt.Sprintf("[%5d.%06d] %s %s%s%s", l.Time/1e9, l.Time%1e9/1e3, cpu, lvl, l.Text(), cont)
}
