package builder

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/aerokernel/aero/core/kind"
	"github.com/aerokernel/aero/image/config"
)

// Registry returns the modules a config can name: config.DefaultRegistry
// plus every module the tree's packages register with core. It reads the
// Go sources of each module of root's go.work (goBin runs go work edit;
// "" means the go on PATH) and records each call core.RegisterScheduler("rr",
// ...) (and the other kinds' Register functions) whose name is a string
// constant, as the module "rr" of that kind at the calling package's import
// path; each kind's Register function is the one package kind's table
// (core/kind) names. Test files, testdata, nested modules and build
// constraints are ignored: a package counts if any of its files registers.
// The modules in the directories extra (a config's use lines, UseDirs)
// are read the same way.
func Registry(root, goBin string, extra ...string) (config.Registry, error) {
	found, err := scanTree(root, goBin, extra)
	if err != nil {
		return nil, err
	}
	reg := config.DefaultRegistry()
	for _, k := range kind.All {
		for _, m := range found[k.Name] {
			if !slices.Contains(reg[k.Name], m) {
				reg[k.Name] = append(reg[k.Name], m)
			}
		}
	}
	return reg, nil
}

// scanTree returns the modules the packages of root's go.work and of the
// module directories extra register with core, by kind name, in import
// path order (see Registry).
func scanTree(root, goBin string, extra []string) (config.Registry, error) {
	dirs, err := workModules(root, goBin)
	if err != nil {
		return nil, err
	}
	dirs = append(dirs, extra...)
	var calls []found
	consts := map[string]map[string]string{} // import path -> const name -> value
	for _, dir := range dirs {
		mod, err := modulePath(filepath.Join(dir, "go.mod"))
		if err != nil {
			return nil, err
		}
		f, err := scanModule(dir, mod, consts)
		if err != nil {
			return nil, err
		}
		calls = append(calls, f...)
	}
	slices.SortStableFunc(calls, func(a, b found) int { return strings.Compare(a.pkg, b.pkg) })
	reg := config.Registry{}
	for _, f := range calls {
		name, ok := f.name.resolve(consts)
		if !ok {
			continue
		}
		m := config.Module{Name: name, Path: f.pkg}
		if !slices.Contains(reg[f.kind], m) {
			reg[f.kind] = append(reg[f.kind], m)
		}
	}
	return reg, nil
}

// found is one Register call.
type found struct {
	kind string // the kind's name
	pkg  string // import path of the registering package
	name nameRef
}

// nameRef is the name argument of a Register call: a literal, or a
// constant of a package (by import path).
type nameRef struct {
	lit       string
	pkg, cons string
}

func (n nameRef) resolve(consts map[string]map[string]string) (string, bool) {
	if n.cons == "" {
		return n.lit, n.lit != ""
	}
	v, ok := consts[n.pkg][n.cons]
	return v, ok && v != ""
}

// modulePath reads the module line of a go.mod.
func modulePath(gomod string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", fmt.Errorf("builder: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "module"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			rest, _, _ = strings.Cut(rest, "//")
			rest = strings.TrimSpace(rest)
			if p, err := strconv.Unquote(rest); err == nil {
				rest = p
			}
			if rest != "" {
				return rest, nil
			}
		}
	}
	return "", fmt.Errorf("builder: %s has no module line", gomod)
}

// scanModule parses the non-test Go files of the module at dir (import
// path mod), adds each package's string constants to consts and returns
// its Register calls.
func scanModule(dir, mod string, consts map[string]map[string]string) ([]found, error) {
	var out []found
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p != dir && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if p != dir {
				if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
					return filepath.SkipDir // a module of its own
				}
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(dir, filepath.Dir(p))
		if err != nil {
			return err
		}
		pkg := mod
		if rel != "." {
			pkg = path.Join(mod, filepath.ToSlash(rel))
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil // not ours to judge: go build reports it if it matters
		}
		out = append(out, scanFile(f, pkg, consts)...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("builder: scanning %s: %v", dir, err)
	}
	return out, nil
}

func scanFile(f *ast.File, pkg string, consts map[string]map[string]string) []found {
	if f.Name.Name == "main" {
		return nil
	}
	// String constants, for names given as constants.
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i < len(vs.Values) {
					if v, ok := stringLit(vs.Values[i]); ok {
						if consts[pkg] == nil {
							consts[pkg] = map[string]string{}
						}
						consts[pkg][n.Name] = v
					}
				}
			}
		}
	}
	// The name this file imports core as ("" if it does not).
	coreName := ""
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == config.CorePath {
			coreName = "core"
			if imp.Name != nil {
				coreName = imp.Name.Name
			}
		}
	}
	inCore := pkg == config.CorePath
	if coreName == "" && !inCore {
		return nil
	}
	var out []found
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		var fn string
		switch fun := call.Fun.(type) {
		case *ast.SelectorExpr:
			if x, ok := fun.X.(*ast.Ident); ok && x.Name == coreName && coreName != "" {
				fn = fun.Sel.Name
			}
		case *ast.Ident:
			if inCore {
				fn = fun.Name
			}
		}
		k, ok := kind.ByRegister(fn)
		if !ok {
			return true
		}
		var ref nameRef
		switch a := call.Args[0].(type) {
		case *ast.BasicLit:
			ref.lit, _ = stringLit(a)
		case *ast.Ident:
			ref.pkg, ref.cons = pkg, a.Name
		case *ast.SelectorExpr:
			if x, ok := a.X.(*ast.Ident); ok && x.Name == coreName {
				ref.pkg, ref.cons = config.CorePath, a.Sel.Name
			}
		}
		if ref != (nameRef{}) {
			out = append(out, found{kind: k.Name, pkg: pkg, name: ref})
		}
		return true
	})
	return out
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}
