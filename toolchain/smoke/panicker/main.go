//go:build tamago

// Command panicker boots on core's machine layer and panics on purpose, so
// the host can check a panic reaches the console with a stack trace and
// ends the machine with a failing status.
package main

import (
	"fmt"

	_ "github.com/aerokernel/aero/core/platform" // the machine layer: console, clock, exit
)

// Message is what the host test looks for after "panic: ".
const Message = "aero smoke: deliberate panic"

func main() {
	fmt.Println("panicker: about to panic")
	explode()
}

//go:noinline
func explode() {
	panic(Message)
}
