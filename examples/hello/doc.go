// Package hello is the smallest hybrid runtime (HRT) on Aero: see hello.go
// (GOOS=tamago only) and configs/hello.
package hello
