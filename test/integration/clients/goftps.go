// goftps - a Go FTPS client for the integration tests (test_tls_clients.py),
// built with Debian's golang-go and golang-github-jlaffaye-ftp-dev, offline.
//
// It opens -conns control connections (explicit or implicit TLS) that share
// one tls.Config, and so, with -cache, one TLS session cache: one entry per
// host, as in rclone.  Every control connection logs in before the first
// transfer, so a data connection often offers a ticket another control
// connection was given.  Then -n uploads of -file, round robin over the
// connections, and each file downloaded again; any error or difference in
// content ends the program with status 1.
package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/jlaffaye/ftp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:21", "server address")
	user := flag.String("user", "", "user")
	pass := flag.String("pass", "", "password")
	file := flag.String("file", "", "file to upload")
	n := flag.Int("n", 4, "uploads")
	conns := flag.Int("conns", 2, "control connections")
	cache := flag.Bool("cache", true, "share a TLS session cache")
	implicit := flag.Bool("implicit", false, "implicit TLS")
	flag.Parse()

	data, err := os.ReadFile(*file)
	if err != nil {
		fail("read %s: %v", *file, err)
	}
	want := sha256.Sum256(data)
	cfg := &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}
	if *cache {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
	}
	opt := ftp.DialWithExplicitTLS(cfg)
	if *implicit {
		opt = ftp.DialWithTLS(cfg)
	}
	/*
	 * Debian's jlaffaye/ftp (2022-08) finishes the data connection's TLS
	 * handshake before it sends the command, which no server that starts
	 * TLS after the 150 answers; later versions wrap the connection and
	 * let the first read or write do the handshake.  So does this.
	 */
	dial := func(network, a string) (net.Conn, error) {
		conn, err := net.DialTimeout(network, a, 30*time.Second)
		if err != nil || (a == *addr && !*implicit) {
			return conn, err // control: AUTH TLS first
		}
		return tls.Client(conn, cfg), nil
	}
	cs := make([]*ftp.ServerConn, *conns)
	for i := range cs {
		c, err := ftp.Dial(*addr, opt, ftp.DialWithDialFunc(dial),
			ftp.DialWithTimeout(30*time.Second))
		if err != nil {
			fail("dial %d: %v", i, err)
		}
		if err := c.Login(*user, *pass); err != nil {
			fail("login %d: %v", i, err)
		}
		cs[i] = c
	}
	for i := 0; i < *n; i++ {
		name := fmt.Sprintf("go%d.bin", i)
		if err := cs[i%len(cs)].Stor(name, bytes.NewReader(data)); err != nil {
			fail("STOR %s on connection %d: %v", name, i%len(cs), err)
		}
	}
	for i := 0; i < *n; i++ {
		name := fmt.Sprintf("go%d.bin", i)
		r, err := cs[(i+1)%len(cs)].Retr(name)
		if err != nil {
			fail("RETR %s: %v", name, err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			fail("RETR %s: %v", name, err)
		}
		if sha256.Sum256(got) != want {
			fail("RETR %s: %d bytes, content differs", name, len(got))
		}
	}
	for _, c := range cs {
		c.Quit()
	}
	fmt.Println("ok")
}

func fail(f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "goftps: "+f+"\n", a...)
	os.Exit(1)
}
