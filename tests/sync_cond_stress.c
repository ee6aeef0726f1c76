/* SPDX-License-Identifier: MIT */
/* goc_cond must never lose a wake-up.  A waiter takes its ticket before it
 * unlocks the mutex, so a signal that lands between the unlock and the park
 * still counts.  Each phase below would hang on a single lost wake-up; a
 * watchdog thread (not a goroutine, so it does not depend on the scheduler
 * being healthy) reports which phase stalled.
 *
 *  - ping-pong: pairs hand a turn back and forth, one waiter per cond, signal;
 *  - bounded queue: producers and consumers share two conds, signal only;
 *  - barrier: goroutines meet every round, the last one broadcasts.
 *
 * Runs at GOMAXPROCS=4 unless the environment chooses. */
#include <pthread.h>
#include <stdatomic.h>

#include "testing.h"

/* No step for this long means every goroutine is waiting for a wake-up that
 * will not come. */
#define STALL_NS (10 * GOC_SECOND)

static _Atomic(const char *) phase = "start";
static _Atomic long progress;

static void *watchdog(void *arg)
{
    (void)arg;
    long seen = -1;
    int64_t since = 0;
    while (atomic_load(&phase) != NULL) {
        usleep(100 * 1000);
        long now = atomic_load(&progress);
        if (now != seen) {
            seen = now;
            since = test_clock_ns();
        } else if (test_clock_ns() - since > STALL_NS) {
            fprintf(stderr, "phase '%s' stalled after %ld steps: lost wake-up\n",
                    atomic_load(&phase), now);
            _exit(1);
        }
    }
    return NULL;
}

/* ---- ping-pong ---------------------------------------------------------- */
enum { PAIRS = 8, PINGPONG_ROUNDS = 5000 };

typedef struct {
    goc_mutex     mu;
    goc_cond      turn_changed;
    int           turn;
    goc_waitgroup *wg;
} pair;

typedef struct {
    pair *p;
    int   me;
} player;

static void play(void *arg)
{
    player *pl = arg;
    pair *p = pl->p;
    for (int i = 0; i < PINGPONG_ROUNDS; i++) {
        goc_mutex_lock(&p->mu);
        while (p->turn != pl->me)
            goc_cond_wait(&p->turn_changed, &p->mu);
        p->turn = 1 - pl->me;
        goc_cond_signal(&p->turn_changed);
        goc_mutex_unlock(&p->mu);
        atomic_fetch_add(&progress, 1);
    }
    goc_waitgroup_done(p->wg);
}

static void ping_pong(void)
{
    static pair pairs[PAIRS];
    static player players[2 * PAIRS];
    goc_waitgroup wg = {0};

    goc_waitgroup_add(&wg, 2 * PAIRS);
    for (int i = 0; i < PAIRS; i++) {
        pairs[i].wg = &wg;
        for (int me = 0; me < 2; me++) {
            players[2 * i + me] = (player){ &pairs[i], me };
            goc_go(play, &players[2 * i + me]);
        }
    }
    goc_waitgroup_wait(&wg);
    for (int i = 0; i < PAIRS; i++)
        CHECK(pairs[i].turn == 0, "pair %d ended on turn %d", i, pairs[i].turn);
}

/* ---- bounded queue ------------------------------------------------------ */
enum { PRODUCERS = 4, CONSUMERS = 4, QUEUE_CAP = 4, ITEMS_PER_PRODUCER = 5000 };

static struct {
    goc_mutex     mu;
    goc_cond      not_empty, not_full;
    long          items[QUEUE_CAP];
    int           head, len;
    long          consumed_sum;
    long          consumed_count;
    goc_waitgroup wg;
} q;

