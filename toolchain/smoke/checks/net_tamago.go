//go:build tamago

package checks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func init() {
	kernelChecks = append(kernelChecks, Check{"net", checkNet})
}

// checkNet proves package net runs over a network stack registered at run
// time (net.SetStack), and fails cleanly without one: it registers an
// in-memory stack (memstack_tamago.go), serves HTTP over it and fetches
// from it with the default client, then unregisters it again.
func checkNet(env *Env) (string, error) {
	if err := checkNoStack(env, "before SetStack"); err != nil {
		return "", err
	}
	if err := checkLocalResolution(); err != nil {
		return "", err
	}
	net.SetStack(newMemStack())
	defer net.SetStack(nil)
	if err := checkTCP(); err != nil {
		return "", err
	}
	if err := checkHTTP(); err != nil {
		return "", err
	}
	net.SetStack(nil)
	if err := checkNoStack(env, "after SetStack(nil)"); err != nil {
		return "", err
	}
	return "nostack=ErrNoStack tcp=echo http=3-gets", nil
}

// checkNoStack verifies that operations that need a network stack fail
// cleanly while none is registered.
func checkNoStack(env *Env, when string) error {
	isNoStack := func(what string, err error, wantOpError bool) error {
		if err == nil {
			return fmt.Errorf("%s %s: succeeded without a stack", when, what)
		}
		if !errors.Is(err, net.ErrNoStack) {
			return fmt.Errorf("%s %s: error %q does not wrap net.ErrNoStack", when, what, err)
		}
		if !strings.Contains(err.Error(), "no network stack registered") {
			return fmt.Errorf("%s %s: unclear error %q", when, what, err)
		}
		var oe *net.OpError
		if wantOpError && !errors.As(err, &oe) {
			return fmt.Errorf("%s %s: error %q (%T) is not a *net.OpError", when, what, err, err)
		}
		return nil
	}

	_, err := net.Dial("tcp", "127.0.0.1:80")
	if err := isNoStack("net.Dial", err, true); err != nil {
		return err
	}
	_, err = net.DialTimeout("tcp", "[::1]:80", time.Hour)
	if err := isNoStack("net.DialTimeout", err, true); err != nil {
		return err
	}
	_, err = net.DialTCP("tcp", nil, &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 80})
	if err := isNoStack("net.DialTCP", err, true); err != nil {
		return err
	}
	_, err = net.Listen("tcp", ":8080")
	if err := isNoStack("net.Listen", err, true); err != nil {
		return err
	}
	_, err = net.ListenPacket("udp", ":53")
	if err := isNoStack("net.ListenPacket", err, true); err != nil {
		return err
	}
	_, err = net.LookupHost("example.com")
	if err := isNoStack("net.LookupHost", err, false); err != nil {
		return err
	}
	resp, err := http.Get("http://192.0.2.1/")
	if err == nil {
		resp.Body.Close()
	}
	if err := isNoStack("http.Get", err, true); err != nil {
		return err
	}

	ift, err := net.Interfaces()
	if err != nil || len(ift) != 0 {
		return fmt.Errorf("%s net.Interfaces: got %v, %v; want no interfaces", when, ift, err)
	}
	return nil
}

// checkLocalResolution verifies that IP literals and localhost resolve
// without a network stack.
func checkLocalResolution() error {
	for host, want := range map[string]string{
		"localhost":   "127.0.0.1",
		"192.0.2.7":   "192.0.2.7",
		"2001:db8::1": "2001:db8::1",
	} {
		addrs, err := net.LookupHost(host)
		if err != nil {
			return fmt.Errorf("LookupHost(%q) without a stack: %v", host, err)
		}
		found := false
		for _, a := range addrs {
			found = found || a == want
		}
		if !found {
			return fmt.Errorf("LookupHost(%q) = %v, want %s among them", host, addrs, want)
		}
	}
	return nil
}

// checkTCP exercises the typed TCP API over the registered stack.
func checkTCP() error {
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return fmt.Errorf("ListenTCP: %v", err)
	}
	defer ln.Close()
	laddr, ok := ln.Addr().(*net.TCPAddr)
	if !ok || laddr.Port == 0 {
		return fmt.Errorf("listener address %v (%T), want a *net.TCPAddr with a port", ln.Addr(), ln.Addr())
	}

	// Echo server.
	go func() {
		for {
			c, err := ln.AcceptTCP()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()

	c, err := net.DialTCP("tcp", nil, laddr)
	if err != nil {
		return fmt.Errorf("DialTCP: %v", err)
	}
	defer c.Close()
	if _, ok := c.RemoteAddr().(*net.TCPAddr); !ok {
		return fmt.Errorf("RemoteAddr of dialed conn is %T", c.RemoteAddr())
	}
	if c.RemoteAddr().String() != laddr.String() {
		return fmt.Errorf("RemoteAddr = %v, want %v", c.RemoteAddr(), laddr)
	}
	c.SetNoDelay(true) // ignored by the in-memory stack, must not fail
	if _, err := c.Write([]byte("ping")); err != nil {
		return fmt.Errorf("Write: %v", err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		return fmt.Errorf("echo: got %q, %v", buf, err)
	}

	// Deadlines are forwarded and reported like on other systems.
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err = c.Read(buf)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("read past deadline: got %v, want a timeout", err)
	}
	c.SetReadDeadline(time.Time{})

	// Dial through the generic API, with a timeout and with a context.
	c2, err := net.DialTimeout("tcp", laddr.String(), time.Hour)
	if err != nil {
		return fmt.Errorf("DialTimeout: %v", err)
	}
	c2.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var d net.Dialer
	if c3, err := d.DialContext(ctx, "tcp", laddr.String()); err == nil {
		c3.Close()
		return fmt.Errorf("DialContext with a canceled context succeeded")
	}

	// A refused connection is an error, not a crash.
	if c4, err := net.Dial("tcp", "127.0.0.1:1"); err == nil {
		c4.Close()
		return fmt.Errorf("Dial to a port without listener succeeded")
	}

	// Unsupported networks fail cleanly.
	if pc, err := net.ListenPacket("udp", ":0"); err == nil {
		pc.Close()
		return fmt.Errorf("ListenPacket(udp) succeeded on a TCP-only stack")
	}
	return nil
}

// checkHTTP serves HTTP on a net.Listen listener and fetches from it
// with the default client, through an IP literal, localhost and a name
// resolved by the stack.
func checkHTTP() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("Listen: %v", err)
	}
	if _, ok := ln.(*net.TCPListener); !ok {
		return fmt.Errorf("Listen returned %T, want *net.TCPListener", ln)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s from tamago", r.URL.Path)
	})}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	for _, host := range []string{"127.0.0.1", "localhost", "fake.test"} {
		url := "http://" + net.JoinHostPort(host, port) + "/x"
		resp, err := http.Get(url)
		if err != nil {
			return fmt.Errorf("GET %s: %v", url, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || string(body) != "hello /x from tamago" {
			return fmt.Errorf("GET %s: status %d, body %q, error %v", url, resp.StatusCode, body, err)
		}
	}

	http.DefaultClient.CloseIdleConnections()
	if err := srv.Close(); err != nil {
		return fmt.Errorf("Server.Close: %v", err)
	}
	if err := <-served; err != http.ErrServerClosed {
		return fmt.Errorf("Serve returned %v, want http.ErrServerClosed", err)
	}
	return nil
}
