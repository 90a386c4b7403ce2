package cmdline

import (
	"errors"
	"testing"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "quiet", `a="b c" d=e,f`, "test=all loglevel=debug smp=4 mem=2G panic=0",
		`x="unterminated`, "=x", "a\xffb", "mem=1T k=v k=w\x00junk", "heap=50% heap=max heap=8G heap=0",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Offset < 0 || e.Offset > len(b) {
				t.Fatalf("Parse(%q): bad error %v", b, err)
			}
			return
		}
		for _, o := range c.Options {
			if o.Key == "" || !utf8.ValidString(o.Value) || o.Offset < 0 || o.Offset >= len(b) {
				t.Fatalf("Parse(%q): bad option %+v", b, o)
			}
		}
		// The getters must not panic on anything Parse accepted.
		c.Tests()
		c.LogLevel()
		c.Quiet()
		c.SMP()
		c.Mem()
		c.Panic()
		for _, o := range c.Options {
			c.Bool(o.Key, false)
			c.Int(o.Key, 0)
			c.Size(o.Key, 0)
			c.List(o.Key)
		}
	})
}
