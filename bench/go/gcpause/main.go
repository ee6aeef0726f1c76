// SPDX-License-Identifier: MIT
// The Go twin of bench/gc_pause.c, the collector's pause workload: a live
// heap of LIVE MiB (default 1024) in 64-byte nodes, half in one global
// list and half spread over 10,000 goroutines that each hold their share
// in a local variable while parked on a channel; then CHURN x LIVE
// (default 8x) of short-lived 64-byte nodes, a small ring of them kept
// reachable.  At the end every list is checked node by node.
//
// usage: gcpause [LIVE_MiB [CHURN]]; prints the same line as the C side.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"
)

type node struct {
	next *node
	val  uint64
	pad  [6]uint64 // to 64 bytes, the workload's node size
}

const (
	goroutines = 10000
	ringSize   = 4096 // churned nodes kept reachable, a power of two
	harvests   = 16   // pause-ring reads during the churn
	batch      = 256  // churn allocations per clock reading
	mainTag    = uint64(0x4d41494e00000000)
	churnTag   = uint64(0x4348524e00000000)
)

func gTag(g int64) uint64 { return uint64(g+1) << 32 }

func build(n int64, tag uint64) *node {
	var head *node
	for i := int64(0); i < n; i++ {
		head = &node{next: head, val: tag | uint64(i)}
	}
	return head
}

// check panics unless head is the list build made: n nodes, tag|(n-1)
// down to tag|0.
func check(head *node, n int64, tag uint64, who string, id int64) {
	i := n
	for x := head; x != nil; x = x.next {
		i--
		if i < 0 || x.val != tag|uint64(i) {
			panic(fmt.Sprintf("gcpause: %s %d: node %d holds %#x (freed while live?)", who, id, i, x.val))
		}
	}
	if i != 0 {
		panic(fmt.Sprintf("gcpause: %s %d: list ends %d nodes early", who, id, i))
	}
}

// Every cycle's pause, in order, copied out of MemStats' ring.
var pauses []uint64

func harvest() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.NumGC-uint32(len(pauses)) > 256 {
		fmt.Fprintf(os.Stderr, "gcpause: %d cycles since the last read: the pause ring wrapped\n",
			ms.NumGC-uint32(len(pauses)))
		os.Exit(1)
	}
	for c := uint32(len(pauses)); c < ms.NumGC; c++ {
		pauses = append(pauses, ms.PauseNs[c%256])
	}
}

func arg(i int, fallback int64) int64 {
	if len(os.Args) <= i {
		return fallback
	}
	v, err := strconv.ParseInt(os.Args[i], 10, 64)
	if len(os.Args) > 3 || err != nil || v <= 0 {
		fmt.Fprintf(os.Stderr, "usage: %s [LIVE_MiB [CHURN]]\n", os.Args[0])
		os.Exit(2)
	}
	return v
}

var (
	mainList *node
	ring     [ringSize]*node
)

func main() {
	liveMiB, churnX := arg(1, 1024), arg(2, 8)
	total := liveMiB * 1024 * 1024 / 64
	perG := total / 2 / goroutines
	mainNodes := total - perG*goroutines
	churn := churnX * total

	t0 := time.Now()
	release := make(chan struct{})
	var parked, checked sync.WaitGroup
	parked.Add(goroutines)
	checked.Add(goroutines)
	for g := int64(0); g < goroutines; g++ {
		go func(id int64) {
			// The list is reachable only from this goroutine's stack.
			head := build(perG, gTag(id))
			parked.Done()
			<-release
			check(head, perG, gTag(id), "goroutine", id)
			checked.Done()
		}(g)
	}
	parked.Wait()
	mainList = build(mainNodes, mainTag)
	t1 := time.Now()
	harvest()

	// The longest the churn took for batch allocations: PauseNs counts
	// only the stops, this whatever the mutator met (a stop, an assist, a
	// slow path).  The harvests' own stops are left out.
	var maxBatch time.Duration
	i := int64(0)
	for h := int64(1); h <= harvests; h++ {
		end, last := churn*h/harvests, time.Now()
		for i < end {
			stop := i + batch
			if stop > end {
				stop = end
			}
			for ; i < stop; i++ {
				ring[i&(ringSize-1)] = &node{val: churnTag | uint64(i)}
			}
			t := time.Now()
			if t.Sub(last) > maxBatch {
				maxBatch = t.Sub(last)
			}
			last = t
		}
		harvest()
	}
	t2 := time.Now()

	close(release)
	checked.Wait()
	check(mainList, mainNodes, mainTag, "main list", 0)

	sort.Slice(pauses, func(a, b int) bool { return pauses[a] < pauses[b] })
	// Nearest rank, as the C side computes it.
	var max, p99 uint64
	if n := len(pauses); n > 0 {
		max, p99 = pauses[n-1], pauses[(n*99+99)/100-1]
	}
	fmt.Printf("live_mib %d churn_x %d build_s %.3f churn_s %.3f num_gc %d max_pause_us %.1f "+
		"p99_pause_us %.1f max_stall_us %.1f gomaxprocs %d\n",
		liveMiB, churnX, t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds(), len(pauses),
		float64(max)/1e3, float64(p99)/1e3, float64(maxBatch.Nanoseconds())/1e3, runtime.GOMAXPROCS(0))
}
