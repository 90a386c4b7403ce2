package toolchain_test

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Go's licence asks that redistributed source keep its copyright notice, so
// a file the patch series adds that is derived from Go's own source (another
// port's file with the build constraint changed, a block lifted from a
// sibling) must carry the Go Authors' notice; see toolchain/README.md.
// TestGoNotice finds such files by what they share with Go's tree.

// minRun is how many consecutive real lines (see sourceLines) a file must
// share with one Go file to count as derived from it.
const minRun = 10

// TestGoNotice checks every new file of the series, in its state after each
// patch that touches it, against the whole of Go's src/ tree of the version
// build.sh patches. AERO_PATCHES_DIR names another series, as for build.sh.
func TestGoNotice(t *testing.T) {
	dir := cmp.Or(os.Getenv("AERO_PATCHES_DIR"), "patches")
	files, err := newFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	goSrc := goSource(t)
	found, err := sharedRuns(filepath.Join(goSrc, "src"), files)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d states of files the series adds, compared with %s/src", len(files), goSrc)
	for _, f := range found {
		t.Log(f)
		if f.problem != "" {
			t.Error(f.problem)
		}
	}
}

// newFiles applies the patch series in dir (*.patch, in lexical order, as
// build.sh does) to the files it creates, in memory, and returns the Go and
// assembly ones after every patch that creates or changes them. Changes to
// Go's own files are skipped: those keep Go's header.
func newFiles(dir string) ([]seriesFile, error) {
	series, err := filepath.Glob(filepath.Join(dir, "*.patch"))
	if err != nil {
		return nil, err
	}
	if len(series) == 0 {
		return nil, fmt.Errorf("no patch series (*.patch) in %s", dir)
	}
	var files []seriesFile
	added := map[string][]string{} // path -> lines, of the files created so far
	for _, p := range series {
		diffs, err := parsePatch(p)
		if err != nil {
			return nil, err
		}
		for _, d := range diffs {
			old, ok := added[d.path]
			if !d.created && !ok {
				continue
			}
			if d.created && ok {
				return nil, fmt.Errorf("%s: creates %s, which an earlier patch already created", d.patch, d.path)
			}
			lines, err := d.apply(old)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", d.patch, err)
			}
			if d.deleted {
				delete(added, d.path)
				continue
			}
			added[d.path] = lines
			if isSource(d.path) {
				files = append(files, seriesFile{name: d.path, patch: d.patch, text: strings.Join(lines, "\n")})
			}
		}
	}
	return files, nil
}

// seriesFile is one state of a file the series adds: its text after patch.
type seriesFile struct {
	name, patch string
	text        string
}

// finding says what one series file shares with Go's tree and, in problem,
// what is wrong with its notice ("" when nothing is).
type finding struct {
	file    seriesFile
	runs    []run // longest run per Go file, longest first
	problem string
}

func (f finding) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (as of %s): notice %s; shares", f.file.name, f.file.patch, describeNotice(f.file.text))
	for i, r := range f.runs {
		if i == 3 {
			fmt.Fprintf(&b, " and %d more", len(f.runs)-i)
			break
		}
		fmt.Fprintf(&b, " %d lines with %s (its lines %d-%d at %d-%d)", r.n, r.goFile, r.lines[0], r.lines[1], r.goLines[0], r.goLines[1])
	}
	return b.String()
}

// run is a maximal run of real lines a series file shares with one Go file;
// lines and goLines are the first and last line numbers on each side.
type run struct {
	goFile         string // relative to src/
	n              int
	lines, goLines [2]int
	goYear         string // year of the Go file's Go Authors' notice, "" if none
}

