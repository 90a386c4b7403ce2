// Package config reads Aero kernel configs and generates the main package of
// a kernel image from them.
//
// A kernel image is one Go program: the hybrid runtime's (HRT's) code plus the
// modules it links. Modules register themselves with core from init(), so
// choosing a module is importing it; a config names the chosen modules, and
// Generate turns it into a main package of blank imports that calls core.Boot.
//
// # Format
//
// A config is UTF-8 text, one setting per line: a key, white space, and the
// value. Blank lines and lines whose first non-blank character is '#' are
// ignored ('#' later in a line is part of the value). Each key may appear
// once, except module and use.
//
//	name NAME            required; the image name: build/NAME.elf, build/NAME.iso
//	                     (letters, digits, '.', '_', '-'; not starting with '.' or '-')
//	machine WORD...      optional hints for running the image, e.g. "q35 smp=4 numa=2"
//	KIND MODULE          the module of a kind, one line per kind: KIND is the
//	                     kind's ConfigKey in package kind (core/kind). Required
//	                     kinds (clock, console, topology, memory, scheduler)
//	                     must be named; for drivers (nic, block) the line is
//	                     optional and "none" (the default) links none
//	module IMPORTPATH    an extra module, e.g. a third-party driver; repeatable
//	use DIR              a Go module on disk, outside the tree and never
//	                     published (e.g. an HRT's own scheduler): the directory
//	                     holding its go.mod, relative to the config file's
//	                     directory unless absolute; repeatable. The generated
//	                     workspace uses it, and its packages' Register calls
//	                     name modules as the tree's do
//	entry IMPORTPATH.Func  the HRT entry point, an exported func(); without it
//	                     core.Boot(nil) runs core's default
//	cmdline TEXT         the default kernel command line: the rest of the line,
//	                     verbatim (see core/cmdline)
//	goospkg IMPORTPATH   override the package providing tamago's goos hooks
//	                     (GOOSPKG); empty means the toolchain's default
//
// A MODULE is either a name from the Registry for that kind (e.g. "default",
// "rr") or, for a module the registry does not know, its import path (any
// value containing '/', whose first element contains '.', e.g.
// "example.com/mysched"). Example:
//
//	# A 4-CPU kernel with a round-robin scheduler.
//	name      aero
//	machine   q35 smp=4 numa=2
//	clock     default
//	console   default
//	topology  default
//	memory    default
//	scheduler rr
//	module    example.com/hrt/metrics
//	entry     github.com/aerokernel/aero/examples/hello.Main
//	cmdline   loglevel=info
//
// Parse reports syntax errors as "FILE:LINE: message", an unknown key with
// the keys it could have meant; Resolve (called by Generate) reports a missing
// required kind by name and an unknown module by name together with the
// known modules for its kind.
package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aerokernel/aero/core/kind"
)

// The kinds of module, their config keys and which are required come from
// package kind's table (kind.All); maps here are keyed by the kind's Name.

// None is the module value that links no driver of a driver kind.
const None = "none"

// CorePath is the import path of core. Modules whose Path is CorePath are
// built into core and need no import of their own.
const CorePath = "github.com/aerokernel/aero/core"

// Module is a module known to the image tool.
type Module struct {
	Name string // short name used in configs, e.g. "rr"
	Path string // Go import path, e.g. "github.com/aerokernel/aero/sched/rr"
}

// Registry lists the known modules of each kind, by kind name.
type Registry map[string][]Module

// DefaultRegistry returns the modules built into core: its minimal
// implementations of each required kind, all named "default" (single-node
// topology, Go-heap memory, one M per CPU scheduler, raw serial console).
// The image tool adds the modules of the tree (sched, mm, numa, ...) as
// they exist.
func DefaultRegistry() Registry {
	reg := Registry{}
	for _, k := range kind.Required() {
		reg[k.Name] = []Module{{Name: "default", Path: CorePath}}
	}
	return reg
}

// Lookup returns the module of kind k (a kind name) called name.
func (r Registry) Lookup(k, name string) (Module, bool) {
	for _, m := range r[k] {
		if m.Name == name {
			return m, true
		}
	}
	return Module{}, false
}

// paths returns the import paths of the modules of kind k called name.
func (r Registry) paths(k, name string) []string {
	var paths []string
	for _, m := range r[k] {
		if m.Name == name {
			paths = append(paths, m.Path)
		}
	}
	return paths
}

