package console

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aerokernel/aero/core"
)

func TestBench(t *testing.T) {
	benchBudget = time.Millisecond
	var out bytes.Buffer
	if err := bench(nil, &out); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "/op"); got != len(benchmarks) {
		t.Errorf("%d results for %d benchmarks:\n%s", got, len(benchmarks), out.String())
	}
	out.Reset()
	if err := bench([]string{"mutex"}, &out); err != nil || !strings.HasPrefix(out.String(), "mutex ") || strings.Count(out.String(), "\n") != 1 {
		t.Errorf("bench mutex: %v %q", err, out.String())
	}
	if err := bench([]string{"nope"}, &out); !errors.Is(err, core.ErrUsage) {
		t.Errorf("bench nope: %v", err)
	}
}
