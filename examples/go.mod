module github.com/aerokernel/aero/examples

go 1.26.5

require (
	github.com/aerokernel/aero/core v0.0.0
	github.com/aerokernel/aero/net v0.0.0
	github.com/aerokernel/aero/sched v0.0.0
	golang.org/x/sys v0.43.0
)

require (
	github.com/google/btree v1.1.2 // indirect
	github.com/usbarmory/tamago v1.26.6 // indirect
	golang.org/x/exp v0.0.0-20250711185948-6ae5c78190dc // indirect
	golang.org/x/time v0.15.0 // indirect
	gvisor.dev/gvisor v0.0.0-20260527191743-a81fd9dd382e // indirect
)

replace (
	github.com/aerokernel/aero/core => ../core
	github.com/aerokernel/aero/net => ../net
	github.com/aerokernel/aero/sched => ../sched
)
