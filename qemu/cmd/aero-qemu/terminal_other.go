//go:build !linux

package main

import "os"

// rawTerminal is Linux only; elsewhere keys are passed on by lines, as the
// terminal's own line editing gives them.
func rawTerminal(*os.File) (restore func(), ok bool) { return nil, false }
