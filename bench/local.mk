# bench: the goc side of the goc-vs-Go benchmark suite; bench/run builds
# these with the Go twins in bench/go/ and compares them.
BENCH_CFLAGS = $(AM_CFLAGS) -O2
noinst_PROGRAMS += bench/yield bench/spawn bench/pingpong bench/buffered \
                   bench/ring bench/sieve
EXTRA_DIST += bench/run bench/README.md bench/go

bench_yield_SOURCES = bench/yield.c bench/bench.h
bench_yield_CFLAGS = $(BENCH_CFLAGS)

bench_spawn_SOURCES = bench/spawn.c bench/bench.h
bench_spawn_CFLAGS = $(BENCH_CFLAGS)

bench_pingpong_SOURCES = bench/pingpong.c bench/bench.h
bench_pingpong_CFLAGS = $(BENCH_CFLAGS)

bench_buffered_SOURCES = bench/buffered.c bench/bench.h
bench_buffered_CFLAGS = $(BENCH_CFLAGS)

bench_ring_SOURCES = bench/ring.c bench/bench.h
bench_ring_CFLAGS = $(BENCH_CFLAGS)

bench_sieve_SOURCES = bench/sieve.c bench/bench.h
bench_sieve_CFLAGS = $(BENCH_CFLAGS)
