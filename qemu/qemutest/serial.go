package qemutest

// Send types s on the guest's serial console (qemu.VM.WriteSerial: QEMU's
// stdin, the first UART's input). It fails the test, with the last serial
// lines, when QEMU no longer takes input (it has exited).
func (vm *VM) Send(s string) {
	vm.t.Helper()
	if _, err := vm.WriteSerial([]byte(s)); err != nil {
		vm.t.Fatalf("qemutest: Send(%q): %v", s, err)
	}
}
