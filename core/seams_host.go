//go:build !(tamago && amd64)

package core

// On a host there is no machine to switch: kernel output and time stay the
// host's (core's host tests run chooseModules with fakes).
func useConsole(Console) {}
func useClock(Clock)     {}
