package main

import (
	"io"
)

// The keys aero-qemu takes for itself, as QEMU's -nographic does: Ctrl-A
// then x quits, Ctrl-A then Ctrl-A sends one Ctrl-A, Ctrl-A then h prints
// the keys. Any other key after Ctrl-A is sent with it.
const (
	escapeKey = 0x01 // Ctrl-A
	keysHelp  = "aero-qemu keys: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A, Ctrl-A h shows this; in the shell: `` then 1/2/3 switches consoles"
)

// forwarder passes the terminal's keys to the guest and watches for
// aero-qemu's own.
type forwarder struct {
	guest   io.Writer // the serial input (qemu.VM.WriteSerial)
	help    func()    // Ctrl-A h
	escaped bool
}

// feed takes keys read from the terminal and reports whether Ctrl-A x came
// (the bytes after it are not sent).
func (f *forwarder) feed(p []byte) (quit bool, err error) {
	out := make([]byte, 0, len(p))
	for _, c := range p {
		if f.escaped {
			f.escaped = false
			switch c {
			case 'x', 'X':
				if len(out) > 0 {
					_, err = f.guest.Write(out)
				}
				return true, err
			case escapeKey:
				out = append(out, escapeKey)
			case 'h', 'H':
				if f.help != nil {
					f.help()
				}
			default:
				out = append(out, escapeKey, c)
			}
			continue
		}
		if c == escapeKey {
			f.escaped = true
			continue
		}
		out = append(out, c)
	}
	if len(out) > 0 {
		_, err = f.guest.Write(out)
	}
	return false, err
}

// forward copies the terminal's keys to the guest until Ctrl-A x (quit is
// called) or the end of input. It returns when in ends or a write fails
// (QEMU exited).
func forward(in io.Reader, f *forwarder, quit func()) {
	buf := make([]byte, 256)
	for {
		n, err := in.Read(buf)
		if n > 0 {
			q, werr := f.feed(buf[:n])
			if q {
				quit()
				return
			}
			if werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
