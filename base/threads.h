/* SPDX-License-Identifier: MIT */
/* Threads the runtime starts for itself (not Ms: sysmon, the scavenger)
 * announce themselves, so the deadlock detector can tell them from the
 * program's own threads. */
#ifndef GOC_BASE_THREADS_H
#define GOC_BASE_THREADS_H

#include <stdint.h>

void    runtime_thread_note(int delta);
/* Start a detached runtime thread named name running fn(arg), with every
 * signal blocked in it (the program's handlers and the stop signal are for
 * its own threads); counted by runtime_thread_note.  Fatal on failure. */
void    runtime_thread_start(void *(*fn)(void *), void *arg, const char *name);
int32_t runtime_thread_count(void);

#endif
