package cmdline

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aerokernel/aero/core/kind"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Option
	}{
		{"empty", "", nil},
		{"spaces", " \t\r\n ", nil},
		{"flag", "quiet", []Option{{Key: "quiet", Offset: 0}}},
		{"kv", "loglevel=7", []Option{{Key: "loglevel", Value: "7", HasValue: true}}},
		{"empty value", "foo=", []Option{{Key: "foo", HasValue: true}}},
		{"several", "  a=1\tb  c=x=y", []Option{
			{Key: "a", Value: "1", HasValue: true, Offset: 2},
			{Key: "b", Offset: 6},
			{Key: "c", Value: "x=y", HasValue: true, Offset: 9},
		}},
		{"quoted", `hrt.msg="hello world" x`, []Option{
			{Key: "hrt.msg", Value: "hello world", HasValue: true},
			{Key: "x", Offset: 22},
		}},
		{"quote mid value", `a=b"c d"e`, []Option{{Key: "a", Value: "bc de", HasValue: true}}},
		{"empty quotes", `a=""`, []Option{{Key: "a", HasValue: true}}},
		{"nul stops", "a=1\x00b=\xff\"", []Option{{Key: "a", Value: "1", HasValue: true}}},
		{"utf8", "name=héllo", []Option{{Key: "name", Value: "héllo", HasValue: true}}},
		{"repeated", "x=1 x=2", []Option{
			{Key: "x", Value: "1", HasValue: true},
			{Key: "x", Value: "2", HasValue: true, Offset: 4},
		}},
		{"known ok", "test=all loglevel=debug console=ttyS0 smp=4 mem=2G quiet panic=0", []Option{
			{Key: "test", Value: "all", HasValue: true},
			{Key: "loglevel", Value: "debug", HasValue: true, Offset: 9},
			{Key: "console", Value: "ttyS0", HasValue: true, Offset: 24},
			{Key: "smp", Value: "4", HasValue: true, Offset: 38},
			{Key: "mem", Value: "2G", HasValue: true, Offset: 44},
			{Key: "quiet", Offset: 51},
			{Key: "panic", Value: "0", HasValue: true, Offset: 57},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseString(tt.in)
			if err != nil {
				t.Fatalf("ParseString(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(c.Options, tt.want) {
				t.Errorf("ParseString(%q)\n got %+v\nwant %+v", tt.in, c.Options, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		offset int
		key    string
		msg    string
	}{
		{"unterminated quote", `a=1 b="x y`, 6, "b", "unterminated quote"},
		{"empty key", "a =x", 2, "", "empty key"},
		{"only equals", "=", 0, "", "empty key"},
		{"quote in key", `a"b=1`, 1, "a", "quote in key"},
		{"invalid utf8", "a=\xc3\x28", 2, "", "invalid UTF-8"},
		{"too long", strings.Repeat("a", MaxLen+1), MaxLen, "", "longer than"},
		{"test flag", "test", 0, "test", "needs a value"},
		{"test empty", "test=", 0, "test", "needs a value"},
		{"test empty item", "test=a,,b", 0, "test", "empty test name"},
		{"loglevel bad", "x loglevel=8", 2, "loglevel", "want 0-7"},
		{"loglevel name", "loglevel=verbose", 0, "loglevel", "verbose"},
		{"console empty", "console=", 0, "console", "needs a value"},
		{"smp zero", "smp=0", 0, "smp", "CPU count"},
		{"smp word", "smp=four", 0, "smp", "CPU count"},
		{"mem zero", "mem=0M", 0, "mem", "size > 0"},
		{"mem bad", "mem=2X", 0, "mem", "size > 0"},
		{"mem overflow", "mem=99999999999T", 0, "mem", "size > 0"},
		{"heap flag", "heap", 0, "heap", "needs a value"},
		{"heap word", "smp=2 heap=lots", 6, "heap", HeapSyntax},
		{"heap zero", "heap=0", 0, "heap", HeapSyntax},
		{"heap over 100%", "heap=101%", 0, "heap", HeapSyntax},
		{"quiet bad", "quiet=maybe", 0, "quiet", "boolean"},
		{"panic negative", "panic=-1", 0, "panic", "seconds"},
		{"panic flag", "panic", 0, "panic", "needs a value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseString(tt.in)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("ParseString(%q) = %v, want *Error", tt.in, err)
			}
			if e.Offset != tt.offset || e.Key != tt.key || !strings.Contains(e.Error(), tt.msg) {
				t.Errorf("ParseString(%q) = %q (offset %d key %q), want offset %d key %q containing %q",
					tt.in, e, e.Offset, e.Key, tt.offset, tt.key, tt.msg)
			}
		})
	}
}

func TestMaxLenWithNUL(t *testing.T) {
	b := append([]byte(strings.Repeat("a", MaxLen)), 0, 'x')
	if _, err := Parse(b); err != nil {
		t.Fatalf("MaxLen bytes then NUL: %v", err)
	}
}

func TestGetters(t *testing.T) {
	c, err := ParseString(`x=1 x=2 on flag=no n=-5 big=64M list=a,b list=c,,d s="a b"`)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.String("x", "d"); got != "2" {
		t.Errorf("String(x) = %q", got)
	}
	if got := c.String("missing", "d"); got != "d" {
		t.Errorf("String(missing) = %q", got)
	}
	if got := c.String("s", ""); got != "a b" {
		t.Errorf("String(s) = %q", got)
	}
	if got := c.Values("x"); !reflect.DeepEqual(got, []string{"1", "2"}) {
		t.Errorf("Values(x) = %q", got)
	}
	if got := c.List("list"); !reflect.DeepEqual(got, []string{"a", "b", "c", "d"}) {
		t.Errorf("List(list) = %q", got)
	}
	if !c.Has("on") || c.Has("off") {
		t.Error("Has")
	}
	for _, tc := range []struct {
		key     string
		def     bool
		want    bool
		wantErr bool
	}{
		{"on", false, true, false},
		{"flag", true, false, false},
		{"missing", true, true, false},
		{"n", true, true, true},
	} {
		got, err := c.Bool(tc.key, tc.def)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("Bool(%s) = %v, %v", tc.key, got, err)
		}
	}
	if n, err := c.Int("n", 0); n != -5 || err != nil {
		t.Errorf("Int(n) = %d, %v", n, err)
	}
	if n, err := c.Int("missing", 9); n != 9 || err != nil {
		t.Errorf("Int(missing) = %d, %v", n, err)
	}
	if n, err := c.Int("big", 9); n != 9 || err == nil || !strings.Contains(err.Error(), "big") {
		t.Errorf("Int(big) = %d, %v", n, err)
	}
	if n, err := c.Size("big", 0); n != 64<<20 || err != nil {
		t.Errorf("Size(big) = %d, %v", n, err)
	}
	if n, err := c.Size("flag", 7); n != 7 || err == nil {
		t.Errorf("Size(flag) = %d, %v", n, err)
	}
	if n, err := c.Size("missing", 7); n != 7 || err != nil {
		t.Errorf("Size(missing) = %d, %v", n, err)
	}
	var nilc *Cmdline
	if nilc.Has("x") || nilc.String("x", "d") != "d" || nilc.List("x") != nil || nilc.LogLevel() != DefaultLogLevel {
		t.Error("nil Cmdline getters")
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true}, {"4096", 4096, true}, {"1k", 1 << 10, true}, {"64M", 64 << 20, true},
		{"2G", 2 << 30, true}, {"3t", 3 << 40, true},
		{"", 0, false}, {"M", 0, false}, {"-1M", 0, false}, {"+1", 0, false}, {"1.5G", 0, false},
		{"1MB", 0, false}, {"17179869184G", 0, false},
	} {
		got, err := ParseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v", tc.in, got, err)
		}
	}
}

