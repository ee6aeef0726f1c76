/* SPDX-License-Identifier: MIT */
#include "base/atomics.h"
#include "base/threads.h"

static _Atomic int32_t runtime_threads;

void runtime_thread_note(int delta) { afetch_add(&runtime_threads, delta, memory_order_relaxed); }

/* Sequentially consistent, as the detector's other counts are read. */
int32_t runtime_thread_count(void) { return aload(&runtime_threads, memory_order_seq_cst); }
