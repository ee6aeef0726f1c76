/* SPDX-License-Identifier: MIT */
/* goc_dump_leaked_goroutines names exactly the goroutines nothing can wake:
 *
 *   a  receives on a channel nobody else refers to            leaked
 *   b  sends on a channel a global holds                       not leaked
 *   c  two goroutines, each receiving on its own channel and
 *      holding the other's, nothing else referring to either   both leaked
 *   d  locks a mutex inside a goc_alloc object only it holds   leaked
 *      locks a mutex in a global                               not leaked
 *   e  waits on a goc_alloc'd waitgroup only it holds          leaked
 *   f  receives on a channel only a leaked goroutine holds     leaked (and that one)
 *      receives on a channel a sleeping goroutine holds        not leaked
 *   g  selects on two channels nobody else refers to           leaked
 *      receives on a nil channel                               leaked
 *      sleeps                                                  never a candidate
 *   h  waits on a goc_alloc'd cond only it holds               leaked
 *      read-locks a goc_alloc'd rwmutex only it holds          leaked
 *
 * Every count and header is checked, then the report again (the leaked
 * stay leaked), while GODEBUG=goroutineleak=1 (tests/cases) prints the same
 * after each collection.  A goroutine that builds the objects and spawns
 * the waiters, then exits, so that no stack still alive keeps a stale
 * pointer to them; main knows only goroutine ids.  It exits only once every
 * waiter runs on a stack of its own: a dead goroutine's stack goes to the
 * next one to start, with its old words in the slots the new frames leave
 * unwritten, and a waiter started on the builder's stack kept a pointer to
 * a leaked goroutine's channel there, which the scan of that waiter (a
 * root) found (1 run in 30 at GOMAXPROCS=8). */
#include <string.h>

#include "testing.h"

enum {
    A_RECV, C_FIRST, C_SECOND, D_HEAP_MUTEX, E_WAITGROUP, F_LEAKED_HOLDER, F_HELD_BY_LEAKED,
    G_SELECT, G_NIL_CHAN, H_COND, H_RWMUTEX, NLEAKED,
    B_GLOBAL_CHAN = NLEAKED, D_GLOBAL_MUTEX, F_HELD_BY_SLEEPER, F_SLEEPER, NWAITERS
};

static const char *const reasons[NLEAKED] = {
    [A_RECV] = "chan receive",          [C_FIRST] = "chan receive",
    [C_SECOND] = "chan receive",        [D_HEAP_MUTEX] = "sync.Mutex.Lock",
    [E_WAITGROUP] = "sync.WaitGroup.Wait", [F_LEAKED_HOLDER] = "chan receive",
    [F_HELD_BY_LEAKED] = "chan receive", [G_SELECT] = "select",
    [G_NIL_CHAN] = "chan receive (nil chan)", [H_COND] = "sync.Cond.Wait",
    [H_RWMUTEX] = "sync.RWMutex.RLock",
};

static int64_t ids[NWAITERS];
static goc_chan *volatile global_chan;   /* written only: volatile, or gone */
static goc_mutex global_mutex;
static goc_waitgroup built;
static goc_waitgroup started;   /* every waiter calls done first thing */

typedef struct holder {
    goc_chan *wait_on;   /* received on */
    goc_chan *held;      /* kept on the stack meanwhile */
} holder;

static void recv_forever(void *arg) {
    goc_waitgroup_done(&started);
    goc_chan_recv(arg, NULL);
    KEEP_FRAME();
}

static void send_forever(void *arg) {
    goc_waitgroup_done(&started);
    goc_chan_send(arg, NULL);
    KEEP_FRAME();
}

static void recv_holding(void *arg) {
    goc_waitgroup_done(&started);
    holder *h = arg;
    goc_chan_recv(h->wait_on, NULL);
    goc_keep_alive(h->held);
}

static void lock_forever(void *arg) {
    goc_waitgroup_done(&started);
    goc_mutex_lock(arg);
    KEEP_FRAME();
}

static void wait_forever(void *arg) {
    goc_waitgroup_done(&started);
    goc_waitgroup_wait(arg);
    KEEP_FRAME();
}

static void select_forever(void *arg) {
    goc_waitgroup_done(&started);
    (void)arg;
    goc_case cases[2] = {{.chan = goc_chan_make(0, 0), .op = GOC_RECV},
                         {.chan = goc_chan_make(0, 0), .op = GOC_RECV}};
    goc_select(cases, 2);
    KEEP_FRAME();
}

typedef struct condition {
    goc_mutex mu;
    goc_cond  cond;
} condition;

static void cond_wait_forever(void *arg) {
    goc_waitgroup_done(&started);
    condition *c = arg;
    goc_mutex_lock(&c->mu);
    goc_cond_wait(&c->cond, &c->mu);
    goc_mutex_unlock(&c->mu);
}

static void rlock_forever(void *arg) {
    goc_waitgroup_done(&started);
    goc_rwmutex_rlock(arg);
    KEEP_FRAME();
}

static void sleep_holding(void *arg) {
    goc_waitgroup_done(&started);
    goc_sleep(3600 * GOC_SECOND);
    goc_keep_alive(arg);
}

static holder *new_holder(goc_chan *wait_on, goc_chan *held) {
    holder *h = goc_alloc(sizeof *h);
    h->wait_on = wait_on;
    h->held = held;
    return h;
}

