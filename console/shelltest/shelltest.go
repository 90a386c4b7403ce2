// Package shelltest adds commands for the console's boot tests
// (configs/console-test links it): a command that panics, to show the
// shell reports it and goes on, and one that fails. Being a separate
// module package, it also shows that a module's commands appear exactly
// when it is linked.
package shelltest

import (
	"errors"
	"io"

	"github.com/aerokernel/aero/core"
)

func init() {
	core.AddCommand(core.Command{Name: "oops", Usage: "[go]", Help: "panic on purpose (console tests); go: in a new goroutine, which kills the kernel", Run: func(args []string, w io.Writer) error {
		switch {
		case len(args) == 0:
			var m map[string]int
			m["nil map"]++ // a runtime error panic, with a stack through this function
		case len(args) == 1 && args[0] == "go":
			go func() { panic("shelltest: an unrecovered panic in a goroutine") }()
			select {}
		default:
			return core.UsageError("nothing, or go")
		}
		return nil
	}})
	core.AddCommand(core.Command{Name: "fail", Help: "fail on purpose (console tests)", Run: func([]string, io.Writer) error {
		return errors.New("failed on purpose")
	}})
}
