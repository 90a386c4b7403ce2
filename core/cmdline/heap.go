package cmdline

// heap= is read twice: by early boot (core/platform), which sizes the Go
// heap before the runtime exists, and by Parse, which validates it with
// the other options. Both go through ParseHeap, so they agree; it and the
// size parser under it are nosplit and allocate nothing for that reason.

// HeapOption is a parsed heap= value: exactly one of its fields is set.
type HeapOption struct {
	Bytes   uint64 // heap=SIZE: the Go heap's size in bytes
	Percent uint64 // heap=P%: P percent (1-100) of the RAM in the memory map
	Max     bool   // heap=max: all of the stretch of RAM the heap goes in
}

// DefaultHeapPercent is the Go heap's share of RAM without heap=; the rest
// is the memory module's. See package core's documentation, "Memory".
const DefaultHeapPercent = 50

// HeapSyntax says what heap= takes; ParseHeap's message for a bad value.
const HeapSyntax = "want a size such as 8G, a percentage of RAM from 1% to 100% such as 50%, or max"

// ParseHeap parses the value of heap=: a size (as ParseSize reads it, not
// 0), a percentage of RAM (1% to 100%) or max. On a bad value it returns
// HeapSyntax as msg, else "".
//
//go:nosplit
func ParseHeap(s string) (h HeapOption, msg string) {
	if s == "max" {
		return HeapOption{Max: true}, ""
	}
	if n := len(s); n > 1 && s[n-1] == '%' {
		p, ok := parseDecimal(s[:n-1])
		if !ok || p < 1 || p > 100 {
			return HeapOption{}, HeapSyntax
		}
		return HeapOption{Percent: p}, ""
	}
	b, why := parseSize(s)
	if why != "" || b == 0 {
		return HeapOption{}, HeapSyntax
	}
	return HeapOption{Bytes: b}, ""
}

// parseSize is ParseSize without allocation: why is "" or the reason.
//
//go:nosplit
func parseSize(s string) (v uint64, why string) {
	num, shift := s, 0
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'K', 'k':
			shift = 10
		case 'M', 'm':
			shift = 20
		case 'G', 'g':
			shift = 30
		case 'T', 't':
			shift = 40
		}
		if shift != 0 {
			num = s[:n-1]
		}
	}
	v, ok := parseDecimal(num)
	if !ok {
		return 0, "invalid size"
	}
	if v > (^uint64(0))>>shift {
		return 0, "overflows"
	}
	return v << shift, ""
}

// parseDecimal reads a non-empty string of decimal digits that fits in 64
// bits.
//
//go:nosplit
func parseDecimal(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (^uint64(0)-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}
