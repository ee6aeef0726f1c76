// SPDX-License-Identifier: MIT
// binary-trees (the benchmarks game), the Go twin of bench/binary_trees.c:
// one goroutine per depth; GOMAXPROCS=1 is the single-threaded program.
package main

import (
	"fmt"
	"os"
	"strconv"
)

type tree struct{ left, right *tree }

func bottomUp(depth int) *tree {
	t := &tree{}
	if depth > 0 {
		t.left = bottomUp(depth - 1)
		t.right = bottomUp(depth - 1)
	}
	return t
}

func (t *tree) check() int {
	if t.left == nil {
		return 1
	}
	return 1 + t.left.check() + t.right.check()
}

const minDepth = 4

func main() {
	n := 10
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	maxDepth := n
	if maxDepth < minDepth+2 {
		maxDepth = minDepth + 2
	}
	fmt.Printf("stretch tree of depth %d\t check: %d\n", maxDepth+1, bottomUp(maxDepth+1).check())
	longLived := bottomUp(maxDepth)

	var results []chan string
	for d := minDepth; d <= maxDepth; d += 2 {
		c := make(chan string, 1)
		results = append(results, c)
		go func(depth int, c chan string) {
			iterations := 1 << uint(maxDepth-depth+minDepth)
			sum := 0
			for i := 0; i < iterations; i++ {
				sum += bottomUp(depth).check()
			}
			c <- fmt.Sprintf("%d\t trees of depth %d\t check: %d", iterations, depth, sum)
		}(d, c)
	}
	for _, c := range results {
		fmt.Println(<-c)
	}
	fmt.Printf("long lived tree of depth %d\t check: %d\n", maxDepth, longLived.check())
}
