module github.com/aerokernel/aero/core

go 1.26.5

require github.com/usbarmory/tamago v1.26.6
