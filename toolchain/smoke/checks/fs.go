package checks

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// checkFS exercises the filesystem through package os: directories, files,
// rename, append, listing, fs.WalkDir over os.DirFS, and the errors a
// missing file must produce. On the kernel this is the in-memory
// filesystem; on a host, a temporary directory.
func checkFS(env *Env) (string, error) {
	base := env.Dir
	if base == "" {
		return "", fmt.Errorf("%w: no scratch directory", ErrSkip)
	}
	p := func(parts ...string) string { return filepath.Join(append([]string{base}, parts...)...) }
	step := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}

	if err := step("MkdirAll", os.MkdirAll(p("a", "b", "c"), 0o755)); err != nil {
		return "", err
	}
	if err := step("MkdirAll again", os.MkdirAll(p("a", "b"), 0o755)); err != nil {
		return "", err
	}
	hello := p("a", "b", "c", "hello.txt")
	if err := step("WriteFile", os.WriteFile(hello, []byte("hello aero"), 0o644)); err != nil {
		return "", err
	}
	if got, err := os.ReadFile(hello); err != nil || string(got) != "hello aero" {
		return "", fmt.Errorf("ReadFile = %q, %v", got, err)
	}
	if fi, err := os.Stat(hello); err != nil || fi.Size() != 10 || fi.IsDir() || fi.Name() != "hello.txt" {
		return "", fmt.Errorf("Stat = %v, %v", fi, err)
	}
	if fi, err := os.Stat(p("a", "b")); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("Stat of a directory = %v, %v", fi, err)
	}

	moved := p("a", "moved.txt")
	if err := step("Rename", os.Rename(hello, moved)); err != nil {
		return "", err
	}
	if _, err := os.ReadFile(hello); !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("ReadFile of a renamed file: %v, want ErrNotExist", err)
	}
	f, err := os.OpenFile(moved, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return "", fmt.Errorf("OpenFile for append: %w", err)
	}
	if _, err := f.WriteString(", world"); err != nil {
		return "", fmt.Errorf("append: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("Close: %w", err)
	}
	if got, err := os.ReadFile(moved); err != nil || string(got) != "hello aero, world" {
		return "", fmt.Errorf("ReadFile after append = %q, %v", got, err)
	}
	// Seek and overwrite in the middle.
	f, err = os.OpenFile(moved, os.O_RDWR, 0)
	if err != nil {
		return "", fmt.Errorf("OpenFile read-write: %w", err)
	}
	if _, err := f.WriteAt([]byte("AERO"), 6); err != nil {
		return "", fmt.Errorf("WriteAt: %w", err)
	}
	buf := make([]byte, 5)
	if _, err := f.ReadAt(buf, 12); err != nil || string(buf) != "world" {
		return "", fmt.Errorf("ReadAt = %q, %v", buf, err)
	}
	f.Close()
	if got, _ := os.ReadFile(moved); string(got) != "hello AERO, world" {
		return "", fmt.Errorf("after WriteAt: %q", got)
	}

	ents, err := os.ReadDir(p("a"))
	if err != nil {
		return "", fmt.Errorf("ReadDir: %w", err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"b", "moved.txt"}) || !ents[0].IsDir() || ents[1].IsDir() {
		return "", fmt.Errorf("ReadDir = %v", names)
	}

	var walked []string
	err = fs.WalkDir(os.DirFS(base), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		walked = append(walked, path)
		return nil
	})
	if want := []string{".", "a", "a/b", "a/b/c", "a/moved.txt"}; err != nil || !slices.Equal(walked, want) {
		return "", fmt.Errorf("WalkDir = %v, %v; want %v", walked, err, want)
	}
	if got, err := fs.ReadFile(os.DirFS(base), "a/moved.txt"); err != nil || !strings.HasPrefix(string(got), "hello") {
		return "", fmt.Errorf("fs.ReadFile(DirFS) = %q, %v", got, err)
	}

	if _, err := os.Open(p("missing")); !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("Open of a missing file: %v, want ErrNotExist", err)
	}
	var pe *fs.PathError
	if _, err := os.Stat(p("missing", "x")); !errors.As(err, &pe) || !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("Stat of a missing path: %v, want *PathError with ErrNotExist", err)
	}
	if err := os.Mkdir(p("a"), 0o755); !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("Mkdir of an existing directory: %v, want ErrExist", err)
	}
	if err := os.Remove(p("a")); err == nil {
		return "", errors.New("Remove of a non-empty directory succeeded")
	}
	if err := step("Remove", os.Remove(moved)); err != nil {
		return "", err
	}
	if _, err := os.Stat(moved); !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("Stat of a removed file: %v, want ErrNotExist", err)
	}
	if err := step("RemoveAll", os.RemoveAll(p("a"))); err != nil {
		return "", err
	}
	if _, err := os.Stat(p("a")); !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("Stat after RemoveAll: %v, want ErrNotExist", err)
	}
	return fmt.Sprintf("walked=%d", len(walked)), nil
}
