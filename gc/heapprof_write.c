/* SPDX-License-Identifier: MIT */
/* goc_write_heap_profile: the sampled heap records as a pprof profile
 * (profile.proto, uncompressed: pprof accepts both), which
 * `go tool pprof` reads with no binary at hand, since the functions'
 * names are in it.  Sample types and scaling are Go's (protomem.go):
 * alloc_objects, alloc_space, inuse_objects, inuse_space, each sampled
 * count scaled up by 1 / (1 - e^(-average size / rate)). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gc/heapprof.h"
#include "sched/diag.h"
#include "sched/sched.h"

/* ---- protocol buffers: just the encoding profile.proto needs ---------------- */
typedef struct pb {
    uint8_t *data;
    size_t   len, cap;
    bool     failed;       /* out of memory */
} pb;

enum { WIRE_VARINT = 0, WIRE_BYTES = 2 };

static void pb_put(pb *b, const void *data, size_t n) {
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = true;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
}

static void pb_varint(pb *b, uint64_t v) {
    uint8_t buf[10];
    size_t n = 0;
    while (v >= 0x80) {
        buf[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    buf[n++] = (uint8_t)v;
    pb_put(b, buf, n);
}

static void pb_uint(pb *b, int field, uint64_t v) {
    pb_varint(b, (uint64_t)field << 3 | WIRE_VARINT);
    pb_varint(b, v);
}

static void pb_bytes(pb *b, int field, const void *data, size_t n) {
    pb_varint(b, (uint64_t)field << 3 | WIRE_BYTES);
    pb_varint(b, n);
    pb_put(b, data, n);
}

/* Append sub as a message field of b, and empty sub for the next one. */
static void pb_msg(pb *b, int field, pb *sub) {
    if (sub->failed)
        b->failed = true;
    pb_bytes(b, field, sub->data, sub->len);
    sub->len = 0;
}

/* ---- the profile's tables ------------------------------------------------------- */
/* Profile's fields (profile.proto). */
enum {
    PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_LOCATION = 4, PROFILE_FUNCTION = 5,
    PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9, PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12,
};

/* Keys to ids, open addressing: locations by pc, functions by entry
 * address, strings by pointer (symbol names live in the symbolizer's
 * table, so one name is one pointer). */
typedef struct table {
    uint64_t *keys;
    uint64_t *ids;          /* 0: empty slot */
    size_t    size, n;
} table;

static bool table_init(table *t, size_t want) {
    t->size = 64;
    while (t->size < 2 * want)
        t->size *= 2;
    t->n = 0;
    t->keys = calloc(t->size, sizeof *t->keys);
    t->ids = calloc(t->size, sizeof *t->ids);
    return t->keys && t->ids;
}

static void table_free(table *t) {
    free(t->keys);
    free(t->ids);
}

/* The id of key, and whether it is new (ids count from 1).  The tables are
 * sized for every key the profile can have, so they never fill. */
static uint64_t table_id(table *t, uint64_t key, bool *fresh) {
    size_t i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & (t->size - 1);
    while (t->ids[i] && t->keys[i] != key)
        i = (i + 1) & (t->size - 1);
    *fresh = !t->ids[i];
    if (*fresh) {
        t->keys[i] = key;
        t->ids[i] = ++t->n;
    }
    return t->ids[i];
}

typedef struct writer {
    pb     out, sub, line;
    table  strings, functions, locations;
} writer;

/* The string table's index of s (a stable pointer). */
static uint64_t string_id(writer *w, const char *s) {
    bool fresh;
    uint64_t id = table_id(&w->strings, (uint64_t)(uintptr_t)s, &fresh);
    if (fresh)
        pb_bytes(&w->out, PROFILE_STRING_TABLE, s, strlen(s));
    return id;   /* "" is index 0, written first: ids from 1 follow it */
}

static void value_type(writer *w, int field, const char *type, const char *unit) {
    pb_uint(&w->sub, 1, string_id(w, type));
    pb_uint(&w->sub, 2, string_id(w, unit));
    pb_msg(&w->out, field, &w->sub);
}

/* The location of a return address: its function's name from the symbol
 * table (looked up at the call instruction, pc - 1). */
static uint64_t location_id(writer *w, uintptr_t pc) {
    bool fresh;
    uint64_t id = table_id(&w->locations, pc, &fresh);
    if (!fresh)
        return id;
    goc_symbol sym;
    uint64_t fn = 0;
    if (symbolize(pc - 1, &sym) && sym.name) {
        fn = table_id(&w->functions, sym.start, &fresh);
        if (fresh) {
            pb_uint(&w->sub, 1, fn);
            pb_uint(&w->sub, 2, string_id(w, sym.name));
            pb_uint(&w->sub, 3, string_id(w, sym.name));
            pb_uint(&w->sub, 4, string_id(w, sym.module));
            pb_msg(&w->out, PROFILE_FUNCTION, &w->sub);
        }
    }
    pb_uint(&w->sub, 1, id);
    pb_uint(&w->sub, 3, pc);
    if (fn) {
        pb_uint(&w->line, 1, fn);
        pb_msg(&w->sub, 4, &w->line);
    }
    pb_msg(&w->out, PROFILE_LOCATION, &w->sub);
    return id;
}

/* 1 - e^-x for x >= 0, without libm (series for small x, where the
 * subtraction would lose the digits; halving and squaring above). */
static double one_minus_exp_neg(double x) {
    if (x > 40)
        return 1;
    if (x < 0.5) {
        double term = x, sum = 0;
        for (int k = 1; k <= 12; k++) {
            sum += term;
            term *= -x / (k + 1);
        }
        return sum;
    }
    int halvings = 0;
    while (x > 0.5) {
        x /= 2;
        halvings++;
    }
    double e = 1, term = 1;
    for (int k = 1; k <= 12; k++) {
        term *= -x / k;
        e += term;
    }
    while (halvings--)
        e *= e;
    return 1 - e;
}

/* Go's scaleHeapSample: what count sampled objects of size bytes stand for. */
static void scale(uint64_t count, uint64_t size, int64_t rate, int64_t *n, int64_t *bytes) {
    if (count == 0 || size == 0) {
        *n = *bytes = 0;
        return;
    }
    double s = rate <= 1 ? 1 : 1 / one_minus_exp_neg((double)size / (double)count / (double)rate);
    *n = (int64_t)((double)count * s);
    *bytes = (int64_t)((double)size * s);
}

static void sample(writer *w, const heapprof_entry *e, int64_t rate) {
    pb packed = {0};
    for (int i = 0; i < e->depth; i++)
        pb_varint(&packed, location_id(w, e->stack[i]));
    pb_bytes(&w->sub, 1, packed.data, packed.len);
    if (packed.failed)
        w->sub.failed = true;
    packed.len = 0;
    int64_t v[4];
    scale(e->allocs, e->alloc_bytes, rate, &v[0], &v[1]);
    scale(e->allocs - e->frees, e->alloc_bytes - e->free_bytes, rate, &v[2], &v[3]);
    for (int i = 0; i < 4; i++)
        pb_varint(&packed, (uint64_t)v[i]);
    pb_bytes(&w->sub, 2, packed.data, packed.len);
    if (packed.failed)
        w->sub.failed = true;
    free(packed.data);
    pb_msg(&w->out, PROFILE_SAMPLE, &w->sub);
}

int goc_write_heap_profile(FILE *f) {
    if (!f)
        return -EINVAL;
    size_t n;
    heapprof_entry *entries = heapprof_snapshot(&n);
    if (!entries)
        return -ENOMEM;
    int64_t rate = heapprof_rate();
    size_t frames = 0;
    for (size_t i = 0; i < n; i++)
        frames += (size_t)entries[i].depth;
    writer w = {0};
    int err = 0;
    /* Strings: a name and a module per function, a few fixed ones. */
    if (!table_init(&w.strings, 2 * frames + 16) || !table_init(&w.functions, frames) ||
        !table_init(&w.locations, frames)) {
        err = -ENOMEM;
        goto out;
    }
    pb_bytes(&w.out, PROFILE_STRING_TABLE, "", 0);
    value_type(&w, PROFILE_SAMPLE_TYPE, "alloc_objects", "count");
    value_type(&w, PROFILE_SAMPLE_TYPE, "alloc_space", "bytes");
    value_type(&w, PROFILE_SAMPLE_TYPE, "inuse_objects", "count");
    value_type(&w, PROFILE_SAMPLE_TYPE, "inuse_space", "bytes");
    value_type(&w, PROFILE_PERIOD_TYPE, "space", "bytes");
    pb_uint(&w.out, PROFILE_PERIOD, (uint64_t)rate);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    pb_uint(&w.out, PROFILE_TIME_NANOS, (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec);
    for (size_t i = 0; i < n; i++)
        sample(&w, &entries[i], rate);
    if (w.out.failed || w.sub.failed || w.line.failed)
        err = -ENOMEM;
    else if (fwrite(w.out.data, 1, w.out.len, f) != w.out.len || fflush(f) != 0)
        err = errno ? -errno : -EIO;
out:
    table_free(&w.strings);
    table_free(&w.functions);
    table_free(&w.locations);
    free(w.out.data);
    free(w.sub.data);
    free(w.line.data);
    free(entries);
    return err;
}
