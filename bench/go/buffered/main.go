// SPDX-License-Identifier: MIT
// Go twin of bench/buffered.c: a producer goroutine sends 0..N-1 over a
// channel of capacity 1024 and closes it; main receives and sums them.
package main

import (
	"fmt"
	"os"
	"time"

	"goc.bench/benchutil"
)

const capacity = 1024

func produce(ch chan<- int64, n int64) {
	for i := int64(0); i < n; i++ {
		ch <- i
	}
	close(ch)
}

func main() {
	n := benchutil.CountArg(10000000)
	ch := make(chan int64, capacity)
	start := time.Now()
	go produce(ch, n)
	var sum int64
	for v := range ch {
		sum += v
	}
	elapsed := time.Since(start)
	if want := n * (n - 1) / 2; sum != want {
		fmt.Fprintf(os.Stderr, "buffered: sum %d, want %d\n", sum, want)
		os.Exit(1)
	}
	benchutil.ReportPerOp(elapsed, n)
}
