//go:build !linux

package server

import "net"

// corker is a no-op where TCP_CORK is not wired up.
type corker struct{}

func newCorker(net.Conn) *corker { return nil }

func (k *corker) set(bool) bool { return false }
