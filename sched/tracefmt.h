/* SPDX-License-Identifier: MIT */
/* The execution trace's file: what the writer thread puts out (the P's
 * event buffers as they are, with the names and clock readings needed to
 * read them elsewhere) and goc_trace_to_json reads.  Formatting text costs
 * the traced program far more than recording does, so it is left to the
 * conversion, after the run.
 *
 *   file   = magic chunk*
 *   magic  = "goctrace" "\x01\0\0\0\0\0\0\0"   (8 bytes + version, native endian)
 *   chunk  = u32 kind, u32 bytes, payload[bytes]
 *
 * TRACE_CHUNK_SYNC: i64 cputicks, i64 nanotime, read together.  The first
 *     is the trace's origin (event times count ticks from it); one follows
 *     every batch of buffers written, so the last one in a file postdates
 *     all its events and the tick rate comes from the first and last.
 * TRACE_CHUNK_NAME: u64 key, then the name's bytes (no NUL): the function
 *     a fn key points to, or the string an s key points to.  It precedes
 *     the first buffer that uses the key; a key without one reads as NULL.
 * TRACE_CHUNK_EVENTS: i32 P id (-1: events without a P), u32 0, then the
 *     buffer's records.
 *
 * A record is 3 words (64 bits): word 0 is the ticks since the origin
 * (signed, above bit 8) and the type byte: enum trace_ev in the low 4 bits,
 * an enum trace_stop in the high 4 for TEV_GO_STOP.  Words 1 and 2 are the
 * event's a and b (sched/trace.h says what they hold).  TEV_SPAN takes 5
 * words: begin and end (nanotime), the GC cycle, the name's key. */
#ifndef GOC_SCHED_TRACEFMT_H
#define GOC_SCHED_TRACEFMT_H

#include <stdint.h>

#define TRACE_MAGIC "goctrace\x01\0\0\0\0\0\0\0"
#define TRACE_MAGIC_LEN 16

enum trace_chunk {
    TRACE_CHUNK_SYNC = 1,
    TRACE_CHUNK_NAME = 2,
    TRACE_CHUNK_EVENTS = 3,
};

enum trace_ev {
    TEV_GO_CREATE,      /* a: new goroutine's id, b: its function (a key) */
    TEV_GO_START,       /* a: id, b: function (a key); the G runs on this P */
    TEV_GO_STOP,        /* a: id, b: park reason (a key); enum trace_stop above */
    TEV_GO_UNBLOCK,     /* a: id readied, b: id of the readier (0: the runtime) */
    TEV_P_START,        /* a: M id that took the P */
    TEV_P_STOP,         /* a: M id that let it go */
    TEV_STEAL,          /* a: victim P id, b: id of the goroutine taken */
    TEV_BLOCKING_BEGIN, /* a: goroutine id, b: M id (no P: the shared buffer) */
    TEV_BLOCKING_END,   /* a: goroutine id, b: M id */
    TEV_SPAN,           /* 5 words, see above */
};

/* Why a goroutine stopped running on its P. */
enum trace_stop {
    TSTOP_PARK,         /* blocked: the event's b says on what */
    TSTOP_YIELD,
    TSTOP_PREEMPT,      /* sysmon's preemption, or the world stopping */
    TSTOP_EXIT,
    TSTOP_BLOCKING,     /* entered goc_blocking_begin: its P is handed off */
};

#define TRACE_TYPE(w0)   ((uint32_t)((w0) & 15))
#define TRACE_STOP(w0)   ((uint32_t)((w0) >> 4 & 15))
#define TRACE_TICKS(w0)  ((int64_t)(w0) >> 8)
#define TRACE_WORDS(type) ((type) == TEV_SPAN ? 5u : 3u)

#endif
