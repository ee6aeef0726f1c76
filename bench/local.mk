# SPDX-License-Identifier: MIT
# bench: the goc side of the goc-vs-Go benchmark suite; bench/run builds
# these with the Go twins in bench/go/ and compares them.  They link
# libgoc.a as a user's program does.
BENCH_CFLAGS = $(AM_CFLAGS) -O2
noinst_PROGRAMS += bench/yield bench/spawn bench/pingpong bench/buffered \
                   bench/ring bench/sieve
EXTRA_DIST += bench/run bench/opstat bench/README.md bench/go bench/trace-run

bench_yield_SOURCES = bench/yield.c bench/bench.h
bench_yield_CFLAGS = $(BENCH_CFLAGS)
bench_yield_LDADD = $(GOC_LDADD)

bench_spawn_SOURCES = bench/spawn.c bench/bench.h
bench_spawn_CFLAGS = $(BENCH_CFLAGS)
bench_spawn_LDADD = $(GOC_LDADD)

bench_pingpong_SOURCES = bench/pingpong.c bench/bench.h
bench_pingpong_CFLAGS = $(BENCH_CFLAGS)
bench_pingpong_LDADD = $(GOC_LDADD)

bench_buffered_SOURCES = bench/buffered.c bench/bench.h
bench_buffered_CFLAGS = $(BENCH_CFLAGS)
bench_buffered_LDADD = $(GOC_LDADD)

bench_ring_SOURCES = bench/ring.c bench/bench.h
bench_ring_CFLAGS = $(BENCH_CFLAGS)
bench_ring_LDADD = $(GOC_LDADD)

bench_sieve_SOURCES = bench/sieve.c bench/bench.h
bench_sieve_CFLAGS = $(BENCH_CFLAGS)
bench_sieve_LDADD = $(GOC_LDADD)

# The 1M-parked-goroutines memory benchmark (bench/stack-run runs it beside
# its Go twin, bench/go/stack_parked).
noinst_PROGRAMS += bench/stack_parked
bench_stack_parked_SOURCES = bench/stack_parked.c bench/bench.h
bench_stack_parked_CFLAGS = $(BENCH_CFLAGS)
bench_stack_parked_LDADD = $(GOC_LDADD)
EXTRA_DIST += bench/stack-run bench/go/stack_parked

# Benchmarks of the example servers against their Go twins (bench/http-run,
# bench/echo-run); echo-load is the echo side's load generator.
noinst_PROGRAMS += bench/echo-load
bench_echo_load_SOURCES = bench/echo-load.c
bench_echo_load_CFLAGS = $(BENCH_CFLAGS)
bench_echo_load_LDADD = $(GOC_LDADD)
EXTRA_DIST += bench/http-run bench/echo-run bench/http_echo_lib.py

# Allocation benchmark: goc and glibc malloc in bench/alloc; jemalloc's
# malloc and Boehm GC's GC_MALLOC in binaries of their own (linking
# libjemalloc replaces malloc; Boehm wants its own thread wrapper);
# bench/alloc-run prints them side by side.  The default build needs
# nothing outside scripts/packages.
noinst_PROGRAMS += bench/alloc
bench_alloc_SOURCES = bench/alloc.c bench/alloc_work.h
bench_alloc_CFLAGS = $(BENCH_CFLAGS)
# It sweeps its batches with mem_sweep_span, an internal function.
bench_alloc_LDADD = $(GOC_INTERNAL_LDADD)
EXTRA_DIST += bench/alloc-run
# The comparators are in no default target: `make bench` builds them (with
# every program above) when configure found their libraries.
EXTRA_PROGRAMS = bench/alloc-jemalloc bench/alloc-boehm
BENCH_COMPARATORS =
if HAVE_JEMALLOC_MALLOC
BENCH_COMPARATORS += bench/alloc-jemalloc
endif
if HAVE_BOEHM_GC
BENCH_COMPARATORS += bench/alloc-boehm
endif
bench_alloc_jemalloc_SOURCES = bench/alloc_jemalloc.c bench/alloc_work.h
bench_alloc_jemalloc_CFLAGS = $(BENCH_CFLAGS)
bench_alloc_jemalloc_LDADD = -ljemalloc -lpthread -lm
bench_alloc_boehm_SOURCES = bench/alloc_boehm.c bench/alloc_work.h
bench_alloc_boehm_CFLAGS = $(BENCH_CFLAGS)
bench_alloc_boehm_LDADD = -lgc -lpthread
CLEANFILES += $(EXTRA_PROGRAMS)
bench: $(noinst_PROGRAMS) $(BENCH_COMPARATORS)
.PHONY: bench

# binary-trees on the collector; bench/gc-run builds its Boehm GC twin
# (bench/binary_trees_boehm.c) itself, so make never needs libgc.
noinst_PROGRAMS += bench/binary_trees
bench_binary_trees_SOURCES = bench/binary_trees.c
bench_binary_trees_CFLAGS = $(BENCH_CFLAGS)
bench_binary_trees_LDADD = $(GOC_LDADD)
EXTRA_DIST += bench/gc-run bench/binary_trees_boehm.c

# The collector's pause workload (bench/gc-pause-run runs it beside its Go
# twin, bench/go/gcpause).
noinst_PROGRAMS += bench/gc_pause
bench_gc_pause_SOURCES = bench/gc_pause.c bench/bench.h
bench_gc_pause_CFLAGS = $(BENCH_CFLAGS)
bench_gc_pause_LDADD = $(GOC_LDADD)
EXTRA_DIST += bench/gc-pause-run bench/gc_bench_lib.py
