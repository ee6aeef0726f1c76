/* SPDX-License-Identifier: MIT */
/* goc: Go's runtime model for C programs.  Public API; docs/api.md is the
 * full reference. */
#ifndef GOC_H
#define GOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libgoc.a is built with -fvisibility=hidden: only what this header declares
 * stays global, so a program may define sched, fatal or nanotime itself. */
#pragma GCC visibility push(default)

/* ---- 1. Runtime and goroutines ---------------------------------------- */
typedef void (*goc_fn)(void *arg);

/* Runs main_fn as goroutine 1 on the scheduler and returns its status;
 * when main_fn returns, the process ends with every other goroutine, as in
 * Go.  Call it once, from main (GOC_MAIN does). */
int     goc_main(int (*main_fn)(int argc, char **argv), int argc, char **argv);
#define GOC_MAIN(fn) int main(int argc, char **argv) { return goc_main((fn), argc, argv); }

/* Starts fn(arg) as a new goroutine; returns its id (> 0, never reused).
 * Never blocks.  Callable from any thread: the runtime starts on first use. */
int64_t goc_go(goc_fn fn, void *arg);

enum { GOC_STACK_FIXED = 1u << 0 };
typedef struct goc_go_opts {
    size_t      stack_size;   /* initial stack hint in bytes; 0 = default */
    const char *name;         /* shown in tracebacks and dumps; copied */
    unsigned    flags;        /* GOC_STACK_FIXED: never move this stack */
} goc_go_opts;
/* goc_go with options (opts may be NULL). */
int64_t goc_go_with(goc_fn fn, void *arg, const goc_go_opts *opts);

/* runtime.Gosched: lets other goroutines run; the caller stays runnable. */
void    goc_yield(void);
/* runtime.Goexit: ends the calling goroutine.  Called from goroutine 1,
 * the program goes on until the other goroutines end, then dies with Go's
 * "no goroutines" deadlock error. */
void    goc_exit(void) __attribute__((noreturn));
/* The calling goroutine's id; 0 on a thread that is not a goroutine. */
int64_t goc_self(void);
/* runtime.NumGoroutine: goroutines that exist now. */
int     goc_num_goroutine(void);
/* runtime.GOMAXPROCS: sets the number of Ps to n (n < 1 only queries) and
 * returns the previous value.  Changing it stops the world briefly. */
int     goc_maxprocs(int n);
/* CPUs the process may run on (its affinity mask). */
int     goc_num_cpu(void);
/* runtime.LockOSThread / UnlockOSThread: wire the calling goroutine to its
 * thread (nested calls count).  No effect on threads that are not goroutines. */
void    goc_lock_os_thread(void);
void    goc_unlock_os_thread(void);
/* Bracket a call that blocks the thread where the runtime cannot see it
 * (a blocking library call): begin hands the P to another thread so other
 * goroutines keep running; end takes a P back, waiting for one if all are
 * busy.  Nesting begin, or end without begin, panics. */
void    goc_blocking_begin(void);
void    goc_blocking_end(void);
/* Prints "panic: <message>" and the goroutine's traceback on stderr and
 * exits with status 2 (GOTRACEBACK chooses how much is shown). */
void    goc_panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Go's debug.SetMaxStack: the most stack one goroutine may use (default
 * 1 GiB); returns the previous limit.  Stacks grow in powers of two, so a
 * goroutine stops at the largest power of two not above the limit; past it
 * the program dies with "fatal error: stack overflow" naming the goroutine
 * and the limit (exit 2).  A GOC_STACK_FIXED goroutine's limit is its own
 * fixed stack (256 KiB). */
size_t  goc_set_max_stack(size_t bytes);
/* Writes to out what SIGQUIT prints, and goes on: the calling goroutine's
 * traceback, then every other goroutine's, each headed as Go heads them
 * ("goroutine 7 "name" [chan receive, 5 minutes]:"; I/O waits name the
 * descriptor: "[IO wait (fd 5)]").  The world stops while the stacks are
 * walked; out is written after it runs again. */
void    goc_dump_goroutines(FILE *out);
/* Go 1.26's goroutineleak profile: runs a collection that also finds the
 * goroutines blocked on a channel, select, mutex, rwmutex, cond or
 * waitgroup that nothing outside such blocked goroutines can reach (so
 * nothing can ever wake them), writes each one's goc_dump_goroutines block
 * to out, headed "goroutine 7 [chan receive (leaked)]:", and returns how
 * many there are.  Conservative: a leak may go unseen (a stale pointer, a
 * mutex outside the goc_alloc heap), a goroutine that can still be woken
 * is never named.  The goroutines stay as they are. */
