// Package toolchain is the home of Aero's GOOS=tamago Go toolchain: a patch
// series against Go 1.26.8 (patches/) and build.sh, which builds it into a
// per-user cache; see README.md. The Go code in this module tests that
// toolchain.
package toolchain
