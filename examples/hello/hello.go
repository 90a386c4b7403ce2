//go:build tamago && amd64

// Package hello is the smallest hybrid runtime (HRT): its entry point,
// named in a config (configs/hello: entry .../examples/hello.Main), runs
// after core.Boot has brought the machine up. It puts a goroutine on every
// CPU at once, each summing its share of a series, prints the total and
// where each part ran, and returns, which ends the machine with success.
package hello

import (
	"fmt"

	"github.com/aerokernel/aero/core"
)

// N is the length of the series 1..N that the CPUs sum together.
const N = 100_000_000

// Main is the HRT entry.
func Main() {
	k := core.Running()
	parts := make([]uint64, len(k.CPUs))
	ids, err := core.OnEveryCPU(func(i int) {
		lo, hi := uint64(i)*N/uint64(len(parts))+1, uint64(i+1)*N/uint64(len(parts))
		var s uint64
		for x := lo; x <= hi; x++ {
			s += x
		}
		parts[i] = s
	})
	if err != nil {
		panic(err)
	}
	var total uint64
	for _, p := range parts {
		total += p
	}
	want := uint64(N) * (N + 1) / 2
	fmt.Printf("hello: %d CPUs summed 1..%d = %d (want %d) on APIC IDs %v, nodes %v\n",
		len(parts), uint64(N), total, want, ids, nodes(k))
	if total != want {
		panic("hello: wrong sum")
	}
}

func nodes(k *core.Kernel) []int {
	var n []int
	for _, c := range k.CPUs {
		n = append(n, c.Node)
	}
	return n
}
