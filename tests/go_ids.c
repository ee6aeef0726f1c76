/* SPDX-License-Identifier: MIT */
/* Goroutine ids: goc_go returns the id the goroutine sees in goc_self, ids
 * grow with every spawn and are never reused, goroutine 1 is main, and a
 * thread that is not a goroutine sees 0. */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "testing.h"

enum { SEQUENTIAL = 10000, CONCURRENT = 2000 };

typedef struct {
    int64_t   seen;
    goc_chan *done;
} self_report;

static void report_self(void *arg)
{
    self_report *r = arg;
    r->seen = goc_self();
    goc_chan_send(r->done, NULL);
}

static void *self_on_plain_thread(void *arg)
{
    *(int64_t *)arg = goc_self();
    return NULL;
}

static int compare_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void check_sequential_ids(void)
{
    goc_chan *done = goc_chan_make(0, 0);
    self_report r = { .done = done };
    int64_t prev = goc_self();
    for (int i = 0; i < SEQUENTIAL; i++) {
        r.seen = -1;
        int64_t id = goc_go(report_self, &r);
        goc_chan_recv(done, NULL);
        CHECK(id > prev, "spawn %d returned id %lld after %lld", i, (long long)id, (long long)prev);
        CHECK(r.seen == id, "goroutine saw goc_self()=%lld, goc_go returned %lld",
              (long long)r.seen, (long long)id);
        prev = id;
    }
}

static void check_concurrent_ids_distinct(void)
{
    static self_report reports[CONCURRENT];
    static int64_t returned[CONCURRENT];
    goc_chan *done = goc_chan_make(0, CONCURRENT);
    for (int i = 0; i < CONCURRENT; i++) {
        reports[i].done = done;
        returned[i] = goc_go(report_self, &reports[i]);
    }
    for (int i = 0; i < CONCURRENT; i++)
        goc_chan_recv(done, NULL);
    for (int i = 0; i < CONCURRENT; i++)
        CHECK(reports[i].seen == returned[i], "goroutine %d: self %lld, spawned as %lld",
              i, (long long)reports[i].seen, (long long)returned[i]);
    qsort(returned, CONCURRENT, sizeof returned[0], compare_ids);
    for (int i = 1; i < CONCURRENT; i++)
        CHECK(returned[i] != returned[i - 1], "id %lld handed out twice", (long long)returned[i]);
}

static void check_named_spawn(void)
{
    goc_chan *done = goc_chan_make(0, 0);
    self_report r = { .done = done };
    char name[32];
    strcpy(name, "named-worker");
    goc_go_opts opts = { .stack_size = 256 * 1024, .name = name, .flags = GOC_STACK_FIXED };
    int64_t id = goc_go_with(report_self, &r, &opts);
    memset(name, 'x', sizeof name - 1);
    goc_chan_recv(done, NULL);
    CHECK(id > 1 && r.seen == id, "goc_go_with returned %lld, goroutine saw %lld",
          (long long)id, (long long)r.seen);

    goc_go_opts defaults = {0};
    id = goc_go_with(report_self, &r, &defaults);
    goc_chan_recv(done, NULL);
    CHECK(r.seen == id, "zero opts: returned %lld, saw %lld", (long long)id, (long long)r.seen);

    id = goc_go_with(report_self, &r, NULL);
    goc_chan_recv(done, NULL);
    CHECK(r.seen == id, "NULL opts: returned %lld, saw %lld", (long long)id, (long long)r.seen);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    CHECK(goc_self() == 1, "main goroutine is %lld, want 1", (long long)goc_self());

    pthread_t t;
    int64_t plain_self = -1;
    pthread_create(&t, NULL, self_on_plain_thread, &plain_self);
    pthread_join(t, NULL);
    CHECK(plain_self == 0, "goc_self() on a plain thread is %lld, want 0", (long long)plain_self);

    check_sequential_ids();
    check_concurrent_ids_distinct();
    check_named_spawn();
    return test_status();
}

GOC_MAIN(test_main)
