/* SPDX-License-Identifier: MIT */
/* Finalizers, with Go's rules (runtime.SetFinalizer):
 * - obj must be the start of a goc_alloc object; fn(obj) runs once, on the
 *   one finalizer goroutine, after a cycle found obj unreachable;
 * - while obj waits to be finalized, everything it references stays alive
 *   (its contents are a root; obj itself is not), and obj stays alive until
 *   fn has run: fn may store obj somewhere (resurrection), and obj is freed
 *   by a later cycle that finds it unreachable again, without its finalizer;
 * - so an object reachable from itself, or a cycle of finalizable objects,
 *   is never finalized nor freed (Go's documented rule).
 * Records live in runtime metadata: a hash table of pending finalizers and
 * the queue of those to run, both under fin_lock. */
#include <string.h>

#include "gc/gc.h"
#include "mem/mem.h"
#include "sched/sched.h"

typedef struct fin_rec {
    void            *obj;
    void           (*fn)(void *obj);
    struct fin_rec  *next;
} fin_rec;

static goc_lock fin_lock = GOC_LOCK_INIT;
static fin_rec **table;          /* fin_lock */
static size_t table_size, table_count;
static fin_rec *queue_head, *queue_tail;   /* fin_lock: to run, in order */
static gc_waiter fin_waiter = {.reason = "finalizer wait"};
static pthread_once_t fin_once = PTHREAD_ONCE_INIT;

static size_t slot_of(const void *obj, size_t size) {
    uint64_t h = (uint64_t)(uintptr_t)obj * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 32) & (size - 1);
}

static void table_grow(void) {
    size_t size = table_size ? 2 * table_size : 64;
    fin_rec **grown = mem_meta_alloc(size * sizeof *grown);
    for (size_t i = 0; i < table_size; i++) {
        for (fin_rec *r = table[i], *next; r; r = next) {
            next = r->next;
            size_t k = slot_of(r->obj, size);
            r->next = grown[k];
            grown[k] = r;
        }
    }
    if (table)
        mem_meta_free(table, table_size * sizeof *table);
    table = grown;
    table_size = size;
}

/* The link that points at obj's record, or at the NULL ending its chain. */
static fin_rec **find(const void *obj) {
    fin_rec **link = &table[slot_of(obj, table_size)];
    while (*link && (*link)->obj != obj)
        link = &(*link)->next;
    return link;
}

void goc_set_finalizer(void *obj, void (*fn)(void *obj)) {
    sched_safepoint();
    mem_span *s;
    uint32_t index;
    void *base = mem_object_base(obj, &s, &index);
    if (!base)
        goc_panic("runtime.SetFinalizer: pointer not in allocated block");
    if (base != obj)
        goc_panic("runtime.SetFinalizer: pointer not at beginning of allocated block");
    lock_acquire(&fin_lock);
    if (!table)
        table_grow();
    fin_rec **link = find(obj);
    if (!fn) {
        fin_rec *r = *link;
        if (r) {
            *link = r->next;
            table_count--;
        }
        lock_release(&fin_lock);
        if (r)
            mem_meta_free(r, sizeof *r);
        return;
    }
    if (*link) {
        lock_release(&fin_lock);
        goc_panic("runtime.SetFinalizer: finalizer already set");
    }
    fin_rec *r = mem_meta_alloc(sizeof *r);
    r->obj = obj;
    r->fn = fn;
    *link = r;
    if (++table_count > table_size) {
        table_grow();
    }
    lock_release(&fin_lock);
}

void gc_finalizers_mark_roots(void) {
    for (size_t i = 0; i < table_size; i++) {
        for (fin_rec *r = table[i]; r; r = r->next) {
            mem_span *s;
            uint32_t index;
            if (mem_object_base(r->obj, &s, &index) && !span_noscan(s))
                gc_root_range((uintptr_t)r->obj, (uintptr_t)r->obj + s->elemsize, SRC_RUNTIME, NULL);
        }
    }
    for (fin_rec *r = queue_head; r; r = r->next)
        gc_root_word((uintptr_t)r->obj, SRC_RUNTIME, NULL);
}

size_t gc_finalizers_queue_unreachable(void) {
    size_t bytes = 0;
    for (size_t i = 0; i < table_size; i++) {
        fin_rec **link = &table[i];
        while (*link) {
            fin_rec *r = *link;
            mem_span *s;
            uint32_t index;
            if (!mem_object_base(r->obj, &s, &index) || mem_is_marked(s, index)) {
                link = &r->next;
                continue;
            }
            *link = r->next;
            table_count--;
            r->next = NULL;
            if (queue_tail)
                queue_tail->next = r;
            else
                queue_head = r;
            queue_tail = r;
            /* Kept for its finalizer; what it references is marked already. */
            bytes += gc_mark_object_only(r->obj);
        }
    }
    return bytes;
}

/* A frame of its own, popped before the goroutine parks again: were obj a
 * local of the loop below, its stack slot or a saved register would keep
 * the last finalized object (and all it references) alive, conservatively,
 * until the next finalizer runs; a resurrected object dropped again would
 * never be freed. */
static __attribute__((noinline)) void run_finalizer(fin_rec *r) {
    void *obj = r->obj;
    void (*fn)(void *) = r->fn;
    mem_meta_free(r, sizeof *r);
    fn(obj);
    goc_keep_alive(obj);
}

/* Zeroes the stack just below the caller, where run_finalizer and the
 * finalizers it called had their frames: the frames of the next park lie
 * there too, and whatever slots they leave unwritten would otherwise show
 * the collector stale pointers to finalized objects. */
static __attribute__((noinline)) void scrub_stack(void) {
    volatile uintptr_t words[512];
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        words[i] = 0;
}

static void finalizer_goroutine(void *arg) {
    (void)arg;
    for (;;) {
        scrub_stack();
        gc_waiter_wait(&fin_waiter);
        for (;;) {
            lock_acquire(&fin_lock);
            fin_rec *r = queue_head;
            if (r) {
                queue_head = r->next;
                if (!queue_head)
                    queue_tail = NULL;
            }
            lock_release(&fin_lock);
            if (!r)
                break;
            run_finalizer(r);
        }
    }
}

static void finalizer_start(void) {
    goc_go_with(finalizer_goroutine, NULL, &(goc_go_opts){.name = "finalizer", .flags = GOC_G_SYSTEM});
}

void gc_finalizers_wake(void) {
    lock_acquire(&fin_lock);
    bool work = queue_head != NULL;
    lock_release(&fin_lock);
    if (!work)
        return;
    pthread_once(&fin_once, finalizer_start);
    gc_waiter_wake(&fin_waiter, 1);
}
