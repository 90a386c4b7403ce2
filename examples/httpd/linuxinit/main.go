//go:build linux

// Command linuxinit is the /init of a Linux guest serving examples/httpd's
// Handler, the same net/http server Aero's configs/httpd runs, so that the
// two can be measured on the same QEMU (BenchmarkHTTPDVsLinux in qemu/).
// It mounts /proc and /sys, loads the kernel modules the initramfs holds
// (lib/modules/*.ko in name order, which qemu/linuxguest.ModuleFiles makes
// the load order), gives the one NIC QEMU user networking's static
// address (10.0.2.15/24, gateway 10.0.2.2) over rtnetlink, serves on port
// 80 and prints ReadyLine.
package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/aerokernel/aero/examples/httpd"
)

// QEMU user networking's addresses (QEMU's "Network emulation" docs:
// the guest is 10.0.2.15, the gateway 10.0.2.2), as Aero's net.ip= and
// net.gw= give them.
var (
	guestAddr = netip.MustParsePrefix("10.0.2.15/24")
	gateway   = netip.MustParseAddr("10.0.2.2")
)

// ReadyLine starts the line printed once the server listens, followed by
// its address and the NIC's name and driver.
const ReadyLine = "linuxhttpd: serving on "

func main() {
	if err := run(); err != nil {
		fmt.Printf("linuxhttpd: FAIL %v\n", err)
	}
	// PID 1 must not exit (the kernel would panic with nothing said):
	// stay, so the failure above is the last line.
	for {
		time.Sleep(time.Hour)
	}
}

func run() error {
	for _, m := range []struct{ dir, fs string }{{"/proc", "proc"}, {"/sys", "sysfs"}} {
		if err := unix.Mount(m.fs, m.dir, m.fs, 0, ""); err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.fs, m.dir, err)
		}
	}
	loaded, err := loadModules("/lib/modules")
	if err != nil {
		return err
	}
	fmt.Printf("linuxhttpd: loaded modules %s\n", strings.Join(loaded, " "))
	ifc, err := theNIC(10 * time.Second)
	if err != nil {
		return err
	}
	if err := configure(ifc.Index, guestAddr, gateway); err != nil {
		return fmt.Errorf("%s: %w", ifc.Name, err)
	}
	// The server could listen before the link is up, but a benchmark
	// starting then would time the PHY's negotiation (e1000) too.
	if err := waitRunning(ifc.Name, 10*time.Second); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", ":80")
	if err != nil {
		return err
	}
	fmt.Printf("%s%v (%s driver=%s %v via %v)\n", ReadyLine, ln.Addr(), ifc.Name, driver(ifc.Name), guestAddr, gateway)
	return http.Serve(ln, httpd.Handler(time.Now(), func() []string { return []string{statsLine(ifc.Name)} }))
}

// loadModules loads dir's *.ko in name order with finit_module(2) and
// returns their names. A module already in the kernel (EEXIST) counts as
// loaded.
func loadModules(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.ko"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no modules in %s: the NIC driver would be missing", dir)
	}
	var names []string
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			return names, err
		}
		err = unix.FinitModule(int(f.Fd()), "", 0)
		f.Close()
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return names, fmt.Errorf("finit_module %s: %w", p, err)
		}
		names = append(names, moduleName(filepath.Base(p)))
	}
	return names, nil
}

// moduleName is the module of a ModuleFiles name: 03-virtio_net.ko is virtio_net.
func moduleName(file string) string {
	name := strings.TrimSuffix(file, ".ko")
	if _, rest, ok := strings.Cut(name, "-"); ok {
		return rest
	}
	return name
}

// theNIC waits for the driver to register the one network interface
// besides loopback.
func theNIC(timeout time.Duration) (net.Interface, error) {
	deadline := time.Now().Add(timeout)
	for {
		ifs, err := net.Interfaces()
		if err != nil {
			return net.Interface{}, err
		}
		var nics []net.Interface
		for _, i := range ifs {
			if i.Flags&net.FlagLoopback == 0 {
				nics = append(nics, i)
			}
		}
		switch {
		case len(nics) == 1:
			return nics[0], nil
		case len(nics) > 1:
			return net.Interface{}, fmt.Errorf("%d network interfaces (%v): want the one QEMU was given", len(nics), nics)
		case time.Now().After(deadline):
			return net.Interface{}, fmt.Errorf("no network interface %v after the modules loaded", timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitRunning waits for the interface to have carrier (IFF_RUNNING).
func waitRunning(name string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ifc, err := net.InterfaceByName(name)
		if err != nil {
			return err
		}
		if ifc.Flags&net.FlagRunning != 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no link after %v", name, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// driver is the name of the driver bound to the interface's device.
func driver(ifname string) string {
	p, err := os.Readlink("/sys/class/net/" + ifname + "/device/driver")
	if err != nil {
		return "unknown"
	}
	return filepath.Base(p)
}

// statsLine is /stats's line for the interface, in the shape of Aero's
// (net/netstack, Stack.StatsLines), from the kernel's counters
// (Documentation/ABI/testing/sysfs-class-net-statistics).
func statsLine(ifname string) string {
	dir := "/sys/class/net/" + ifname
	read := func(name string) string {
		b, err := os.ReadFile(dir + "/" + name)
		if err != nil {
			return "?"
		}
		return strings.TrimSpace(string(b))
	}
	s := func(name string) string { return read("statistics/" + name) }
	return fmt.Sprintf("%s driver=%s link=%v tx=%s/%sB txerr=%s txdrop=%s rx=%s/%sB rxerr=%s rxdrop=%s",
		ifname, driver(ifname), read("carrier") == "1", s("tx_packets"), s("tx_bytes"), s("tx_errors"), s("tx_dropped"),
		s("rx_packets"), s("rx_bytes"), s("rx_errors"), s("rx_dropped"))
}
