//go:build !tamago

// Command dumptables regenerates core/acpi's test fixtures: real ACPI tables
// from QEMU machines. For each configuration it boots a Debian Linux kernel
// under QEMU (TCG) with an initramfs whose /init is ./guest, collects what
// the guest prints on the serial console, checks every file's SHA-256 and
// writes them to <out>/<config>/, with the command line in qemu.txt.
//
// Run it from core/acpi (see testdata/README.md):
//
//	go run ./internal/dumptables -out testdata            # every configuration
//	go run ./internal/dumptables -out testdata q35-numa2   # just one
//
// The kernel is -kernel, else $AERO_LINUX_KERNEL, else the newest
// vmlinuz-* in ${XDG_CACHE_HOME:-~/.cache}/aero/linux.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

const guestPackage = "github.com/aerokernel/aero/core/acpi/internal/dumptables/guest"

// appendLine is the guest kernel's command line: serial console, and the
// kernel quiet so its messages seldom interleave with the dump, and no
// KASLR so iomem.txt comes out the same every time.
const appendLine = "console=ttyS0 loglevel=0 panic=-1 nokaslr"

// A config is one QEMU machine to dump.
type config struct {
	name string
	args []string
	note string
}

var common = []string{"-accel", "tcg,thread=multi", "-cpu", "max"}

func mem(id, size string) []string {
	return []string{"-object", "memory-backend-ram,id=" + id + ",size=" + size}
}

func cat(parts ...[]string) []string { return slices.Concat(parts...) }

var configs = []config{
	{
		name: "q35-smp4",
		args: cat([]string{"-machine", "q35"}, common, []string{"-smp", "4", "-m", "2G"}),
		note: "q35, 4 CPUs, no NUMA",
	},
	{
		name: "q35-numa2",
		args: cat([]string{"-machine", "q35"}, common, []string{"-smp", "4", "-m", "2G"},
			mem("m0", "1G"), mem("m1", "1G"),
			[]string{"-numa", "node,nodeid=0,cpus=0-1,memdev=m0", "-numa", "node,nodeid=1,cpus=2-3,memdev=m1"}),
		note: "q35, 4 CPUs, 2 NUMA nodes of 1 GiB: cpus 0-1 on node 0, 2-3 on node 1",
	},
	{
		name: "q35-numa3",
		args: cat([]string{"-machine", "q35"}, common, []string{"-smp", "6", "-m", "4G"},
			mem("m0", "2G"), mem("m1", "1G"), mem("m2", "1G"),
			[]string{
				"-numa", "node,nodeid=0,cpus=0-2,memdev=m0",
				"-numa", "node,nodeid=1,cpus=3,memdev=m1",
				"-numa", "node,nodeid=2,cpus=4-5,memdev=m2",
				"-numa", "dist,src=0,dst=1,val=20",
				"-numa", "dist,src=0,dst=2,val=30",
				"-numa", "dist,src=1,dst=2,val=25",
			}),
		note: "q35, 6 CPUs, 3 NUMA nodes: cpus 0-2 / 3 / 4-5, memory 2G / 1G / 1G, distances 0-1:20 0-2:30 1-2:25",
	},
	{
		name: "pc-smp2",
		args: cat([]string{"-machine", "pc"}, common, []string{"-smp", "2", "-m", "1G"}),
		note: "pc (i440FX/PIIX4), 2 CPUs, no NUMA",
	},
	{
		name: "q35-hotplug",
		args: cat([]string{"-machine", "q35"}, common, []string{"-smp", "2,maxcpus=4", "-m", "2G,slots=2,maxmem=4G"},
			mem("m0", "1G"), mem("m1", "1G"),
			[]string{"-numa", "node,nodeid=0,cpus=0-1,memdev=m0", "-numa", "node,nodeid=1,cpus=2-3,memdev=m1"}),
		note: "q35, 2 of 4 possible CPUs present, memory hotplug (2 slots, maxmem 4G), 2 NUMA nodes: cpus 0-1 / 2-3 (2-3 not present)",
	},
}

func main() {
	out := flag.String("out", "testdata", "directory to write <config>/ into")
	kernel := flag.String("kernel", "", "vmlinuz to boot (default: $AERO_LINUX_KERNEL, else the newest cached one)")
	qemu := flag.String("qemu", "qemu-system-x86_64", "QEMU binary")
	timeout := flag.Duration("timeout", 3*time.Minute, "per-boot limit")
	verbose := flag.Bool("v", false, "echo the guest's console")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: dumptables [flags] [config...]\nconfigs:\n")
		for _, c := range configs {
			fmt.Fprintf(flag.CommandLine.Output(), "  %-12s %s\n", c.name, c.note)
		}
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*out, *kernel, *qemu, *timeout, *verbose, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "dumptables:", err)
		os.Exit(1)
	}
}

func run(out, kernel, qemu string, timeout time.Duration, verbose bool, names []string) error {
	todo := configs
	if len(names) > 0 {
		todo = nil
		for _, n := range names {
			i := slices.IndexFunc(configs, func(c config) bool { return c.name == n })
			if i < 0 {
				return fmt.Errorf("unknown config %q", n)
			}
			todo = append(todo, configs[i])
		}
	}
	kernel, err := findKernel(kernel)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "aero-acpidump-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	initrd, err := buildInitramfs(tmp)
	if err != nil {
		return err
	}
	version := "unknown"
	if v, err := exec.Command(qemu, "--version").Output(); err == nil {
		version, _, _ = strings.Cut(string(v), "\n")
	}
	for _, c := range todo {
		start := time.Now()
		files, err := boot(c, qemu, kernel, initrd, timeout, verbose)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		if err := save(filepath.Join(out, c.name), c, files, qemu, version, kernel); err != nil {
			return err
		}
		fmt.Printf("%s: %d files in %v\n", c.name, len(files), time.Since(start).Round(time.Millisecond))
	}
	return nil
}

