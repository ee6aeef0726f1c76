/* SPDX-License-Identifier: MIT */
/* Heap profile records (Go's mprof.go for the heap): one allocation in
 * about every goc_mem_profile_rate bytes is sampled with its call stack.
 *
 * Sampling costs the allocation fast path one subtraction (gc/alloc.c):
 * each cache counts down the bytes to its next sample (next_sample), and
 * only when that goes negative does an allocation come here, to draw the
 * next distance from an exponential distribution (so that samples are a
 * Poisson process over the bytes allocated, as Go's) and record the stack.
 *
 * Records: a bucket per distinct stack with its allocation and free
 * counts, never freed (as Go's); and a record per sampled object still
 * alive, keyed by its address.  Each span counts its sampled objects
 * (mem_span.nsampled); the sweep that frees one of them tells us
 * (mem_sampled_freed_hook), and its bucket counts the free, as Go's
 * sweeper finds a profile "special" on the span.  So no pause pays for
 * the profile.  goc_realloc's explicit free forgets its object at once.
 *
 * Lock order: a central list's lock (held by the sweep), then ours. */
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"
#include "gc/gc.h"
#include "gc/heapprof.h"
#include "mem/mem.h"
#include "sched/diag.h"
#include "sched/env.h"
#include "sched/sched.h"

#define DEFAULT_RATE (512 * 1024)   /* Go's MemProfileRate */
/* With sampling off, a cache still looks at the rate again this often, so
 * that turning it on takes effect. */
#define OFF_RECHECK ((int64_t)16 << 20)

typedef struct hp_bucket {
    struct hp_bucket *next;       /* hash chain */
    struct hp_bucket *all;        /* every bucket, newest first */
    uint64_t          hash;
    int               depth;
    uint64_t          allocs, alloc_bytes, frees, free_bytes;
    uintptr_t         stack[];    /* return addresses, innermost first */
} hp_bucket;

static _Atomic int64_t rate = DEFAULT_RATE;
static pthread_once_t rate_once = PTHREAD_ONCE_INIT;

static goc_lock lock = GOC_LOCK_INIT;
static hp_bucket **buckets;          /* lock: hash table by stack */
static size_t nbuckets_slots;
static hp_bucket *all_buckets;       /* lock: every bucket, newest first */
static size_t nbuckets;

typedef struct hp_object {
    uintptr_t         addr;
    size_t            size;
    hp_bucket        *bucket;
    struct hp_object *next;
} hp_object;
static hp_object **objects;          /* lock: sampled objects alive, by address */
static size_t nobject_slots;
static _Atomic size_t nobjects;

static void rate_init(void) {
    int64_t r = godebug_value("memprofilerate", DEFAULT_RATE);
    astore(&rate, r < 0 ? 0 : r, memory_order_relaxed);
}

int goc_set_mem_profile_rate(int r) {
    pthread_once(&rate_once, rate_init);
    int64_t old = aload(&rate, memory_order_relaxed);
    if (r >= 0)
        astore(&rate, r, memory_order_relaxed);
    return (int)old;
}

int64_t heapprof_rate(void) {
    pthread_once(&rate_once, rate_init);
    return aload(&rate, memory_order_relaxed);
}

/* log2(q) for q >= 1, to a few parts in a million: the exponent from the
 * double's bits, the mantissa's through ln(m) = 2 atanh((m-1)/(m+1)). */
static double log2_approx(double q) {
    uint64_t bits;
    memcpy(&bits, &q, sizeof bits);
    int e = (int)((bits >> 52) & 0x7ff) - 1023;
    bits = (bits & ~((uint64_t)0x7ff << 52)) | ((uint64_t)1023 << 52);
    double m;
    memcpy(&m, &bits, sizeof m);
    double t = (m - 1) / (m + 1), t2 = t * t;
    double ln = 2 * t * (1 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 + t2 / 9))));
    return e + ln * 1.4426950408889634;
}

/* Go's fastexprand: a distance drawn from the exponential distribution of
 * the given mean. */
static int64_t exp_distance(int64_t mean) {
    enum { RANDOM_BITS = 26 };
    if (mean > 0x7000000)
        mean = 0x7000000;
    double q = (double)fastrandn(1u << RANDOM_BITS) + 1;
    double qlog = log2_approx(q) - RANDOM_BITS;
    if (qlog > 0)
        qlog = 0;
    return (int64_t)(qlog * (-0.6931471805599453 * (double)mean)) + 1;
}

bool heapprof_rearm(mem_cache *c) {
    int64_t r = heapprof_rate();
    bool armed = c->sample_armed;
    c->sample_armed = true;
    if (r == 0) {
        c->next_sample = OFF_RECHECK;
        return false;
    }
    c->next_sample = r == 1 ? 0 : exp_distance(r);
    /* A cache's first countdown starts at 0: its first allocation only
     * draws the distance to the first sample. */
    return armed;
}

