/* SPDX-License-Identifier: MIT */
/* The execution trace's writer: a runtime thread that writes full event
 * buffers to the file as they are (sched/tracefmt.h), each batch followed
 * by a pair of clock readings, and before them the names of the functions
 * and strings their records point to that the file lacks yet: the
 * addresses mean nothing once the program is gone.  The recording side
 * says which keys those are (tracew_name) before it writes a record with
 * one, so that the writer never reads the records. */
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

/* Keys named (0: a free slot), and those among them the file lacks yet:
 * pending[0] fills, the writer empties pending[1].  A program has a bounded
 * set of goroutine functions and wait reasons; should they not fit in
 * named, a key is pending again each time a P asks (the reader keeps the
 * last name).  The pending lists grow as needed: a name is never lost. */
enum { NAMED_SLOTS = 1 << 14 };
struct pending {
    uint64_t key;
    bool     is_fn;
};
static goc_lock names_lock = GOC_LOCK_INIT;
/* Runtime metadata: the collector reads the data segment. */
static uint64_t *named;              /* names_lock */
static struct pending *pending[2];   /* [0] names_lock, [1] the writer's */
static size_t pending_cap[2];        /* as pending */
static size_t npending;              /* names_lock: in pending[0] */

/* Only the writer thread touches this, between start and stop. */
static FILE *out;

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

void tracew_name(uint64_t key, bool is_fn) {
    lock_acquire(&names_lock);
    if (!seen(key)) {
        if (npending == pending_cap[0])
            pending[0] = mem_meta_grow(pending[0], &pending_cap[0], npending, sizeof *pending[0], 64);
        pending[0][npending++] = (struct pending){key, is_fn};
    }
    lock_release(&names_lock);
}

/* The names asked for so far.  After taking the buffers: a key is asked
 * for before the record that uses it is written, so before its buffer is
 * queued. */
static void write_names(void) {
    lock_acquire(&names_lock);
    struct pending *list = pending[0];
    size_t n = npending, cap = pending_cap[0];
    pending[0] = pending[1];
    pending_cap[0] = pending_cap[1];
    pending[1] = list;
    pending_cap[1] = cap;
    npending = 0;
    lock_release(&names_lock);
    for (size_t i = 0; i < n; i++) {
        const char *s = trace_key_ptr(list[i].key);
        goc_symbol sym;
        if (list[i].is_fn)
            s = symbolize((uintptr_t)s, &sym) && sym.name ? sym.name : "?";
        chunk(TRACE_CHUNK_NAME, &list[i].key, sizeof list[i].key, s, (uint32_t)strlen(s));
    }
}

static void write_buf(const trace_buf *b) {
    int32_t head[2] = {b->pid, 0};
    chunk(TRACE_CHUNK_EVENTS, head, sizeof head, b->b, b->n);
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
        write_names();
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
    npending = 0;
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
    b->last = trace_origin;
    b->next = NULL;
    return b;
}
