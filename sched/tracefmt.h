/* SPDX-License-Identifier: MIT */
/* The execution trace's file: what the writer thread puts out (the P's
 * event buffers as they are, with the names and clock readings needed to
 * read them elsewhere) and goc_trace_to_json reads.  Formatting text costs
 * the traced program far more than recording does, so it is left to the
 * conversion, after the run.
 *
 *   file   = magic chunk*
 *   magic  = "goctrace" "\x02\0\0\0\0\0\0\0"   (8 bytes + version, native endian)
 *   chunk  = u32 kind, u32 bytes, payload[bytes]
 *
 * TRACE_CHUNK_SYNC: i64 cputicks, i64 nanotime, read together.  The first
 *     is the trace's origin; one follows every batch of buffers written, so
 *     the last one in a file postdates all its events and the tick rate
 *     comes from the first and last.
 * TRACE_CHUNK_NAME: u64 key, then the name's bytes (no NUL): the function
 *     or the string a key stands for.  It precedes the first buffer that
 *     uses the key; a key without one reads as NULL.
 * TRACE_CHUNK_EVENTS: i32 P id (-1: events without a P), u32 0, then the
 *     buffer's records.
 *
 * A record is a type byte (enum trace_ev in the low 4 bits, an enum
 * trace_stop in the high 4 for TEV_GO_STOP and TEV_GO_SWITCH) and varints
 * (LEB128: 7 bits a byte, low first, the top bit set on all but the last):
 * the ticks since the buffer's previous record, or since the origin for
 * its first, zigzag-encoded (threads sharing the buffer without a P may
 * append out of order), then the arguments enum trace_ev lists.  Keys are
 * addresses made small by the recording side (sched/trace.h: trace_key), 0
 * for none.  Event rates reach tens of millions a second, so records are
 * kept small: in a traced ping-pong a switch (stop and start) takes 11
 * bytes and an unblock 5, where fixed 64-bit words took 48 and 24. */
#ifndef GOC_SCHED_TRACEFMT_H
#define GOC_SCHED_TRACEFMT_H

#include <stddef.h>
#include <stdint.h>

#define TRACE_MAGIC "goctrace\x02\0\0\0\0\0\0\0"
#define TRACE_MAGIC_LEN 16

enum trace_chunk {
    TRACE_CHUNK_SYNC = 1,
    TRACE_CHUNK_NAME = 2,
    TRACE_CHUNK_EVENTS = 3,
};

enum trace_ev {
    TEV_GO_CREATE,      /* new goroutine's id, its function (a key) */
    TEV_GO_START,       /* id, function (a key); the G runs on this P */
    TEV_GO_STOP,        /* id, park reason (a key); enum trace_stop above */
    TEV_GO_UNBLOCK,     /* id readied, id of the readier (0: the runtime) */
    TEV_P_START,        /* M id that took the P */
    TEV_P_STOP,         /* M id that let it go */
    TEV_STEAL,          /* victim P id, id of the goroutine taken */
    TEV_BLOCKING_BEGIN, /* goroutine id, M id (no P: the shared buffer) */
    TEV_BLOCKING_END,   /* goroutine id, M id */
    TEV_SPAN,           /* begin, end (nanotime), GC cycle, name (a key) */
    TEV_GO_SWITCH,      /* TEV_GO_STOP's two, then TEV_GO_START's: one G
                         * stops and the next starts at the same time */
    TEV_COUNT
};

/* Why a goroutine stopped running on its P. */
enum trace_stop {
    TSTOP_PARK,         /* blocked: the event's key says on what */
    TSTOP_YIELD,
    TSTOP_PREEMPT,      /* sysmon's preemption, or the world stopping */
    TSTOP_EXIT,
    TSTOP_BLOCKING,     /* entered goc_blocking_begin: its P is handed off */
};

#define TRACE_MAX_ARGS 4
/* The longest record: the type byte and 1 + TRACE_MAX_ARGS varints. */
#define TRACE_RECORD_MAX (1 + 10 * (1 + TRACE_MAX_ARGS))

static inline unsigned trace_nargs(uint32_t type) {
    switch (type) {
    case TEV_P_START:
    case TEV_P_STOP: return 1;
    case TEV_SPAN:
    case TEV_GO_SWITCH: return 4;
    default: return 2;
    }
}

static inline uint64_t trace_zigzag(int64_t v) { return (uint64_t)v << 1 ^ (uint64_t)(v >> 63); }
static inline int64_t trace_unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static inline uint8_t *trace_put_varint(uint8_t *s, uint64_t v) {
    while (v >= 0x80) {
        *s++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *s++ = (uint8_t)v;
    return s;
}

/* The varint at s into *v; NULL if it runs past end (a record cut short). */
static inline const uint8_t *trace_get_varint(const uint8_t *s, const uint8_t *end, uint64_t *v) {
    uint64_t x = 0;
    for (unsigned shift = 0; s < end && shift < 64; shift += 7) {
        uint8_t c = *s++;
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return s;
        }
    }
    return NULL;
}

/* A record as read back.  ticks: cputicks() of the buffer's previous
 * record, to begin with (the first record's: the origin's). */
struct trace_rec {
    uint32_t type, stop;
    int64_t  ticks;
    uint64_t arg[TRACE_MAX_ARGS];
};

/* Reads the record at s into r; returns where the next begins, or NULL if
 * this one is cut short or of an unknown type. */
static inline const uint8_t *trace_read_record(const uint8_t *s, const uint8_t *end,
                                               struct trace_rec *r) {
    if (s >= end || (*s & 15) >= TEV_COUNT)
        return NULL;
    r->type = *s & 15;
    r->stop = *s >> 4;
    uint64_t dt;
    s = trace_get_varint(s + 1, end, &dt);
    for (unsigned i = 0; s && i < trace_nargs(r->type); i++)
        s = trace_get_varint(s, end, &r->arg[i]);
    if (s)
        r->ticks += trace_unzigzag(dt);
    return s;
}

#endif
