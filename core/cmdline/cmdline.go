// Package cmdline parses Aero's kernel command line.
//
// The boot loader hands the kernel a command line (the PVH start info's
// cmdline_paddr, or the multiboot2 command-line tag): a NUL-terminated byte
// string of at most MaxLen bytes. Parse turns it into an ordered list of
// options. Host-testable: no hardware access.
//
// # Syntax
//
// Options are separated by ASCII white space (space, tab, CR, LF).
//
//	key=value   an option with a value
//	flag        a bare flag (HasValue false)
//	key="a b"   double quotes group white space into a value; the quotes
//	            are removed and may appear anywhere in the value
//	key=a,b,c   a comma list, read with List
//	k=1 k=2     keys may repeat; String/Int/... return the last value,
//	            Values returns all of them, List joins all comma lists
//
// Keys are case-sensitive, non-empty and may not contain quotes. The input
// must be valid UTF-8. An unterminated quote, an empty key ("=x"), invalid
// UTF-8, an input longer than MaxLen, or an invalid value for one of the
// known options below is an error (*Error) naming the byte offset and key.
// Parse never panics.
//
// # Options Aero knows
//
//	test=all|a,b,...  run the in-kernel tests (ktest): all, or the named ones,
//	                  then exit QEMU with the result (isa-debug-exit)
//	loglevel=N        kernel log verbosity: 0-7 or a name, emerg(0) alert(1)
//	                  crit(2) err(3) warning(4) notice(5) info(6) debug(7);
//	                  default 6 (info)
//	KEY=NAME          choose the implementation of a kind among those linked,
//	                  e.g. sched=rr: KEY is the kind's CmdlineKey in package
//	                  kind (core/kind), NAME not empty (see package core)
//	smp=N             use at most N CPUs (N >= 1)
//	mem=SIZE          use at most SIZE bytes of RAM (the lowest); SIZE is a
//	                  number with an optional K, M, G or T suffix (binary
//	                  units), e.g. 512M. The Go heap is sized before the
//	                  command line is read and is not shrunk (Boot warns)
//	heap=SIZE|P%|max  the Go heap's size: SIZE bytes (as mem=), P percent
//	                  (1-100) of the RAM in the memory map, or max, all of
//	                  the stretch of RAM it goes in; default 50%. Read by
//	                  early boot (core/platform), which places the heap
//	                  before the runtime starts: a value that does not
//	                  parse, or a heap that does not fit, stops the boot
//	                  with a message. The rest of RAM is the memory
//	                  module's (package core, "Memory")
//	quiet             no banner or informational output (loglevel 4); also
//	                  quiet=true/false
//	panic=N           seconds to wait after a kernel panic before exiting;
//	                  0 exits at once (N >= 0)
//	crash=KIND        fail on purpose right after the boot summary, to
//	                  exercise the crash path: a Go panic naming the
//	                  failure, the goroutine's stack trace on the console,
//	                  a failing exit. KIND is one of Crashes: panic (a
//	                  plain panic), nil (a nil pointer dereference: #PF at
//	                  address 0), pf (a load from an unmapped address:
//	                  #PF), gp (a load from a non-canonical address: #GP),
//	                  div (DIV by zero: #DE), ud (UD2: #UD), stack
//	                  (unbounded recursion: Go's stack overflow), nog (#UD
//	                  with no goroutine, as on a CPU before the runtime
//	                  runs there: one report line instead of a panic)
//	crash=early       fault (a page fault at address 8) in early boot,
//	                  before the Go runtime starts: exercises the early
//	                  fault report (core/platform; one line on COM1,
//	                  failing exit). Read by the early code from the
//	                  loader's command line, never seen here when it works
//	crash=ap          fault the same way on every AP as it starts, before it
//	                  runs Go: the report names the AP's APIC ID
//
// Unknown keys are kept as they are, so a hybrid runtime (HRT) can read its
// own options from the same command line.
package cmdline

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aerokernel/aero/core/kind"
)

// Crashes are the kinds crash= takes (see the package documentation).
var Crashes = []string{"panic", "nil", "pf", "gp", "div", "ud", "stack", "nog", "early", "ap"}

// MaxLen is the longest command line accepted, in bytes (before the NUL).
const MaxLen = 4096

// Option is one parsed option.
type Option struct {
	Key      string
	Value    string // unquoted; empty for a bare flag
	HasValue bool   // false for a bare flag
	Offset   int    // byte offset of the key in the input
}

// Cmdline is a parsed command line. The zero value is an empty command line.
type Cmdline struct {
	Options []Option
}

// Error reports malformed input.
type Error struct {
	Offset int    // byte offset in the input
	Key    string // the option's key, if known
	Msg    string
}

