package acpi

// walkEntries steps through the list of variable-length structures that
// fills a table (MADT, SRAT, ...) from offset start to the end of b. Each
// structure begins with a type byte and a length byte that counts the
// whole structure (ACPI 6.5 §5.2.12, §5.2.16). fn gets the structure's
// type, its offset in the table and its bytes.
//
// A length below 2 would never advance (0) or not even cover the two
// header bytes (1), and one running past the table would read beyond it:
// both end the walk with an error.
func walkEntries(name string, b []byte, start int, fn func(typ uint8, off int, e []byte) error) error {
	off := start
	for off < len(b) {
		if len(b)-off < 2 {
			return errorf(name, ErrEntry, "%d byte(s) left at offset %d, too few for an entry header", len(b)-off, off)
		}
		typ, l := b[off], int(b[off+1])
		if l < 2 {
			return errorf(name, ErrEntry, "entry at offset %d has length %d", off, l)
		}
		if l > len(b)-off {
			return errorf(name, ErrEntry, "entry at offset %d (type %d, length %d) runs past the end of the table at %d", off, typ, l, len(b))
		}
		if err := fn(typ, off, b[off:off+l]); err != nil {
			return err
		}
		off += l
	}
	return nil
}

// needLength checks that an entry is long enough for its type. Longer is
// fine: later revisions may extend a structure, and the known prefix is
// still valid.
func needLength(name string, off int, e []byte, what string, min int) error {
	if len(e) < min {
		return errorf(name, ErrEntry, "entry at offset %d (%s) has length %d, want at least %d", off, what, len(e), min)
	}
	return nil
}

// count adds one to m[typ], making m when needed.
func count(m *map[uint8]int, typ uint8) {
	if *m == nil {
		*m = map[uint8]int{}
	}
	(*m)[typ]++
}
