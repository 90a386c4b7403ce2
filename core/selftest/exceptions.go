//go:build tamago && amd64

package selftest

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/ktest"
	"github.com/aerokernel/aero/core/platform"
)

func init() { ktest.Register("cpu/exceptions", testExceptions) }

// testExceptions raises each CPU exception platform.Raise knows on every
// CPU at once and recovers it: each must be a runtime.Error of type
// *platform.CPUException with its vector, and the goroutine (and its CPU)
// goes on afterwards. The boot tests' crash= kinds see the unrecovered
// panic; this sees that the panic is an ordinary one, on APs too.
func testExceptions(t *ktest.T) {
	kinds := []struct {
		name   string
		vector int
	}{{"div", 0}, {"ud", 6}, {"gp", 13}, {"pf", 14}}
	errs := make([][]error, runtime.GOMAXPROCS(0))
	ids, err := core.OnEveryCPU(func(i int) {
		errs[i] = nil // a round OnEveryCPU runs again starts afresh
		for _, k := range kinds {
			errs[i] = append(errs[i], raiseAndRecover(k.name, k.vector))
		}
	})
	if err != nil {
		t.Errorf("%v", err)
	}
	for i, es := range errs {
		for _, e := range es {
			if e != nil {
				t.Errorf("CPU with APIC ID %d: %v", ids[i], e)
			}
		}
	}
	t.Logf("%d exception kinds recovered on each of APIC IDs %v", len(kinds), ids)
}

func raiseAndRecover(kind string, vector int) (err error) {
	defer func() {
		r := recover()
		e, ok := r.(*platform.CPUException)
		switch {
		case r == nil:
			err = fmt.Errorf("%s: nothing to recover (Raise returned %v)", kind, err)
		case !ok:
			err = fmt.Errorf("%s: recovered %T %v, want a *platform.CPUException", kind, r, r)
		case e.Vector != vector:
			err = fmt.Errorf("%s: vector %d, want %d (%v)", kind, e.Vector, vector, e)
		case !errors.As(error(e), new(runtime.Error)):
			err = fmt.Errorf("%s: %v is not a runtime.Error", kind, e)
		}
	}()
	return platform.Raise(kind)
}
