/* SPDX-License-Identifier: MIT */
/* goc_rwmutex: readers share, writers exclude everybody, and a waiting
 * writer is not starved: once it has announced itself, new readers queue
 * behind it, so it gets the lock as soon as the readers already inside
 * leave, however busy the read side is. */
#include <stdatomic.h>

#include "testing.h"

#define MAX_WRITER_WAIT_NS GOC_SECOND

/* ---- readers share ------------------------------------------------------ */
static void readers_share(void)
{
    static goc_rwmutex rw;
    goc_rwmutex_rlock(&rw);
    int64_t start = test_clock_ns();
    goc_rwmutex_rlock(&rw); /* would deadlock if readers excluded each other */
    CHECK(test_clock_ns() - start < MAX_WRITER_WAIT_NS, "second reader waited");
    goc_rwmutex_runlock(&rw);
    goc_rwmutex_runlock(&rw);
    goc_rwmutex_lock(&rw);
    goc_rwmutex_unlock(&rw);
}

/* ---- a pending writer goes before later readers --------------------------- */
static struct {
    goc_rwmutex   rw;
    _Atomic int   seq;
    int           writer_at, late_reader_at;
    goc_waitgroup wg;
} order;

static void pending_writer(void *arg)
{
    (void)arg;
    goc_rwmutex_lock(&order.rw);
    order.writer_at = atomic_fetch_add(&order.seq, 1);
    goc_sleep(5 * GOC_MILLISECOND);
    goc_rwmutex_unlock(&order.rw);
    goc_waitgroup_done(&order.wg);
}

static void late_reader(void *arg)
{
    (void)arg;
    goc_rwmutex_rlock(&order.rw);
    order.late_reader_at = atomic_fetch_add(&order.seq, 1);
    goc_rwmutex_runlock(&order.rw);
    goc_waitgroup_done(&order.wg);
}

/* White-box: the writer has announced itself once reader_count is negative
 * (it subtracted the reader bias); from then on readers must queue. */
static int writer_announced(void *arg)
{
    (void)arg;
    return __atomic_load_n(&order.rw.reader_count, __ATOMIC_SEQ_CST) < 0;
}

static int late_reader_done(void *arg)
{
    (void)arg;
    return atomic_load(&order.seq) > 0;
}

static void writer_goes_first(void)
{
    goc_rwmutex_rlock(&order.rw);
    goc_waitgroup_add(&order.wg, 2);
    goc_go(pending_writer, NULL);
    REQUIRE(test_wait_until(writer_announced, NULL, 10 * GOC_SECOND),
            "the writer never started waiting");
    goc_go(late_reader, NULL);
    /* Give the late reader every chance to (wrongly) get in. */
    CHECK(!test_wait_until(late_reader_done, NULL, 20 * GOC_MILLISECOND),
          "a reader got the lock while a writer was waiting");
    goc_rwmutex_runlock(&order.rw);
    goc_waitgroup_wait(&order.wg);
    CHECK(order.writer_at == 0 && order.late_reader_at == 1,
          "writer went %d-th and late reader %d-th, want the writer first",
          order.writer_at + 1, order.late_reader_at + 1);
}

/* ---- a writer is not starved by overlapping readers ------------------------ */
enum { BUSY_READERS = 4, WRITES = 10 };

static struct {
    goc_rwmutex   rw;
    _Atomic bool  stop;
    _Atomic long  reads;
    long          a, b;   /* written together under the write lock */
    goc_waitgroup wg;
} busy;

static void busy_reader(void *arg)
{
    int me = (int)(intptr_t)arg;
    goc_sleep(me * 250 * GOC_MICROSECOND); /* stagger: some reader is always in */
    while (!atomic_load(&busy.stop)) {
        goc_rwmutex_rlock(&busy.rw);
        long a = busy.a;
        goc_sleep(GOC_MILLISECOND);
        long b = busy.b;
        goc_rwmutex_runlock(&busy.rw);
        CHECK(a == b, "a writer ran inside a read section: a=%ld b=%ld", a, b);
        atomic_fetch_add(&busy.reads, 1);
    }
    goc_waitgroup_done(&busy.wg);
}

static void writer_not_starved(void)
{
    goc_waitgroup_add(&busy.wg, BUSY_READERS);
    for (int i = 0; i < BUSY_READERS; i++)
        goc_go(busy_reader, (void *)(intptr_t)i);
    goc_sleep(5 * GOC_MILLISECOND);

    for (int i = 0; i < WRITES; i++) {
        int64_t start = test_clock_ns();
        goc_rwmutex_lock(&busy.rw);
        int64_t waited = test_clock_ns() - start;
        busy.a++;
        goc_sleep(100 * GOC_MICROSECOND);
        busy.b++;
        goc_rwmutex_unlock(&busy.rw);
        REQUIRE(waited < MAX_WRITER_WAIT_NS, "write %d waited %.3f s behind readers", i,
                waited / 1e9);
        goc_sleep(GOC_MILLISECOND);
    }
    atomic_store(&busy.stop, true);
    goc_waitgroup_wait(&busy.wg);
    CHECK(busy.a == WRITES && busy.b == WRITES, "writes lost: a=%ld b=%ld", busy.a, busy.b);
    CHECK(atomic_load(&busy.reads) > WRITES, "readers made only %ld reads: no contention",
          atomic_load(&busy.reads));
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    readers_share();
    writer_goes_first();
    writer_not_starved();
    return test_status();
}

GOC_MAIN(test_main)
