module github.com/aerokernel/aero/numa

go 1.26.5

require (
	github.com/aerokernel/aero/core v0.0.0
	github.com/aerokernel/aero/qemu v0.0.0
)

require (
	github.com/aerokernel/aero/image v0.0.0 // indirect
	github.com/usbarmory/tamago v1.26.6 // indirect
)

replace (
	github.com/aerokernel/aero/core => ../core
	github.com/aerokernel/aero/image => ../image
	github.com/aerokernel/aero/qemu => ../qemu
)
