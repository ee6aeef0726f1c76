/* SPDX-License-Identifier: MIT */
/* The execution trace's writer: a runtime thread that turns full event
 * buffers into Chrome trace-event JSON (the array form, which Perfetto and
 * chrome://tracing open even when a crash cut it short).
 *
 * Lanes ("threads" of the viewer): one per P, where a P's ownership by an
 * M is a slice and each run of a goroutine a slice inside it; one for the
 * collector's phases; one per M for the blocking sections it ran.  A P's
 * buffers arrive in the order its owners filled them, so its slices are
 * opened and closed here as the events say, and every B gets its E: a run
 * that began before the trace is opened at the lane's last time, and what
 * is open when the trace stops is closed then. */
#include <stdio.h>
#include <string.h>

#include "sched/diag.h"
#include "sched/internal.h"
#include "sched/trace.h"

enum { TID_P = 1, TID_NO_P = 9000, TID_GC = 10000, TID_BLOCKING = 20000, MAX_OPEN_BLOCKING = 4096 };

static goc_lock qlock = GOC_LOCK_INIT;
static trace_buf *qhead, *qtail;     /* qlock: to write, in order */
static trace_buf *free_bufs;         /* qlock */
static bool stopping;                /* qlock */
static _Atomic uint32_t wake;        /* futex word: bumped on news */
static goc_note finished;

/* Only the writer thread touches what follows, between start and stop. */
static FILE *out;
static int64_t t0;
static bool first;
struct lane {
    bool    named;
    bool    p_open;        /* an M owns the P */
    bool    g_open;        /* a goroutine runs on it */
    int64_t last;          /* time of its last event */
};
static struct lane lanes[MAX_PROCS];
static bool gc_named, no_p_named;
struct open_blocking {
    int64_t g, m, since;
};
static struct open_blocking blocking[MAX_OPEN_BLOCKING];
static int nblocking;
static bool m_named[MAX_OPEN_BLOCKING];

/* Output goes through a buffer of our own: the trace must cost the
 * program little CPU, and stdio's formatting of every number is most of
 * what a writer would spend. */
static char obuf[1 << 16];
static size_t olen;

static void flush_out(void) {
    fwrite(obuf, 1, olen, out);
    olen = 0;
}

static void put(const char *s, size_t n) {
    if (olen + n > sizeof obuf)
        flush_out();
    memcpy(obuf + olen, s, n);   /* callers' pieces are short */
    olen += n;
}

static void put_s(const char *s) { put(s, strlen(s)); }

