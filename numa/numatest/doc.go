// Package numatest holds numa's in-kernel tests: linking it registers them
// with core/ktest (configs/ktest does), and test=all or test=numa/... runs
// them. numa's boot tests (numa/boot_test.go) boot machines with the
// shapes they check.
//
// What the host expects is given on the kernel command line, as QEMU was
// told it: numatest.order=A,B,... once per node, in node order, is that
// node's expected fallback order (itself first). Without it numa/order is
// skipped.
package numatest

// OrderOption is the command-line key of the expected orders.
const OrderOption = "numatest.order"
