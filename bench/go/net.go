package main

// Go counterparts of the issue-7 rows (goro's net API does not exist yet,
// so bench/run.py shows the goro column as TODO): a loopback echo server
// under 100 concurrent clients.

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"gorobench/internal/harness"
)

func init() {
	harness.Register(
		harness.Row{Name: "echo_rps", Run: echoRow("echo_rps", 0)},
		harness.Row{Name: "blocking_offload", Run: echoRow("blocking_offload", offloadCall)},
	)
}

// The echo load: 100 connections, 64-byte requests echoed back.
const (
	echoConns   = 100
	echoReqSize = 64
)

// offloadCall is the blocking system call blocking_offload's server makes
// per request: the runtime must move it off the scheduler's threads (Go
// hands the P to another thread) so other connections keep being served.
const offloadCall = 100 * time.Microsecond

// echoServe echoes fixed-size requests on c until the client hangs up,
// first sleeping `block` in a real nanosleep(2) if nonzero.
func echoServe(c net.Conn, block time.Duration) {
	defer c.Close()
	buf := make([]byte, echoReqSize)
	ts := syscall.NsecToTimespec(block.Nanoseconds())
	for {
		if _, err := io.ReadFull(c, buf); err != nil {
			return
		}
		if block > 0 {
			syscall.Nanosleep(&ts, nil)
		}
		if _, err := c.Write(buf); err != nil {
			return
		}
	}
}

// startEcho listens on a loopback port and serves every connection.
func startEcho(block time.Duration) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go echoServe(c, block)
		}
	}()
	return ln, nil
}

// echoClient sends n requests over one connection, each after the previous
// reply has come back.
func echoClient(addr string, n int) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	req := make([]byte, echoReqSize)
	resp := make([]byte, echoReqSize)
	for range n {
		if _, err := c.Write(req); err != nil {
			return err
		}
		if _, err := io.ReadFull(c, resp); err != nil {
			return err
		}
	}
	return nil
}

// echoRow measures requests per second of 100 concurrent clients against
// the loopback echo server.
func echoRow(name string, block time.Duration) func(harness.Opts) error {
	return func(o harness.Opts) error {
		perConn := o.Size(1_000, 10)
		if block > 0 {
			perConn = o.Size(200, 10)
		}
		ln, err := startEcho(block)
		if err != nil {
			return err
		}
		defer ln.Close()
		var errs []error
		var mu sync.Mutex
		s := harness.Repeat(o, func() float64 {
			var wg sync.WaitGroup
			t0 := time.Now()
			for range echoConns {
				wg.Go(func() {
					if err := echoClient(ln.Addr().String(), perConn); err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			return float64(echoConns*perConn) / time.Since(t0).Seconds()
		})
		if err := errors.Join(errs...); err != nil {
			return err
		}
		harness.Emit(name, "req/s", s, harness.Extra{"conns": echoConns, "req_bytes": echoReqSize})
		return nil
	}
}