static void put_int(int64_t v) {
    char buf[24];
    int n = sizeof buf;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        buf[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        buf[--n] = '-';
    put(buf + n, sizeof buf - (size_t)n);
}

/* Microseconds with three decimals: the format's unit, our nanoseconds. */
static void put_us(int64_t ns) {
    if (ns < 0) {
        put_s("-");
        ns = -ns;
    }
    put_int(ns / 1000);
    char frac[4] = {'.', (char)('0' + ns / 100 % 10), (char)('0' + ns / 10 % 10), (char)('0' + ns % 10)};
    put(frac, sizeof frac);
}

/* One event: "{" ph, lane, time; the caller adds its fields and the "}". */
static void ev_begin(const char *ph, int tid, int64_t ts) {
    put_s(first ? "\n{\"ph\":\"" : ",\n{\"ph\":\"");
    first = false;
    put_s(ph);
    put_s("\",\"pid\":1,\"tid\":");
    put_int(tid);
    put_s(",\"ts\":");
    put_us(ts - t0);
}

/* A lane's name, prefix followed by n when n >= 0, and its place. */
static void thread_name(int tid, const char *prefix, int64_t n, const char *suffix) {
    put_s(first ? "\n" : ",\n");
    first = false;
    put_s("{\"ph\":\"M\",\"pid\":1,\"tid\":");
    put_int(tid);
    put_s(",\"name\":\"thread_name\",\"args\":{\"name\":\"");
    put_s(prefix);
    if (n >= 0)
        put_int(n);
    put_s(suffix);
    put_s("\"}},\n{\"ph\":\"M\",\"pid\":1,\"tid\":");
    put_int(tid);
    put_s(",\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":");
    put_int(tid);
    put_s("}}");
}

/* Function names are C identifiers; anything else is escaped anyway. */
static void json_str(const char *s) {
    put_s("\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            put_s("\\");
        if ((unsigned char)*s < 0x20) {
            char esc[7] = {'\\', 'u', '0', '0', "0123456789abcdef"[*s >> 4], "0123456789abcdef"[*s & 15], 0};
            put_s(esc);
        } else {
            put(s, 1);
        }
    }
    put_s("\"");
}

/* Goroutines' functions repeat: a small cache in front of the symbolizer. */
static struct {
    uint64_t    fn;
    const char *name;
} fn_cache[256];

static const char *fn_name(uint64_t fn) {
    size_t k = (size_t)(fn >> 4) % 256;
    if (fn_cache[k].fn == fn && fn_cache[k].name)
        return fn_cache[k].name;
    goc_symbol sym;
    const char *name = symbolize((uintptr_t)fn, &sym) && sym.name ? sym.name : "?";
    fn_cache[k].fn = fn;
    fn_cache[k].name = name;
    return name;
}

static void g_open(int tid, struct lane *l, int64_t ts, int64_t g, uint64_t fn) {
    ev_begin("B", tid, ts);
    put_s(",\"name\":\"G");
    put_int(g);
    put_s(" ");
    put_s(fn_name(fn));
    put_s("\"}");
    l->g_open = true;
}

static void g_close(int tid, struct lane *l, int64_t ts, const char *why) {
    ev_begin("E", tid, ts);
    if (why) {
        put_s(",\"args\":{\"why\":");
        json_str(why);
        put_s("}");
    }
    put_s("}");
    l->g_open = false;
}

static void p_open(int tid, struct lane *l, int64_t ts, int64_t m) {
    ev_begin("B", tid, ts);
    put_s(",\"name\":\"M");
    put_int(m);
    put_s("\"}");
    l->p_open = true;
}

static void p_close(int tid, struct lane *l, int64_t ts) {
    if (l->g_open)
        g_close(tid, l, ts, "P released");
    ev_begin("E", tid, ts);
    put_s("}");
    l->p_open = false;
}

/* An instant event named prefix + G<n>; the caller adds args and "}". */
static void instant(int tid, int64_t ts, const char *prefix, int64_t n) {
    ev_begin("i", tid, ts);
    put_s(",\"s\":\"t\",\"name\":\"");
    put_s(prefix);
    put_int(n);
    put_s("\"");
}

/* A goroutine created or readied by the code running on lane tid. */
static void g_instant(int tid, const trace_event *e) {
    if (e->type == TEV_GO_CREATE) {
        instant(tid, e->ts, "go G", (int64_t)e->a);
        put_s(",\"args\":{\"fn\":");
        json_str(fn_name(e->b));
        put_s("}}");
        return;
    }
    instant(tid, e->ts, "unblock G", (int64_t)e->a);
    if (e->b) {
        put_s(",\"args\":{\"by\":\"G");
        put_int((int64_t)e->b);
        put_s("\"}}");
    } else {
        put_s(",\"args\":{\"by\":\"runtime\"}}");
    }
}

static const char *stop_reason(const trace_event *e) {
    switch (e->b) {
    case TSTOP_PARK: return e->s ? e->s : "park";
    case TSTOP_YIELD: return "yield";
    case TSTOP_PREEMPT: return "preempted";
    case TSTOP_EXIT: return "exit";
    default: return "blocking section";
    }
}

static void p_event(int32_t pid, const trace_event *e) {
    struct lane *l = &lanes[pid];
    int tid = TID_P + pid;
    if (!l->named) {
        thread_name(tid, "P", pid, "");
        l->named = true;
    }
    /* Something ran before the trace began: open it as of the lane's last
     * event, which no event of it can precede. */
    int64_t since = l->last ? l->last : t0;
    if (e->ts > l->last)
        l->last = e->ts;
    switch (e->type) {
    case TEV_P_START:
        if (l->p_open)
            p_close(tid, l, e->ts);
        p_open(tid, l, e->ts, (int64_t)e->a);
        break;
    case TEV_P_STOP:
        if (!l->p_open)
            p_open(tid, l, since, (int64_t)e->a);
        p_close(tid, l, e->ts);
        break;
    case TEV_GO_START:
        if (!l->p_open)
            p_open(tid, l, since, -1);
        if (l->g_open)
            g_close(tid, l, e->ts, "?");
        g_open(tid, l, e->ts, (int64_t)e->a, e->b);
        break;
    case TEV_GO_STOP:
        if (!l->p_open)
            p_open(tid, l, since, -1);
        if (!l->g_open)
            g_open(tid, l, since, (int64_t)e->a, 0);
        g_close(tid, l, e->ts, stop_reason(e));
        break;
    case TEV_GO_CREATE:
    case TEV_GO_UNBLOCK:
        g_instant(tid, e);
        break;
    case TEV_STEAL:
        instant(tid, e->ts, "steal G", (int64_t)e->b);
        put_s(",\"args\":{\"from\":\"P");
        put_int((int64_t)e->a);
        put_s("\"}}");
        break;
    }
}

static void span_event(const trace_event *e) {
    if (!gc_named) {
        thread_name(TID_GC, "GC", -1, "");
        gc_named = true;
    }
    ev_begin("X", TID_GC, (int64_t)e->a);
    put_s(",\"dur\":");
    put_us((int64_t)e->b - (int64_t)e->a);
    put_s(",\"name\":");
    json_str(e->s);
    put_s(",\"args\":{\"cycle\":");
    put_int((int64_t)e->c);
    put_s("}}");
}

/* A blocking section is drawn once it ends, on the lane of the M that
 * began it.  A goroutine that parks inside its section begins it again on
 * waking: the first begin stands. */
static void blocking_event(const trace_event *e) {
    int i = 0;
    while (i < nblocking && blocking[i].g != (int64_t)e->a)
        i++;
    if (e->type == TEV_BLOCKING_BEGIN) {
        if (i == nblocking && nblocking < MAX_OPEN_BLOCKING)
            blocking[nblocking++] = (struct open_blocking){(int64_t)e->a, (int64_t)e->b, e->ts};
        return;
    }
    if (i == nblocking)
        return;   /* began before the trace */
    struct open_blocking b = blocking[i];
    blocking[i] = blocking[--nblocking];
    int tid = TID_BLOCKING + (int)(b.m % MAX_OPEN_BLOCKING);
    if (!m_named[b.m % MAX_OPEN_BLOCKING]) {
        thread_name(tid, "M", b.m, " blocking");
        m_named[b.m % MAX_OPEN_BLOCKING] = true;
    }
    ev_begin("X", tid, b.since);
    put_s(",\"dur\":");
    put_us(e->ts - b.since);
    put_s(",\"name\":\"G");
    put_int(b.g);
    put_s(" blocking section\"}");
}

/* Threads without a P (foreign ones, the poller's M) create and ready
 * goroutines too. */
static void no_p_event(const trace_event *e) {
    if (!no_p_named) {
        thread_name(TID_NO_P, "no P", -1, "");
        no_p_named = true;
    }
    g_instant(TID_NO_P, e);
}

static void write_buf(const trace_buf *b) {
    for (uint32_t i = 0; i < b->n; i++) {
        const trace_event *e = &b->ev[i];
        if (e->type == TEV_SPAN)
            span_event(e);
        else if (e->type == TEV_BLOCKING_BEGIN || e->type == TEV_BLOCKING_END)
            blocking_event(e);
        else if (b->pid >= 0)
            p_event(b->pid, e);
        else if (e->type == TEV_GO_CREATE || e->type == TEV_GO_UNBLOCK)
            no_p_event(e);
        /* A goroutine parking inside a blocking section has no P: its stop
         * is the section's business. */
    }
}

static void finish(void) {
    for (int32_t i = 0; i < MAX_PROCS; i++) {
        struct lane *l = &lanes[i];
        if (l->p_open)
            p_close(TID_P + i, l, l->last);
        else if (l->g_open)
            g_close(TID_P + i, l, l->last, "trace stopped");
    }
    put_s("\n]\n");
    flush_out();
    fflush(out);
}

static void *writer(void *arg) {
    (void)arg;
    for (;;) {
        uint32_t seen = aload(&wake, memory_order_acquire);
        lock_acquire(&qlock);
        trace_buf *list = qhead;
        qhead = qtail = NULL;
        bool stop = stopping;
        lock_release(&qlock);
        if (!list && stop)
            break;
        if (!list) {
            futex_wait(&wake, seen, -1);
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
    }
    finish();
    runtime_thread_note(-1);
    note_wakeup(&finished);
    return NULL;
}

static void poke(void) {
    afetch_add(&wake, 1, memory_order_release);
    futex_wake(&wake, 1);
}

void tracew_start(FILE *f, int64_t start_ns) {
    out = f;
    t0 = start_ns;
    first = true;
    memset(lanes, 0, sizeof lanes);
    memset(m_named, 0, sizeof m_named);
    gc_named = no_p_named = false;
    nblocking = 0;
    stopping = false;
    note_clear(&finished);
    olen = 0;
    memset(fn_cache, 0, sizeof fn_cache);
    put_s("[\n{\"ph\":\"M\",\"pid\":1,\"name\":\"process_name\",\"args\":{\"name\":\"goc\"}}");
    first = false;
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
    lock_release(&qlock);
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
