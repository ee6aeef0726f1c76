// SPDX-License-Identifier: MIT
// Go twin of bench/ring.c: the benchmarks-game thread-ring.  503 goroutines
// linked by unbuffered channels pass a token that each decrements; the one
// that receives 0 reports its number.  Only the passing is timed.
package main

import (
	"fmt"
	"os"
	"time"

	"goc.bench/benchutil"
)

const ringSize = 503

func member(id int64, in <-chan int64, out chan<- int64, winner chan<- int64) {
	for {
		token := <-in
		if token == 0 {
			winner <- id
			return
		}
		out <- token - 1
	}
}

func main() {
	n := benchutil.CountArg(10000000)
	first, winner := make(chan int64), make(chan int64)
	in := first
	for id := int64(1); id <= ringSize; id++ {
		out := first
		if id < ringSize {
			out = make(chan int64)
		}
		go member(id, in, out, winner)
		in = out
	}
	start := time.Now()
	first <- n
	id := <-winner
	elapsed := time.Since(start)
	if want := n%ringSize + 1; id != want {
		fmt.Fprintf(os.Stderr, "ring: goroutine %d got the last token, want %d\n", id, want)
		os.Exit(1)
	}
	benchutil.ReportPerOp(elapsed, n)
}
