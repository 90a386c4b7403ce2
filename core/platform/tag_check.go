//go:build tamago && !linkcpuinit

package platform

// Aero replaces tamago's cpuinit with its own, which keeps the boot loader's
// information: build with -tags linkcpuinit (the image tool does).
var _ = build_with_tags_linkcpuinit