func (e *Error) Error() string {
	if e.Key != "" {
		return fmt.Sprintf("cmdline: offset %d: %s: %s", e.Offset, e.Key, e.Msg)
	}
	return fmt.Sprintf("cmdline: offset %d: %s", e.Offset, e.Msg)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// Parse parses a command line. Input stops at the first NUL byte, if any.
func Parse(b []byte) (*Cmdline, error) {
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	if len(b) > MaxLen {
		return nil, &Error{Offset: MaxLen, Msg: fmt.Sprintf("longer than %d bytes", MaxLen)}
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return nil, &Error{Offset: i, Msg: "invalid UTF-8"}
		}
		i += n
	}
	cl := &Cmdline{}
	i := 0
	for {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) {
			break
		}
		start := i
		for i < len(b) && !isSpace(b[i]) && b[i] != '=' {
			if b[i] == '"' {
				return nil, &Error{Offset: i, Key: string(b[start:i]), Msg: "quote in key"}
			}
			i++
		}
		key := string(b[start:i])
		if key == "" {
			return nil, &Error{Offset: start, Msg: "empty key"}
		}
		opt := Option{Key: key, Offset: start}
		if i < len(b) && b[i] == '=' {
			i++
			opt.HasValue = true
			var val []byte
			quoted, qstart := false, 0
			for i < len(b) && (quoted || !isSpace(b[i])) {
				if b[i] == '"' {
					quoted, qstart = !quoted, i
				} else {
					val = append(val, b[i])
				}
				i++
			}
			if quoted {
				return nil, &Error{Offset: qstart, Key: key, Msg: "unterminated quote"}
			}
			opt.Value = string(val)
		}
		if err := validate(opt); err != nil {
			return nil, err
		}
		cl.Options = append(cl.Options, opt)
	}
	return cl, nil
}

// ParseString parses a command line held in a string.
func ParseString(s string) (*Cmdline, error) { return Parse([]byte(s)) }

// validate checks the value of a known option.
func validate(o Option) error {
	bad := func(format string, a ...any) error {
		return &Error{Offset: o.Offset, Key: o.Key, Msg: fmt.Sprintf(format, a...)}
	}
	needValue := func() error {
		if !o.HasValue || o.Value == "" {
			return bad("needs a value")
		}
		return nil
	}
	switch o.Key {
	case "test":
		if err := needValue(); err != nil {
			return err
		}
		for _, n := range strings.Split(o.Value, ",") {
			if n == "" {
				return bad("empty test name in %q", o.Value)
			}
		}
	case "loglevel":
		if err := needValue(); err != nil {
			return err
		}
		if _, err := parseLogLevel(o.Value); err != nil {
			return bad("%v", err)
		}
	case "smp":
		if err := needValue(); err != nil {
			return err
		}
		if n, err := strconv.Atoi(o.Value); err != nil || n < 1 {
			return bad("want a CPU count >= 1, got %q", o.Value)
		}
	case "mem":
		if err := needValue(); err != nil {
			return err
		}
		if n, err := ParseSize(o.Value); err != nil || n == 0 {
			return bad("want a size > 0 such as 512M, got %q", o.Value)
		}
	case "heap":
		if err := needValue(); err != nil {
			return err
		}
		if _, msg := ParseHeap(o.Value); msg != "" {
			return bad("%s, got %q", msg, o.Value)
		}
	case "quiet":
		if o.HasValue {
			if _, err := parseBool(o.Value); err != nil {
				return bad("want a boolean, got %q", o.Value)
			}
		}
	case "crash":
		if !slices.Contains(Crashes, o.Value) {
			return bad("want one of %s, got %q", strings.Join(Crashes, ", "), o.Value)
		}
	case "panic":
		if err := needValue(); err != nil {
			return err
		}
		if n, err := strconv.Atoi(o.Value); err != nil || n < 0 {
			return bad("want seconds >= 0, got %q", o.Value)
		}
	default:
		if k, ok := kind.ByCmdlineKey(o.Key); ok {
			if err := needValue(); err != nil {
				return bad("needs a value: the name of a linked %s", k.Noun)
			}
		}
	}
	return nil
}

// Log levels, as in syslog and Linux.
const (
	LevelEmerg = iota
	LevelAlert
	LevelCrit
	LevelErr
	LevelWarning
	LevelNotice
	LevelInfo
	LevelDebug
)

// DefaultLogLevel is the log level when neither loglevel= nor quiet is given.
const DefaultLogLevel = LevelInfo

var levelNames = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

