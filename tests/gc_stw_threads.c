/* SPDX-License-Identifier: MIT */
/* Stopping the world holds the threads that run C code without a P.  The
 * main thread (a foreign thread: no goc_main) stops and starts the world
 * through the runtime's own stw_stop and stw_start.
 *
 *   gc_stw_threads block    a goroutine writes a word in a loop inside a
 *                           blocking section: the word does not change while
 *                           the world is stopped, and changes between stops
 *   gc_stw_threads sleep    a goroutine sleeping in a blocking section does
 *                           not delay the stop (< 50 ms), and leaving the
 *                           section while the world is stopped waits for
 *                           stw_start
 *   gc_stw_threads foreign  a pthread that called into goc (goc_alloc) spins
 *                           writing a word: held while the world is stopped,
 *                           listed by stw_for_each_suspended with a stack
 *                           range holding one of its locals and a register
 *                           block; gone from the list after it exits
 *   gc_stw_threads eintr    a goroutine reads a pipe in a blocking section
 *                           across 200 stops and gets every byte in order,
 *                           never EINTR (SA_RESTART) */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <ucontext.h>

#include "sched/stw.h"
#include "testing.h"

void stw_stop(const char *reason);
void stw_start(void);

static _Atomic uint64_t word;
static _Atomic int quit, entered, left;

static void sleep_ns(long ns)
{
    struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        continue;
}

static int word_moves(void)
{
    uint64_t base = atomic_load(&word);
    int64_t deadline = test_clock_ns() + 10 * 1000000000LL;
    while (atomic_load(&word) == base && test_clock_ns() < deadline)
        sleep_ns(1000 * 1000);
    return atomic_load(&word) != base;
}

/* Stops the world, checks the word stays put for 2 ms, starts it. */
static void check_held(int round)
{
    stw_stop("test");
    uint64_t a = atomic_load_explicit(&word, memory_order_relaxed);
    sleep_ns(2 * 1000 * 1000);
    uint64_t b = atomic_load_explicit(&word, memory_order_relaxed);
    stw_start();
    CHECK(a == b, "round %d: the word moved from %llu to %llu while the world was stopped",
          round, (unsigned long long)a, (unsigned long long)b);
    CHECK(word_moves(), "round %d: the writer did not resume", round);
}

/* ---- block --------------------------------------------------------------- */

static void block_writer(void *arg)
{
    (void)arg;
    goc_blocking_begin();
    while (!atomic_load_explicit(&quit, memory_order_relaxed))
        atomic_store_explicit(&word, atomic_load_explicit(&word, memory_order_relaxed) + 1,
                              memory_order_relaxed);
    goc_blocking_end();
    atomic_store(&left, 1);
}

static void test_block(void)
{
    goc_go(block_writer, NULL);
    REQUIRE(word_moves(), "the writer did not start");
    for (int round = 0; round < 20; round++)
        check_held(round);
    atomic_store(&quit, 1);
    while (!atomic_load(&left))
        sleep_ns(1000 * 1000);
}

/* ---- sleep --------------------------------------------------------------- */

static void sleeper(void *arg)
{
    (void)arg;
    goc_blocking_begin();
    atomic_store(&entered, 1);
    sleep_ns(300 * 1000 * 1000);
    goc_blocking_end();
    atomic_store(&left, 1);
}

static void test_sleep(void)
{
    goc_go(sleeper, NULL);
    while (!atomic_load(&entered))
        sleep_ns(1000 * 1000);
    sleep_ns(20 * 1000 * 1000);   /* well inside its nanosleep */
    int64_t t0 = test_clock_ns();
    stw_stop("test");
    int64_t took = test_clock_ns() - t0;
    /* Its sleep ends meanwhile: it must still not leave the section. */
    sleep_ns(500 * 1000 * 1000);
    int early = atomic_load(&left);
    stw_start();
    CHECK(took < 50 * 1000000LL, "stw_stop took %lld ns with a goroutine asleep in a "
          "blocking section", (long long)took);
    CHECK(!early, "the sleeper left its blocking section while the world was stopped");
    int64_t deadline = test_clock_ns() + 10 * 1000000000LL;
    while (!atomic_load(&left) && test_clock_ns() < deadline)
        sleep_ns(1000 * 1000);
    CHECK(atomic_load(&left), "the sleeper did not finish after the world started");
}

