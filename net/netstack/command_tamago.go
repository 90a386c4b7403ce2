//go:build tamago && amd64

package netstack

import (
	"io"
	"strings"

	"github.com/aerokernel/aero/core"
)

func init() {
	core.AddCommand(core.Command{Name: "net", Help: "the network interfaces: addresses and per-NIC counters (packets, bytes, drops, errors)", Run: netCommand})
}

// netCommand prints Stack.Report. Like package net's first use, it brings
// the stack up if nothing has yet (Start).
func netCommand(args []string, w io.Writer) error {
	if len(args) > 0 {
		return core.UsageError("no arguments expected, got %q", strings.Join(args, " "))
	}
	st, err := Start()
	if err != nil {
		return err
	}
	st.Report(w)
	return nil
}
