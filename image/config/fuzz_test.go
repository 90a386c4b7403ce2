package config

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// FuzzParseGenerate: Parse never panics, and whatever it and Resolve accept
// generates parseable Go.
func FuzzParseGenerate(f *testing.F) {
	f.Add(base)
	f.Add(base + "nic virtio\nmodule example.com/a\nentry example.com/hrt.Main\ncmdline x=1\n")
	f.Add("name a\nscheduler example.com/s\nmemory buddy\ntopology acpi\nconsole 16550\nclock default\nentry github.com/aerokernel/aero/core.X\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := Parse("f", strings.NewReader(in))
		if err != nil {
			return
		}
		src, err := Generate(c, testRegistry())
		if err != nil {
			return
		}
		if _, err := parser.ParseFile(token.NewFileSet(), "main.go", src, 0); err != nil {
			t.Fatalf("%q generated unparseable Go: %v\n%s", in, err, src)
		}
	})
}

func TestGenerateHandBuiltConfig(t *testing.T) {
	c := &Config{File: "x", Name: "a\nb", Modules: map[string]string{}}
	if _, err := Generate(c, DefaultRegistry()); err == nil || !strings.Contains(err.Error(), `x: invalid name "a\nb"`) {
		t.Errorf("got %v", err)
	}
}
