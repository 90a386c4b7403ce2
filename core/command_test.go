package core

import (
	"errors"
	"io"
	"testing"
)

func TestAddCommand(t *testing.T) {
	run := func([]string, io.Writer) error { return nil }
	AddCommand(Command{Name: "zz-test-b", Help: "b", Run: run})
	AddCommand(Command{Name: "zz-test-a", Usage: "X", Help: "a", Run: run})
	var names []string
	for _, c := range Commands() {
		if c.Name == "zz-test-a" || c.Name == "zz-test-b" {
			names = append(names, c.Name)
		}
	}
	if len(names) != 2 || names[0] != "zz-test-a" {
		t.Errorf("Commands: %v, want sorted a, b", names)
	}
	if c, ok := LookupCommand("zz-test-a"); !ok || c.Usage != "X" {
		t.Errorf("LookupCommand: %+v %v", c, ok)
	}
	for _, bad := range []Command{
		{Name: "zz-test-a", Help: "dup", Run: run},
		{Name: "two words", Help: "x", Run: run},
		{Name: "norun", Help: "x"},
		{Name: "", Help: "x", Run: run},
		{Name: "zz-test-c", Help: "two\nlines", Run: run},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("AddCommand(%+v) did not panic", bad.Name)
				}
			}()
			AddCommand(bad)
		}()
	}
	if err := UsageError("want %d", 1); !errors.Is(err, ErrUsage) || err.Error() != "bad arguments: want 1" {
		t.Errorf("UsageError: %v", err)
	}
}