func findKernel(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if p := os.Getenv("AERO_LINUX_KERNEL"); p != "" {
		return p, nil
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		cache = filepath.Join(home, ".cache")
	}
	dir := filepath.Join(cache, "aero", "linux")
	found, _ := filepath.Glob(filepath.Join(dir, "vmlinuz-*"))
	if len(found) == 0 {
		return "", fmt.Errorf("no kernel: pass -kernel, set AERO_LINUX_KERNEL, or put one in %s:\n"+
			"  apt-get update && apt-get download linux-image-6.1.0-<N>-amd64\n"+
			"  dpkg-deb -x linux-image-*.deb x && cp x/boot/vmlinuz-* %s/", dir, dir)
	}
	slices.SortFunc(found, byNumbers)
	return found[len(found)-1], nil
}

// byNumbers orders names by the numbers in them, so 6.1.0-10 sorts after 6.1.0-9.
func byNumbers(a, b string) int {
	num := func(s string) []int {
		var ns []int
		for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
			n, _ := strconv.Atoi(f)
			ns = append(ns, n)
		}
		return ns
	}
	return slices.Compare(num(a), num(b))
}

// buildInitramfs builds the guest and packs it as /init in a gzipped newc cpio.
func buildInitramfs(dir string) (string, error) {
	bin := filepath.Join(dir, "init")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, guestPackage)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the guest: %v\n%s", err, b)
	}
	initBin, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	c := &newc{w: zw}
	for _, d := range []string{"dev", "proc", "sys"} {
		c.dir(d)
	}
	c.chardev("dev/console", 5, 1)
	c.file("init", 0o755, initBin)
	if err := c.close(); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	p := filepath.Join(dir, "initramfs.cpio.gz")
	return p, os.WriteFile(p, buf.Bytes(), 0o644)
}

func qemuArgs(c config, kernel, initrd string) []string {
	return cat(c.args, []string{
		"-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
		"-kernel", kernel, "-initrd", initrd, "-append", appendLine,
	})
}

// boot runs one QEMU and returns the files the guest sent.
func boot(c config, qemu, kernel, initrd string, timeout time.Duration, verbose bool) (map[string][]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemu, qemuArgs(c, kernel, initrd)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	files, perr := parse(stdout, verbose)
	werr := cmd.Wait()
	if perr != nil {
		return nil, fmt.Errorf("%v (qemu: %v; stderr: %s)", perr, werr, stderr.String())
	}
	if werr != nil {
		return nil, fmt.Errorf("qemu: %v\n%s", werr, stderr.String())
	}
	return files, nil
}

type partial struct {
	size int
	data []byte
}

func parse(r interface{ Read([]byte) (int, error) }, verbose bool) (map[string][]byte, error) {
	files := map[string][]byte{}
	open := map[string]*partial{}
	done := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if verbose {
			fmt.Fprintln(os.Stderr, line)
		}
		i := strings.Index(line, "AEROACPI ")
		if i < 0 {
			continue
		}
		f := strings.Fields(line[i:])
		if len(f) < 2 {
			continue
		}
		switch {
		case f[1] == "DONE":
			done = true
		case f[1] == "INFO":
			fmt.Fprintln(os.Stderr, "guest:", strings.Join(f[2:], " "))
		case f[1] == "BEGIN" && len(f) == 4:
			n, err := strconv.Atoi(f[3])
			if err != nil {
				return nil, fmt.Errorf("bad record %q", line)
			}
			open[f[2]] = &partial{size: n}
		case f[1] == "DATA" && len(f) == 4:
			p := open[f[2]]
			if p == nil {
				return nil, fmt.Errorf("data for %s before its BEGIN", f[2])
			}
			b, err := base64.StdEncoding.DecodeString(f[3])
			if err != nil {
				return nil, fmt.Errorf("%s: %v in %q", f[2], err, line)
			}
			p.data = append(p.data, b...)
		case f[1] == "END" && len(f) == 4:
			p := open[f[2]]
			if p == nil {
				return nil, fmt.Errorf("END for %s before its BEGIN", f[2])
			}
			sum := sha256.Sum256(p.data)
			if len(p.data) != p.size || hex.EncodeToString(sum[:]) != f[3] {
				return nil, fmt.Errorf("%s: got %d bytes with SHA-256 %x, guest sent %d with %s (console mangled?)",
					f[2], len(p.data), sum, p.size, f[3])
			}
			files[f[2]] = p.data
			delete(open, f[2])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !done {
		return nil, errors.New("guest did not finish (no DONE record)")
	}
	if len(open) > 0 {
		return nil, fmt.Errorf("unfinished files: %v", open)
	}
	return files, nil
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_=,./:+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// save replaces dir with the files and a qemu.txt describing the run.
func save(dir string, c config, files map[string][]byte, qemu, version, kernel string) error {
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	for name, b := range files {
		if name != filepath.Base(name) || name == "qemu.txt" {
			return fmt.Errorf("guest sent a bad file name %q", name)
		}
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			return err
		}
	}
	args := qemuArgs(c, filepath.Base(kernel), "initramfs.cpio.gz")
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	txt := fmt.Sprintf("# %s\n# %s; guest kernel %s; /init is core/acpi/internal/dumptables/guest\n%s %s\n",
		c.note, version, filepath.Base(kernel), filepath.Base(qemu), strings.Join(quoted, " "))
	if err := os.WriteFile(filepath.Join(tmp, "qemu.txt"), []byte(txt), 0o644); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}
