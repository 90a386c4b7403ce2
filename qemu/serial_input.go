package qemu

import (
	"errors"
	"fmt"
)

// WriteSerial sends p to the guest's serial console input, as if typed on
// it: QEMU's stdin, which -serial stdio connects to the first UART (COM1
// on q35 and pc, the ISA serial port on microvm). QEMU passes the bytes on
// as the guest's UART takes them; a guest that does not read leaves them
// waiting in QEMU and then in the pipe, so a large write can block until
// it does or QEMU exits. It fails once QEMU has exited.
func (vm *VM) WriteSerial(p []byte) (int, error) {
	select {
	case <-vm.done:
		return 0, vm.failure(errors.New("serial input: QEMU has exited"))
	default:
	}
	n, err := vm.stdin.Write(p)
	if err != nil {
		return n, vm.failure(fmt.Errorf("serial input: %w", err))
	}
	return n, nil
}
