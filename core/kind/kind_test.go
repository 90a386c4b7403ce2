package kind

import (
	"go/token"
	"slices"
	"strings"
	"testing"
)

// Each column that names a kind somewhere (core, configs, command lines)
// must name exactly one.
func TestColumnsUnique(t *testing.T) {
	for _, c := range []struct {
		col      string
		get      func(Kind) string
		optional bool // may be empty (drivers have no command-line key)
	}{
		{"Name", func(k Kind) string { return k.Name }, false},
		{"ConfigKey", func(k Kind) string { return k.ConfigKey }, false},
		{"CmdlineKey", func(k Kind) string { return k.CmdlineKey }, true},
		{"Register", func(k Kind) string { return k.Register }, false},
		{"Field", func(k Kind) string { return k.Field }, false},
		{"Noun", func(k Kind) string { return k.Noun }, false},
	} {
		seen := map[string]string{}
		for _, k := range All {
			v := c.get(k)
			if v == "" {
				if !c.optional {
					t.Errorf("%s: empty %s", k.Name, c.col)
				}
				continue
			}
			if other, dup := seen[v]; dup {
				t.Errorf("%s %q is both %s's and %s's", c.col, v, other, k.Name)
			}
			seen[v] = k.Name
		}
	}
}

// The words configs and command lines use must be single plain words, and
// the core identifiers must be exported Go names.
func TestColumnsWellFormed(t *testing.T) {
	plain := func(s string) bool {
		return s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz") == ""
	}
	for _, k := range All {
		if !plain(k.Name) || !plain(k.ConfigKey) {
			t.Errorf("%+v: name and config key must be lower-case letters", k)
		}
		if k.CmdlineKey != "" && !plain(k.CmdlineKey) {
			t.Errorf("%+v: command-line key must be lower-case letters", k)
		}
		if !token.IsExported(k.Register) || !strings.HasPrefix(k.Register, "Register") || !token.IsExported(k.Field) {
			t.Errorf("%+v: Register must be an exported core.Register* function, Field an exported field", k)
		}
		// A driver is not chosen, so it has no option to choose it with;
		// a required kind must have one.
		if k.Required != (k.CmdlineKey != "") {
			t.Errorf("%s: required %v but command-line key %q", k.Name, k.Required, k.CmdlineKey)
		}
	}
}

// The order is one sequence: required kinds (chosen and initialised one by
// one) before drivers (probed once the modules are up).
func TestOrder(t *testing.T) {
	drivers := false
	for i, k := range All {
		if !k.Required {
			drivers = true
		} else if drivers {
			t.Errorf("required kind %s at %d comes after a driver kind", k.Name, i)
		}
	}
	// Required is All's required rows, in All's order.
	var want []Kind
	for _, k := range All {
		if k.Required {
			want = append(want, k)
		}
	}
	if got := Required(); !slices.Equal(got, want) || len(got) == 0 {
		t.Errorf("Required() = %v, want %v", got, want)
	}
}

func TestLookups(t *testing.T) {
	for _, k := range All {
		for _, c := range []struct {
			by  string
			got func() (Kind, bool)
		}{
			{"Lookup", func() (Kind, bool) { return Lookup(k.Name) }},
			{"ByConfigKey", func() (Kind, bool) { return ByConfigKey(k.ConfigKey) }},
			{"ByRegister", func() (Kind, bool) { return ByRegister(k.Register) }},
			{"ByCmdlineKey", func() (Kind, bool) { return ByCmdlineKey(k.CmdlineKey) }},
		} {
			got, ok := c.got()
			if c.by == "ByCmdlineKey" && k.CmdlineKey == "" {
				if ok {
					t.Errorf("ByCmdlineKey(%q) found %s", "", got.Name)
				}
				continue
			}
			if !ok || got != k {
				t.Errorf("%s for %s: %+v %v", c.by, k.Name, got, ok)
			}
		}
	}
	if k, ok := ByCmdlineKey("scheduler"); ok {
		t.Errorf(`ByCmdlineKey("scheduler") = %s: the option is sched=`, k.Name)
	}
	if _, ok := Lookup("sched"); ok {
		t.Error(`Lookup("sched") found a kind: sched is the command-line key, not the name`)
	}
	if _, ok := ByRegister("Register"); ok {
		t.Error(`ByRegister("Register") found a kind`)
	}
}
