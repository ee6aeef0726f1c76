/* SPDX-License-Identifier: MIT */
/* The per-thread critical-section state (base/critical.h). */
#include <pthread.h>

#include "base/critical.h"

__thread goc_critical_state goc_critical __attribute__((tls_model("initial-exec")));

#if !defined(__x86_64__)
goc_critical_state *critical_here(void) { return &goc_critical; }
#endif

void critical_exit(void) {
    if (goc_critical.depth != 0)
        return;
    goc_critical.pending = 0;
    /* The handler runs before pthread_kill returns, with the full context. */
    pthread_kill(pthread_self(), CRITICAL_STOP_SIGNAL);
}
