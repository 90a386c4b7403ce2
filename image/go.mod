module github.com/aerokernel/aero/image

go 1.26.5
