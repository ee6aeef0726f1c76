// SPDX-License-Identifier: MIT
// Go twin of examples/httpd for bench/http-run: net/http's hello server.
//
//	httpd [port] [address]
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
)

func main() {
	port, addr := "0", "127.0.0.1"
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	if len(os.Args) > 2 {
		addr = os.Args[2]
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "Hello, World!\n")
	})
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("httpd: listening on %s\n", ln.Addr())
	fmt.Fprintln(os.Stderr, http.Serve(ln, nil))
	os.Exit(1)
}
