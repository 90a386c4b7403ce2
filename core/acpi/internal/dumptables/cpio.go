//go:build !tamago

package main

import (
	"fmt"
	"io"
)

// newc writes a cpio archive in the "newc" (SVR4, no CRC) format, which is
// what the Linux kernel unpacks as an initramfs: each member is a 110-byte
// ASCII header of "070701" and thirteen 8-digit hex fields, the NUL-ended
// name, and the data, with name and data each padded to 4 bytes.
type newc struct {
	w   io.Writer
	n   int64
	ino uint32
	err error
}

const (
	sIFDIR = 0o040000
	sIFREG = 0o100000
	sIFCHR = 0o020000
)

func (c *newc) write(b []byte) {
	if c.err != nil {
		return
	}
	var k int
	k, c.err = c.w.Write(b)
	c.n += int64(k)
}

func (c *newc) pad() {
	if r := c.n % 4; r != 0 {
		c.write(make([]byte, 4-r))
	}
}

func (c *newc) member(name string, mode, nlink, rmajor, rminor uint32, data []byte) error {
	c.ino++
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		c.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rmajor, rminor, len(name)+1, 0)
	c.write([]byte(hdr))
	c.write(append([]byte(name), 0))
	c.pad()
	c.write(data)
	c.pad()
	return c.err
}

func (c *newc) dir(name string) error { return c.member(name, sIFDIR|0o755, 2, 0, 0, nil) }
func (c *newc) file(name string, perm uint32, data []byte) error {
	return c.member(name, sIFREG|perm, 1, 0, 0, data)
}
func (c *newc) chardev(name string, major, minor uint32) error {
	return c.member(name, sIFCHR|0o600, 1, major, minor, nil)
}
func (c *newc) close() error { return c.member("TRAILER!!!", 0, 1, 0, 0, nil) }