// sharedRuns reports every series file that shares a run of minRun real lines
// with a file under goSrc, and checks its notice: it must carry the Go
// Authors' notice with the year of one of those Go files' notices. A file
// that only shares code with Go files that carry no notice (generated ones,
// such as internal/goos/zgoos_*.go) has no notice to keep.
func sharedRuns(goSrc string, files []seriesFile) ([]finding, error) {
	type pos struct{ file, line int }
	seed := maphash.MakeSeed()
	src := make([][]line, len(files))
	index := map[uint64][]pos{}
	for i, f := range files {
		src[i] = sourceLines(f.text)
		for j, h := range windows(seed, src[i]) {
			index[h] = append(index[h], pos{i, j})
		}
	}

	var paths []string
	err := filepath.WalkDir(goSrc, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && isSource(p) {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		return nil, err
	}

	// Each Go file is read once, by one of a few workers; per (series file,
	// Go file) the matching windows are merged into maximal runs.
	var (
		mu   sync.Mutex
		best = map[int][]run{}
		errs []error
		next = make(chan string)
		wg   sync.WaitGroup
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for p := range next {
				data, err := os.ReadFile(p)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					continue
				}
				goLines := sourceLines(string(data))
				type hit struct{ file, diag, at int }
				var hits []hit
				for j, h := range windows(seed, goLines) {
					for _, q := range index[h] {
						if slices.EqualFunc(src[q.file][q.line:q.line+minRun], goLines[j:j+minRun], func(a, b line) bool { return a.text == b.text }) {
							hits = append(hits, hit{q.file, q.line - j, q.line})
						}
					}
				}
				if len(hits) == 0 {
					continue
				}
				slices.SortFunc(hits, func(a, b hit) int {
					return cmp.Or(cmp.Compare(a.file, b.file), cmp.Compare(a.diag, b.diag), cmp.Compare(a.at, b.at))
				})
				rel, _ := filepath.Rel(goSrc, p)
				year := goNoticeYear(string(data))
				longest := map[int]run{}
				for i := 0; i < len(hits); {
					k := i + 1
					for k < len(hits) && hits[k].file == hits[i].file && hits[k].diag == hits[i].diag && hits[k].at == hits[k-1].at+1 {
						k++
					}
					f, start, n := hits[i].file, hits[i].at, k-i+minRun-1
					s := src[f]
					g := start - hits[i].diag
					r := run{goFile: rel, n: n, goYear: year,
						lines:   [2]int{s[start].no, s[start+n-1].no},
						goLines: [2]int{goLines[g].no, goLines[g+n-1].no}}
					if r.n > longest[f].n {
						longest[f] = r
					}
					i = k
				}
				mu.Lock()
				for f, r := range longest {
					best[f] = append(best[f], r)
				}
				mu.Unlock()
			}
		})
	}
	for _, p := range paths {
		next <- p
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		return nil, errs[0]
	}

	var out []finding
	for i, f := range files {
		runs := best[i]
		if len(runs) == 0 {
			continue
		}
		slices.SortFunc(runs, func(a, b run) int { return cmp.Or(cmp.Compare(b.n, a.n), strings.Compare(a.goFile, b.goFile)) })
		fd := finding{file: f, runs: runs}
		var years []string
		for _, r := range runs {
			if r.goYear != "" && !slices.Contains(years, r.goYear) {
				years = append(years, r.goYear)
			}
		}
		r := runs[0]
		switch have := goNoticeYear(f.text); {
		case len(years) == 0:
			// Nothing to keep: the Go code it shares carries no notice.
		case have == "":
			fd.problem = fmt.Sprintf("%s (added by the series; this state as of %s): its lines %d-%d are %s lines %d-%d (%d real lines), but it lacks the Go Authors' notice (%q)",
				f.name, f.patch, r.lines[0], r.lines[1], r.goFile, r.goLines[0], r.goLines[1], r.n, goNotice(cmp.Or(r.goYear, years[0])))
		case !slices.Contains(years, have):
			fd.problem = fmt.Sprintf("%s (as of %s): its Go Authors' notice says %s, but the Go files it shares code with say %s (longest run: %d lines of %s)",
				f.name, f.patch, have, strings.Join(years, " or "), r.n, r.goFile)
		}
		out = append(out, fd)
	}
	return out, nil
}

