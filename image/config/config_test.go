package config

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aerokernel/aero/core/kind"
)

// testRegistry has core's defaults plus some tree modules.
func testRegistry() Registry {
	reg := DefaultRegistry()
	reg[kind.Scheduler] = append(reg[kind.Scheduler],
		Module{"rr", "github.com/aerokernel/aero/sched/rr"},
		Module{"edf", "github.com/aerokernel/aero/sched/edf"})
	reg[kind.Memory] = append(reg[kind.Memory], Module{"buddy", "github.com/aerokernel/aero/mm"})
	reg[kind.Topology] = append(reg[kind.Topology], Module{"acpi", "github.com/aerokernel/aero/numa"})
	reg[kind.Console] = append(reg[kind.Console], Module{"16550", "github.com/aerokernel/aero/console"})
	reg[kind.NIC] = []Module{{"virtio", "github.com/aerokernel/aero/net/virtio"}, {"e1000", "github.com/aerokernel/aero/net/e1000"}}
	return reg
}

const base = `name aero
scheduler default
memory default
topology default
console default
clock default
`

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Config
	}{
		{"minimal", base, &Config{Name: "aero", Modules: map[string]string{
			kind.Scheduler: "default", kind.Memory: "default", kind.Topology: "default", kind.Console: "default",
			kind.Clock: "default"}}},
		{"everything", "# comment\n\n  # indented comment\r\nname\tk-1.x\r\nmachine q35  smp=4 numa=2\n" +
			"scheduler rr\nmemory buddy\ntopology acpi\nconsole 16550\nnic virtio\nblock none\n" +
			"module example.com/a/b\nmodule example.com/c\nentry example.com/hrt/v2.Main\n" +
			"cmdline   test=all  msg=\"a # b\"  \ngoospkg github.com/aerokernel/aero/core/goos\n",
			&Config{Name: "k-1.x", Machine: []string{"q35", "smp=4", "numa=2"},
				Modules: map[string]string{kind.Scheduler: "rr", kind.Memory: "buddy", kind.Topology: "acpi",
					kind.Console: "16550", kind.NIC: "virtio", kind.Block: "none"},
				Extra:   []string{"example.com/a/b", "example.com/c"},
				Entry:   Entry{"example.com/hrt/v2", "Main"},
				Cmdline: `test=all  msg="a # b"`,
				GOOSPkg: "github.com/aerokernel/aero/core/goos"}},
		{"import path module", strings.Replace(base, "scheduler default", "scheduler example.com/mysched", 1),
			&Config{Name: "aero", Modules: map[string]string{
				kind.Scheduler: "example.com/mysched", kind.Memory: "default", kind.Topology: "default", kind.Console: "default",
				kind.Clock: "default"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("x", strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			tt.want.File, tt.want.lines = "x", c.lines
			if !reflect.DeepEqual(c, tt.want) {
				t.Errorf("got  %+v\nwant %+v", c, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"typo", base + "\n\nshceduler rr\n", `defconfig:9: unknown key "shceduler" (did you mean "scheduler"?)`},
		{"unknown far", "bogus 1\n", `defconfig:1: unknown key "bogus"`},
		{"duplicate", base + "memory buddy\n", `defconfig:7: duplicate "memory" (first on line 3)`},
		{"no value", "name\n", `defconfig:1: "name" needs a value`},
		{"no value spaces", "name aero\nscheduler   \t\n", `defconfig:2: "scheduler" needs a value`},
		{"two values", "name a b\n", `defconfig:1: "name" takes one value, got 2`},
		{"two modules", "scheduler rr edf\n", `defconfig:1: "scheduler" takes one value, got 2`},
		{"bad name", "name ../x\n", `defconfig:1: invalid name "../x"`},
		{"bad name dash", "name -x\n", `defconfig:1: invalid name "-x"`},
		{"module not path", "module rr\n", `defconfig:1: module "rr" is not an import path`},
		{"module bad path", "module example.com//x\n", `defconfig:1: module "example.com//x" is not an import path`},
		{"kind bad path", "nic foo/bar\n", `defconfig:1: nic "foo/bar" is neither a module name nor an import path`},
		{"entry no func", "entry example.com/hrt\n", `defconfig:1: entry "example.com/hrt": want IMPORTPATH.Func`},
		{"entry unexported", "entry example.com/hrt.main\n", `"main" is not an exported Go function name`},
		{"entry bad path", "entry hrt.Main\n", `defconfig:1: entry "hrt.Main": "hrt" is not an import path`},
		{"entry empty func", "entry example.com/hrt.\n", `"" is not an exported Go function name`},
		{"goospkg bad", "goospkg goos\n", `defconfig:1: goospkg "goos" is not an import path`},
		{"goospkg two", "goospkg a.b/c d.e/f\n", `"goospkg" takes one value, got 2`},
		{"utf8", "name aero\ncmdline \xff\n", "defconfig:2: invalid UTF-8"},
		{"no name", "scheduler rr\n", `defconfig: missing "name"`},
		{"empty", "", `defconfig: missing "name"`},
		{"long line", "cmdline " + strings.Repeat("x", 2<<20), "defconfig:1: bufio.Scanner: token too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("defconfig", strings.NewReader(tt.in))
			var e *Error
			if !errors.As(err, &e) || c != nil {
				t.Fatalf("got %v, %v; want *Error", c, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\nwant   %q", err, tt.want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	reg := testRegistry()
	tests := []struct {
		name  string
		in    string
		want  map[string]string // kind -> path
		errs  []string
		nerrs int
	}{
		{name: "defaults", in: base, want: map[string]string{
			kind.Scheduler: CorePath, kind.Memory: CorePath, kind.Topology: CorePath, kind.Console: CorePath,
			kind.Clock: CorePath}},
		{name: "tree modules", in: strings.NewReplacer("scheduler default", "scheduler rr",
			"memory default", "memory buddy").Replace(base) + "nic e1000\nblock none\n",
			want: map[string]string{kind.Scheduler: "github.com/aerokernel/aero/sched/rr",
				kind.Memory: "github.com/aerokernel/aero/mm", kind.Topology: CorePath, kind.Console: CorePath,
				kind.Clock: CorePath, kind.NIC: "github.com/aerokernel/aero/net/e1000"}},
		{name: "third party", in: strings.Replace(base, "scheduler default", "scheduler example.com/sched", 1) +
			"block example.com/nvme\n",
			want: map[string]string{kind.Scheduler: "example.com/sched", kind.Memory: CorePath, kind.Topology: CorePath,
				kind.Console: CorePath, kind.Clock: CorePath, kind.Block: "example.com/nvme"}},
		{name: "unknown module", in: strings.Replace(base, "scheduler default", "scheduler rrr", 1),
			errs: []string{`x:2: unknown scheduler module "rrr" (known: default, edf, rr; or name a third-party module by import path)`}, nerrs: 1},
		{name: "unknown optional", in: base + "block virtio\n",
			errs: []string{`x:7: unknown block module "virtio" (known: none registered;`}, nerrs: 1},
		{name: "missing kind", in: "name a\nscheduler rr\nmemory default\ntopology default\nclock default\n",
			errs: []string{`x: missing required kind "console" (add a line "console <module>"; known: 16550, default)`}, nerrs: 1},
		{name: "missing all", in: "name a\n", nerrs: 5,
			errs: []string{`missing required kind "scheduler"`, `missing required kind "memory"`,
				`missing required kind "topology"`, `missing required kind "console"`, `missing required kind "clock"`}},
		{name: "none required", in: strings.Replace(base, "memory default", "memory none", 1),
			errs: []string{`x:3: memory is required and cannot be "none" (known: buddy, default)`}, nerrs: 1},
		{name: "several", in: "name a\nscheduler x\nmemory y\ntopology default\nclock default\n", nerrs: 3,
			errs: []string{`x:2: unknown scheduler module "x"`, `x:3: unknown memory module "y"`, `missing required kind "console"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("x", strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Resolve(reg)
			if tt.nerrs > 0 {
				if err == nil {
					t.Fatalf("no error, want %q", tt.errs)
				}
				if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != tt.nerrs {
					t.Errorf("%d errors, want %d: %v", n, tt.nerrs, err)
				}
				for _, w := range tt.errs {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q\nwant   %q", err, w)
					}
				}
				if _, err := Generate(c, reg); err == nil {
					t.Error("Generate: nil error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			paths := map[string]string{}
			for k, m := range got {
				paths[k] = m.Path
			}
			if !reflect.DeepEqual(paths, tt.want) {
				t.Errorf("got %v\nwant %v", paths, tt.want)
			}
		})
	}
}

func TestRegistryPathMatch(t *testing.T) {
	c, err := Parse("x", strings.NewReader(strings.Replace(base, "scheduler default",
		"scheduler github.com/aerokernel/aero/sched/rr", 1)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Resolve(testRegistry())
	if err != nil || got[kind.Scheduler].Name != "rr" {
		t.Errorf("got %+v, %v; want the registry's rr", got[kind.Scheduler], err)
	}
}

// parseGenerated checks src is formatted, valid Go and returns its imports
// (path -> name) and the argument of core.Boot.
func parseGenerated(t *testing.T, src []byte) (map[string]string, string) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", src, parser.ParseComments)
	if err != nil {
		t.Fatalf("generated code does not parse: %v\n%s", err, src)
	}
	if f.Name.Name != "main" || !ast.IsGenerated(f) {
		t.Errorf("package %s, generated %v", f.Name.Name, ast.IsGenerated(f))
	}
	imports := map[string]string{}
	for _, is := range f.Imports {
		p, _ := strconv.Unquote(is.Path.Value)
		name := ""
		if is.Name != nil {
			name = is.Name.Name
		}
		if _, dup := imports[p]; dup {
			t.Errorf("duplicate import %s", p)
		}
		imports[p] = name
	}
	boot := ""
	ast.Inspect(f, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Boot" && len(call.Args) == 1 {
				boot = string(src[fset.Position(call.Args[0].Pos()).Offset:fset.Position(call.Args[0].End()).Offset])
			}
		}
		return true
	})
	return imports, boot
}

func TestGenerate(t *testing.T) {
	reg := testRegistry()
	tests := []struct {
		name    string
		in      string
		imports map[string]string
		order   []string // blank imports in source order
		boot    string
	}{
		{"defaults", base, map[string]string{CorePath: ""}, nil, "nil"},
		{"modules", strings.NewReplacer("scheduler default", "scheduler rr", "topology default", "topology acpi").Replace(base) +
			"nic virtio\nmodule example.com/z\nmodule example.com/a\nmodule github.com/aerokernel/aero/sched/rr\n" +
			"entry example.com/hrt.Run\n",
			map[string]string{CorePath: "", "example.com/hrt": "hrt", "example.com/a": "_", "example.com/z": "_",
				"github.com/aerokernel/aero/sched/rr": "_", "github.com/aerokernel/aero/numa": "_",
				"github.com/aerokernel/aero/net/virtio": "_"},
			[]string{"example.com/a", "example.com/z", "github.com/aerokernel/aero/net/virtio",
				"github.com/aerokernel/aero/numa", "github.com/aerokernel/aero/sched/rr"},
			"hrt.Run"},
		{"entry is a module", base + "module example.com/hrt\nentry example.com/hrt.Main\n",
			map[string]string{CorePath: "", "example.com/hrt": "hrt"}, nil, "hrt.Main"},
		{"entry in core", base + "entry github.com/aerokernel/aero/core.Shell\n",
			map[string]string{CorePath: ""}, nil, "core.Shell"},
		{"core as extra module", base + "module github.com/aerokernel/aero/core\n",
			map[string]string{CorePath: ""}, nil, "nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("x", strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			src, err := Generate(c, reg)
			if err != nil {
				t.Fatal(err)
			}
			imports, boot := parseGenerated(t, src)
			if !reflect.DeepEqual(imports, tt.imports) || boot != tt.boot {
				t.Errorf("imports %v boot %q\nwant %v boot %q\n%s", imports, boot, tt.imports, tt.boot, src)
			}
			var order []string
			for _, l := range strings.Split(string(src), "\n") {
				if p, ok := strings.CutPrefix(strings.TrimSpace(l), "_ "); ok {
					p, _ = strconv.Unquote(p)
					order = append(order, p)
				}
			}
			if !slices.Equal(order, tt.order) {
				t.Errorf("blank imports %q, want %q", order, tt.order)
			}
		})
	}
}

func TestGenerateOddFileName(t *testing.T) {
	c, err := Parse("a\nb\"c", strings.NewReader(base))
	if err != nil {
		t.Fatal(err)
	}
	src, err := Generate(c, DefaultRegistry())
	if err != nil {
		t.Fatal(err)
	}
	parseGenerated(t, src)
}

// TestDefconfig parses configs/defconfig with the core-only registry's
// kinds in mind; resolving it needs the tree's modules (mm), which
// builder's TestTreeConfigs does.
func TestDefconfig(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "configs", "defconfig")
	c, err := ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "aero" {
		t.Errorf("name %q", c.Name)
	}
}

func TestParseFileMissing(t *testing.T) {
	if _, err := ParseFile(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("no error for a missing file")
	}
}

func TestIsImportPath(t *testing.T) {
	for s, want := range map[string]bool{
		"example.com/x": true, "github.com/a/b-c/v2": true, "gopkg.in/x.v3": true,
		"": false, "x": false, "fmt": false, "net/http": false, "example.com": false,
		"example.com/": false, "example.com/./x": false, "example.com/../x": false,
		"example.com/x y": false, "example.com/é": false, "/example.com/x": false,
	} {
		if got := IsImportPath(s); got != want {
			t.Errorf("IsImportPath(%q) = %v", s, got)
		}
	}
}

func TestGenerateCmdline(t *testing.T) {
	c, err := Parse("x.conf", strings.NewReader("name k\nscheduler default\nmemory default\ntopology default\nconsole default\nclock default\ncmdline loglevel=debug test=\"a b\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := Generate(c, DefaultRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if want := `core.DefaultCmdline = "loglevel=debug test=\"a b\""`; !strings.Contains(string(src), want) {
		t.Errorf("generated main lacks %s:\n%s", want, src)
	}
}

// The cmdline reaches core.DefaultCmdline from a package-level init, byte
// for byte; without a cmdline the generated main leaves it alone.
func TestGenerateCmdlineInit(t *testing.T) {
	for _, line := range []string{`a`, `loglevel=debug x="y z"`, `p=\back\slash é ${HOME} ` + "`tick`", ""} {
		body := "name k\nscheduler default\nmemory default\ntopology default\nconsole default\nclock default\n"
		if line != "" {
			body += "cmdline   " + line + "   \n"
		}
		c, err := Parse("x.conf", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		src, err := Generate(c, DefaultRegistry())
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), "main.go", src, 0)
		if err != nil {
			t.Fatalf("%v\n%s", err, src)
		}
		var got []string
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Name.Name != "init" || fd.Recv != nil {
				continue
			}
			for _, st := range fd.Body.List {
				as, ok := st.(*ast.AssignStmt)
				if !ok || len(as.Lhs) != 1 {
					continue
				}
				if sel, ok := as.Lhs[0].(*ast.SelectorExpr); ok && sel.Sel.Name == "DefaultCmdline" && sel.X.(*ast.Ident).Name == "core" {
					v, err := strconv.Unquote(as.Rhs[0].(*ast.BasicLit).Value)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, v)
				}
			}
		}
		switch {
		case line == "" && len(got) != 0:
			t.Errorf("no cmdline, but init sets DefaultCmdline = %q", got)
		case line != "" && (len(got) != 1 || got[0] != line):
			t.Errorf("cmdline %q: init sets %q\n%s", line, got, src)
		}
	}
}

func TestResolveAmbiguousName(t *testing.T) {
	reg := testRegistry()
	reg[kind.Scheduler] = append(reg[kind.Scheduler], Module{"rr", "example.com/other/rr"})
	c, err := Parse("x.conf", strings.NewReader(strings.Replace(base, "scheduler default", "scheduler rr", 1)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Resolve(reg)
	if err == nil || !strings.Contains(err.Error(), "x.conf:2:") || !strings.Contains(err.Error(), "example.com/other/rr") {
		t.Errorf("error %v, want x.conf:2 naming both packages", err)
	}
	if names := reg.Names(kind.Scheduler); !slices.Equal(names, []string{"default", "edf", "rr"}) {
		t.Errorf("Names = %v", names)
	}
	// By import path it resolves.
	c, _ = Parse("x.conf", strings.NewReader(strings.Replace(base, "scheduler default", "scheduler example.com/other/rr", 1)))
	if got, err := c.Resolve(reg); err != nil || got[kind.Scheduler].Path != "example.com/other/rr" {
		t.Errorf("by path: %+v, %v", got[kind.Scheduler], err)
	}
}

// Every kind of package kind's table is a config key (clock too), read into
// Modules by the kind's name and resolved like the others.
func TestKindKeys(t *testing.T) {
	body := "name k\n"
	reg := Registry{}
	for _, k := range kind.All {
		if slices.Contains(ownKeys, k.ConfigKey) {
			t.Errorf("kind %s's config key %q is also a key of the config itself", k.Name, k.ConfigKey)
		}
		c, err := Parse("x", strings.NewReader("name k\n"+k.ConfigKey+" mine\n"))
		if err != nil || c.Modules[k.Name] != "mine" {
			t.Errorf("%s mine: %v, Modules %v", k.ConfigKey, err, c)
		}
		body += k.ConfigKey + " mine\n"
		reg[k.Name] = []Module{{"mine", "example.com/" + k.Name}}
	}
	c, err := Parse("x", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Resolve(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kind.All {
		if got[k.Name].Path != "example.com/"+k.Name {
			t.Errorf("%s resolved to %+v", k.Name, got[k.Name])
		}
	}
	if len(got) != len(kind.All) {
		t.Errorf("resolved %d kinds, want %d: %v", len(got), len(kind.All), got)
	}
	if _, err := Parse("x", strings.NewReader("name k\nclock default\n")); err != nil {
		t.Errorf("clock key: %v", err)
	}
}

// A key that is no kind's and not the config's own is an error at its
// line naming the key and what could be written instead.
func TestUnknownKey(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		// sched is the command-line key; the config says scheduler.
		{"name k\nsched rr\n", `x:2: unknown key "sched" (known: name, machine, module, use, entry, cmdline, goospkg, `},
		{"name k\nwidget x\n", `x:2: unknown key "widget" (known: `},
		{"name k\nclok default\n", `x:2: unknown key "clok" (did you mean "clock"?)`},
	} {
		_, err := Parse("x", strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.in, err, c.want)
			continue
		}
		if strings.Contains(c.want, "known:") {
			for _, k := range kind.All {
				if !strings.Contains(err.Error(), k.ConfigKey) {
					t.Errorf("%q: error %v does not list the key %q", c.in, err, k.ConfigKey)
				}
			}
		}
	}
}