/* ---- foreign ------------------------------------------------------------- */

static _Atomic(uintptr_t) thread_local_addr;

static void *foreign_writer(void *arg)
{
    (void)arg;
    void *obj = goc_alloc(64);   /* an entry into goc: the thread registers */
    volatile uint64_t local = 0;
    atomic_store(&thread_local_addr, (uintptr_t)&local);
    while (!atomic_load_explicit(&quit, memory_order_relaxed)) {
        local = local + 1;
        atomic_store_explicit(&word, local, memory_order_relaxed);
    }
    goc_keep_alive(obj);
    return NULL;
}

typedef struct found {
    int views, holding_local;
    size_t regs_len;
    const void *g;
} found;

static void look(const stw_thread_view *t, void *arg)
{
    found *f = arg;
    uintptr_t addr = atomic_load(&thread_local_addr);
    f->views++;
    if (addr >= t->stack_lo && addr < t->stack_hi) {
        f->holding_local++;
        f->regs_len = t->regs_len;
        f->g = t->g;
    }
}

static void test_foreign(void)
{
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, foreign_writer, NULL) == 0, "pthread_create");
    REQUIRE(word_moves(), "the thread did not start");
    for (int round = 0; round < 20; round++)
        check_held(round);

    found f = {0};
    stw_stop("test");
    stw_for_each_suspended(look, &f);
    stw_start();
    CHECK(f.holding_local == 1, "%d suspended threads, %d with the thread's local in their "
          "stack range", f.views, f.holding_local);
    CHECK(f.g != NULL, "no G for the foreign thread");
    CHECK(f.regs_len >= sizeof(ucontext_t), "register block of %zu bytes", f.regs_len);

    atomic_store(&quit, 1);
    pthread_join(t, NULL);
    found after = {0};
    stw_stop("test");
    stw_for_each_suspended(look, &after);
    stw_start();
    CHECK(after.views == 0, "%d threads still listed after the thread exited", after.views);
}

/* ---- eintr --------------------------------------------------------------- */

enum { ROUNDS = 200, CHUNK = 1000 };
static int pipefd[2];
static _Atomic int eintrs, bad_bytes;
static _Atomic size_t received;

static void reader(void *arg)
{
    (void)arg;
    unsigned char buf[4096];
    size_t total = 0;
    for (;;) {
        goc_blocking_begin();
        ssize_t n = read(pipefd[0], buf, sizeof buf);
        int err = errno;
        goc_blocking_end();
        if (n < 0 && err == EINTR) {
            atomic_fetch_add(&eintrs, 1);
            continue;
        }
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++, total++)
            if (buf[i] != (unsigned char)(total * 7 + total / CHUNK))
                atomic_fetch_add(&bad_bytes, 1);
    }
    atomic_store(&received, total);
    atomic_store(&left, 1);
}

static void test_eintr(void)
{
    REQUIRE(pipe(pipefd) == 0, "pipe");
    goc_go(reader, NULL);
    unsigned char chunk[CHUNK];
    size_t total = 0;
    for (int round = 0; round < ROUNDS; round++) {
        stw_stop("test");
        stw_start();
        for (int i = 0; i < CHUNK; i++, total++)
            chunk[i] = (unsigned char)(total * 7 + total / CHUNK);
        REQUIRE(write(pipefd[1], chunk, CHUNK) == CHUNK, "write");
        if (round % 4 == 0)
            sleep_ns(1000 * 1000);   /* let the reader block in read again */
    }
    close(pipefd[1]);
    while (!atomic_load(&left))
        sleep_ns(1000 * 1000);
    CHECK(atomic_load(&eintrs) == 0, "read failed with EINTR %d times", atomic_load(&eintrs));
    CHECK(atomic_load(&bad_bytes) == 0, "%d bytes differ", atomic_load(&bad_bytes));
    CHECK(atomic_load(&received) == total, "received %zu bytes of %zu",
          atomic_load(&received), total);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "block"))
        test_block();
    else if (!strcmp(mode, "sleep"))
        test_sleep();
    else if (!strcmp(mode, "foreign"))
        test_foreign();
    else if (!strcmp(mode, "eintr"))
        test_eintr();
    else
        REQUIRE(0, "unknown mode %s", mode);
    return test_status();
}