func TestParseHeap(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want HeapOption
	}{
		{"8G", HeapOption{Bytes: 8 << 30}}, {"512m", HeapOption{Bytes: 512 << 20}}, {"4096", HeapOption{Bytes: 4096}},
		{"50%", HeapOption{Percent: 50}}, {"1%", HeapOption{Percent: 1}}, {"100%", HeapOption{Percent: 100}},
		{"max", HeapOption{Max: true}},
		{"", HeapOption{}}, {"0", HeapOption{}}, {"0G", HeapOption{}}, {"0%", HeapOption{}}, {"101%", HeapOption{}},
		{"%", HeapOption{}}, {"50%%", HeapOption{}}, {"-5%", HeapOption{}}, {"1.5G", HeapOption{}}, {"MAX", HeapOption{}},
		{"8GB", HeapOption{}}, {"17179869184G", HeapOption{}}, {"99999999999999999999", HeapOption{}},
		{"18446744073709551616%", HeapOption{}},
	} {
		got, msg := ParseHeap(tc.in)
		if got != tc.want || (msg == "") != (tc.want != HeapOption{}) {
			t.Errorf("ParseHeap(%q) = %+v, %q; want %+v", tc.in, got, msg, tc.want)
		}
		if msg != "" && msg != HeapSyntax {
			t.Errorf("ParseHeap(%q): message %q, want HeapSyntax", tc.in, msg)
		}
	}
}

