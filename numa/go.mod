module github.com/aerokernel/aero/numa

go 1.26.5

require github.com/aerokernel/aero/core v0.0.0

replace github.com/aerokernel/aero/core => ../core