int     goc_dump_leaked_goroutines(FILE *out);

/* ---- 2. Time ------------------------------------------------------------ */
#define GOC_NANOSECOND  INT64_C(1)
#define GOC_MICROSECOND INT64_C(1000)
#define GOC_MILLISECOND INT64_C(1000000)
#define GOC_SECOND      INT64_C(1000000000)

typedef struct goc_chan goc_chan;

/* Monotonic clock, nanoseconds. */
int64_t   goc_now(void);
/* Parks the goroutine (or blocks a foreign thread) for at least ns. */
void      goc_sleep(int64_t ns);
/* time.After: a channel of int64_t (goc_now() at firing), capacity 1, that
 * receives one value after ns. */
goc_chan *goc_after(int64_t ns);
/* time.Tick: a channel of int64_t, capacity 1, receiving every period_ns;
 * ticks a slow reader misses are dropped.  period_ns <= 0 panics.
 * goc_tick_stop stops it (the channel is not closed, as in Go). */
goc_chan *goc_tick(int64_t period_ns);
void      goc_tick_stop(goc_chan *ticker);

/* ---- 3. Channels and select ---------------------------------------------- */
/* make(chan T, cap) for elements of elem_size bytes (0 allowed); lives in
 * the collected heap.  An impossible size panics. */
goc_chan *goc_chan_make(size_t elem_size, size_t cap);
/* Copies *elem into c; blocks until a receiver takes it (unbuffered) or
 * there is room.  A NULL c blocks forever; a closed c panics ("send on
 * closed channel"). */
void      goc_chan_send(goc_chan *c, const void *elem);
/* Receives into *elem (elem may be NULL); blocks until a value arrives.
 * Returns false once c is closed and drained (then *elem is zeroed). */
bool      goc_chan_recv(goc_chan *c, void *elem);
/* Non-blocking forms (select with a default case): try_send returns
 * whether the value went; try_recv returns GOC_RECV_OK, GOC_RECV_EMPTY or
 * GOC_RECV_CLOSED. */
bool      goc_chan_try_send(goc_chan *c, const void *elem);
enum { GOC_RECV_OK = 0, GOC_RECV_EMPTY = 1, GOC_RECV_CLOSED = 2 };
int       goc_chan_try_recv(goc_chan *c, void *elem);
/* close(c): receivers drain what is buffered, then get false.  Closing a
 * NULL or closed channel panics; later sends panic. */
void      goc_chan_close(goc_chan *c);
size_t    goc_chan_len(goc_chan *c);
size_t    goc_chan_cap(goc_chan *c);
size_t    goc_chan_elem_size(goc_chan *c);

enum { GOC_SEND = 1, GOC_RECV = 2 };
typedef struct goc_case {
    goc_chan *chan;
    int       op;
    void     *elem;
    bool      ok;
} goc_case;
/* Go's select over n cases (a case with a NULL chan is never ready): blocks
 * until one can run, runs it and returns its index; among several ready
 * cases one is chosen uniformly at random.  n == 0 blocks forever.
 * goc_select_try never blocks and returns -1 when no case is ready. */
int goc_select(goc_case *cases, size_t n);
int goc_select_try(goc_case *cases, size_t n);

/* Typed helpers: the element size is checked against the channel's. */
#define GOC_SEND_VAL(c, type, expr) do {                                      \
        type goc_send_tmp_ = (expr);                                          \
        goc_chan_send_sized((c), &goc_send_tmp_, sizeof(type));               \
    } while (0)
#define GOC_RECV_VAL(c, type, ptr) goc_chan_recv_sized((c), (type *)(ptr), sizeof(type))
void goc_chan_send_sized(goc_chan *c, const void *elem, size_t size);
bool goc_chan_recv_sized(goc_chan *c, void *elem, size_t size);

#ifndef GOC_NO_SHORT_NAMES
#define go(fn, arg)            goc_go((goc_fn)(fn), (arg))
#define chan_make(sz, cap)     goc_chan_make((sz), (cap))
#define chan_send(c, e)        goc_chan_send((c), (e))
#define chan_recv(c, e)        goc_chan_recv((c), (e))
#define chan_close(c)          goc_chan_close((c))
#define chan_len(c)            goc_chan_len((c))
#define chan_cap(c)            goc_chan_cap((c))
#define chan_try_send(c, e)    goc_chan_try_send((c), (e))
#define chan_try_recv(c, e)    goc_chan_try_recv((c), (e))
#endif

