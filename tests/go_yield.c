/* goc_yield gives the processor to other runnable goroutines.  With one P
 * and goroutines that never block, yielding is the only way anybody else
 * runs, so a spinning loop that yields must let its partner make progress,
 * and two yielding goroutines must take turns. */
#include <stdatomic.h>

#include "testing.h"

enum { ROUNDS = 2000, MAX_STREAK = 4 };

static _Atomic int flag_set;

static void set_flag(void *arg)
{
    (void)arg;
    atomic_store(&flag_set, 1);
}

typedef struct {
    _Atomic int log_len;
    int         log[2 * ROUNDS];
    goc_waitgroup wg;
} turn_log;

typedef struct {
    turn_log *tl;
    int       who;
} taker;

static void take_turns(void *arg)
{
    taker *t = arg;
    for (int i = 0; i < ROUNDS; i++) {
        int slot = atomic_fetch_add(&t->tl->log_len, 1);
        t->tl->log[slot] = t->who;
        goc_yield();
    }
    goc_waitgroup_done(&t->tl->wg);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    bool one_p = goc_maxprocs(0) == 1;

    goc_go(set_flag, NULL);
    int yields = 0;
    while (!atomic_load(&flag_set) && yields < 100000) {
        goc_yield();
        yields++;
    }
    CHECK(atomic_load(&flag_set), "spawned goroutine never ran across %d yields", yields);
    if (one_p)
        CHECK(yields <= 10, "with one P the spawned goroutine needed %d yields to run", yields);

    static turn_log tl;
    taker a = { &tl, 0 }, b = { &tl, 1 };
    goc_waitgroup_add(&tl.wg, 2);
    goc_go(take_turns, &a);
    goc_go(take_turns, &b);
    goc_waitgroup_wait(&tl.wg);
    CHECK(atomic_load(&tl.log_len) == 2 * ROUNDS, "log has %d entries", atomic_load(&tl.log_len));

    if (one_p) {
        /* Only the middle counts: one goroutine may start or end alone. */
        int longest = 0, streak = 0;
        for (int i = 1; i < 2 * ROUNDS; i++) {
            streak = tl.log[i] == tl.log[i - 1] ? streak + 1 : 0;
            if (i > MAX_STREAK * 4 && i < 2 * ROUNDS - MAX_STREAK * 4 && streak > longest)
                longest = streak;
        }
        CHECK(longest < MAX_STREAK,
              "one goroutine ran %d yields in a row while another was runnable", longest + 1);
    }
    return test_status();
}

GOC_MAIN(test_main)
