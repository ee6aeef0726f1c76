// Go twin of bench/spawn.c: spawn N goroutines that only mark a WaitGroup
// done, and wait for all of them.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

func finish(wg *sync.WaitGroup) {
	wg.Done()
}

func main() {
	n := countArg(1000000)
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(int(n))
	for i := int64(0); i < n; i++ {
		go finish(&wg)
	}
	wg.Wait()
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
