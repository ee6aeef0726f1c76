// SPDX-License-Identifier: MIT
// The Go twin of tests/gc_pacer.c: a 16 MiB live set (4 KiB nodes in a
// list a global holds) and churn of 10x that in short-lived 4 KiB objects,
// HeapAlloc sampled every 64 allocations.  Prints the peak against the goal
// live x (1 + GOGC/100), and with GOMEMLIMIT set the peak of the runtime's
// memory, Sys - HeapReleased, against the limit.
//
//	GOGC=50 go run ./pacer        GOGC=400 GOMEMLIMIT=40MiB go run ./pacer
package main

import (
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
)

const (
	node        = 4096
	live        = 16 << 20
	ring        = 16
	sampleEvery = 64
	mib         = 1024.0 * 1024.0
)

type listNode struct {
	next *listNode
	_    [node - 8]byte
}

var (
	liveList *listNode
	churned  [ring]*[node]byte
)

type peaks struct {
	heapAlloc, mapped uint64
	cycles            uint32
}

func sample(pk *peaks, ms *runtime.MemStats) {
	runtime.ReadMemStats(ms)
	if ms.HeapAlloc > pk.heapAlloc {
		pk.heapAlloc = ms.HeapAlloc
	}
	if m := ms.Sys - ms.HeapReleased; m > pk.mapped {
		pk.mapped = m
	}
	pk.cycles = ms.NumGC
}

func main() {
	for i := 0; i < live/node; i++ {
		liveList = &listNode{next: liveList}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heapLive := ms.HeapAlloc
	gogc := debug.SetGCPercent(100)
	debug.SetGCPercent(gogc)
	limit := debug.SetMemoryLimit(-1)

	var pk peaks
	sample(&pk, &ms)
	start := pk.cycles
	for i := 0; i < 10*live/node; i++ {
		p := new([node]byte)
		p[0] = byte(i)
		churned[i%ring] = p
		if i%sampleEvery == 0 {
			sample(&pk, &ms)
		}
	}
	sample(&pk, &ms)
	goal := float64(heapLive) * (1 + float64(gogc)/100)
	fmt.Printf("GOGC=%d live %.1f MiB goal %.1f MiB next_gc %.1f MiB peak %.1f MiB (%.3f of goal) cycles %d\n",
		gogc, float64(heapLive)/mib, goal/mib, float64(ms.NextGC)/mib, float64(pk.heapAlloc)/mib,
		float64(pk.heapAlloc)/goal, pk.cycles-start)
	if limit != math.MaxInt64 {
		fmt.Printf("GOMEMLIMIT=%.1f MiB peak Sys-HeapReleased %.1f MiB (%.3f of the limit)\n",
			float64(limit)/mib, float64(pk.mapped)/mib, float64(pk.mapped)/float64(limit))
	}
	runtime.KeepAlive(liveList)
}
