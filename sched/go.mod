module github.com/aerokernel/aero/sched

go 1.26.5

require (
	github.com/aerokernel/aero/core v0.0.0
	github.com/usbarmory/tamago v1.26.6
	golang.org/x/sys v0.43.0
)

replace github.com/aerokernel/aero/core => ../core