// Names returns the sorted, distinct names of the known modules of kind k.
func (r Registry) Names(k string) []string {
	var names []string
	for _, m := range r[k] {
		names = append(names, m.Name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Entry is the HRT entry point: a func() named by package and function.
type Entry struct {
	Path string // import path
	Func string // exported function name
}

// String returns the entry as written in a config, or "" if unset.
func (e Entry) String() string {
	if e.Path == "" {
		return ""
	}
	return e.Path + "." + e.Func
}

// Config is a parsed kernel config.
type Config struct {
	File    string            // file name used in error messages
	Name    string            // image name
	Machine []string          // machine hints, as written
	Modules map[string]string // chosen module per kind name: a name or import path
	Extra   []string          // import paths from module lines, in order
	Use     []string          // module directories from use lines, as written
	Entry   Entry             // HRT entry; zero means none
	Cmdline string            // default kernel command line
	GOOSPkg string            // goospkg override; "" means the default

	lines map[string]int // line of each key, for Resolve
}

// UseDirs returns the directories of the use lines, absolute: a relative
// one is taken from the config file's directory.
func (c *Config) UseDirs() ([]string, error) {
	var dirs []string
	for _, d := range c.Use {
		if !filepath.IsAbs(d) {
			d = filepath.Join(filepath.Dir(c.File), d)
		}
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, &Error{File: c.File, Msg: fmt.Sprintf("use %s: %v", d, err)}
		}
		dirs = append(dirs, abs)
	}
	return dirs, nil
}

// Error is a config error at a line of a file (Line 0: the whole file).
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// ownKeys are the keys of a config that are not a kind's.
var ownKeys = []string{"name", "machine", "module", "use", "entry", "cmdline", "goospkg"}

// keys are the keys a config may use: its own and every kind's ConfigKey.
var keys = func() []string {
	ks := slices.Clone(ownKeys)
	for _, k := range kind.All {
		ks = append(ks, k.ConfigKey)
	}
	return ks
}()

// ParseFile reads and parses the config at path.
func ParseFile(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(path, f)
}

// Parse parses a config read from r; file names it in error messages.
// It checks syntax only; see Resolve.
func Parse(file string, r io.Reader) (*Config, error) {
	c := &Config{File: file, Modules: map[string]string{}, lines: map[string]int{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		if err := c.line(n, sc.Bytes()); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &Error{File: file, Line: n + 1, Msg: err.Error()}
	}
	if c.Name == "" {
		return nil, &Error{File: file, Msg: `missing "name"`}
	}
	return c, nil
}

func (c *Config) line(n int, raw []byte) error {
	errf := func(format string, a ...any) error {
		return &Error{File: c.File, Line: n, Msg: fmt.Sprintf(format, a...)}
	}
	if !utf8.Valid(raw) {
		return errf("invalid UTF-8")
	}
	text := strings.TrimSpace(string(bytes.TrimSuffix(raw, []byte("\r"))))
	if text == "" || text[0] == '#' {
		return nil
	}
	key, rest := text, ""
	if i := strings.IndexAny(text, " \t"); i >= 0 {
		key, rest = text[:i], strings.TrimSpace(text[i:])
	}
	vals := strings.Fields(rest)
	if !slices.Contains(keys, key) {
		msg := fmt.Sprintf("unknown key %q", key)
		if s := suggest(key); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		} else {
			msg += " (known: " + strings.Join(keys, ", ") + ")"
		}
		return errf("%s", msg)
	}
	if key != "module" && key != "use" {
		if first, dup := c.lines[key]; dup {
			return errf("duplicate %q (first on line %d)", key, first)
		}
		c.lines[key] = n
	}
	if len(vals) == 0 {
		return errf("%q needs a value", key)
	}
	one := func() error {
		if len(vals) != 1 {
			return errf("%q takes one value, got %d", key, len(vals))
		}
		return nil
	}
	if k, ok := kind.ByConfigKey(key); ok {
		if err := one(); err != nil {
			return err
		}
		v := vals[0]
		if strings.Contains(v, "/") && !IsImportPath(v) {
			return errf("%s %q is neither a module name nor an import path", key, v)
		}
		c.Modules[k.Name] = v
		return nil
	}
	switch key {
	case "name":
		if err := one(); err != nil {
			return err
		}
		if !validName(vals[0]) {
			return errf("invalid name %q: use letters, digits, '.', '_' and '-'", vals[0])
		}
		c.Name = vals[0]
	case "machine":
		c.Machine = vals
	case "module":
		if err := one(); err != nil {
			return err
		}
		if !IsImportPath(vals[0]) {
			return errf("module %q is not an import path such as example.com/driver", vals[0])
		}
		c.Extra = append(c.Extra, vals[0])
	case "use":
		if err := one(); err != nil {
			return err
		}
		c.Use = append(c.Use, vals[0])
	case "entry":
		if err := one(); err != nil {
			return err
		}
		e, err := parseEntry(vals[0])
		if err != nil {
			return errf("%v", err)
		}
		c.Entry = e
	case "cmdline":
		c.Cmdline = rest
	case "goospkg":
		if err := one(); err != nil {
			return err
		}
		if !IsImportPath(vals[0]) {
			return errf("goospkg %q is not an import path", vals[0])
		}
		c.GOOSPkg = vals[0]
	}
	return nil
}

func validName(s string) bool {
	if s == "" || s[0] == '.' || s[0] == '-' {
		return false
	}
	for _, r := range s {
		if !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-", r))) {
			return false
		}
	}
	return true
}

// IsImportPath reports whether s looks like a Go import path of a module
// outside the standard library: slash-separated non-empty elements of
// letters, digits and "-._~+", at least two of them, the first containing a
// '.' (a domain), none "." or "..".
func IsImportPath(s string) bool {
	elems := strings.Split(s, "/")
	if len(elems) < 2 || !strings.Contains(elems[0], ".") {
		return false
	}
	for _, e := range elems {
		if e == "" || e == "." || e == ".." || e[0] == '.' || e[0] == '-' {
			return false
		}
		for _, r := range e {
			if !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-._~+", r))) {
				return false
			}
		}
	}
	return true
}

