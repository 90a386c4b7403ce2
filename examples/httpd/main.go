//go:build tamago && amd64

package httpd

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/platform"
	"github.com/aerokernel/aero/net/netstack"
)

// Main is the HRT entry: bring the network up, listen on port 80 (or
// httpd.port=N from the command line) and serve until the kernel stops.
func Main() {
	st, err := netstack.Start()
	if err != nil {
		panic(err)
	}
	port, err := core.Running().Cmdline.Int("httpd.port", 80)
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		panic(err)
	}
	fmt.Printf("httpd: serving on %v\n", ln.Addr())
	stats := func() []string {
		return append(st.StatsLines(), fmt.Sprintf("irq spurious=%d stray=%d", platform.SpuriousInterrupts(), platform.StrayInterrupts()))
	}
	panic(http.Serve(ln, Handler(time.Now(), stats)))
}
