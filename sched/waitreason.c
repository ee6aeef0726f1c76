/* SPDX-License-Identifier: MIT */
/* The wait reasons of the waits a program's own objects can end (Go's
 * wording), defined once: the park sites name them, and the leak finder
 * (gc/leak.c) tells those waits apart by these addresses. */
#include "sched/sched.h"

const char waitreason_chan_receive[] = "chan receive";
const char waitreason_chan_send[] = "chan send";
const char waitreason_select[] = "select";
const char waitreason_chan_receive_nil[] = "chan receive (nil chan)";
const char waitreason_chan_send_nil[] = "chan send (nil chan)";
const char waitreason_select_no_cases[] = "select (no cases)";
const char waitreason_mutex[] = "sync.Mutex.Lock";
const char waitreason_rwmutex_rlock[] = "sync.RWMutex.RLock";
const char waitreason_rwmutex_lock[] = "sync.RWMutex.Lock";
const char waitreason_cond[] = "sync.Cond.Wait";
const char waitreason_waitgroup[] = "sync.WaitGroup.Wait";