func parseEntry(s string) (Entry, error) {
	slash := strings.LastIndex(s, "/")
	dot := strings.LastIndex(s, ".")
	if dot <= slash {
		return Entry{}, fmt.Errorf("entry %q: want IMPORTPATH.Func, e.g. example.com/hrt.Main", s)
	}
	e := Entry{Path: s[:dot], Func: s[dot+1:]}
	if !IsImportPath(e.Path) {
		return Entry{}, fmt.Errorf("entry %q: %q is not an import path", s, e.Path)
	}
	if !isExportedIdent(e.Func) {
		return Entry{}, fmt.Errorf("entry %q: %q is not an exported Go function name", s, e.Func)
	}
	return e, nil
}

func isExportedIdent(s string) bool {
	for i, r := range s {
		if i == 0 && !unicode.IsUpper(r) {
			return false
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' {
			return false
		}
	}
	return s != ""
}

// suggest returns the known key closest to a misspelt one, or "".
func suggest(key string) string {
	best, bestD := "", 3
	for _, k := range keys {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Resolve checks c against reg and returns the chosen module of each kind
// that has one, by kind name (driver kinds set to "none" or absent are left
// out).
// A module named by import path resolves to the registry's module with that
// path if there is one, else to Module{Name: path, Path: path}.
// Every problem is reported; the errors are *Error values joined.
func (c *Config) Resolve(reg Registry) (map[string]Module, error) {
	chosen := map[string]Module{}
	var errs []error
	for _, k := range kind.All {
		v, ok := c.Modules[k.Name]
		line := c.lines[k.ConfigKey]
		known := strings.Join(reg.Names(k.Name), ", ")
		if known == "" {
			known = "none registered"
		}
		switch {
		case !ok && k.Required:
			errs = append(errs, &Error{File: c.File, Msg: fmt.Sprintf(
				"missing required kind %q (add a line %q; known: %s)", k.Name, k.ConfigKey+" <module>", known)})
		case !ok || (v == None && !k.Required):
			// no driver of this kind
		case v == None:
			errs = append(errs, &Error{File: c.File, Line: line, Msg: fmt.Sprintf(
				"%s is required and cannot be %q (known: %s)", k.Name, None, known)})
		case strings.Contains(v, "/"):
			m := Module{Name: v, Path: v}
			for _, r := range reg[k.Name] {
				if r.Path == v {
					m = r
				}
			}
			chosen[k.Name] = m
		default:
			m, found := reg.Lookup(k.Name, v)
			if !found {
				errs = append(errs, &Error{File: c.File, Line: line, Msg: fmt.Sprintf(
					"unknown %s module %q (known: %s; or name a third-party module by import path)", k.Name, v, known)})
				continue
			}
			if paths := reg.paths(k.Name, v); len(paths) > 1 {
				errs = append(errs, &Error{File: c.File, Line: line, Msg: fmt.Sprintf(
					"%s module %q is registered by several packages (%s): name one by import path", k.Name, v, strings.Join(paths, ", "))})
				continue
			}
			chosen[k.Name] = m
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return chosen, nil
}

// Imports returns the import paths the image links for c: the chosen
// modules and the extra modules, sorted and deduplicated. Paths built into
// core (CorePath) are left out, as the generated main imports core anyway.
func (c *Config) Imports(reg Registry) ([]string, error) {
	chosen, err := c.Resolve(reg)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, m := range chosen {
		paths = append(paths, m.Path)
	}
	paths = append(paths, c.Extra...)
	slices.Sort(paths)
	paths = slices.Compact(paths)
	return slices.DeleteFunc(paths, func(p string) bool { return p == CorePath }), nil
}
