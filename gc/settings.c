/* SPDX-License-Identifier: MIT */
/* debug.SetGCPercent and debug.SetMemoryLimit: start from GOGC and
 * GOMEMLIMIT, changeable at run time; the pacer reads them. */
#include <stdatomic.h>

#include "gc/gc.h"
#include "sched/env.h"
#include "sched/sched.h"

static _Atomic int percent;
static _Atomic int64_t memory_limit;
static pthread_once_t settings_once = PTHREAD_ONCE_INIT;

static void settings_init(void) {
    sched_ensure_started();   /* parses the environment */
    atomic_store(&percent, goc_env.gogc);
    atomic_store(&memory_limit, goc_env.gomemlimit);
}

int gc_percent(void) {
    pthread_once(&settings_once, settings_init);
    return atomic_load(&percent);
}

int64_t gc_memory_limit(void) {
    pthread_once(&settings_once, settings_init);
    return atomic_load(&memory_limit);
}

int goc_set_gc_percent(int p) {
    pthread_once(&settings_once, settings_init);
    return atomic_exchange(&percent, p < 0 ? -1 : p);
}

int64_t goc_set_memory_limit(int64_t bytes) {
    pthread_once(&settings_once, settings_init);
    if (bytes < 0)
        return atomic_load(&memory_limit);
    return atomic_exchange(&memory_limit, bytes);
}