static void produce(void *arg)
{
    long base = (long)(intptr_t)arg * ITEMS_PER_PRODUCER;
    for (long i = 1; i <= ITEMS_PER_PRODUCER; i++) {
        goc_mutex_lock(&q.mu);
        while (q.len == QUEUE_CAP)
            goc_cond_wait(&q.not_full, &q.mu);
        q.items[(q.head + q.len) % QUEUE_CAP] = base + i;
        q.len++;
        goc_cond_signal(&q.not_empty);
        goc_mutex_unlock(&q.mu);
        atomic_fetch_add(&progress, 1);
    }
    goc_waitgroup_done(&q.wg);
}

static void consume(void *arg)
{
    (void)arg;
    for (int i = 0; i < PRODUCERS * ITEMS_PER_PRODUCER / CONSUMERS; i++) {
        goc_mutex_lock(&q.mu);
        while (q.len == 0)
            goc_cond_wait(&q.not_empty, &q.mu);
        q.consumed_sum += q.items[q.head];
        q.consumed_count++;
        q.head = (q.head + 1) % QUEUE_CAP;
        q.len--;
        goc_cond_signal(&q.not_full);
        goc_mutex_unlock(&q.mu);
    }
    goc_waitgroup_done(&q.wg);
}

static void bounded_queue(void)
{
    goc_waitgroup_add(&q.wg, PRODUCERS + CONSUMERS);
    for (int i = 0; i < CONSUMERS; i++)
        goc_go(consume, NULL);
    for (int i = 0; i < PRODUCERS; i++)
        goc_go(produce, (void *)(intptr_t)i);
    goc_waitgroup_wait(&q.wg);

    long n = (long)PRODUCERS * ITEMS_PER_PRODUCER;
    CHECK(q.consumed_count == n, "consumed %ld items, want %ld", q.consumed_count, n);
    CHECK(q.consumed_sum == n * (n + 1) / 2, "sum of consumed items %ld, want %ld",
          q.consumed_sum, n * (n + 1) / 2);
}

/* ---- barrier ------------------------------------------------------------ */
enum { PARTIES = 16, BARRIER_ROUNDS = 1000 };

static struct {
    goc_mutex     mu;
    goc_cond      round_over;
    int           arrived;
    int           generation;
    int           passed[PARTIES];
    goc_waitgroup wg;
} bar;

static void meet(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int r = 0; r < BARRIER_ROUNDS; r++) {
        goc_mutex_lock(&bar.mu);
        if (++bar.arrived == PARTIES) {
            bar.arrived = 0;
            bar.generation++;
            goc_cond_broadcast(&bar.round_over);
        } else {
            int gen = bar.generation;
            while (gen == bar.generation)
                goc_cond_wait(&bar.round_over, &bar.mu);
        }
        bar.passed[me]++;
        goc_mutex_unlock(&bar.mu);
        atomic_fetch_add(&progress, 1);
    }
    goc_waitgroup_done(&bar.wg);
}

static void barrier(void)
{
    goc_waitgroup_add(&bar.wg, PARTIES);
    for (int i = 0; i < PARTIES; i++)
        goc_go(meet, (void *)(intptr_t)i);
    goc_waitgroup_wait(&bar.wg);
    CHECK(bar.generation == BARRIER_ROUNDS, "barrier completed %d rounds, want %d",
          bar.generation, BARRIER_ROUNDS);
    for (int i = 0; i < PARTIES; i++)
        CHECK(bar.passed[i] == BARRIER_ROUNDS, "party %d passed %d rounds", i, bar.passed[i]);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    if (!getenv("GOMAXPROCS"))
        goc_maxprocs(4);

    pthread_t dog;
    REQUIRE(pthread_create(&dog, NULL, watchdog, NULL) == 0, "cannot start the watchdog");
    pthread_detach(dog);

    atomic_store(&phase, "ping-pong");
    ping_pong();
    atomic_store(&phase, "bounded queue");
    bounded_queue();
    atomic_store(&phase, "barrier");
    barrier();

    atomic_store(&phase, NULL);
    return test_status();
}

GOC_MAIN(test_main)