static void builder(void *arg) {
    (void)arg;
    goc_waitgroup_add(&started, NWAITERS);
    ids[A_RECV] = goc_go(recv_forever, goc_chan_make(0, 0));

    global_chan = goc_chan_make(0, 0);
    ids[B_GLOBAL_CHAN] = goc_go(send_forever, global_chan);

    goc_chan *c1 = goc_chan_make(0, 0), *c2 = goc_chan_make(0, 0);
    ids[C_FIRST] = goc_go(recv_holding, new_holder(c1, c2));
    ids[C_SECOND] = goc_go(recv_holding, new_holder(c2, c1));

    goc_mutex *heap_mutex = goc_alloc(sizeof *heap_mutex);
    goc_mutex_lock(heap_mutex);
    ids[D_HEAP_MUTEX] = goc_go(lock_forever, heap_mutex);
    goc_mutex_lock(&global_mutex);
    ids[D_GLOBAL_MUTEX] = goc_go(lock_forever, &global_mutex);

    goc_waitgroup *wg = goc_alloc(sizeof *wg);
    goc_waitgroup_add(wg, 1);
    ids[E_WAITGROUP] = goc_go(wait_forever, wg);

    goc_chan *inner = goc_chan_make(0, 0);
    ids[F_LEAKED_HOLDER] = goc_go(recv_holding, new_holder(goc_chan_make(0, 0), inner));
    ids[F_HELD_BY_LEAKED] = goc_go(recv_forever, inner);
    goc_chan *slept_on = goc_chan_make(0, 0);
    ids[F_SLEEPER] = goc_go(sleep_holding, slept_on);
    ids[F_HELD_BY_SLEEPER] = goc_go(recv_forever, slept_on);

    ids[G_SELECT] = goc_go(select_forever, NULL);
    ids[G_NIL_CHAN] = goc_go(recv_forever, NULL);

    ids[H_COND] = goc_go(cond_wait_forever, goc_alloc(sizeof(condition)));
    goc_rwmutex *rw = goc_alloc(sizeof *rw);
    goc_rwmutex_lock(rw);
    ids[H_RWMUTEX] = goc_go(rlock_forever, rw);
    goc_waitgroup_wait(&started);
    goc_waitgroup_done(&built);
}

/* The report, as one string (malloc'd), and its count.  The stream's
 * buffer and length are globals: the stream keeps their addresses, and
 * the caller's stack may move while it waits for the collection. */
static char *report_text;
static size_t report_len;

static char *report(int *count) {
    FILE *f = open_memstream(&report_text, &report_len);
    REQUIRE(f, "open_memstream");
    *count = goc_dump_leaked_goroutines(f);
    fclose(f);
    char *text = report_text;
    report_text = NULL;
    return text;
}

static int count_lines(const char *text, const char *prefix) {
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *line = text; *line;) {
        if (strncmp(line, prefix, len) == 0)
            n++;
        const char *nl = strchr(line, '\n');
        if (!nl)
            break;
        line = nl + 1;
    }
    return n;
}

static void check_report(const char *text, int count) {
    CHECK(count == NLEAKED, "%d goroutines reported leaked, want %d:\n%s", count, NLEAKED, text);
    CHECK(count_lines(text, "goroutine ") == count, "%d headers for a count of %d:\n%s",
          count_lines(text, "goroutine "), count, text);
    for (int i = 0; i < NWAITERS; i++) {
        char header[128];
        snprintf(header, sizeof header, "goroutine %lld [", (long long)ids[i]);
        int seen = count_lines(text, header);
        if (i >= NLEAKED) {
            CHECK(seen == 0, "goroutine %lld (waiter %d) can be woken, but is reported:\n%s",
                  (long long)ids[i], i, text);
            continue;
        }
        CHECK(seen == 1, "goroutine %lld (waiter %d) reported %d times:\n%s", (long long)ids[i], i,
              seen, text);
        snprintf(header, sizeof header, "goroutine %lld [%s (leaked)", (long long)ids[i], reasons[i]);
        CHECK(count_lines(text, header) == 1, "no \"%s\" in:\n%s", header, text);
    }
    /* Each block has the goroutine's frames. */
    CHECK(strstr(text, "select_forever(...)\n"), "no select_forever frame in:\n%s", text);
    CHECK(strstr(text, "wait_forever(...)\n"), "no wait_forever frame in:\n%s", text);
    CHECK(strstr(text, "goc_mutex_lock(...)\n"), "no goc_mutex_lock frame in:\n%s", text);
}

static int main_fn(int argc, char **argv) {
    (void)argc;
    (void)argv;
    /* The collector's goroutines start before the builder runs: none of
     * them gets its stack once the builder is done with it. */
    goc_gc();
    goc_waitgroup_add(&built, 1);
    goc_go(builder, NULL);
    goc_waitgroup_wait(&built);

    /* The waiters park soon after they start; until then they are not
     * candidates, and the count is lower. */
    int count = 0;
    char *text = NULL;
    int64_t deadline = test_clock_ns() + 20 * GOC_SECOND;
    for (;;) {
        free(text);
        text = report(&count);
        if (count >= NLEAKED || test_clock_ns() > deadline)
            break;
        goc_sleep(10 * GOC_MILLISECOND);
    }
    check_report(text, count);
    fputs(text, stdout);
    free(text);

    /* Reported again, the same ones: nothing was woken or freed. */
    goc_gc();
    text = report(&count);
    check_report(text, count);
    free(text);
    return test_status();
}

GOC_MAIN(main_fn)
