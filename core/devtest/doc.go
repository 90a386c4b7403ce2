// Package devtest has devices for host tests of the modules above drivers
// (net, blk): NIC, a fake Ethernet interface the test plays the wire of,
// and RAMDisk, a block device in memory with a volatile write cache. Both
// implement core's contracts (core.NIC, core.BlockDevice) to the letter,
// errors, backpressure and goroutines included, so code tested against
// them meets the same behaviour from a real driver. For the tests of the
// drivers themselves, Handler is a core.NICHandler that turns each call
// into an event the test expects in order.
package devtest
