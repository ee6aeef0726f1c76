/* SPDX-License-Identifier: MIT */
/* A goroutine parked on a channel when a collection starts may have its
 * stack shrunk or packed at the collection's end; if it wakes during the
 * concurrent mark and starts a read into its own stack, the kernel writes
 * into that stack until the read completes, and the stack must stay where
 * it is.  Readers dive deep (their stacks grow), park on a channel, and
 * when woken read a pipe into a stack buffer; the feeder wakes them, waits
 * a little and writes.  Collections run back to back meanwhile.  A stack
 * that moved under a pending read leaves the buffer as it was copied: the
 * bytes the reader finds are not the bytes written.
 *
 *   gc_io_stack [seconds]   default 2 (1 with GOC_TEST_QUICK=1) */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "testing.h"

enum { NREADERS = 16, MSG = 200, DIVE_FRAMES = 300 };

typedef struct reader {
    int       fds[2];
    goc_chan *wake;   /* uint64_t round; 0 ends the reader */
    goc_chan *got;    /* reader -> feeder: the round was read and checked */
} reader;

static reader readers[NREADERS];
static goc_waitgroup done;
static test_gc_loop gc_loop = {.done = &done};
static _Atomic uint64_t rounds_read;

static uint8_t pattern(int who, uint64_t round, int i) {
    return (uint8_t)(0x5a ^ (uint8_t)who ^ (uint8_t)(round * 31) ^ (uint8_t)(i * 7));
}

/* Grows the stack by ~DIVE_FRAMES * 200 bytes, so the parked goroutine
 * holds more than it needs and is one the collection would shrink. */
__attribute__((noinline)) static uint64_t dive(uint64_t frames) {
    volatile char pad[160];
    pad[0] = (char)frames;
    __asm__ volatile("" : : "r"(pad) : "memory");
    return frames ? dive(frames - 1) + (uint64_t)pad[0] : 0;
}

static void read_round(reader *r, int who, uint64_t round) {
    uint8_t buf[MSG];
    memset(buf, 0, sizeof buf);
    size_t have = 0;
    while (have < sizeof buf) {
        ssize_t n = goc_read(r->fds[0], buf + have, sizeof buf - have);
        REQUIRE(n > 0, "reader %d: read: %zd (%s)", who, n, strerror(n < 0 ? (int)-n : 0));
        have += (size_t)n;
    }
    for (int i = 0; i < MSG; i++)
        REQUIRE(buf[i] == pattern(who, round, i),
                "reader %d, round %llu: byte %d is %#x, the pipe carried %#x: the stack "
                "moved while the read into it was pending",
                who, (unsigned long long)round, i, buf[i], pattern(who, round, i));
}

static void reader_run(void *arg) {
    int who = (int)(intptr_t)arg;
    reader *r = &readers[who];
    uint64_t round;
    for (;;) {
        REQUIRE(dive(DIVE_FRAMES) < UINT64_MAX, "dive");
        REQUIRE(goc_chan_recv(r->wake, &round), "wake channel closed");
        if (!round)
            break;
        read_round(r, who, round);
        atomic_fetch_add(&rounds_read, 1);
        goc_chan_send(r->got, NULL);
    }
    goc_waitgroup_done(&done);
}

static void feeder(void *arg) {
    (void)arg;
    uint64_t round = 1;
    for (; !test_gc_loop_finished(&gc_loop); round++) {
        for (int i = 0; i < NREADERS; i++)
            goc_chan_send(readers[i].wake, &round);
        /* The readers are in their reads now, or on their way. */
        goc_sleep((int64_t)(round % 4) * 250 * GOC_MICROSECOND);
        for (int i = 0; i < NREADERS; i++) {
            uint8_t msg[MSG];
            for (int k = 0; k < MSG; k++)
                msg[k] = pattern(i, round, k);
            REQUIRE(goc_write(readers[i].fds[1], msg, sizeof msg) == (ssize_t)sizeof msg,
                    "write to the pipe: %s", strerror(errno));
        }
        for (int i = 0; i < NREADERS; i++)
            goc_chan_recv(readers[i].got, NULL);
    }
    uint64_t stop = 0;
    for (int i = 0; i < NREADERS; i++)
        goc_chan_send(readers[i].wake, &stop);
    goc_waitgroup_done(&done);
}

static int test_main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : getenv("GOC_TEST_QUICK") ? 1 : 2;
    gc_loop.end_ns = test_clock_ns() + (int64_t)(seconds * 1e9);
    goc_waitgroup_add(&done, NREADERS + 2);
    for (int i = 0; i < NREADERS; i++) {
        REQUIRE(pipe(readers[i].fds) == 0, "pipe: %s", strerror(errno));
        readers[i].wake = goc_chan_make(sizeof(uint64_t), 0);
        readers[i].got = goc_chan_make(0, 0);
        goc_go(reader_run, (void *)(intptr_t)i);
    }
    goc_go(feeder, NULL);
    goc_go(test_gc_loop_run, &gc_loop);
    goc_waitgroup_wait(&done);
    for (int i = 0; i < NREADERS; i++) {
        close(readers[i].fds[0]);
        close(readers[i].fds[1]);
    }
    fprintf(stderr, "gc_io_stack: %llu reads into stacks, %llu collections\n",
            (unsigned long long)atomic_load(&rounds_read),
            (unsigned long long)atomic_load(&gc_loop.cycles));
    return test_status();
}

GOC_MAIN(test_main)