func goNotice(year string) string {
	return "Copyright " + year + " The Go Authors. All rights reserved. Use of this source code is governed by a BSD-style license that can be found in the LICENSE file."
}

var (
	goCopyright = regexp.MustCompile(`Copyright (\d{4}) The Go Authors\. All rights reserved\.`)
	licence     = "Use of this source code is governed by a BSD-style license that can be found in the LICENSE file."
)

// goNoticeYear returns the year of the Go Authors' notice in the comment
// lines that open text ("" if there is none): the copyright line, followed
// (after any other holders' copyright lines, as in a file that mixes Go's
// code and ours) by Go's licence sentence.
func goNoticeYear(text string) string {
	h := header(text)
	m := goCopyright.FindStringSubmatchIndex(h)
	if m == nil || !strings.Contains(h[m[1]:], licence) {
		return ""
	}
	return h[m[2]:m[3]]
}

// describeNotice names the holders in text's opening comment, for the log.
func describeNotice(text string) string {
	h := header(text)
	m := regexp.MustCompile(`Copyright \d{4} [^.]*`).FindAllString(h, -1)
	if len(m) == 0 {
		return "none"
	}
	return strings.Join(m, " + ")
}

// header is the text of the // comment lines at the top of a file (blank
// lines between them allowed), joined with single spaces.
func header(text string) string {
	var words []string
	for l := range strings.Lines(text) {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		c, ok := strings.CutPrefix(l, "//")
		if !ok {
			break
		}
		words = append(words, strings.Fields(c)...)
	}
	return strings.Join(words, " ")
}

// line is a real line of source: its text with comments removed and white
// space normalised, and its line number.
type line struct {
	text string
	no   int
}

// sourceLines returns the real lines of Go or assembly source: comments
// (// and /* */, outside string, rune and raw string literals) removed, runs
// of white space collapsed to one space, and blank lines and lines of only
// brackets and punctuation ("}", "})", "),") dropped, so that a run of real
// lines is code in common, not layout.
func sourceLines(text string) []line {
	var (
		out     []line
		buf     []byte // the current line as it is being cleaned
		state   byte   // 0 in code, '*' in a block comment, '"', '\'' or '`' in a literal
		escaped bool
		space   bool // white space seen since the last byte kept
	)
	emit := func(c byte) {
		if space && len(buf) > 0 {
			buf = append(buf, ' ')
		}
		space = false
		buf = append(buf, c)
	}
	no := 0
	for raw := range strings.Lines(text) {
		no++
		raw = strings.TrimRight(raw, "\r\n")
		buf = buf[:0]
		space = false
		for i := 0; i < len(raw); i++ {
			c := raw[i]
			switch state {
			case 0:
				switch {
				case c == '/' && i+1 < len(raw) && raw[i+1] == '/':
					i = len(raw)
					continue
				case c == '/' && i+1 < len(raw) && raw[i+1] == '*':
					state = '*'
					space = true
					i++
					continue
				case c == ' ' || c == '\t':
					space = true
					continue
				case c == '"' || c == '\'' || c == '`':
					state = c
				}
				emit(c)
			case '*':
				if c == '*' && i+1 < len(raw) && raw[i+1] == '/' {
					state = 0
					space = true
					i++
				}
			case '`':
				emit(c)
				if c == '`' {
					state = 0
				}
			default: // '"', '\''
				emit(c)
				switch {
				case escaped:
					escaped = false
				case c == '\\':
					escaped = true
				case c == state:
					state = 0
				}
			}
		}
		if state == '"' || state == '\'' {
			state = 0 // an unterminated literal ends with its line
		}
		escaped = false
		if len(bytes.Trim(buf, "{}()[],;: ")) == 0 {
			continue
		}
		t := strings.TrimSpace(raw)
		if t != string(buf) { // else share the file's memory: most lines need no change
			t = string(buf)
		}
		out = append(out, line{t, no})
	}
	return out
}