/* ---- 4. Synchronization ----------------------------------------------------
 * All-zero is the ready state for every type.  Fields are private. */
typedef struct goc_mutex {
    int32_t  state;
    uint32_t sema;
} goc_mutex;
/* sync.Mutex.  Lock parks the goroutine (a foreign thread blocks) until the
 * mutex is free; unlocking an unlocked mutex panics. */
void goc_mutex_lock(goc_mutex *m);
void goc_mutex_unlock(goc_mutex *m);
bool goc_mutex_trylock(goc_mutex *m);

typedef struct goc_rwmutex {
    goc_mutex w;
    uint32_t  writer_sem;
    uint32_t  reader_sem;
    int32_t   reader_count;
    int32_t   reader_wait;
} goc_rwmutex;
/* sync.RWMutex: many readers or one writer; a waiting writer holds back new
 * readers.  Unlocking what is not locked panics. */
void goc_rwmutex_rlock(goc_rwmutex *rw);
void goc_rwmutex_runlock(goc_rwmutex *rw);
void goc_rwmutex_lock(goc_rwmutex *rw);
void goc_rwmutex_unlock(goc_rwmutex *rw);

typedef struct goc_cond {
    uint32_t wait;      /* ticket of the next waiter */
    uint32_t notify;    /* ticket of the next waiter to be woken */
    uint32_t lock;
    uint32_t pad_;
    void    *head;
    void    *tail;
} goc_cond;
/* sync.Cond: wait unlocks m, parks until signalled, and locks m again. */
void goc_cond_wait(goc_cond *c, goc_mutex *m);
void goc_cond_signal(goc_cond *c);
void goc_cond_broadcast(goc_cond *c);

typedef struct goc_waitgroup {
    uint64_t state;     /* high 32 bits: counter, low 32 bits: waiters */
    uint32_t sema;
} goc_waitgroup;
/* sync.WaitGroup: wait parks until the counter is zero; a negative
 * counter panics. */
void goc_waitgroup_add(goc_waitgroup *wg, int64_t delta);
void goc_waitgroup_done(goc_waitgroup *wg);
void goc_waitgroup_wait(goc_waitgroup *wg);

typedef struct goc_once {
    uint32_t  done;
    goc_mutex m;
} goc_once;
/* sync.Once: fn runs once; concurrent callers wait until it has returned. */
void goc_once_do(goc_once *o, void (*fn)(void));

/* ---- 5. Garbage-collected heap -------------------------------------------- */
/* Heap (issue 14 adds the collector: today nothing is freed, goc_gc only
 * shrinks stacks and goc_set_finalizer has no definition yet).
 * goc_alloc: zeroed memory scanned conservatively for pointers;
 * goc_alloc_atomic: zeroed memory never scanned (no pointers inside).  An
 * impossible size returns NULL with errno ENOMEM.  goc_realloc of a pointer
 * goc_alloc did not return panics.  goc_alloc_size: usable size of a heap
 * object given its start, 0 otherwise. */
void  *goc_alloc(size_t size);
void  *goc_alloc_atomic(size_t size);
void  *goc_realloc(void *p, size_t size);
size_t goc_alloc_size(const void *p);
void   goc_gc(void);
void   goc_set_finalizer(void *obj, void (*fn)(void *obj));
void   goc_keep_alive(const void *p);
/* Memory the collector must scan (e.g. a malloc'd table of heap pointers);
 * registering the same start again updates the length. */
void   goc_add_roots(void *start, size_t len);
void   goc_remove_roots(void *start);
/* debug.SetGCPercent (< 0 disables; returns the previous value) and
 * debug.SetMemoryLimit (< 0 only queries); start from GOGC and GOMEMLIMIT. */
