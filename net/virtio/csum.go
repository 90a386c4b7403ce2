package virtio

import "encoding/binary"

// offloadChecksum prepares a frame for the device's checksum offload
// (VIRTIO_NET_F_CSUM, virtio 1.2 §5.1.6.2): for an IPv4 or IPv6 TCP or
// UDP segment, whose checksum the stack left to the device, it stores
// the pseudo-header sum in the checksum field and sets NEEDS_CSUM with
// where the device's sum starts and where it goes. Any other frame is
// left alone: the stack computed its checksums (ICMP, ARP).
//
// IPv6 extension headers before the transport header (fragments) are not
// parsed: such frames go out as the stack built them.
func offloadChecksum(hdr, f []byte) {
	if len(f) < 14 {
		return
	}
	be := binary.BigEndian
	var sum uint32
	var proto uint8
	var l4 int    // offset of the transport header in f
	var l4len int // transport header and payload
	switch be.Uint16(f[12:]) {
	case 0x0800: // IPv4 (RFC 791)
		ip := f[14:]
		if len(ip) < 20 || ip[0]>>4 != 4 {
			return
		}
		ihl := int(ip[0]&0xf) * 4
		total := int(be.Uint16(ip[2:]))
		if ihl < 20 || total < ihl || total > len(ip) || be.Uint16(ip[6:])&0x3fff != 0 {
			return // malformed, or a fragment: the stack summed it
		}
		proto, l4, l4len = ip[9], 14+ihl, total-ihl
		for i := 12; i < 20; i += 2 {
			sum += uint32(be.Uint16(ip[i:]))
		}
	case 0x86dd: // IPv6 (RFC 8200)
		ip := f[14:]
		if len(ip) < 40 || ip[0]>>4 != 6 {
			return
		}
		proto, l4, l4len = ip[6], 14+40, int(be.Uint16(ip[4:]))
		if l4len > len(ip)-40 {
			return
		}
		for i := 8; i < 40; i += 2 {
			sum += uint32(be.Uint16(ip[i:]))
		}
	default:
		return
	}
	var field int // checksum offset in the transport header
	switch proto {
	case 6: // TCP: RFC 9293 §3.1
		field = 16
		if l4len < 20 {
			return
		}
	case 17: // UDP: RFC 768
		field = 6
		if l4len < 8 {
			return
		}
	default:
		return
	}
	sum += uint32(proto) + uint32(l4len)
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	be.PutUint16(f[l4+field:], uint16(sum))
	hdr[0] = hdrNeedsCsum
	binary.LittleEndian.PutUint16(hdr[6:], uint16(l4))
	binary.LittleEndian.PutUint16(hdr[8:], uint16(field))
}
