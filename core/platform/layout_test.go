package platform

import (
	"testing"

	"github.com/aerokernel/aero/core/hw"
)

const mib = 1 << 20

func r(base, end uint64) hw.Range { return hw.Range{Base: base, Size: end - base} }

func TestLayOutHeap(t *testing.T) {
	low := r(0, 0x9fc00) // the first 639 KiB, as SeaBIOS reports it
	image := r(1*mib, 37*mib+0x123)
	imageEnd := uint64(37*mib + pageSize)
	for _, c := range []struct {
		name  string
		ram   []hw.Range
		image hw.Range
		avoid []hw.Range
		want  hw.Range // zero: layOutHeap must fail
	}{
		{"q35 128M", []hw.Range{low, r(1*mib, 0x7fe0000)}, image, nil, r(imageEnd, 0x7fe0000)},
		{"q35 2G: RAM above 4 GiB is past the ceiling",
			[]hw.Range{low, r(1*mib, 0x7ffe0000), r(4<<30, 6<<30)}, image, nil, r(imageEnd, 0x7ffe0000)},
		{"8G in one range: cut at the ceiling", []hw.Range{r(1*mib, 8<<30)}, image, nil, r(imageEnd, heapCeiling)},
		{"touching ranges join", []hw.Range{low, r(1*mib, 64*mib), r(64*mib, 128*mib)}, image, nil, r(imageEnd, 128*mib)},
		{"overlapping ranges join", []hw.Range{r(1*mib, 80*mib), r(64*mib, 128*mib)}, image, nil, r(imageEnd, 128*mib)},
		{"a hole after a short run: the larger run above it",
			[]hw.Range{low, r(1*mib, 40*mib), r(64*mib, 512*mib)}, image, nil, r(64*mib, 512*mib)},
		{"a hole: the larger run is the image's", []hw.Range{low, r(1*mib, 400*mib), r(401*mib, 500*mib)}, image, nil, r(imageEnd, 400*mib)},
		{"the image in the way: nothing below its end",
			[]hw.Range{r(1*mib, 512*mib)}, r(300*mib, 340*mib), nil, r(340*mib, 512*mib)},
		{"a module after the image splits the run: the larger part",
			[]hw.Range{r(1*mib, 512*mib)}, image, []hw.Range{r(60*mib, 61*mib+1)}, r(61*mib+pageSize, 512*mib)},
		{"a module at the top of RAM", []hw.Range{r(1*mib, 128*mib)}, image, []hw.Range{r(120*mib, 128*mib)}, r(imageEnd, 120*mib)},
		{"an empty avoided range changes nothing", []hw.Range{r(1*mib, 128*mib)}, image, []hw.Range{{Base: 50 * mib}}, r(imageEnd, 128*mib)},
		{"unaligned RAM is trimmed to pages", []hw.Range{r(1*mib, 100*mib+123)}, image, nil, r(imageEnd, 100*mib)},
		{"an image linked low still leaves the first MiB alone", []hw.Range{r(0, 128*mib)}, r(0x8000, 0x9000), nil, r(1*mib, 128*mib)},
		{"too little RAM", []hw.Range{low, r(1*mib, 64*mib)}, image, nil, hw.Range{}},
		{"just too little", []hw.Range{r(1*mib, imageEnd+heapNeed-pageSize)}, image, nil, hw.Range{}},
		{"just enough", []hw.Range{r(1*mib, imageEnd+heapNeed)}, image, nil, r(imageEnd, imageEnd+heapNeed)},
		{"RAM only below 1 MiB", []hw.Range{low}, image, nil, hw.Range{}},
		{"no memory map", nil, image, nil, hw.Range{}},
		{"RAM only past the ceiling", []hw.Range{low, r(4<<30, 8<<30)}, image, nil, hw.Range{}},
		{"the image's run is too small and there is no other", []hw.Range{r(1*mib, 60*mib), r(3<<30, 4<<30)}, image, nil, hw.Range{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, ok := layOutHeap(c.ram, c.image, c.avoid)
			if c.want.Size == 0 {
				if ok {
					t.Fatalf("laid out %+v, want a failure", l)
				}
				if want := roundUp(c.image.Base+c.image.Size) + heapNeed; l.Need < want {
					t.Errorf("Need = %d MiB, want at least %d MiB", l.Need/mib, want/mib)
				}
				return
			}
			if !ok {
				t.Fatalf("failed (heap %#x+%#x, need %d MiB), want heap %#x-%#x", l.Heap.Base, l.Heap.Size, l.Need/mib, c.want.Base, c.want.End())
			}
			if l.Heap != c.want {
				t.Fatalf("heap %#x-%#x, want %#x-%#x", l.Heap.Base, l.Heap.End(), c.want.Base, c.want.End())
			}
			if l.Bloc != c.want.Base || l.RamStart != c.image.Base&^(pageSize-1) || l.RamStart+l.RamSize != c.want.End() {
				t.Errorf("RamStart %#x RamSize %#x Bloc %#x for heap %#x-%#x", l.RamStart, l.RamSize, l.Bloc, c.want.Base, c.want.End())
			}
			// Whatever the map, the heap never overlaps the image, an
			// avoided range, the first MiB or the MMIO hole.
			for _, a := range append([]hw.Range{c.image, r(0, lowMemoryEnd)}, c.avoid...) {
				if a.Size > 0 && a.Base < l.Heap.End() && l.Heap.Base < a.End() {
					t.Errorf("heap %#x-%#x overlaps %#x-%#x", l.Heap.Base, l.Heap.End(), a.Base, a.End())
				}
			}
			if l.Heap.End() > heapCeiling {
				t.Errorf("heap ends at %#x, past the ceiling", l.Heap.End())
			}
		})
	}
}
