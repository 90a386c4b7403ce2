package mm

import (
	"fmt"
	"testing"
)

// The host's figures for what mm/bench measures in the kernel: ns per
// Alloc+Free of mm (over a host buffer: the same code but for the address
// translation) and per make([]byte, n), on one goroutine and on all
// (-cpu N sets how many). go test -bench . -run XXX ./mm
func BenchmarkAllocFree(b *testing.B) {
	for _, size := range []int{4 << 10, 2 << 20} {
		m, _ := newTestMemory(b, 64*mib)
		b.Run(fmt.Sprintf("mm/%d", size), func(b *testing.B) {
			for b.Loop() {
				x, err := m.Alloc(size, 0)
				if err != nil {
					b.Fatal(err)
				}
				if err := m.Free(x); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("mm-parallel/%d", size), func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					x, err := m.Alloc(size, 0)
					if err != nil {
						b.Error(err)
						return
					}
					if err := m.Free(x); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
		b.Run(fmt.Sprintf("heap/%d", size), func(b *testing.B) {
			for b.Loop() {
				sink = make([]byte, size)
			}
		})
		b.Run(fmt.Sprintf("heap-parallel/%d", size), func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				var s []byte
				for pb.Next() {
					s = make([]byte, size)
				}
				_ = s
			})
		})
	}
}

var sink []byte
