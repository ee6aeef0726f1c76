/* SPDX-License-Identifier: MIT */
/* Heap statistics.  Small allocations are counted per class by the caches
 * (single-writer counters, summed on demand), large ones and all frees in
 * global counters, page-level figures under the heap lock.  The page figures
 * (sys, inuse, idle, released) always agree with each other, and frees never
 * exceed mallocs; object and page figures agree exactly whenever nobody is
 * allocating or freeing meanwhile (Go stops the world to read them; the
 * collector can do the same around this call). */
#include <string.h>

#include "goc.h"
#include "mem/mem.h"
#include "stack/stack.h"

_Atomic uint64_t mem_large_nmalloc, mem_large_bytes;
_Atomic uint64_t mem_nfree, mem_freed_bytes;

void mem_count_free(size_t elemsize, uint64_t n) {
    if (!n)
        return;
    afetch_add(&mem_freed_bytes, elemsize * n, memory_order_seq_cst);
    afetch_add(&mem_nfree, n, memory_order_seq_cst);
}

typedef struct object_counts {
    uint64_t mallocs, frees, total_bytes, freed_bytes;
} object_counts;

static void count_objects(object_counts *o) {
    /* Frees first: every free counted then has its malloc counted after. */
    o->frees = aload(&mem_nfree, memory_order_seq_cst);
    o->freed_bytes = aload(&mem_freed_bytes, memory_order_seq_cst);
    uint64_t nmalloc[MEM_NUM_CLASSES];
    mem_caches_count(nmalloc);
    o->mallocs = aload(&mem_large_nmalloc, memory_order_seq_cst);
    o->total_bytes = aload(&mem_large_bytes, memory_order_seq_cst);
    for (uint32_t i = 1; i < MEM_NUM_CLASSES; i++) {
        o->mallocs += nmalloc[i];
        o->total_bytes += nmalloc[i] * mem_classes[i].size;
    }
}

uint64_t mem_heap_alloc_bytes(void) {
    object_counts o;
    count_objects(&o);
    return o.total_bytes - o.freed_bytes;
}

void mem_read_stats(goc_memstats *out) {
    object_counts o;
    count_objects(&o);
    out->mallocs = o.mallocs;
    out->frees = o.frees;
    out->heap_objects = o.mallocs - o.frees;
    out->total_alloc = o.total_bytes;
    out->heap_alloc = out->alloc = o.total_bytes - o.freed_bytes;
    lock_acquire(&mheap.lock);
    out->heap_sys = mheap.sys;
    out->heap_inuse = mheap.inuse_pages << MEM_PAGE_SHIFT;
    out->heap_released = mheap.released_pages << MEM_PAGE_SHIFT;
    lock_release(&mheap.lock);
    out->heap_idle = out->heap_sys - out->heap_inuse;
    out->sys = out->heap_sys + mem_meta_sys();
}
