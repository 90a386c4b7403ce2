//go:build linux

package main

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// configure brings interface index up with addr and a default route via
// gw, as `ip link set up`, `ip addr add` and `ip route add default` would:
// three rtnetlink requests, each acknowledged (rtnetlink(7)).
func configure(index int, addr netip.Prefix, gw netip.Addr) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("rtnetlink socket: %w", err)
	}
	defer unix.Close(fd)
	for i, req := range [][]byte{linkUp(index, 1), addAddress(index, addr, 2), addDefaultRoute(index, gw, 3)} {
		what := [...]string{"link up", "address " + addr.String(), "default route via " + gw.String()}[i]
		if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
			return fmt.Errorf("%s: send: %w", what, err)
		}
		buf := make([]byte, 4096)
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return fmt.Errorf("%s: receive: %w", what, err)
		}
		if err := ackError(buf[:n], uint32(i+1)); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

// attr is one rtnetlink attribute (struct rtattr and its payload).
type attr struct {
	typ  uint16
	data []byte
}

// request is a netlink message of type typ asking for an
// acknowledgement: the header (struct nlmsghdr), body (the message type's
// fixed struct, a multiple of 4 bytes) and attrs, each padded to 4 bytes
// (NLMSG_ALIGN, RTA_ALIGN).
func request(typ, flags uint16, seq uint32, body []byte, attrs ...attr) []byte {
	b := make([]byte, unix.SizeofNlMsghdr, 64)
	b = append(b, body...)
	for _, a := range attrs {
		b = binary.NativeEndian.AppendUint16(b, uint16(unix.SizeofRtAttr+len(a.data)))
		b = binary.NativeEndian.AppendUint16(b, a.typ)
		b = append(b, a.data...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	binary.NativeEndian.PutUint32(b[0:], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], typ)
	binary.NativeEndian.PutUint16(b[6:], flags|unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	binary.NativeEndian.PutUint32(b[8:], seq)
	return b // nlmsg_pid 0: the kernel fills in the sender
}

// linkUp sets IFF_UP on the interface: RTM_NEWLINK with struct ifinfomsg
// (family, pad, type, index, flags, change).
func linkUp(index int, seq uint32) []byte {
	body := make([]byte, unix.SizeofIfInfomsg)
	body[0] = unix.AF_UNSPEC
	binary.NativeEndian.PutUint32(body[4:], uint32(index))
	binary.NativeEndian.PutUint32(body[8:], unix.IFF_UP)
	binary.NativeEndian.PutUint32(body[12:], unix.IFF_UP)
	return request(unix.RTM_NEWLINK, 0, seq, body)
}

// addAddress adds an IPv4 address: RTM_NEWADDR with struct ifaddrmsg
// (family, prefixlen, flags, scope, index) and IFA_LOCAL, IFA_ADDRESS.
func addAddress(index int, addr netip.Prefix, seq uint32) []byte {
	body := make([]byte, unix.SizeofIfAddrmsg)
	body[0] = unix.AF_INET
	body[1] = byte(addr.Bits())
	body[3] = unix.RT_SCOPE_UNIVERSE
	binary.NativeEndian.PutUint32(body[4:], uint32(index))
	ip := addr.Addr().AsSlice()
	return request(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL, seq, body,
		attr{unix.IFA_LOCAL, ip}, attr{unix.IFA_ADDRESS, ip})
}

// addDefaultRoute adds 0.0.0.0/0 via gw on the interface: RTM_NEWROUTE
// with struct rtmsg (family, dst_len, src_len, tos, table, protocol,
// scope, type, flags) and RTA_GATEWAY, RTA_OIF.
func addDefaultRoute(index int, gw netip.Addr, seq uint32) []byte {
	body := make([]byte, unix.SizeofRtMsg)
	body[0] = unix.AF_INET
	body[4] = unix.RT_TABLE_MAIN
	body[5] = unix.RTPROT_BOOT
	body[6] = unix.RT_SCOPE_UNIVERSE
	body[7] = unix.RTN_UNICAST
	oif := binary.NativeEndian.AppendUint32(nil, uint32(index))
	return request(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_EXCL, seq, body,
		attr{unix.RTA_GATEWAY, gw.AsSlice()}, attr{unix.RTA_OIF, oif})
}

// ackError finds the kernel's answer to request seq in b: nil for an
// acknowledgement (NLMSG_ERROR with error 0), else the errno it carries.
func ackError(b []byte, seq uint32) error {
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil {
		return fmt.Errorf("parsing the answer: %w", err)
	}
	for _, m := range msgs {
		if m.Header.Seq != seq || m.Header.Type != unix.NLMSG_ERROR {
			continue
		}
		if len(m.Data) < 4 {
			return fmt.Errorf("NLMSG_ERROR of %d bytes", len(m.Data))
		}
		if e := int32(binary.NativeEndian.Uint32(m.Data)); e != 0 {
			return syscall.Errno(-e)
		}
		return nil
	}
	return fmt.Errorf("no acknowledgement of request %d in %d bytes", seq, len(b))
}
