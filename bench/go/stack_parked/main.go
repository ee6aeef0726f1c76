// SPDX-License-Identifier: MIT
// Go twin of bench/stack_parked.c: start N goroutines that park on a
// channel; report the time until all have parked and the resident bytes
// each costs, then the same after a collection.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"goc.bench/benchutil"
)

func rssBytes() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		panic(err)
	}
	var total, resident int64
	fmt.Sscan(string(data), &total, &resident)
	return resident * int64(os.Getpagesize())
}

func main() {
	n := benchutil.CountArg(1000000)
	never := make(chan struct{})
	var started sync.WaitGroup
	rss0 := rssBytes()
	start := time.Now()
	started.Add(int(n))
	for i := int64(0); i < n; i++ {
		go func() {
			started.Done()
			<-never
		}()
	}
	started.Wait()
	elapsed := time.Since(start)
	rss1 := rssBytes()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t1 := time.Now()
	runtime.GC()
	gcElapsed := time.Since(t1)
	rss2 := rssBytes()
	fmt.Printf("create_s %.3f rss_per_g %.0f stack_inuse %d gomaxprocs %d gc_s %.3f rss_per_g_after_gc %.0f\n",
		elapsed.Seconds(), float64(rss1-rss0)/float64(n), ms.StackInuse, runtime.GOMAXPROCS(0),
		gcElapsed.Seconds(), float64(rss2-rss0)/float64(n))
	os.Exit(0)
}
