// Package mmtest holds mm's in-kernel tests (mmtest.go, bench.go; they
// build for GOOS=tamago only): linking it registers them
// with ktest (configs/mm links it; the qemu module's TestMM boots that
// kernel at -m 8G with two nodes of 4 GiB). They expect at least two
// nodes, node 1 with memory, and nothing else allocating from mm while
// they run.
//
// mm/bench is a benchmark, not a test: it runs only when named
// (test=mm/bench), never with test=all, and prints its figures.
package mmtest
