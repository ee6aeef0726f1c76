/* SPDX-License-Identifier: MIT */
/* goc_trace_to_json: an execution trace's file (sched/tracefmt.h) as
 * Chrome trace-event JSON (the array form, which Perfetto and
 * chrome://tracing open).
 *
 * Lanes ("threads" of the viewer): one per P, where a P's ownership by an
 * M is a slice and each run of a goroutine a slice inside it; one for the
 * collector's phases; one per M for the blocking sections it ran.  A P's
 * buffers come in the order its owners filled them, so its slices are
 * opened and closed here as the events say, and every B gets its E: a run
 * that began before the trace is opened at the lane's last time, and what
 * is open when the trace ends is closed then.
 *
 * Event times are ticks; the file's first and last clock readings give
 * their rate (the counter runs at a constant one), and times are written
 * in microseconds since the first. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/sched.h"
#include "sched/tracefmt.h"

enum { TID_P = 1, TID_NO_P = 9000, TID_GC = 10000, TID_BLOCKING = 20000, MAX_OPEN_BLOCKING = 4096 };

/* An event as the JSON needs it: ts in nanoseconds on nanotime's scale,
 * s the name of the record's key (park reason, phase). */
struct ev {
    int64_t     ts;
    uint32_t    type, stop;
    uint64_t    a, b, c;
    const char *s;
};

/* One conversion at a time: the state below is the converter's. */
static pthread_mutex_t converting = PTHREAD_MUTEX_INITIALIZER;
static FILE *out;
static bool write_failed;
static int64_t t0;
static bool first;
struct lane {
    bool    named;
    bool    p_open;        /* an M owns the P */
    bool    g_open;        /* a goroutine runs on it */
    int64_t last;          /* time of its last event */
};
static bool gc_named, no_p_named;
struct open_blocking {
    int64_t g, m, since;
};
static int nblocking;
/* The big tables, made for each conversion: in the data segment they
 * would be read by every collection of every program linked with goc. */
static struct tables {
    struct lane          lanes[MAX_PROCS];
    struct open_blocking blocking[MAX_OPEN_BLOCKING];
    bool                 m_named[MAX_OPEN_BLOCKING];
    /* Output goes through a buffer of our own: stdio's formatting of
     * every number would be most of the conversion's time. */
    char                 obuf[1 << 16];
} *tab;

/* The file's names by key: open addressing, doubled when half full. */
struct name {
    uint64_t key;
    char    *s;
};
static struct name *names;
static size_t names_cap, names_len;

static size_t name_slot(uint64_t key) {
    return (size_t)(key * 0x9E3779B97F4A7C15ull >> 20) & (names_cap - 1);
}

static bool name_set(uint64_t key, char *s) {
    if (2 * (names_len + 1) > names_cap) {
        struct name *old = names;
        size_t old_cap = names_cap;
        size_t cap = names_cap ? 2 * names_cap : 256;
        struct name *grown = calloc(cap, sizeof *grown);
        if (!grown)
            return false;
        names = grown;
        names_cap = cap;
        for (size_t i = 0; i < old_cap; i++) {
            if (!old[i].key)
                continue;
            size_t j = name_slot(old[i].key);
            while (names[j].key)
                j = (j + 1) & (names_cap - 1);
            names[j] = old[i];
        }
        free(old);
    }
    size_t i = name_slot(key);
    while (names[i].key && names[i].key != key)
        i = (i + 1) & (names_cap - 1);
    if (names[i].key) {
        free(names[i].s);   /* written again: the last one stands */
    } else {
        names[i].key = key;
        names_len++;
    }
    names[i].s = s;
    return true;
}

static const char *name_of(uint64_t key, const char *none) {
    if (key && names_cap) {
        for (size_t i = name_slot(key); names[i].key; i = (i + 1) & (names_cap - 1))
            if (names[i].key == key)
                return names[i].s;
    }
    return none;
}

static void names_free(void) {
    for (size_t i = 0; i < names_cap; i++)
        free(names[i].s);
    free(names);
    names = NULL;
    names_cap = names_len = 0;
}

static size_t olen;

static void flush_out(void) {
    if (fwrite(tab->obuf, 1, olen, out) != olen)
        write_failed = true;
    olen = 0;
}

