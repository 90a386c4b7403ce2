package platform

import (
	"testing"

	"github.com/aerokernel/aero/core/cmdline"
	"github.com/aerokernel/aero/core/hw"
)

const mib = 1 << 20

func r(base, end uint64) hw.Range { return hw.Range{Base: base, Size: end - base} }

func TestLayOutHeap(t *testing.T) {
	low := r(0, 0x9fc00) // the first 639 KiB, as SeaBIOS reports it
	image := r(1*mib, 37*mib+0x123)
	imageEnd := uint64(37*mib + pageSize)
	q35_128M := []hw.Range{low, r(1*mib, 0x7fe0000)}
	q35_4G := []hw.Range{low, r(1*mib, 0x7ffe0000), r(4<<30, 6<<30)}
	q35_12G := []hw.Range{low, r(1*mib, 0x7ffe0000), r(4<<30, 14<<30)}
	// half is the default heap for ram: DefaultHeapPercent of it.
	half := func(ram []hw.Range) uint64 { return ramTotal(ram) / 100 * cmdline.DefaultHeapPercent &^ (pageSize - 1) }
	size := func(s uint64) cmdline.HeapOption { return cmdline.HeapOption{Bytes: s} }
	pct := func(p uint64) cmdline.HeapOption { return cmdline.HeapOption{Percent: p} }
	maxHeap := cmdline.HeapOption{Max: true}
	for _, c := range []struct {
		name    string
		ram     []hw.Range
		image   hw.Range
		avoid   []hw.Range
		opt     cmdline.HeapOption
		given   bool
		stretch hw.Range    // the stretch chosen
		heap    uint64      // the heap's size, when it is laid out
		fail    heapFailure // else why not
	}{
		{"q35 128M: half of RAM above the image", q35_128M, image, nil, cmdline.HeapOption{}, false,
			r(imageEnd, 0x7fe0000), half(q35_128M), heapOK},
		{"q35 4G: the 2 GiB above 4 GiB, a little more than below", q35_4G, image, nil, cmdline.HeapOption{}, false,
			r(4<<30, 6<<30), min(half(q35_4G), 2<<30-bootStackReserve), heapOK},
		{"q35 12G: the 10 GiB above 4 GiB", q35_12G, image, nil, cmdline.HeapOption{}, false,
			r(4<<30, 14<<30), half(q35_12G), heapOK},
		{"q35 12G heap=max", q35_12G, image, nil, maxHeap, true, r(4<<30, 14<<30), 10<<30 - bootStackReserve, heapOK},
		{"q35 12G heap=8G", q35_12G, image, nil, size(8 << 30), true, r(4<<30, 14<<30), 8 << 30, heapOK},
		{"q35 12G heap=75%", q35_12G, image, nil, pct(75), true, r(4<<30, 14<<30), ramTotal(q35_12G) / 100 * 75 &^ (pageSize - 1), heapOK},
		{"q35 12G heap=90%: more than the stretch", q35_12G, image, nil, pct(90), true, r(4<<30, 14<<30), 0, heapTooBig},
		{"q35 12G heap=11G: more than the stretch", q35_12G, image, nil, size(11 << 30), true, r(4<<30, 14<<30), 0, heapTooBig},
		{"heap=10G exactly: the boot stack does not fit above", q35_12G, image, nil, size(10 << 30), true, r(4<<30, 14<<30), 0, heapTooBig},
		{"heap=16M: less than the least heap", q35_12G, image, nil, size(16 * mib), true, r(4<<30, 14<<30), 0, heapTooSmall},
		{"heap=1%: less than the least heap", q35_128M, image, nil, pct(1), true, r(imageEnd, 0x7fe0000), 0, heapTooSmall},
		{"heap=1T: past the map", q35_12G, image, nil, size(1 << 40), true, r(4<<30, 14<<30), 0, heapTooBig},
		{"heap= unaligned is rounded up to a page", q35_128M, image, nil, size(40*mib + 1), true, r(imageEnd, 0x7fe0000), 40*mib + pageSize, heapOK},
		{"heap=max on 128M", q35_128M, image, nil, maxHeap, true, r(imageEnd, 0x7fe0000), 0x7fe0000 - imageEnd - bootStackReserve, heapOK},
		{"the default is at least the least heap", []hw.Range{r(1*mib, 60*mib)}, r(1*mib, 2*mib), nil, cmdline.HeapOption{}, false,
			r(2*mib, 60*mib), minHeap, heapOK},
		{"the default is at most the stretch", []hw.Range{r(1*mib, imageEnd+heapNeed)}, image, nil, cmdline.HeapOption{}, false,
			r(imageEnd, imageEnd+heapNeed), minHeap, heapOK},
		{"8G in one range: cut at the uncached hole, the part above is larger", []hw.Range{r(1*mib, 8<<30)}, image, nil, maxHeap, true,
			r(4<<30, 8<<30), 4<<30 - bootStackReserve, heapOK},
		{"pc 3.5G: RAM in the uncached 3-4 GiB is not heap", []hw.Range{low, r(1*mib, 3584*mib)}, image, nil, maxHeap, true,
			r(imageEnd, 3<<30), 3<<30 - imageEnd - bootStackReserve, heapOK},
		{"RAM past the map is not heap", []hw.Range{low, r(1*mib, 2<<30), r(4<<30, 100<<30)}, image, nil, maxHeap, true,
			r(4<<30, mapTop), mapTop - 4<<30 - bootStackReserve, heapOK},
		{"touching ranges join", []hw.Range{low, r(1*mib, 64*mib), r(64*mib, 128*mib)}, image, nil, maxHeap, true,
			r(imageEnd, 128*mib), 128*mib - imageEnd - bootStackReserve, heapOK},
		{"overlapping ranges join", []hw.Range{r(1*mib, 80*mib), r(64*mib, 128*mib)}, image, nil, maxHeap, true,
			r(imageEnd, 128*mib), 128*mib - imageEnd - bootStackReserve, heapOK},
		{"a hole after a short run: the larger run above it", []hw.Range{low, r(1*mib, 40*mib), r(64*mib, 512*mib)}, image, nil, maxHeap, true,
			r(64*mib, 512*mib), 448*mib - bootStackReserve, heapOK},
		{"the image in the way: nothing below its end", []hw.Range{r(1*mib, 512*mib)}, r(300*mib, 340*mib), nil, maxHeap, true,
			r(340*mib, 512*mib), 172*mib - bootStackReserve, heapOK},
		{"a module after the image splits the run: the larger part", []hw.Range{r(1*mib, 512*mib)}, image, []hw.Range{r(60*mib, 61*mib+1)}, maxHeap, true,
			r(61*mib+pageSize, 512*mib), 512*mib - 61*mib - pageSize - bootStackReserve, heapOK},
		{"a module at the top of RAM", []hw.Range{r(1*mib, 128*mib)}, image, []hw.Range{r(120*mib, 128*mib)}, maxHeap, true,
			r(imageEnd, 120*mib), 120*mib - imageEnd - bootStackReserve, heapOK},
		{"a module above 4 GiB", q35_12G, image, []hw.Range{r(5<<30, 5<<30+mib)}, maxHeap, true,
			r(5<<30+mib, 14<<30), 9<<30 - mib - bootStackReserve, heapOK},
		{"an empty avoided range changes nothing", []hw.Range{r(1*mib, 128*mib)}, image, []hw.Range{{Base: 50 * mib}}, maxHeap, true,
			r(imageEnd, 128*mib), 128*mib - imageEnd - bootStackReserve, heapOK},
		{"unaligned RAM is trimmed to pages", []hw.Range{r(1*mib, 100*mib+123)}, image, nil, maxHeap, true,
			r(imageEnd, 100*mib), 100*mib - imageEnd - bootStackReserve, heapOK},
		{"an image linked low still leaves the first MiB alone", []hw.Range{r(0, 128*mib)}, r(0x8000, 0x9000), nil, maxHeap, true,
			r(1*mib, 128*mib), 127*mib - bootStackReserve, heapOK},
		{"too little RAM", []hw.Range{low, r(1*mib, 64*mib)}, image, nil, cmdline.HeapOption{}, false, r(imageEnd, 64*mib), 0, heapNoRoom},
		{"too little RAM whatever heap= says", []hw.Range{low, r(1*mib, 64*mib)}, image, nil, size(1 << 30), true, r(imageEnd, 64*mib), 0, heapNoRoom},
		{"just too little", []hw.Range{r(1*mib, imageEnd+heapNeed-pageSize)}, image, nil, cmdline.HeapOption{}, false,
			r(imageEnd, imageEnd+heapNeed-pageSize), 0, heapNoRoom},
		{"RAM only below 1 MiB", []hw.Range{low}, image, nil, cmdline.HeapOption{}, false, hw.Range{}, 0, heapNoRoom},
		{"no memory map", nil, image, nil, cmdline.HeapOption{}, false, hw.Range{}, 0, heapNoRoom},
		{"RAM only in the uncached hole", []hw.Range{low, r(1*mib, 60*mib), r(3<<30, 4<<30)}, image, nil, cmdline.HeapOption{}, false,
			r(imageEnd, 60*mib), 0, heapNoRoom},
		{"RAM only past the map", []hw.Range{low, r(64<<30, 128<<30)}, image, nil, cmdline.HeapOption{}, false, hw.Range{}, 0, heapNoRoom},
	} {
		t.Run(c.name, func(t *testing.T) {
			var l heapLayout
			fail := layOutHeap(&l, c.ram, c.image, c.avoid, &c.opt, c.given)
			if l.Stretch != c.stretch {
				t.Errorf("stretch %#x-%#x, want %#x-%#x", l.Stretch.Base, l.Stretch.End(), c.stretch.Base, c.stretch.End())
			}
			if c.heap == 0 {
				if fail != c.fail {
					t.Fatalf("failure %d, want %d (laid out %+v)", fail, c.fail, l)
				}
				if fail == heapNoRoom {
					if want := roundUp(c.image.Base+c.image.Size) + heapNeed; l.Need < want {
						t.Errorf("Need = %d MiB, want at least %d MiB", l.Need/mib, want/mib)
					}
				}
				return
			}
			if fail != heapOK {
				t.Fatalf("failure %d (stretch %#x+%#x, want %d MiB), want a heap of %#x", fail, l.Stretch.Base, l.Stretch.Size, l.Want/mib, c.heap)
			}
			if want := (hw.Range{Base: c.stretch.Base, Size: c.heap}); l.Heap != want {
				t.Fatalf("heap %#x-%#x, want %#x-%#x", l.Heap.Base, l.Heap.End(), want.Base, want.End())
			}
			if l.Bloc != l.Heap.Base || l.RamStart != l.Heap.Base || l.RamSize != l.Heap.Size+bootStackReserve {
				t.Errorf("RamStart %#x RamSize %#x Bloc %#x for heap %#x-%#x", l.RamStart, l.RamSize, l.Bloc, l.Heap.Base, l.Heap.End())
			}
			// Whatever the map, the region (heap and boot stack) stays
			// in its stretch and off the image, avoided ranges, the
			// first MiB, the uncached hole and what is not mapped.
			region := r(l.RamStart, l.RamStart+l.RamSize)
			if region.Base < l.Stretch.Base || region.End() > l.Stretch.End() {
				t.Errorf("region %#x-%#x leaves its stretch %#x-%#x", region.Base, region.End(), l.Stretch.Base, l.Stretch.End())
			}
			for _, a := range append([]hw.Range{c.image, r(0, lowMemoryEnd), r(holeBase, holeEnd), r(mapTop, 1<<50)}, c.avoid...) {
				if a.Size > 0 && a.Base < region.End() && region.Base < a.End() {
					t.Errorf("region %#x-%#x overlaps %#x-%#x", region.Base, region.End(), a.Base, a.End())
				}
			}
		})
	}
}

