// Package httpd is an HRT that is a plain net/http server: on Aero it
// runs over the net module's stack through package net, unchanged Go.
// configs/httpd links it with the virtio driver; `make run
// CONFIG=configs/httpd` forwards a host port to its port 80.
//
//	GET  /               a greeting with the kernel's uptime
//	POST /upload         the SHA-256 (hex) and length of the request body
//	GET  /download?n=N   N bytes (Pattern), at most MaxDownload
//	GET  /stats          the network interfaces' counters, then on Aero the
//	                     interrupt counters (spurious, stray)
//
// The handlers are plain Go (Handler), tested on the host; Main
// (GOOS=tamago) serves them on Aero, and ./linuxinit, the /init of a
// Linux guest, serves the same Handler there, for BenchmarkHTTPDVsLinux
// (qemu/) to compare the two.
package httpd

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// MaxDownload bounds /download's n.
const MaxDownload = 1 << 30

// Pattern fills /download's body: byte i is Pattern(i), so a client can
// check what it got without a copy of it.
func Pattern(i int64) byte { return byte(i*7 + i>>8) }

// Handler returns the server's handlers; started is when the server began
// (for the greeting's uptime), stats gives /stats its lines.
func Handler(started time.Time, stats func() []string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		for _, l := range stats() {
			fmt.Fprintln(w, l)
		}
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "Aero httpd: up %v\n", time.Since(started).Round(time.Millisecond))
	})
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			http.Error(w, fmt.Sprintf("reading the body after %d bytes: %v", n, err), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%s %d\n", hex.EncodeToString(h.Sum(nil)), n)
	})
	mux.HandleFunc("GET /download", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
		if err != nil || n < 0 || n > MaxDownload {
			http.Error(w, fmt.Sprintf("n=%q: want a byte count from 0 to %d", r.URL.Query().Get("n"), MaxDownload), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		buf := make([]byte, 64<<10)
		for off := int64(0); off < n; {
			k := min(int64(len(buf)), n-off)
			for i := range buf[:k] {
				buf[i] = Pattern(off + int64(i))
			}
			if _, err := w.Write(buf[:k]); err != nil {
				return // the client went away
			}
			off += k
		}
	})
	return mux
}
