module github.com/aerokernel/aero/net

go 1.26.5

require github.com/aerokernel/aero/core v0.0.0

require github.com/usbarmory/tamago v1.26.6 // indirect

replace github.com/aerokernel/aero/core => ../core
