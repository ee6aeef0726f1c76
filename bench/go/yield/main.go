// Go twin of bench/yield.c: two goroutines each call runtime.Gosched N times.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type yielders struct {
	wg sync.WaitGroup
	n  int64
}

func yielder(y *yielders) {
	for i := int64(0); i < y.n; i++ {
		runtime.Gosched()
	}
	y.wg.Done()
}

func main() {
	y := &yielders{n: countArg(1000000)}
	start := time.Now()
	y.wg.Add(2)
	go yielder(y)
	go yielder(y)
	y.wg.Wait()
	elapsed := time.Since(start)
	fmt.Printf("ns_per_op %.1f gomaxprocs %d\n",
		float64(elapsed.Nanoseconds())/float64(2*y.n), runtime.GOMAXPROCS(0))
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
