/* SPDX-License-Identifier: MIT */
/* The execution trace's writer: a runtime thread that writes full event
 * buffers to the file as they are (sched/tracefmt.h), each batch followed
 * by a pair of clock readings, and before a buffer the names of the
 * functions and strings its records point to that the file lacks yet:
 * the addresses mean nothing once the program is gone. */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "sched/diag.h"
#include "sched/internal.h"
#include "sched/trace.h"

int64_t trace_origin;

static goc_lock qlock = GOC_LOCK_INIT;
static trace_buf *qhead, *qtail;     /* qlock: to write, in order */
static uint32_t queued;              /* qlock: buffers in qhead's list */
static trace_buf *free_bufs;         /* qlock */
static bool stopping;                /* qlock */
static _Atomic uint32_t wake;        /* futex word: bumped on news */
static goc_note finished;

/* The writer wakes for a batch of buffers, or after a period with fewer:
 * a wake-up per buffer was a context switch every 450 round trips of a
 * traced ping-pong, on a machine whose other cores the program keeps busy. */
enum { WRITER_BATCH = 8 };
static const int64_t WRITER_PERIOD_NS = 100 * 1000000;

/* Only the writer thread touches what follows, between start and stop. */
static FILE *out;
/* Keys whose names are in the file (0: a free slot).  A program has a
 * bounded set of goroutine functions and wait reasons; should they not
 * fit, a name is written again each time (the reader keeps the last). */
enum { NAMED_SLOTS = 1 << 14 };
static uint64_t *named;   /* runtime metadata: the collector reads the data segment */

static void chunk(uint32_t kind, const void *head, uint32_t head_bytes, const void *body,
                  uint32_t body_bytes) {
    uint32_t h[2] = {kind, head_bytes + body_bytes};
    fwrite(h, sizeof h, 1, out);
    fwrite(head, 1, head_bytes, out);
    if (body_bytes)
        fwrite(body, 1, body_bytes, out);
}

static void sync_clocks(void) {
    int64_t t[2] = {cputicks(), nanotime()};
    chunk(TRACE_CHUNK_SYNC, t, sizeof t, NULL, 0);
}

/* Whether key was named before; marks it named if there is room. */
static bool seen(uint64_t key) {
    size_t i = (size_t)(key * 0x9E3779B97F4A7C15ull >> 50);
    for (size_t n = 0; n < NAMED_SLOTS; n++, i = (i + 1) % NAMED_SLOTS) {
        if (named[i] == key)
            return true;
        if (!named[i]) {
            named[i] = key;
            return false;
        }
    }
    return false;
}

static void name(uint64_t key, bool is_fn) {
    if (!key || seen(key))
        return;
    const char *s = (const char *)(uintptr_t)key;
    goc_symbol sym;
    if (is_fn)
        s = symbolize((uintptr_t)key, &sym) && sym.name ? sym.name : "?";
    chunk(TRACE_CHUNK_NAME, &key, sizeof key, s, (uint32_t)strlen(s));
}

static void write_buf(const trace_buf *b) {
    for (uint32_t i = 0; i < b->n; i += TRACE_WORDS(TRACE_TYPE(b->w[i]))) {
        switch (TRACE_TYPE(b->w[i])) {
        case TEV_GO_CREATE:
        case TEV_GO_START: name(b->w[i + 2], true); break;
        case TEV_GO_STOP: name(b->w[i + 2], false); break;
        case TEV_SPAN: name(b->w[i + 4], false); break;
        }
    }
    int32_t head[2] = {b->pid, 0};
    chunk(TRACE_CHUNK_EVENTS, head, sizeof head, b->w, b->n * (uint32_t)sizeof b->w[0]);
}

static void *writer(void *arg) {
    (void)arg;
    for (;;) {
        uint32_t seen_wake = aload(&wake, memory_order_acquire);
        lock_acquire(&qlock);
        trace_buf *list = qhead;
        qhead = qtail = NULL;
        queued = 0;
        bool stop = stopping;
        lock_release(&qlock);
        if (!list && stop)
            break;
        if (!list) {
            futex_wait(&wake, seen_wake, WRITER_PERIOD_NS);
            continue;
        }
        while (list) {
            trace_buf *next = list->next;
            write_buf(list);
            list->n = 0;
            lock_acquire(&qlock);
            list->next = free_bufs;
            free_bufs = list;
            lock_release(&qlock);
            list = next;
        }
        /* After the batch's events: the last reading follows them all. */
        sync_clocks();
    }
    fflush(out);
    runtime_thread_note(-1);
    note_wakeup(&finished);
    return NULL;
}

static void poke(void) {
    afetch_add(&wake, 1, memory_order_release);
    futex_wake(&wake, 1);
}

void tracew_start(FILE *f) {
    out = f;
    stopping = false;
    note_clear(&finished);
    if (!named)
        named = mem_meta_alloc(NAMED_SLOTS * sizeof *named);
    memset(named, 0, NAMED_SLOTS * sizeof *named);
    fwrite(TRACE_MAGIC, TRACE_MAGIC_LEN, 1, out);
    int64_t t[2] = {cputicks(), nanotime()};
    trace_origin = t[0];
    chunk(TRACE_CHUNK_SYNC, t, sizeof t, NULL, 0);
    runtime_thread_start(writer, NULL, "goc trace");
}

void tracew_queue(trace_buf *b) {
    b->next = NULL;
    lock_acquire(&qlock);
    if (qtail)
        qtail->next = b;
    else
        qhead = b;
    qtail = b;
    bool batch_full = ++queued >= WRITER_BATCH;
    lock_release(&qlock);
    if (batch_full)
        poke();
}

void tracew_stop(void) {
    lock_acquire(&qlock);
    stopping = true;
    lock_release(&qlock);
    poke();
    note_sleep(&finished);
}

trace_buf *tracew_buf_get(int32_t pid) {
    lock_acquire(&qlock);
    trace_buf *b = free_bufs;
    if (b)
        free_bufs = b->next;
    lock_release(&qlock);
    if (!b)
        b = mem_meta_alloc(sizeof *b);
    b->pid = pid;
    b->n = 0;
    b->next = NULL;
    return b;
}
