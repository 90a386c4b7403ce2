package linuxguest

import (
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// CPIOWriter writes the "newc" cpio format the Linux kernel unpacks as an
// initramfs (Documentation/driver-api/early-userspace/buffer-format.rst).
// Only what an initramfs needs: directories, regular files, device nodes.
type CPIOWriter struct {
	w   io.Writer
	ino uint32
	n   int64 // bytes written, for padding
	err error
}

// NewCPIOWriter returns a writer of an archive to w; call Close to end it.
func NewCPIOWriter(w io.Writer) *CPIOWriter { return &CPIOWriter{w: w, ino: 1} }

// File types in the mode field, as in <sys/stat.h>.
const (
	modeDir  = 0o040000
	modeFile = 0o100000
	modeChar = 0o020000
)

// Dir adds a directory.
func (c *CPIOWriter) Dir(name string, perm fs.FileMode) error {
	return c.entry(name, modeDir|uint32(perm.Perm()), 2, 0, 0, nil)
}

// File adds a regular file with data.
func (c *CPIOWriter) File(name string, perm fs.FileMode, data []byte) error {
	return c.entry(name, modeFile|uint32(perm.Perm()), 1, 0, 0, data)
}

// CharDevice adds a character device node, e.g. dev/console is 5,1.
func (c *CPIOWriter) CharDevice(name string, perm fs.FileMode, major, minor uint32) error {
	return c.entry(name, modeChar|uint32(perm.Perm()), 1, major, minor, nil)
}

// Close writes the trailer entry; it does not close the underlying writer.
func (c *CPIOWriter) Close() error {
	return c.entry("TRAILER!!!", 0, 1, 0, 0, nil)
}

func (c *CPIOWriter) entry(name string, mode, nlink, rmajor, rminor uint32, data []byte) error {
	if c.err != nil {
		return c.err
	}
	name = strings.TrimPrefix(name, "/")
	if name == "" || strings.Contains(name, "\x00") {
		return fmt.Errorf("cpio: bad name %q", name)
	}
	ino := c.ino
	c.ino++
	if name == "TRAILER!!!" {
		ino = 0
	}
	// magic, then 13 fields of 8 hex digits: ino mode uid gid nlink mtime
	// filesize devmajor devminor rdevmajor rdevminor namesize check.
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rmajor, rminor, len(name)+1, 0)
	c.write([]byte(hdr))
	c.write([]byte(name + "\x00"))
	c.pad()
	c.write(data)
	c.pad()
	return c.err
}

func (c *CPIOWriter) write(p []byte) {
	if c.err != nil {
		return
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
}

// pad aligns to 4 bytes, as newc requires after the name and the data.
func (c *CPIOWriter) pad() {
	if r := c.n % 4; r != 0 {
		c.write(make([]byte, 4-r))
	}
}
