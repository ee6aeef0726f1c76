// Go twin of bench/pingpong.c: main sends a value on an unbuffered channel,
// an echo goroutine sends it back on another; N round trips.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

func echo(ping <-chan int64, pong chan<- int64, n int64) {
	for i := int64(0); i < n; i++ {
		pong <- <-ping
	}
}

func main() {
	n := countArg(1000000)
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
	fmt.Printf("ns_per_op %.1f gomaxprocs %d\n",
		float64(elapsed.Nanoseconds())/float64(n), runtime.GOMAXPROCS(0))
}

func countArg(fallback int64) int64 {
	if len(os.Args) < 2 {
		return fallback
	}
	n, err := strconv.ParseInt(os.Args[1], 10, 64)
	if len(os.Args) > 2 || err != nil || n <= 0 {
		fmt.Fprintf(os.Stderr, "usage: %s [count > 0]\n", os.Args[0])
		os.Exit(2)
	}
	return n
}
