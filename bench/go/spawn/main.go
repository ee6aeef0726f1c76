// SPDX-License-Identifier: MIT
// Go twin of bench/spawn.c: spawn N goroutines that only mark a WaitGroup
// done, and wait for all of them.
package main

import (
	"sync"
	"time"

	"goc.bench/benchutil"
)

func finish(wg *sync.WaitGroup) {
	wg.Done()
}

func main() {
	n := benchutil.CountArg(1000000)
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(int(n))
	for i := int64(0); i < n; i++ {
		go finish(&wg)
	}
	wg.Wait()
	elapsed := time.Since(start)
	benchutil.ReportPerOp(elapsed, n)
}
