// Command aero-image builds Aero kernel images from a config.
//
//	aero-image build [-config configs/defconfig] [-o build] [-go GO] [-tags t1,t2]
//	    generate the main package of the config (in <out>/gen/<name>/), build
//	    <out>/<name>.elf with the GOOS=tamago toolchain, stamp a multiboot2
//	    header into it; print the ELF's path and size
//	aero-image iso [same flags]
//	    build, then a BIOS-bootable GRUB ISO: <out>/<name>.iso (needs
//	    grub-mkrescue: Debian grub-pc-bin grub-common xorriso mtools)
//	aero-image list [-config configs/defconfig]
//	    the modules of each kind (core's and the tree's), the config's choice marked
//
// The GOOS=tamago go comes from -go, $AERO_GO, $TAMAGO, or the tree's
// toolchain/build.sh. The tree is the directory holding go.work above the
// config (or above the working directory); a relative -config not found
// from the working directory is looked up in the tree; -o defaults to the
// tree's build/. Config format: go doc github.com/aerokernel/aero/image/config.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aerokernel/aero/core/kind"
	"github.com/aerokernel/aero/image/builder"
	"github.com/aerokernel/aero/image/config"
)

const usageText = `usage:
  aero-image build [-config FILE] [-o DIR] [-go GO] [-tags TAGS]   kernel ELF: DIR/<name>.elf
  aero-image iso   [-config FILE] [-o DIR] [-go GO] [-tags TAGS]   and a GRUB ISO: DIR/<name>.iso
  aero-image list  [-config FILE]                                  modules per kind, the config's marked
Run "aero-image CMD -h" for the flags.
`

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(args []string, stdout, stderr io.Writer) int {
	if len(args) < 1 {
		fmt.Fprint(stderr, usageText)
		return 2
	}
	cmd := args[0]
	switch cmd {
	case "build", "iso", "list":
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText)
		return 0
	default:
		fmt.Fprintf(stderr, "aero-image: unknown command %q\n%s", cmd, usageText)
		return 2
	}
	fs := flag.NewFlagSet("aero-image "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := fs.String("config", "configs/defconfig", "kernel config")
	var out, goBin, tags *string
	if cmd != "list" {
		out = fs.String("o", "", "output directory (default: build/ in the tree)")
		goBin = fs.String("go", "", "GOOS=tamago go binary (default: $AERO_GO, $TAMAGO, toolchain/build.sh)")
		tags = fs.String("tags", "", "extra build tags, comma-separated")
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "aero-image %s: unexpected arguments %q\n", cmd, fs.Args())
		return 2
	}
	opts := builder.Options{Config: findConfig(*cfg), Log: stderr}
	if cmd != "list" {
		opts.Out, opts.Go = *out, *goBin
		if *tags != "" {
			opts.Tags = strings.Split(*tags, ",")
		}
	}
	if err := run(cmd, opts, stdout); err != nil {
		fmt.Fprintln(stderr, "aero-image:", err)
		return 1
	}
	return 0
}

// findConfig returns path, or, if path is relative and not found from the
// working directory, the same path in the tree above the working directory
// (so that "aero-image build" works from any directory of the tree).
func findConfig(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if root, err := builder.FindRoot("."); err == nil {
		if p := filepath.Join(root, path); fileExists(p) {
			return p
		}
	}
	return path // ParseFile reports it
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func run(cmd string, opts builder.Options, stdout io.Writer) error {
	switch cmd {
	case "build":
		r, err := builder.Build(opts)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s (%d bytes)\n", r.ELF, r.Size)
	case "iso":
		r, iso, err := builder.ISO(opts)
		if err != nil {
			return err
		}
		st, err := os.Stat(iso)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s (%d bytes; kernel %s, %d bytes)\n", iso, st.Size(), r.ELF, r.Size)
	case "list":
		return list(opts.Config, stdout)
	}
	return nil
}

// list prints, per kind (by config key), the known module names, the config's choice
// starred, and the config's extra modules and entry.
func list(cfgPath string, w io.Writer) error {
	c, err := config.ParseFile(cfgPath)
	if err != nil {
		return err
	}
	root, err := builder.FindRoot(filepath.Dir(cfgPath))
	if err != nil {
		if root, err = builder.FindRoot("."); err != nil {
			return err
		}
	}
	use, err := c.UseDirs()
	if err != nil {
		return err
	}
	reg, err := builder.Registry(root, "", use...)
	if err != nil {
		return err
	}
	chosen, resolveErr := c.Resolve(reg)
	for _, k := range kind.All {
		m, isChosen := chosen[k.Name]
		var names []string
		for _, n := range reg.Names(k.Name) {
			if isChosen && m.Name == n {
				n = "*" + n
			}
			names = append(names, n)
		}
		if !k.Required {
			n := config.None
			if !isChosen {
				n = "*" + n
			}
			names = append(names, n)
		}
		// A module chosen by an import path the registry does not know.
		if isChosen && m.Name == m.Path {
			names = append(names, "*"+m.Path)
		}
		fmt.Fprintf(w, "%-10s %s\n", k.ConfigKey, strings.Join(names, " "))
	}
	for _, p := range c.Extra {
		fmt.Fprintf(w, "%-10s *%s\n", "module", p)
	}
	if c.Entry.Path != "" {
		fmt.Fprintf(w, "%-10s *%s\n", "entry", c.Entry)
	}
	fmt.Fprintf(w, "(* = chosen by %s)\n", c.File)
	if resolveErr != nil {
		return resolveErr
	}
	return nil
}