// windows returns the hash of every run of minRun consecutive lines.
func windows(seed maphash.Seed, lines []line) []uint64 {
	if len(lines) < minRun {
		return nil
	}
	hs := make([]uint64, len(lines))
	for i, l := range lines {
		hs[i] = maphash.String(seed, l.text)
	}
	out := make([]uint64, len(lines)-minRun+1)
	for i := range out {
		var h uint64
		for _, x := range hs[i : i+minRun] {
			h = h*0x100000001b3 ^ x
		}
		out[i] = h
	}
	return out
}

// isSource reports whether path is Go or assembly source, what the series
// adds and what it is compared with.
func isSource(path string) bool {
	return strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".s")
}

// goSource returns a Go source tree of the version build.sh patches: the
// host go's GOROOT when it is that version, else the pristine toolchain
// module build.sh downloads (only from the module cache under -short). It
// skips the test when neither is there.
func goSource(t *testing.T) string {
	t.Helper()
	version := buildGoVersion(t)
	hostGo := cmp.Or(os.Getenv("GO"), "go")
	hostenv := func(env []string, args ...string) ([]byte, error) {
		cmd := exec.Command(hostGo, args...)
		cmd.Dir = os.TempDir() // no go.mod or go.work around
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=")
		cmd.Env = append(cmd.Env, env...)
		return cmd.Output()
	}
	var tried []string
	if out, err := hostenv(nil, "env", "GOROOT"); err != nil {
		tried = append(tried, fmt.Sprintf("%s env GOROOT: %v", hostGo, err))
	} else if dir := strings.TrimSpace(string(out)); isGoSource(dir, version) {
		return dir
	} else {
		tried = append(tried, fmt.Sprintf("host GOROOT %s is not %s source", dir, version))
	}
	mod := "golang.org/toolchain@v0.0.1-" + version + ".linux-amd64"
	var env []string
	if testing.Short() {
		env = []string{"GOPROXY=off"} // the module cache only
	}
	out, err := hostenv(env, "mod", "download", "-json", mod)
	var m struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &m); jerr != nil && err == nil {
		err = jerr
	}
	switch {
	case err == nil && isGoSource(m.Dir, version):
		return m.Dir
	case m.Error != "":
		tried = append(tried, "go mod download "+mod+": "+m.Error)
	case err != nil:
		tried = append(tried, fmt.Sprintf("go mod download %s: %v", mod, err))
	default:
		tried = append(tried, fmt.Sprintf("go mod download %s: %q is not %s source", mod, m.Dir, version))
	}
	t.Skipf("no Go %s source to compare the patch series with: %s", version, strings.Join(tried, "; "))
	return ""
}

// isGoSource reports whether dir is a Go source tree of version.
func isGoSource(dir, version string) bool {
	if dir == "" {
		return false
	}
	v, err := os.ReadFile(filepath.Join(dir, "VERSION"))
	if err != nil {
		return false
	}
	first, _, _ := strings.Cut(string(v), "\n")
	_, err = os.Stat(filepath.Join(dir, "src", "runtime", "proc.go"))
	return strings.TrimSpace(first) == version && err == nil
}

// buildGoVersion is the GO_VERSION that build.sh patches.
func buildGoVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("build.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^readonly GO_VERSION=(go[0-9.]+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("build.sh: no 'readonly GO_VERSION=go...' line")
	}
	return string(m[1])
}

// fileDiff is one file's part of a git format-patch: its path, whether it is
// created or deleted, and its hunks.
type fileDiff struct {
	patch, path      string
	created, deleted bool
	hunks            []hunk
}

type hunk struct {
	oldStart int      // first old line, 1-based (0 with no old lines)
	body     []string // " ctx", "-old", "+new"
}

