module github.com/aerokernel/aero/core

go 1.26.5
