//go:build !tamago

// Command acpidump regenerates core/acpi's test fixtures: real ACPI tables
// from QEMU machines. For each configuration it boots a Debian Linux kernel
// under QEMU (TCG) with an initramfs whose /init is ./guest (see package
// linuxguest), collects what the guest prints on the serial console, checks
// every file's SHA-256 and writes them to <out>/<config>/, with the command
// line in qemu.txt.
//
// Run it from the qemu module (see core/acpi/testdata/README.md):
//
//	go run ./internal/acpidump -out ../core/acpi/testdata            # every configuration
//	go run ./internal/acpidump -out ../core/acpi/testdata q35-numa2  # just one
//
// The kernel is -kernel, else as linuxguest.Kernel finds one
// ($AERO_LINUX_KERNEL, else the newest vmlinuz-* cached in
// ${XDG_CACHE_HOME:-~/.cache}/aero/linux; -fetch downloads one there).
package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aerokernel/aero/qemu"
	"github.com/aerokernel/aero/qemu/linuxguest"
)

const guestPackage = "github.com/aerokernel/aero/qemu/internal/acpidump/guest"

// guestArgs follow linuxguest.Console on the guest kernel's command line:
// the kernel quiet so its messages seldom interleave with the dump, and no
// KASLR so iomem.txt comes out the same every time.
var guestArgs = []string{"loglevel=0", "nokaslr"}

// A config is one QEMU machine to dump. Each keeps QEMU's default NIC, as
// the fixtures were first dumped with.
type config struct {
	name    string
	machine qemu.Options
	note    string
}

var configs = []config{
	{
		name:    "q35-smp4",
		machine: qemu.Options{Machine: qemu.MachineQ35, CPUs: 4, Memory: "2G", Net: qemu.NetDefault},
		note:    "q35, 4 CPUs, no NUMA",
	},
	{
		name: "q35-numa2",
		machine: qemu.Options{Machine: qemu.MachineQ35, CPUs: 4, Memory: "2G", Net: qemu.NetDefault,
			Numa: []qemu.Node{{CPUs: "0-1", Mem: "1G"}, {CPUs: "2-3", Mem: "1G"}}},
		note: "q35, 4 CPUs, 2 NUMA nodes of 1 GiB: cpus 0-1 on node 0, 2-3 on node 1",
	},
	{
		name: "q35-numa3",
		machine: qemu.Options{Machine: qemu.MachineQ35, CPUs: 6, Memory: "4G", Net: qemu.NetDefault,
			Numa:      []qemu.Node{{CPUs: "0-2", Mem: "2G"}, {CPUs: "3", Mem: "1G"}, {CPUs: "4-5", Mem: "1G"}},
			Distances: []qemu.Distance{{Src: 0, Dst: 1, Val: 20}, {Src: 0, Dst: 2, Val: 30}, {Src: 1, Dst: 2, Val: 25}}},
		note: "q35, 6 CPUs, 3 NUMA nodes: cpus 0-2 / 3 / 4-5, memory 2G / 1G / 1G, distances 0-1:20 0-2:30 1-2:25",
	},
	{
		name:    "pc-smp2",
		machine: qemu.Options{Machine: qemu.MachinePC, CPUs: 2, Memory: "1G", Net: qemu.NetDefault},
		note:    "pc (i440FX/PIIX4), 2 CPUs, no NUMA",
	},
	{
		name: "q35-hotplug",
		machine: qemu.Options{Machine: qemu.MachineQ35, CPUs: 2, MaxCPUs: 4, Memory: "2G", MemSlots: 2, MaxMemory: "4G",
			Net:  qemu.NetDefault,
			Numa: []qemu.Node{{CPUs: "0-1", Mem: "1G"}, {CPUs: "2-3", Mem: "1G"}}},
		note: "q35, 2 of 4 possible CPUs present, memory hotplug (2 slots, maxmem 4G), 2 NUMA nodes: cpus 0-1 / 2-3 (2-3 not present)",
	},
}

