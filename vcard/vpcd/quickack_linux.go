//go:build linux

package vpcd

import (
	"net"
	"syscall"
)

// quickAck asks the kernel to acknowledge the next segments at once. vpcd sends a message's
// length and its payload in two writes; with Nagle's algorithm on its side and a delayed ACK on
// ours, the payload would wait ~40 ms for our ACK on every APDU. Linux leaves quick-ACK mode by
// itself, so it is set again before each read.
func quickAck(conn net.Conn) {
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