var hunkHeader = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@`)

// parsePatch reads the file diffs of one git format-patch file. Renames,
// copies and binary diffs are errors: the series does not use them, and
// this test would not know what they add.
func parsePatch(name string) ([]fileDiff, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	base := filepath.Base(name)
	var (
		out []fileDiff
		cur *fileDiff
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	no := 0
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", base, no, fmt.Sprintf(format, args...))
	}
	for sc.Scan() {
		no++
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "diff --git "):
			a, b, ok := strings.Cut(strings.TrimPrefix(l, "diff --git "), " ")
			if !ok || !strings.HasPrefix(a, "a/") || b != "b/"+a[2:] {
				return nil, fail("cannot read %q (a rename or a quoted path?)", l)
			}
			out = append(out, fileDiff{patch: base, path: a[2:]})
			cur = &out[len(out)-1]
		case cur == nil:
			// the mail header and the diffstat
		case strings.HasPrefix(l, "new file mode "):
			cur.created = true
		case strings.HasPrefix(l, "deleted file mode "):
			cur.deleted = true
		case strings.HasPrefix(l, "rename "), strings.HasPrefix(l, "copy "), strings.HasPrefix(l, "similarity index "),
			strings.HasPrefix(l, "Binary files "), l == "GIT binary patch":
			return nil, fail("%q: renames, copies and binary diffs are not supported", l)
		case strings.HasPrefix(l, "@@ "):
			m := hunkHeader.FindStringSubmatch(l)
			if m == nil {
				return nil, fail("bad hunk header %q", l)
			}
			count := func(s string) int {
				if s == "" {
					return 1
				}
				n, _ := strconv.Atoi(s)
				return n
			}
			start, _ := strconv.Atoi(m[1])
			oldN, newN := count(m[2]), count(m[4])
			h := hunk{oldStart: start}
			for oldN > 0 || newN > 0 {
				if !sc.Scan() {
					return nil, fail("%s: hunk %q ends early", cur.path, l)
				}
				no++
				b := sc.Text()
				switch {
				case strings.HasPrefix(b, `\`):
					continue // "\ No newline at end of file"
				case b == "":
					b = " " // some tools drop the space of an empty context line
					fallthrough
				case b[0] == ' ':
					oldN--
					newN--
				case b[0] == '-':
					oldN--
				case b[0] == '+':
					newN--
				default:
					return nil, fail("%s: unexpected line %q in a hunk", cur.path, b)
				}
				h.body = append(h.body, b)
			}
			if oldN < 0 || newN < 0 {
				return nil, fail("%s: hunk %q has more lines than its header says", cur.path, l)
			}
			cur.hunks = append(cur.hunks, h)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", base, err)
	}
	return out, nil
}

// apply applies d to old (a file's lines) exactly, as patch --fuzz=0 would
// at the stated lines.
func (d fileDiff) apply(old []string) ([]string, error) {
	var out []string
	at := 0 // next old line, 0-based
	for _, h := range d.hunks {
		start := max(h.oldStart-1, 0)
		if h.oldStart == 0 || !slices.ContainsFunc(h.body, func(s string) bool { return s[0] != '+' }) {
			start = h.oldStart // a pure insertion comes after line oldStart
		}
		if start < at || start > len(old) {
			return nil, fmt.Errorf("%s: hunk at line %d is out of order or past the end", d.path, h.oldStart)
		}
		out = append(out, old[at:start]...)
		at = start
		for _, b := range h.body {
			switch b[0] {
			case '+':
				out = append(out, b[1:])
			default:
				if at >= len(old) || old[at] != b[1:] {
					return nil, fmt.Errorf("%s: hunk at line %d does not apply (line %d differs)", d.path, h.oldStart, at+1)
				}
				if b[0] == ' ' {
					out = append(out, old[at])
				}
				at++
			}
		}
	}
	out = append(out, old[at:]...)
	if d.deleted && len(out) != 0 {
		return nil, fmt.Errorf("%s: deleted, but the diff leaves %d lines", d.path, len(out))
	}
	return out, nil
}

// TestGoNoticeDetector runs the check on a made-up Go tree and series, to
// show what counts as shared code and what notice it asks for.
func TestGoNoticeDetector(t *testing.T) {
	goSrc := t.TempDir()
	orig := `func sum(xs []int) int {
	total := 0
	for _, x := range xs {
		if x < 0 {
			continue
		}
		total += x
	}
	return total
}

