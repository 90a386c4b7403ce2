module github.com/aerokernel/aero/qemu

go 1.26.5

require (
	github.com/aerokernel/aero/core v0.0.0
	github.com/aerokernel/aero/image v0.0.0
	github.com/aerokernel/aero/sched v0.0.0
)

replace (
	github.com/aerokernel/aero/core => ../core
	github.com/aerokernel/aero/image => ../image
	github.com/aerokernel/aero/sched => ../sched
)