func main() {
	out := flag.String("out", "testdata", "directory to write <config>/ into")
	kernel := flag.String("kernel", "", "vmlinuz to boot (default: $AERO_LINUX_KERNEL, else the newest cached one)")
	qemuBin := flag.String("qemu", qemu.DefaultBinary, "QEMU binary")
	fetch := flag.Bool("fetch", false, "download a Debian kernel when none is cached")
	timeout := flag.Duration("timeout", 3*time.Minute, "per-boot limit")
	verbose := flag.Bool("v", false, "echo the guest's console")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: acpidump [flags] [config...]\nconfigs:\n")
		for _, c := range configs {
			fmt.Fprintf(flag.CommandLine.Output(), "  %-12s %s\n", c.name, c.note)
		}
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*out, *kernel, *qemuBin, *fetch, *timeout, *verbose, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "acpidump:", err)
		os.Exit(1)
	}
}

func run(out, kernel, qemuBin string, fetch bool, timeout time.Duration, verbose bool, names []string) error {
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
	if kernel == "" {
		var err error
		if kernel, err = linuxguest.Kernel(fetch, log.Printf); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "aero-acpidump-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	initrd, err := linuxguest.BuildInitramfs("go", guestPackage, tmp)
	if err != nil {
		return err
	}
	version := "unknown"
	if v, err := exec.Command(qemuBin, "--version").Output(); err == nil {
		version, _, _ = strings.Cut(string(v), "\n")
	}
	for _, c := range todo {
		start := time.Now()
		opts := c.options(qemuBin, kernel, initrd)
		files, err := boot(opts, timeout, verbose)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		if err := save(filepath.Join(out, c.name), c, files, qemuBin, version, kernel); err != nil {
			return err
		}
		fmt.Printf("%s: %d files in %v\n", c.name, len(files), time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// options is the QEMU run of c for the guest.
func (c config) options(qemuBin, kernel, initrd string) qemu.Options {
	m := c.machine
	m.Binary = qemuBin
	return linuxguest.Options(m, kernel, initrd, guestArgs...)
}

// boot runs one QEMU and returns the files the guest sent.
func boot(opts qemu.Options, timeout time.Duration, verbose bool) (map[string][]byte, error) {
	var echo io.Writer
	if verbose {
		echo = os.Stderr
	}
	vm, err := qemu.StartEcho(context.Background(), opts, echo)
	if err != nil {
		return nil, err
	}
	defer vm.Kill()
	// The guest powers off when done: QEMU exits with status 0.
	if status, err := vm.Wait(timeout); err != nil {
		return nil, err
	} else if status != 0 {
		return nil, &qemu.Error{Err: fmt.Errorf("QEMU exited with status %d", status), Tail: vm.Tail(qemu.TailLines), Stderr: vm.Stderr()}
	}
	var lines []string
	for _, l := range vm.Lines() {
		lines = append(lines, l.Text)
	}
	return parse(lines)
}

type partial struct {
	size int
	data []byte
}

// parse reads the guest's records from its serial lines.
func parse(lines []string) (map[string][]byte, error) {
	files := map[string][]byte{}
	open := map[string]*partial{}
	done := false
	for _, line := range lines {
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
	if !done {
		return nil, errors.New("guest did not finish (no DONE record)")
	}
	if len(open) > 0 {
		return nil, fmt.Errorf("unfinished files: %v", open)
	}
	return files, nil
}

// save replaces dir with the files and a qemu.txt describing the run.
func save(dir string, c config, files map[string][]byte, qemuBin, version, kernel string) error {
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
	args, err := c.options(qemuBin, filepath.Base(kernel), "init.cpio.gz").Args()
	if err != nil {
		return err
	}
	txt := fmt.Sprintf("# %s\n# %s; guest kernel %s; /init is qemu/internal/acpidump/guest\n%s %s\n",
		c.note, version, filepath.Base(kernel), filepath.Base(qemuBin), qemu.ShellJoin(args))
	if err := os.WriteFile(filepath.Join(tmp, "qemu.txt"), []byte(txt), 0o644); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}
