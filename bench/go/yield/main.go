// SPDX-License-Identifier: MIT
// Go twin of bench/yield.c: two goroutines each call runtime.Gosched N times.
package main

import (
	"runtime"
	"sync"
	"time"

	"goc.bench/benchutil"
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
	y := &yielders{n: benchutil.CountArg(1000000)}
	start := time.Now()
	y.wg.Add(2)
	go yielder(y)
	go yielder(y)
	y.wg.Wait()
	elapsed := time.Since(start)
	benchutil.ReportPerOp(elapsed, 2*y.n)
}
