/* SPDX-License-Identifier: MIT */
/* Threads the runtime starts for itself (not Ms: sysmon, the scavenger)
 * announce themselves, so the deadlock detector can tell them from the
 * program's own threads. */
#ifndef GOC_BASE_THREADS_H
#define GOC_BASE_THREADS_H

#include <stdint.h>

void    runtime_thread_note(int delta);
int32_t runtime_thread_count(void);

#endif
