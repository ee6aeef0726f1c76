// SPDX-License-Identifier: MIT
// Package benchutil holds what every Go twin shares with its C side
// (bench/bench.h): the one optional count argument and the result line
// that bench/run parses.
package benchutil

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

// CountArg returns the count given as the only argument, or fallback.
func CountArg(fallback int64) int64 {
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

// Report prints "<unit> <value> gomaxprocs <n>".
func Report(unit string, value float64) {
	fmt.Printf("%s %.1f gomaxprocs %d\n", unit, value, runtime.GOMAXPROCS(0))
}

// ReportPerOp prints the nanoseconds per operation.
func ReportPerOp(elapsed time.Duration, ops int64) {
	Report("ns_per_op", float64(elapsed.Nanoseconds())/float64(ops))
}