func TestRAMTotal(t *testing.T) {
	for _, c := range []struct {
		name string
		ram  []hw.Range
		want uint64
	}{
		{"none", nil, 0},
		{"apart", []hw.Range{r(0, 10), r(20, 25)}, 15},
		{"touching", []hw.Range{r(0, 10), r(10, 25)}, 25},
		{"overlapping, either order", []hw.Range{r(5, 30), r(0, 10)}, 30},
		{"the same range twice", []hw.Range{r(0, 10), r(0, 10), r(40, 50)}, 20},
		{"one inside another", []hw.Range{r(0, 100), r(10, 20)}, 100},
		{"empty ranges count nothing", []hw.Range{{Base: 5}, r(0, 10), {Base: 10}}, 10},
	} {
		if got := ramTotal(c.ram); got != c.want {
			t.Errorf("%s: ramTotal = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestOptionValue(t *testing.T) {
	for _, c := range []struct {
		line      string
		val       string
		found, ok bool
	}{
		{"heap=8G", "8G", true, true},
		{"loglevel=info heap=1G test=all heap=50%", "50%", true, true},
		{`heap="8G"`, "8G", true, true},
		{`heap="8 G"`, `8`, true, false},
		{"heap=", "", true, true},
		{"heapx=1 xheap=2 heap", "", false, false},
		{"heap=1G\x00 heap=2G", "1G", true, true},
		{"\theap=3G\r\n", "3G", true, true},
		{"heap=123456789012345678901234567890123", "12345678901234567890123456789012", true, false},
		{"", "", false, false},
	} {
		var buf [32]byte
		n, found, ok := optionValue([]byte(c.line), "heap", buf[:])
		if string(buf[:n]) != c.val || found != c.found || ok != c.ok {
			t.Errorf("optionValue(%q) = %q, %v, %v; want %q, %v, %v", c.line, buf[:n], found, ok, c.val, c.found, c.ok)
		}
	}
}
