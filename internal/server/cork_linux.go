package server

import (
	"net"
	"syscall"
)

// corker holds a TCP connection's socket so that a response's header and
// body can be sent as full packets (TCP_CORK, nginx's tcp_nopush): without
// it, net/http's 4 KiB buffer sends a feed as a small first packet and the
// rest, and on loopback the extra packet costs more than the two
// setsockopt calls (gzip 200s went from 21k to 27k requests/s on one core).
type corker struct {
	rc syscall.RawConn
}

func newCorker(c net.Conn) *corker {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return &corker{rc: rc}
}

// set corks (on) or uncorks the socket, which sends what is held; it
// reports whether it could.
func (k *corker) set(on bool) bool {
	v := 0
	if on {
		v = 1
	}
	var err error
	if cerr := k.rc.Control(func(fd uintptr) {
		err = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK, v)
	}); cerr != nil {
		return false
	}
	return err == nil
}
