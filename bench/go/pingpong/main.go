// SPDX-License-Identifier: MIT
// Go twin of bench/pingpong.c: main sends a value on an unbuffered channel,
// an echo goroutine sends it back on another; N round trips.
package main

import (
	"fmt"
	"os"
	"time"

	"goc.bench/benchutil"
)

func echo(ping <-chan int64, pong chan<- int64, n int64) {
	for i := int64(0); i < n; i++ {
		pong <- <-ping
	}
}

func main() {
	n := benchutil.CountArg(1000000)
	ping, pong := make(chan int64), make(chan int64)
	start := time.Now()
	go echo(ping, pong, n)
	for i := int64(0); i < n; i++ {
		ping <- i
		if v := <-pong; v != i {
			fmt.Fprintf(os.Stderr, "pingpong: sent %d, got back %d\n", i, v)
			os.Exit(1)
		}
	}
	elapsed := time.Since(start)
	benchutil.ReportPerOp(elapsed, n)
}