static void put(const char *s, size_t n) {
    if (olen + n > sizeof tab->obuf)
        flush_out();
    memcpy(tab->obuf + olen, s, n);   /* callers' pieces are short */
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

static void g_open(int tid, struct lane *l, int64_t ts, int64_t g, uint64_t fn) {
    ev_begin("B", tid, ts);
    put_s(",\"name\":\"G");
    put_int(g);
    put_s(" ");
    put_s(name_of(fn, "?"));
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
static void g_instant(int tid, const struct ev *e) {
    if (e->type == TEV_GO_CREATE) {
        instant(tid, e->ts, "go G", (int64_t)e->a);
        put_s(",\"args\":{\"fn\":");
        json_str(name_of(e->b, "?"));
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

static const char *stop_reason(const struct ev *e) {
    switch (e->stop) {
    case TSTOP_PARK: return e->s ? e->s : "park";
    case TSTOP_YIELD: return "yield";
    case TSTOP_PREEMPT: return "preempted";
    case TSTOP_EXIT: return "exit";
    default: return "blocking section";
    }
}

static void p_event(int32_t pid, const struct ev *e) {
    struct lane *l = &tab->lanes[pid];
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

static void span_event(const struct ev *e) {
    if (!gc_named) {
        thread_name(TID_GC, "GC", -1, "");
        gc_named = true;
    }
    ev_begin("X", TID_GC, (int64_t)e->a);
    put_s(",\"dur\":");
    put_us((int64_t)e->b - (int64_t)e->a);
    put_s(",\"name\":");
    json_str(e->s ? e->s : "?");
    put_s(",\"args\":{\"cycle\":");
    put_int((int64_t)e->c);
    put_s("}}");
}

/* A blocking section is drawn once it ends, on the lane of the M that
 * began it.  A goroutine that parks inside its section begins it again on
 * waking: the first begin stands. */
static void blocking_event(const struct ev *e) {
    int i = 0;
    while (i < nblocking && tab->blocking[i].g != (int64_t)e->a)
        i++;
    if (e->type == TEV_BLOCKING_BEGIN) {
        if (i == nblocking && nblocking < MAX_OPEN_BLOCKING)
            tab->blocking[nblocking++] = (struct open_blocking){(int64_t)e->a, (int64_t)e->b, e->ts};
        return;
    }
    if (i == nblocking)
        return;   /* began before the trace */
    struct open_blocking b = tab->blocking[i];
    tab->blocking[i] = tab->blocking[--nblocking];
    int tid = TID_BLOCKING + (int)(b.m % MAX_OPEN_BLOCKING);
    if (!tab->m_named[b.m % MAX_OPEN_BLOCKING]) {
        thread_name(tid, "M", b.m, " blocking");
        tab->m_named[b.m % MAX_OPEN_BLOCKING] = true;
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
static void no_p_event(const struct ev *e) {
    if (!no_p_named) {
        thread_name(TID_NO_P, "no P", -1, "");
        no_p_named = true;
    }
    g_instant(TID_NO_P, e);
}

static void event(int32_t pid, const struct ev *e) {
    if (e->type == TEV_SPAN)
        span_event(e);
    else if (e->type == TEV_BLOCKING_BEGIN || e->type == TEV_BLOCKING_END)
        blocking_event(e);
    else if (pid >= 0)
        p_event(pid, e);
    else if (e->type == TEV_GO_CREATE || e->type == TEV_GO_UNBLOCK)
        no_p_event(e);
    /* A goroutine parking inside a blocking section has no P: its stop
     * is the section's business. */
}

static void finish(void) {
    for (int32_t i = 0; i < MAX_PROCS; i++) {
        struct lane *l = &tab->lanes[i];
        if (l->p_open)
            p_close(TID_P + i, l, l->last);
        else if (l->g_open)
            g_close(TID_P + i, l, l->last, "trace stopped");
    }
    put_s("\n]\n");
    flush_out();
}


/* ---- reading the file ------------------------------------------------------- */
static int64_t sync_ticks, sync_ns;   /* the first clock readings */
static double ns_per_tick;

static int64_t ns_of(int64_t ticks) {
    return sync_ns + (int64_t)((double)(ticks - sync_ticks) * ns_per_tick);
}

/* A buffer's records; a switch is its stop and its start, at one time. */
static void decode(int32_t pid, const uint8_t *s, size_t n) {
    struct trace_rec r = {.ticks = sync_ticks};
    for (const uint8_t *end = s + n; (s = trace_read_record(s, end, &r));) {
        struct ev e = {
            .ts = ns_of(r.ticks),
            .type = r.type,
            .stop = r.stop,
            .a = r.arg[0],
            .b = r.arg[1],
        };
        if (r.type == TEV_GO_STOP || r.type == TEV_GO_SWITCH) {
            e.type = TEV_GO_STOP;
            e.s = name_of(e.b, NULL);
        }
        if (r.type == TEV_SPAN) {
            e.c = r.arg[2];
            e.s = name_of(r.arg[3], NULL);
        }
        event(pid, &e);
        if (r.type == TEV_GO_SWITCH) {
            struct ev start = {.ts = e.ts, .type = TEV_GO_START, .a = r.arg[2], .b = r.arg[3]};
            event(pid, &start);
        }
    }
}

/* The first and last clock readings: the origin and the tick rate. */
static bool read_syncs(FILE *in) {
    uint32_t h[2];
    int64_t s[2], last[2];
    bool any = false;
    while (fread(h, sizeof h, 1, in) == 1) {
        if (h[0] == TRACE_CHUNK_SYNC && h[1] == sizeof s) {
            if (fread(s, sizeof s, 1, in) != 1)
                break;
            if (!any) {
                sync_ticks = s[0];
                sync_ns = s[1];
            }
            memcpy(last, s, sizeof s);
            any = true;
        } else if (fseek(in, h[1], SEEK_CUR)) {
            break;
        }
    }
    if (any)
        ns_per_tick = last[0] > sync_ticks ? (double)(last[1] - sync_ns) / (double)(last[0] - sync_ticks) : 1;
    return any;
}

/* The chunks in order; a chunk cut short (the program died while writing
 * it) ends the trace, after the whole records it holds. */
static int read_chunks(FILE *in) {
    uint32_t h[2];
    uint8_t *bytes = NULL;
    size_t cap = 0;
    int rc = 0;
    while (!rc && fread(h, sizeof h, 1, in) == 1) {
        if (h[0] == TRACE_CHUNK_NAME && h[1] >= sizeof(uint64_t)) {
            uint64_t key;
            size_t len = h[1] - sizeof key;
            char *s = malloc(len + 1);
            if (!s || fread(&key, sizeof key, 1, in) != 1 || fread(s, 1, len, in) != len) {
                free(s);
                break;
            }
            s[len] = '\0';
            if (!name_set(key, s)) {
                free(s);
                rc = -ENOMEM;
            }
        } else if (h[0] == TRACE_CHUNK_EVENTS && h[1] >= 8) {
            int32_t head[2];
            size_t n = h[1] - sizeof head;
            if (n > cap) {
                uint8_t *grown = realloc(bytes, n);
                if (!grown) {
                    rc = -ENOMEM;
                    break;
                }
                bytes = grown;
                cap = n;
            }
            if (fread(head, sizeof head, 1, in) != 1)
                break;
            /* Records stand alone: those before the cut are good. */
            size_t got = fread(bytes, 1, n, in);
            if (head[0] >= -1 && head[0] < MAX_PROCS)
                decode(head[0], bytes, got);
            if (got != n)
                break;
        } else if (fseek(in, h[1], SEEK_CUR)) {
            break;
        }
    }
    free(bytes);
    return rc;
}

static int convert(FILE *in) {
    char magic[TRACE_MAGIC_LEN];
    if (fread(magic, sizeof magic, 1, in) != 1 || memcmp(magic, TRACE_MAGIC, sizeof magic))
        return -EINVAL;
    long body = ftell(in);
    if (body < 0)
        return -errno;
    if (!read_syncs(in))
        return -EINVAL;
    if (fseek(in, body, SEEK_SET))
        return -errno;
    t0 = sync_ns;
    first = true;
    write_failed = false;
    gc_named = no_p_named = false;
    nblocking = 0;
    olen = 0;
    put_s("[\n{\"ph\":\"M\",\"pid\":1,\"name\":\"process_name\",\"args\":{\"name\":\"goc\"}}");
    first = false;
    int rc = read_chunks(in);
    finish();
    if (!rc && (write_failed || fflush(out)))
        rc = -EIO;
    return rc;
}

int goc_trace_to_json(FILE *in, FILE *json) {
    if (!in || !json)
        return -EINVAL;
    pthread_mutex_lock(&converting);
    out = json;
    tab = calloc(1, sizeof *tab);
    int rc = tab ? convert(in) : -ENOMEM;
    free(tab);
    tab = NULL;
    names_free();
    pthread_mutex_unlock(&converting);
    return rc;
}
