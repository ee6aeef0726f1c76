/* SPDX-License-Identifier: MIT */
/* goc_now, goc_sleep, goc_after, goc_tick. */
#include <errno.h>
#include <time.h>

#include "sched/chan.h"
#include "sched/internal.h"

int64_t goc_now(void) { return nanotime(); }

static void wake_sleeper(void *arg, int64_t now) {
    (void)now;
    sched_ready(arg);
}

static bool start_sleep_timer(goc_g *g, void *arg) {
    (void)arg;
    timer_start(&g->sleep_timer);
    return true;
}

void goc_sleep(int64_t ns) {
    sched_safepoint();
    if (ns <= 0)
        return;
    goc_g *g = sched_curg();
    if (!g) {
        struct timespec ts = {ns / GOC_SECOND, ns % GOC_SECOND};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        return;
    }
    g->sleep_timer.when = nanotime() + ns;
    g->sleep_timer.period = 0;
    g->sleep_timer.fn = wake_sleeper;
    g->sleep_timer.arg = g;
    /* Armed after the switch, so it can never fire before g is parked. */
    sched_park(start_sleep_timer, NULL, "sleep");
}

static void send_time(void *arg, int64_t now) {
    (void)now;
    int64_t t = nanotime();
    chan_send_nonblocking(arg, &t);
}

static goc_chan *timer_chan(int64_t when, int64_t period) {
    sched_safepoint();
    goc_chan *c = chan_make_timer(sizeof(int64_t));
    goc_timer *t = chan_timer(c);
    t->when = when;
    t->period = period;
    t->fn = send_time;
    t->arg = c;
    timer_start(t);
    return c;
}

goc_chan *goc_after(int64_t ns) {
    return timer_chan(nanotime() + (ns > 0 ? ns : 0), 0);
}

goc_chan *goc_tick(int64_t period_ns) {
    if (period_ns <= 0)
        throw_panic("non-positive interval for goc_tick");
    return timer_chan(nanotime() + period_ns, period_ns);
}

void goc_tick_stop(goc_chan *ticker) {
    if (!ticker)
        return;
    goc_timer *t = chan_timer(ticker);
    if (!t)
        throw_panic("goc_tick_stop: channel was not made by goc_tick");
    timer_stop(t);
}