func parseLogLevel(s string) (int, error) {
	for i, n := range levelNames {
		if s == n {
			return i, nil
		}
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 7 {
		return n, nil
	}
	return 0, fmt.Errorf("want 0-7 or one of %s, got %q", strings.Join(levelNames, ", "), s)
}

// ParseSize parses a byte count: decimal digits with an optional K, M, G
// or T suffix (binary units, either case), e.g. 4096, 64M, 2G.
func ParseSize(s string) (uint64, error) {
	v, why := parseSize(s)
	if why == "overflows" {
		return 0, fmt.Errorf("size %q overflows", s)
	}
	if why != "" {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return v, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "t", "true", "y", "yes", "on":
		return true, nil
	case "0", "f", "false", "n", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("want a boolean, got %q", s)
}

// last returns the last option with key.
func (c *Cmdline) last(key string) (Option, bool) {
	if c == nil {
		return Option{}, false
	}
	for i := len(c.Options) - 1; i >= 0; i-- {
		if c.Options[i].Key == key {
			return c.Options[i], true
		}
	}
	return Option{}, false
}

// Has reports whether key is present, as a flag or with a value.
func (c *Cmdline) Has(key string) bool { _, ok := c.last(key); return ok }

// String returns the last value of key, or def if key is absent.
func (c *Cmdline) String(key, def string) string {
	if o, ok := c.last(key); ok {
		return o.Value
	}
	return def
}

// Values returns every value of key in order (flags give "").
func (c *Cmdline) Values(key string) []string {
	var vs []string
	if c == nil {
		return nil
	}
	for _, o := range c.Options {
		if o.Key == key {
			vs = append(vs, o.Value)
		}
	}
	return vs
}

// List returns the comma-separated items of every value of key, in order,
// skipping empty items.
func (c *Cmdline) List(key string) []string {
	var items []string
	for _, v := range c.Values(key) {
		for _, it := range strings.Split(v, ",") {
			if it != "" {
				items = append(items, it)
			}
		}
	}
	return items
}

// typed parses the last value of key with parse: def if key is absent,
// def and an *Error naming the option if the value is malformed.
func typed[T any](c *Cmdline, key string, def T, parse func(string) (T, error)) (T, error) {
	o, ok := c.last(key)
	if !ok {
		return def, nil
	}
	v, err := parse(o.Value)
	if err != nil {
		return def, &Error{Offset: o.Offset, Key: key, Msg: err.Error()}
	}
	return v, nil
}

// Bool returns the last value of key as a boolean. A bare flag is true.
// It returns def if key is absent, and def and an error if the value is
// not a boolean (1/0, t/f, true/false, yes/no, on/off, any case).
func (c *Cmdline) Bool(key string, def bool) (bool, error) {
	if o, ok := c.last(key); ok && !o.HasValue {
		return true, nil
	}
	return typed(c, key, def, parseBool)
}

// Int returns the last value of key as a decimal integer, def if absent,
// and def and an error if malformed.
func (c *Cmdline) Int(key string, def int) (int, error) {
	return typed(c, key, def, strconv.Atoi)
}

// Size returns the last value of key as a byte count (see ParseSize), def
// if absent, and def and an error if malformed.
func (c *Cmdline) Size(key string, def uint64) (uint64, error) {
	return typed(c, key, def, ParseSize)
}

// The getters below read the options Aero knows. Parse has validated them,
// so they return no errors.

// Tests returns the in-kernel tests asked for: run is false without test=,
// all is true for test=all (alone or in the list), names are the listed tests.
func (c *Cmdline) Tests() (run, all bool, names []string) {
	for _, n := range c.List("test") {
		run = true
		if n == "all" {
			all = true
		} else {
			names = append(names, n)
		}
	}
	return run, all, names
}

// LogLevel returns loglevel=, LevelWarning under quiet, else DefaultLogLevel.
func (c *Cmdline) LogLevel() int {
	if o, ok := c.last("loglevel"); ok {
		n, _ := parseLogLevel(o.Value)
		return n
	}
	if c.Quiet() {
		return LevelWarning
	}
	return DefaultLogLevel
}

// Quiet reports whether quiet (or quiet=true) was given.
func (c *Cmdline) Quiet() bool { q, _ := c.Bool("quiet", false); return q }

// SMP returns the CPU cap of smp=, or 0 for no cap.
func (c *Cmdline) SMP() int { n, _ := c.Int("smp", 0); return n }

// Mem returns the memory cap of mem= in bytes, or 0 for no cap.
func (c *Cmdline) Mem() uint64 { n, _ := c.Size("mem", 0); return n }

// Panic returns the seconds to wait after a panic (panic=), and whether
// panic= was given.
func (c *Cmdline) Panic() (seconds int, ok bool) {
	if !c.Has("panic") {
		return 0, false
	}
	n, _ := c.Int("panic", 0)
	return n, true
}