func TestKnownOptions(t *testing.T) {
	tests := []struct {
		in       string
		run, all bool
		names    []string
		level    int
		quiet    bool
		smp      int
		mem      uint64
		panicS   int
		panicSet bool
	}{
		{in: "", level: DefaultLogLevel},
		{in: "test=all", run: true, all: true, level: 6},
		{in: "test=acpi,smp test=mm", run: true, names: []string{"acpi", "smp", "mm"}, level: 6},
		{in: "test=all,acpi", run: true, all: true, names: []string{"acpi"}, level: 6},
		{in: "loglevel=3", level: 3},
		{in: "loglevel=emerg", level: 0},
		{in: "loglevel=debug loglevel=warning", level: 4},
		{in: "quiet", level: LevelWarning, quiet: true},
		{in: "quiet loglevel=7", level: 7, quiet: true},
		{in: "quiet=false", level: 6},
		{in: "console=ttyS1 smp=2 mem=512M panic=10", level: 6, smp: 2, mem: 512 << 20, panicS: 10, panicSet: true},
		{in: "panic=0", level: 6, panicSet: true},
		{in: "hrt.threads=8 debug", level: 6},
	}
	for _, tt := range tests {
		c, err := ParseString(tt.in)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		run, all, names := c.Tests()
		if run != tt.run || all != tt.all || !reflect.DeepEqual(names, tt.names) {
			t.Errorf("%q: Tests() = %v %v %q", tt.in, run, all, names)
		}
		ps, pset := c.Panic()
		if c.LogLevel() != tt.level || c.Quiet() != tt.quiet ||
			c.SMP() != tt.smp || c.Mem() != tt.mem || ps != tt.panicS || pset != tt.panicSet {
			t.Errorf("%q: level %d quiet %v smp %d mem %d panic %d %v", tt.in,
				c.LogLevel(), c.Quiet(), c.SMP(), c.Mem(), ps, pset)
		}
	}
}

func TestCrashOption(t *testing.T) {
	for _, kind := range Crashes {
		if _, err := ParseString("crash=" + kind); err != nil {
			t.Errorf("crash=%s: %v", kind, err)
		}
	}
	for _, bad := range []string{"crash", "crash=oops", "crash=Panic"} {
		if _, err := ParseString(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// The options choosing a module are the table's command-line keys: each
// takes a name, needs one, and is read back as given.
func TestModuleOptions(t *testing.T) {
	n := 0
	for _, k := range kind.All {
		if k.CmdlineKey == "" {
			continue
		}
		n++
		c, err := ParseString(k.CmdlineKey + "=mine")
		if err != nil || c.String(k.CmdlineKey, "") != "mine" {
			t.Errorf("%s=mine: %v, value %q", k.CmdlineKey, err, c.String(k.CmdlineKey, ""))
		}
		for _, bad := range []string{k.CmdlineKey, k.CmdlineKey + "="} {
			_, err := ParseString("quiet " + bad)
			var e *Error
			if !errors.As(err, &e) || e.Key != k.CmdlineKey || e.Offset != len("quiet ") || !strings.Contains(e.Msg, k.Noun) {
				t.Errorf("%q: error %v, want one at offset 6 naming %s and a %s", bad, err, k.CmdlineKey, k.Noun)
			}
		}
	}
	if n < 5 {
		t.Fatalf("only %d kinds have a command-line key", n)
	}
	// Not module choices: the kinds' other words, and drivers (every
	// linked driver probes; nothing chooses one).
	for _, s := range []string{"scheduler", "nic", "block"} {
		if _, err := ParseString(s); err != nil {
			t.Errorf("%q is not a module option, but: %v", s, err)
		}
	}
}
