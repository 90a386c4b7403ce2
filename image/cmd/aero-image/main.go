// Command aero-image builds Aero kernel images from a config.
//
//	aero-image build [-config configs/defconfig] [-o build] [-go GO] [-tags t1,t2]
//	aero-image iso   [same flags]     build, then a GRUB ISO: build/<name>.iso
//	aero-image list  [-config FILE]   the modules of each kind, and the config's choice
//
// The GOOS=tamago go comes from -go, $AERO_GO, $TAMAGO, or the tree's
// toolchain/build.sh. Config format: go doc github.com/aerokernel/aero/image/config.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/aerokernel/aero/image/build"
	"github.com/aerokernel/aero/image/config"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: aero-image build|iso|list [-config FILE] [-o DIR] [-go GO] [-tags TAGS]")
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet("aero-image "+cmd, flag.ExitOnError)
	cfg := fs.String("config", "configs/defconfig", "kernel config")
	out := fs.String("o", "", "output directory (default: build/ in the tree)")
	goBin := fs.String("go", "", "GOOS=tamago go binary (default: $AERO_GO, $TAMAGO, toolchain/build.sh)")
	tags := fs.String("tags", "", "extra build tags, comma-separated")
	fs.Parse(os.Args[2:])
	opts := build.Options{Config: *cfg, Out: *out, Go: *goBin, Log: os.Stderr}
	if *tags != "" {
		opts.Tags = strings.Split(*tags, ",")
	}
	if err := run(cmd, opts); err != nil {
		fmt.Fprintln(os.Stderr, "aero-image:", err)
		os.Exit(1)
	}
}

func run(cmd string, opts build.Options) error {
	switch cmd {
	case "build":
		r, err := build.Build(opts)
		if err != nil {
			return err
		}
		fmt.Printf("%s (%d bytes)\n", r.ELF, r.Size)
	case "iso":
		r, iso, err := build.ISO(opts)
		if err != nil {
			return err
		}
		st, _ := os.Stat(iso)
		fmt.Printf("%s (%d bytes; kernel %s)\n", iso, st.Size(), r.ELF)
	case "list":
		c, err := config.ParseFile(opts.Config)
		if err != nil {
			return err
		}
		reg := config.DefaultRegistry()
		for _, k := range config.Kinds {
			chosen := c.Modules[k]
			var names []string
			for _, n := range reg.Names(k) {
				if n == chosen {
					n = "*" + n
				}
				names = append(names, n)
			}
			if !config.Required(k) {
				n := config.None
				if chosen == "" || chosen == config.None {
					n = "*" + n
				}
				names = append(names, n)
			}
			fmt.Printf("%-10s %s\n", k, strings.Join(names, " "))
		}
		fmt.Printf("(* = chosen by %s)\n", c.File)
	default:
		usage()
	}
	return nil
}