int     goc_set_gc_percent(int percent);
int64_t goc_set_memory_limit(int64_t bytes);
void   goc_free_os_memory(void);
typedef struct goc_memstats {
    uint64_t alloc, total_alloc, sys, mallocs, frees;
    uint64_t heap_alloc, heap_sys, heap_idle, heap_inuse, heap_released, heap_objects;
    uint64_t stack_inuse, stack_sys;
    uint64_t next_gc, last_gc, pause_total_ns, pause_ns[256];
    uint32_t num_gc, num_forced_gc;
    double   gc_cpu_fraction;
} goc_memstats;
/* runtime.ReadMemStats: fields mean what runtime.MemStats's do. */
void   goc_read_memstats(goc_memstats *out);
/* The collector's pauses, each stop of the world on its own (a concurrent
 * cycle has two: sweep termination and mark termination), and the time it
 * took to stop the world, the part of a pause spent waiting for running
 * goroutines to reach a safe point or take the stop signal.  Histograms
 * since the program started: bucket k counts durations d with
 * 2^k ns <= d < 2^(k+1) ns (bucket 0 also counts 0 ns, the last one
 * everything longer).  concurrent: cycles whose mark ran beside the
 * program; mark_mode names how writes are tracked for it: "uffd", or "stw"
 * when marks stop the world (GODEBUG=gcdirty). */
#define GOC_GC_HIST_BUCKETS 40
typedef struct goc_gc_stats {
    uint64_t    num_gc, concurrent;
    uint64_t    pauses, pause_max_ns, pause_hist[GOC_GC_HIST_BUCKETS];
    uint64_t    stops, stop_max_ns, stop_hist[GOC_GC_HIST_BUCKETS];
    const char *mark_mode;
} goc_gc_stats;
void   goc_read_gc_stats(goc_gc_stats *out);

/* ---- 6. I/O ----------------------------------------------------------------- */
/* I/O that parks only the goroutine (on a foreign thread: blocks it).
 * Each returns the result or a negative errno (and sets errno); after
 * goc_set_deadline's time, operations fail with -ETIMEDOUT.  goc_write and
 * goc_send write all n bytes unless an error occurs.  goc_poll returns the
 * revents (> 0) or 0 on timeout.  Sockets and pipes given to these calls
 * are made non-blocking, as Go's net package does. */
ssize_t goc_read(int fd, void *buf, size_t n);
ssize_t goc_write(int fd, const void *buf, size_t n);
ssize_t goc_pread(int fd, void *buf, size_t n, off_t off);
ssize_t goc_pwrite(int fd, const void *buf, size_t n, off_t off);
int     goc_accept(int fd, struct sockaddr *addr, socklen_t *len);
int     goc_connect(int fd, const struct sockaddr *addr, socklen_t len);
ssize_t goc_recv(int fd, void *buf, size_t n, int flags);
ssize_t goc_send(int fd, const void *buf, size_t n, int flags);
int     goc_poll(int fd, short events, int64_t timeout_ns);
int     goc_close(int fd);
int     goc_set_deadline(int fd, int64_t deadline_ns);

/* ---- 8. Observability -------------------------------------------------------- */
/* Execution traces (runtime/trace.Start and Stop): goroutines created,
 * running on each P, blocking (with the reason) and readied (with who
 * readied them); Ps taken and released, steals, blocking sections, the
 * collector's phases and pauses, written to f in goc's compact binary
 * form (what the program pays for is recording, not formatting).
 * goc_trace_start returns 0, -EBUSY while a trace runs, -EINVAL for a NULL
 * f.  goc_trace_stop returns once everything is written; f stays open (it
 * is the caller's).  GODEBUG=trace=FILE traces the whole program, until
 * goc_main's main function returns.
 * goc_trace_to_json converts such a file (in: seekable, read from its
 * current position) to Chrome trace-event JSON, which Perfetto
 * (ui.perfetto.dev) and chrome://tracing open; the goc-trace2json tool
 * does the same from the command line.  It returns 0, -EINVAL for what is
 * not a trace, -EIO when writing json fails, or another negative errno;
 * a trace cut short (the program died) converts up to where it ends. */
int  goc_trace_start(FILE *f);
void goc_trace_stop(void);
int  goc_trace_to_json(FILE *in, FILE *json);
/* Heap profile (pprof.WriteHeapProfile): allocations sampled about once
 * every rate bytes (runtime.MemProfileRate; GODEBUG=memprofilerate=N,
 * 512 KiB by default) with their call stacks, and which of them the last
 * collection found alive.  Written as a pprof protobuf with the functions'
 * names in it: `go tool pprof -top FILE`.  Returns 0 or a negative errno.
 * goc_set_mem_profile_rate sets the rate (0 stops sampling; < 0 only
 * queries) and returns the previous one; set it early, as Go's. */
int  goc_write_heap_profile(FILE *f);
int  goc_set_mem_profile_rate(int rate);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* GOC_H */