static uint64_t stack_hash(const uintptr_t *stk, int n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < n; i++)
        h = (h ^ stk[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

static void buckets_grow(void) {
    size_t size = nbuckets_slots ? 2 * nbuckets_slots : 1024;
    hp_bucket **grown = mem_meta_alloc(size * sizeof *grown);
    for (hp_bucket *b = all_buckets; b; b = b->all) {
        size_t k = b->hash & (size - 1);
        b->next = grown[k];
        grown[k] = b;
    }
    if (buckets)
        mem_meta_free(buckets, nbuckets_slots * sizeof *buckets);
    buckets = grown;
    nbuckets_slots = size;
}

static hp_bucket *bucket_of(const uintptr_t *stk, int n) {
    uint64_t h = stack_hash(stk, n);
    if (!buckets)
        buckets_grow();
    for (hp_bucket *b = buckets[h & (nbuckets_slots - 1)]; b; b = b->next)
        if (b->hash == h && b->depth == n && memcmp(b->stack, stk, (size_t)n * sizeof *stk) == 0)
            return b;
    if (nbuckets >= nbuckets_slots)
        buckets_grow();
    hp_bucket *b = mem_meta_alloc(sizeof *b + (size_t)n * sizeof *stk);
    b->hash = h;
    b->depth = n;
    memcpy(b->stack, stk, (size_t)n * sizeof *stk);
    size_t k = h & (nbuckets_slots - 1);
    b->next = buckets[k];
    buckets[k] = b;
    b->all = all_buckets;
    all_buckets = b;
    nbuckets++;
    return b;
}

static size_t object_slot(uintptr_t addr, size_t size) {
    return (size_t)((addr * 0x9e3779b97f4a7c15ull) >> 32) & (size - 1);
}

static void objects_grow(void) {
    size_t size = nobject_slots ? 2 * nobject_slots : 1024;
    hp_object **grown = mem_meta_alloc(size * sizeof *grown);
    for (size_t i = 0; i < nobject_slots; i++) {
        for (hp_object *o = objects[i], *next; o; o = next) {
            next = o->next;
            size_t k = object_slot(o->addr, size);
            o->next = grown[k];
            grown[k] = o;
        }
    }
    if (objects)
        mem_meta_free(objects, nobject_slots * sizeof *objects);
    objects = grown;
    nobject_slots = size;
}

/* The object's record dies: its bucket counts the free, its span one
 * sample less. */
static void object_freed(hp_object **link) {
    hp_object *o = *link;
    _Atomic uint32_t *nsampled = &mem_span_of((const void *)o->addr)->nsampled;
    uint32_t n = aload(nsampled, memory_order_relaxed);
    /* Never below zero: a span made anew since its sample starts at 0. */
    while (n && !acas_weak(nsampled, &n, n - 1, memory_order_relaxed, memory_order_relaxed))
        ;
    o->bucket->frees++;
    o->bucket->free_bytes += o->size;
    *link = o->next;
    afetch_sub(&nobjects, 1, memory_order_relaxed);
    mem_meta_free(o, sizeof *o);
}

static hp_object **object_link(uintptr_t addr) {
    hp_object **link = &objects[object_slot(addr, nobject_slots)];
    while (*link && (*link)->addr != addr)
        link = &(*link)->next;
    return link;
}

static void sampled_freed(uintptr_t addr) {
    lock_acquire(&lock);
    hp_object **link = object_link(addr);
    if (*link)
        object_freed(link);
    lock_release(&lock);
}

void *heapprof_record(void *p, uintptr_t ret) {
    if (!p)
        return p;
    uintptr_t stk[HEAPPROF_MAX_DEPTH];
    int n = traceback_callers(ret, stk, HEAPPROF_MAX_DEPTH);
    if (n == 0) {   /* the unwinder could not get there: the caller at least */
        stk[0] = ret;
        n = 1;
    }
    size_t size = goc_alloc_size(p);
    lock_acquire(&lock);
    hp_bucket *b = bucket_of(stk, n);
    b->allocs++;
    b->alloc_bytes += size;
    if (aload(&nobjects, memory_order_relaxed) >= nobject_slots)
        objects_grow();
    hp_object **link = object_link((uintptr_t)p);
    /* A record for this address already: that object died unseen (freed
     * explicitly before a cycle looked), since its slot was handed out. */
    if (*link)
        object_freed(link);
    hp_object *o = mem_meta_alloc(sizeof *o);
    size_t k = object_slot((uintptr_t)p, nobject_slots);
    *o = (hp_object){(uintptr_t)p, size, b, objects[k]};
    objects[k] = o;
    afetch_add(&nobjects, 1, memory_order_relaxed);
    astore(&mem_sampled_freed_hook, sampled_freed, memory_order_release);
    afetch_add(&mem_span_of(p)->nsampled, 1, memory_order_relaxed);
    lock_release(&lock);
    return p;
}

void heapprof_forget(void *p) {
    if (aload(&nobjects, memory_order_relaxed))
        sampled_freed((uintptr_t)p);
}

heapprof_entry *heapprof_snapshot(size_t *n) {
    lock_acquire(&lock);
    heapprof_entry *out = malloc((nbuckets ? nbuckets : 1) * sizeof *out);
    size_t i = 0;
    for (hp_bucket *b = all_buckets; out && b; b = b->all, i++)
        out[i] = (heapprof_entry){b->stack, b->depth, b->allocs, b->alloc_bytes, b->frees,
                                  b->free_bytes};
    lock_release(&lock);
    *n = i;
    return out;
}
