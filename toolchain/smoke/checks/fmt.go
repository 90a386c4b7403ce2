package checks

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

type point struct{ X, Y int }

// checkFmt formats integers, floats, strings and structs and compares them
// with what Go prints on any other platform: a port with a broken FPU
// setup, strconv or reflect shows up here first.
func checkFmt(*Env) (string, error) {
	var (
		sa int
		sf float64
		ss string
	)
	_, scanErr := fmt.Sscanf("7 2.5 go", "%d %g %s", &sa, &sf, &ss)
	avogadro, parseErr := strconv.ParseFloat("6.02214076e23", 64)
	tenth, fifth := 0.1, 0.2 // variables: float64 arithmetic, not exact constants
	cases := []struct{ got, want string }{
		{fmt.Sprintf("%d %5d|%-5d|%05d %x %X %o %b %c %U", 42, 42, 42, -42, 255, 255, 8, 5, 'G', 0x1F600),
			"42    42|42   |-0042 ff FF 10 101 G U+1F600"},
		{fmt.Sprintf("%d %d %d", int8(-128), uint64(math.MaxUint64), int64(math.MinInt64)),
			"-128 18446744073709551615 -9223372036854775808"},
		{fmt.Sprintf("%.3f %8.2f %e %g %g %v %6.2f%%", math.Pi, -2.5, 1e6, tenth+fifth, 1e21, float32(0.1), 99.5),
			"3.142    -2.50 1.000000e+06 0.30000000000000004 1e+21 0.1  99.50%"},
		{fmt.Sprintf("%v %v %v %.4f", math.Inf(1), math.NaN(), math.Sqrt(2)*math.Sqrt(2), math.Exp(1)),
			"+Inf NaN 2.0000000000000004 2.7183"},
		{fmt.Sprintf("%v %+v %#v", point{1, -2}, point{1, -2}, point{1, -2}),
			"{1 -2} {X:1 Y:-2} checks.point{X:1, Y:-2}"},
		{fmt.Sprintf("%v %v %v", map[string]int{"b": 2, "a": 1, "c": 3}, []point{{1, 2}, {3, 4}}, [2]bool{true}),
			"map[a:1 b:2 c:3] [{1 2} {3 4}] [true false]"},
		{fmt.Sprintf("%q %x % x %s %v", "héllo\n", "hi", []byte{1, 171}, []string{"a", "b"}, nil),
			`"héllo\n" 6869 01 ab [a b] <nil>`},
		{fmt.Sprintf("%T %T %T %T", 1.5, point{}, []any{nil}, errors.New("")),
			"float64 checks.point []interface {} *errors.errorString"},
		{fmt.Sprint(errors.New("boom"), " ", 1500*time.Millisecond, " ", fmt.Errorf("wrap: %w", errors.ErrUnsupported)),
			"boom 1.5s wrap: unsupported operation"},
		{strconv.FormatFloat(1.0/3, 'g', -1, 64) + " " + strconv.Quote("\x00☺") + " " + strconv.Itoa(-90210),
			`0.3333333333333333 "\x00☺" -90210`},
		{fmt.Sprintf("%d|%g|%s|%v|%g|%v", sa, sf, ss, scanErr, avogadro, parseErr),
			"7|2.5|go|<nil>|6.02214076e+23|<nil>"},
		{strings.Repeat("ab", 3) + strings.ToUpper("héllo") + strings.Join(strings.Fields(" a  b "), ","),
			"abababHÉLLOa,b"},
	}
	var bad []string
	for i, c := range cases {
		if c.got != c.want {
			bad = append(bad, fmt.Sprintf("case %d: got %q want %q", i, c.got, c.want))
		}
	}
	if bad != nil {
		return "", errors.New(strings.Join(bad, "; "))
	}
	return fmt.Sprintf("cases=%d", len(cases)), nil
}