func max3(a, b, c int) int {
	m := a
	if b > m {
		m = b
	}
	if c > m {
		m = c
	}
	return m
}
`
	writeFile(t, filepath.Join(goSrc, "pkg", "orig_js.go"), goNotice2019+"\npackage pkg\n\n// sum adds.\n"+orig)
	consts := "const (\n\tA = 1\n\tB = 2\n\tC = 3\n\tD = 4\n\tE = 5\n\tF = 6\n\tG = 7\n\tH = 8\n\tI = 9\n\tJ = 10\n)\n"
	writeFile(t, filepath.Join(goSrc, "pkg", "zgen.go"), "// Code generated by gen.go. DO NOT EDIT.\n\npackage pkg\n\n"+consts)

	// The 14 real lines from "func sum" to "return m", laid out differently:
	// spaces for tabs, comments and blank lines in between.
	body := strings.NewReplacer(
		"\t", "    ",
		"total := 0\n", "total := 0 // running total\n\n",
		"if x < 0", "/* negative ones do not count */ if x < 0",
		"}\n\nfunc max3", "}\n// max3 is the largest of three.\nfunc max3",
	).Replace(orig)
	// The first 9 of them.
	nine, _, _ := strings.Cut(orig, "\tif b > m")
	nine += "\treturn m\n}\n"
	aero := "// Copyright 2026 The Aero Authors. All rights reserved.\n// Use of this source code is governed by a BSD-style\n// license that can be found in the LICENSE file.\n"
	both := "// Copyright 2019 The Go Authors. All rights reserved.\n" + aero
	series := t.TempDir()
	writeFile(t, filepath.Join(series, "0001-add.patch"), "Subject: [PATCH 1/2] add\n---\n"+
		newFileDiff("src/a/copied.go", aero+"\npackage a\n\n"+body)+
		newFileDiff("src/a/both.go", both+"\npackage a\n\n"+body)+
		newFileDiff("src/a/wrongyear.go", strings.Replace(goNotice2019, "2019", "2020", 1)+"\npackage a\n\n"+body)+
		newFileDiff("src/a/nine.go", aero+"\npackage a\n\n"+nine)+
		newFileDiff("src/a/gen.go", "// Code generated by gen.go. DO NOT EDIT.\n\npackage a\n\n"+consts)+
		newFileDiff("src/a/own.go", aero+"\npackage a\n\nfunc own() {}\n"))
	// nine.go shares 9 real lines with orig_js.go; 0002 makes that 10.
	writeFile(t, filepath.Join(series, "0002-grow.patch"), "Subject: [PATCH 2/2] grow\n---\n"+
		"diff --git a/src/a/nine.go b/src/a/nine.go\nindex 1111111..2222222 100644\n--- a/src/a/nine.go\n+++ b/src/a/nine.go\n"+
		"@@ -19,3 +19,6 @@ func max3(a, b, c int) int {\n \tm := a\n+\tif b > m {\n+\t\tm++\n+\t}\n \treturn m\n }\n"+
		"diff --git a/src/go/old.go b/src/go/old.go\nindex 3333333..4444444 100644\n--- a/src/go/old.go\n+++ b/src/go/old.go\n"+
		"@@ -1,1 +1,1 @@\n-x\n+y\n")

	files, err := newFiles(series)
	if err != nil {
		t.Fatal(err)
	}
	found, err := sharedRuns(goSrc, files)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]finding{}
	for _, f := range found {
		got[f.file.name+" "+f.file.patch] = f
		t.Log(f)
	}
	for _, c := range []struct {
		state   string
		runs    int    // real lines in the longest run; 0: no finding
		problem string // "" or a part of the problem
	}{
		{"src/a/copied.go 0001-add.patch", 14, "lacks the Go Authors' notice"},
		{"src/a/both.go 0001-add.patch", 14, ""},
		{"src/a/wrongyear.go 0001-add.patch", 14, "says 2020, but the Go files it shares code with say 2019"},
		{"src/a/nine.go 0001-add.patch", 0, ""},
		{"src/a/nine.go 0002-grow.patch", 10, "its lines 7-20 are pkg/orig_js.go lines 8-21 (10 real lines)"},
		{"src/a/gen.go 0001-add.patch", 11, ""}, // zgen.go has no notice to keep
		{"src/a/own.go 0001-add.patch", 0, ""},
	} {
		f, ok := got[c.state]
		switch {
		case c.runs == 0 && ok:
			t.Errorf("%s: found %v, want nothing", c.state, f)
		case c.runs == 0:
		case !ok:
			t.Errorf("%s: nothing found, want a run of %d lines", c.state, c.runs)
		case f.runs[0].n != c.runs:
			t.Errorf("%s: longest run %d lines, want %d", c.state, f.runs[0].n, c.runs)
		case c.problem == "" && f.problem != "":
			t.Errorf("%s: unexpected problem: %s", c.state, f.problem)
		case !strings.Contains(f.problem, c.problem) || c.problem != "" && f.problem == "":
			t.Errorf("%s: problem %q, want it to say %q", c.state, f.problem, c.problem)
		}
	}
	if len(files) != 7 {
		t.Errorf("newFiles returned %d file states, want 7 (6 created by 0001, nine.go again after 0002)", len(files))
	}

	// A change that does not apply, and a rename, are errors.
	bad := t.TempDir()
	writeFile(t, filepath.Join(bad, "0001-add.patch"), newFileDiff("src/a/x.go", "package a\n"))
	writeFile(t, filepath.Join(bad, "0002-change.patch"), "diff --git a/src/a/x.go b/src/a/x.go\n--- a/src/a/x.go\n+++ b/src/a/x.go\n@@ -1,1 +1,1 @@\n-package b\n+package c\n")
	if _, err := newFiles(bad); err == nil || !strings.Contains(err.Error(), "does not apply") {
		t.Errorf("a hunk with the wrong context: err = %v, want 'does not apply'", err)
	}
	writeFile(t, filepath.Join(bad, "0002-change.patch"), "diff --git a/src/a/x.go b/src/a/y.go\nsimilarity index 100%\nrename from src/a/x.go\nrename to src/a/y.go\n")
	if _, err := newFiles(bad); err == nil || !strings.Contains(err.Error(), "rename") {
		t.Errorf("a rename: err = %v, want it named", err)
	}
}

const goNotice2019 = "// Copyright 2019 The Go Authors. All rights reserved.\n// Use of this source code is governed by a BSD-style\n// license that can be found in the LICENSE file.\n"

// newFileDiff is the git diff that creates path with text.
func newFileDiff(path, text string) string {
	lines := strings.SplitAfter(strings.TrimSuffix(text, "\n"), "\n")
	var b strings.Builder
	fmt.Fprintf(&b, "diff --git a/%s b/%s\nnew file mode 100644\nindex 0000000..1234567\n--- /dev/null\n+++ b/%s\n@@ -0,0 +1,%d @@\n", path, path, path, len(lines))
	for _, l := range lines {
		b.WriteString("+" + strings.TrimSuffix(l, "\n") + "\n")
	}
	return b.String()
}

func writeFile(t *testing.T, name, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
