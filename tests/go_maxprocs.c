/* SPDX-License-Identifier: MIT */
/* goc_maxprocs and goc_num_cpu, as runtime.GOMAXPROCS and runtime.NumCPU:
 * the start value comes from $GOMAXPROCS (else the CPUs this process may
 * use), n < 1 only queries, a change returns the previous value and takes
 * effect at once while goroutines run: after growing, two goroutines that
 * never yield run at the same time; after shrinking to one, they never do. */
#include <sched.h>
#include <stdatomic.h>

#include "testing.h"

enum { WORKERS = 8, HOPS = 20000 };

static _Atomic long steps[2];
static _Atomic int sighted;

/* Spins without calling into the runtime until `duration` has passed, or,
 * when stop_at_sighting, until either goroutine has seen the other run.
 * Sees the partner when its step counter moves inside a window of at most
 * 50 us in which this goroutine ran without a break: both ran at the same
 * instant.  A runtime that preempts cannot fake that, since a switch to the
 * partner and back takes far longer than the window.  On a loaded machine
 * the two threads may share one CPU for a while, hence the long patience
 * for a sighting. */
static void watch_partner(int me, int64_t duration, bool stop_at_sighting)
{
    int64_t end = test_clock_ns() + duration;
    for (;;) {
        int64_t t1 = test_clock_ns();
        long before = atomic_load(&steps[1 - me]);
        for (int i = 0; i < 100; i++)
            atomic_fetch_add(&steps[me], 1);
        long after = atomic_load(&steps[1 - me]);
        int64_t t2 = test_clock_ns();
        if (after != before && t2 - t1 < 50 * GOC_MICROSECOND)
            atomic_store(&sighted, 1);
        if (t2 > end || (stop_at_sighting && atomic_load(&sighted)))
            return;
    }
}

typedef struct {
    int            me;
    int64_t        duration;
    bool           stop_at_sighting;
    goc_waitgroup *wg;
} spinner;

static void spin_and_watch(void *arg)
{
    spinner *s = arg;
    watch_partner(s->me, s->duration, s->stop_at_sighting);
    goc_waitgroup_done(s->wg);
}

/* Whether two spinning goroutines were ever seen running in parallel. */
static bool ran_in_parallel(int64_t duration, bool stop_at_sighting)
{
    static goc_waitgroup wg;
    spinner s[2] = {
        { 0, duration, stop_at_sighting, &wg },
        { 1, duration, stop_at_sighting, &wg },
    };
    atomic_store(&sighted, 0);
    goc_waitgroup_add(&wg, 2);
    goc_go(spin_and_watch, &s[0]);
    goc_go(spin_and_watch, &s[1]);
    goc_waitgroup_wait(&wg);
    return atomic_load(&sighted);
}

typedef struct {
    goc_chan      *in, *out;
    goc_waitgroup *wg;
    long           sum;
} relay;

static void relay_values(void *arg)
{
    relay *r = arg;
    long v;
    while (goc_chan_recv(r->in, &v)) {
        r->sum += v;
        v++;
        goc_chan_send(r->out, &v);
        goc_yield();
    }
    goc_waitgroup_done(r->wg);
}

static void check_changes_under_load(void)
{
    static goc_waitgroup wg;
    static relay relays[WORKERS];
    goc_chan *to[WORKERS], *from[WORKERS];
    goc_waitgroup_add(&wg, WORKERS);
    for (int i = 0; i < WORKERS; i++) {
        to[i] = goc_chan_make(sizeof(long), 0);
        from[i] = goc_chan_make(sizeof(long), 0);
        relays[i] = (relay){ to[i], from[i], &wg, 0 };
        goc_go(relay_values, &relays[i]);
    }
    static const int sizes[] = { 1, 8, 2, 4, 1, 3, 2 };
    long expect = 0;
    for (int hop = 0; hop < HOPS; hop++) {
        if (hop % (HOPS / 7) == 0)
            goc_maxprocs(sizes[(hop / (HOPS / 7)) % 7]);
        int w = hop % WORKERS;
        long v = hop, back;
        goc_chan_send(to[w], &v);
        CHECK(goc_chan_recv(from[w], &back) && back == hop + 1, "relay %d returned %ld", w, back);
        expect += hop;
    }
    long sum = 0;
    for (int i = 0; i < WORKERS; i++)
        goc_chan_close(to[i]);
    goc_waitgroup_wait(&wg);
    for (int i = 0; i < WORKERS; i++)
        sum += relays[i].sum;
    CHECK(sum == expect, "relays saw sum %ld, want %ld", sum, expect);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    cpu_set_t set;
    CHECK(sched_getaffinity(0, sizeof set, &set) == 0, "sched_getaffinity failed");
    int cpus = CPU_COUNT(&set);
    CHECK(goc_num_cpu() == cpus, "goc_num_cpu()=%d, affinity mask has %d", goc_num_cpu(), cpus);

    const char *env = getenv("GOMAXPROCS");
    int want = env ? atoi(env) : cpus;
    int start = goc_maxprocs(0);
    CHECK(start == want, "GOMAXPROCS=%s: goc_maxprocs(0)=%d, want %d", env ? env : "(unset)",
          start, want);
    CHECK(goc_maxprocs(-1) == start, "goc_maxprocs(-1) changed or misreported");

    CHECK(goc_maxprocs(3) == start, "setting 3 did not return the previous %d", start);
    CHECK(goc_maxprocs(0) == 3, "after setting 3, query gives %d", goc_maxprocs(0));

    goc_maxprocs(2);
    CHECK(ran_in_parallel(10 * GOC_SECOND, true),
          "with 2 Ps two spinning goroutines never ran at once in 10 s");
    goc_maxprocs(1);
    CHECK(!ran_in_parallel(300 * GOC_MILLISECOND, false),
          "with 1 P two spinning goroutines ran at once");
    goc_maxprocs(4);
    CHECK(ran_in_parallel(10 * GOC_SECOND, true), "after growing back to 4 Ps no parallelism");

    check_changes_under_load();
    goc_maxprocs(start);
    CHECK(goc_maxprocs(0) == start, "restoring %d gave %d", start, goc_maxprocs(0));
    return test_status();
}

GOC_MAIN(test_main)
