// SPDX-License-Identifier: MIT
// Go twin of bench/sieve.c: the classic concurrent prime sieve, a generator
// feeding a chain of filter goroutines, one per prime found; N primes.
package main

import (
	"fmt"
	"os"
	"time"

	"goc.bench/benchutil"
)

func generate(ch chan<- int64) {
	for i := int64(2); ; i++ {
		ch <- i
	}
}

func filter(in <-chan int64, out chan<- int64, prime int64) {
	for {
		if i := <-in; i%prime != 0 {
			out <- i
		}
	}
}

// nthPrime finds the answer by trial division, to check the sieve.
func nthPrime(n int64) int64 {
	found := int64(0)
	for c := int64(2); ; c++ {
		isPrime := true
		for d := int64(2); d*d <= c; d++ {
			if c%d == 0 {
				isPrime = false
				break
			}
		}
		if isPrime {
			found++
			if found == n {
				return c
			}
		}
	}
}

func main() {
	n := benchutil.CountArg(3000)
	start := time.Now()
	ch := make(chan int64)
	go generate(ch)
	var prime int64
	for i := int64(0); i < n; i++ {
		prime = <-ch
		next := make(chan int64)
		go filter(ch, next, prime)
		ch = next
	}
	elapsed := time.Since(start)
	if want := nthPrime(n); prime != want {
		fmt.Fprintf(os.Stderr, "sieve: prime %d is %d, want %d\n", n, prime, want)
		os.Exit(1)
	}
	benchutil.Report("ms", float64(elapsed.Nanoseconds())/1e6)
}
