module github.com/aerokernel/aero/qemu

go 1.26.5
