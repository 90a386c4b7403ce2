package main

import (
	"bytes"
	"slices"
	"testing"
)

// TestCPUFlag: -cpu reaches QEMU's command line as given.
func TestCPUFlag(t *testing.T) {
	o, _, err := parseFlags([]string{"-cpu", "Nehalem", "-accel", "tcg", "-kernel", "k.elf"}, new(bytes.Buffer))
	if err != nil {
		t.Fatal(err)
	}
	args, err := o.Args()
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.Index(args, "-cpu"); i < 0 || i+1 >= len(args) || args[i+1] != "Nehalem" {
		t.Errorf("-cpu Nehalem: QEMU command line %v", args)
	}
}
