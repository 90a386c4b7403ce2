module github.com/aerokernel/aero/console

go 1.26.5

require (
	github.com/aerokernel/aero/core v0.0.0
	github.com/aerokernel/aero/qemu v0.0.0
	github.com/usbarmory/tamago v1.26.6
)

replace (
	github.com/aerokernel/aero/core => ../core
	github.com/aerokernel/aero/qemu => ../qemu
)
