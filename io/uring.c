/* SPDX-License-Identifier: MIT */
/* The io_uring back-end.
 *
 * One ring per P, each with its own lock for submitting and one for
 * reaping.  A P's ring is filled by the M holding the P (others only
 * cancel or flush), so submission hardly contends (a single shared ring
 * would serialize every submission,
 * io_uring_enter included, behind one lock); reaping is rare next to
 * submitting and any M may reap any ring, so a completion for a goroutine
 * that parked on P1 is found by whichever M polls first.  Every ring
 * signals one shared eventfd: the single M that sleeps in poll waits on
 * that one descriptor for completions from all rings, and wake() writes it.
 *
 * A request goes into the ring from the park commit, after the goroutine's
 * context is saved, so a completion reaped at once by another M can ready
 * it safely.  Submission is batched: a commit leaves its entries queued
 * while the P has more goroutines to run, and the last one before the run
 * queue goes dry enters the kernel for all of them (the scheduler's poll
 * and sysmon flush what is left).  Sends on sockets, and reads that
 * follow a read that filled its buffer, first try the non-blocking system
 * call: when it succeeds (the usual case for a send) that costs one system
 * call and no park.
 *
 * Deadlines are linked timeouts (absolute, CLOCK_MONOTONIC = nanotime()).
 * goc_close and goc_set_deadline cancel the operations in flight on the fd
 * (IORING_OP_ASYNC_CANCEL by user_data, in the ring each was queued in);
 * a cancelled operation looks at the fd again: closing gives -EBADF, a past
 * deadline -ETIMEDOUT, anything else (a changed deadline, or the kernel
 * cancelling because the submitting thread exited) submits again. */
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io.h"
#include "sched/diag.h"

enum {
    RING_SQ_ENTRIES = 256,
    RING_CQ_ENTRIES = 16384,   /* completions waiting to be reaped, all ops */
    SUBMIT_BATCH = 64,         /* enter the kernel once this many are queued */
};

/* user_data of entries whose completion nobody waits for (linked timeouts,
 * cancellations).  Operations use their record's address, never 0. */
#define TAG_IGNORE 0

/* A commit could not queue the request (submission queue full and the
 * kernel busy); the goroutine yields and tries again. */
#define RES_NOT_QUEUED INT32_MIN

typedef struct io_ring {
    struct io_uring ring;
    goc_lock        sq_lock;
    goc_lock        cq_lock;
    /* Entries queued and not yet submitted, written under sq_lock: the
     * lock-free "anything to flush?" check cannot read liburing's own
     * counters, which it updates with plain stores. */
    _Atomic uint32_t unsubmitted;
} io_ring;

typedef struct uring_op {
    io_req   *req;          /* the caller's; read only in the commit */
    io_fd    *e;
    io_ring  *ring;
    goc_g    *g;
    int32_t   res;
    bool      queued;       /* in e->waiters, an entry in the ring; e->lock */
    int64_t   limit;        /* what the linked timeout was armed for, 0 none */
    int64_t   poll_timeout; /* copy of req->timeout_at */
    struct __kernel_timespec ts;
    struct uring_op *next, *prev;
} uring_op;

static io_ring *rings[MAX_PROCS];
static _Atomic int32_t nrings;
static goc_lock rings_lock;
static int wake_fd = -1;

/* ---- rings --------------------------------------------------------------------- */

static io_ring *ring_create(int *err) {
    io_ring *r = calloc(1, sizeof *r);
    if (!r) {
        *err = ENOMEM;
        return NULL;
    }
    /* Not COOP_TASKRUN: with it a completion's kernel-side work waits until
     * the submitting thread next enters the kernel, and on the HTTP
     * benchmark (1,000 connections) that stretched p99 latency from 70 ms
     * to over a second. */
    struct io_uring_params params = {
        .flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL,
        .cq_entries = RING_CQ_ENTRIES,
    };
    int rc = io_uring_queue_init_params(RING_SQ_ENTRIES, &r->ring, &params);
    if (rc == -EINVAL) {
        /* Kernels before 5.18 lack SUBMIT_ALL: a failing entry then stops
         * the batch, which submit_queued handles by entering again. */
        params = (struct io_uring_params){.flags = IORING_SETUP_CQSIZE,
                                          .cq_entries = RING_CQ_ENTRIES};
        rc = io_uring_queue_init_params(RING_SQ_ENTRIES, &r->ring, &params);
    }
    if (rc == 0 && (rc = io_uring_register_eventfd(&r->ring, wake_fd)) != 0)
        io_uring_queue_exit(&r->ring);
    if (rc != 0) {
        free(r);
        *err = -rc;
        return NULL;
    }
    return r;
}

/* Adds a ring to the set the poller reaps; NULL when none can be made. */
static io_ring *ring_add(int *err) {
    lock_acquire(&rings_lock);
    io_ring *r = NULL;
    int32_t n = aload(&nrings, memory_order_relaxed);
    if (n < MAX_PROCS && (r = ring_create(err))) {
        rings[n] = r;
        astore(&nrings, n + 1, memory_order_release);
    }
    lock_release(&rings_lock);
    return r;
}

/* The ring of P p, made on its first request.  Only p's owner calls this.
 * When no ring can be made (descriptors exhausted), p shares the first
 * ring: every ring is locked, so any P may use any ring. */
static io_ring *ring_of(goc_p *p) {
    if (likely(p->io != NULL))
        return p->io;
    int err;
    io_ring *r = ring_add(&err);
    p->io = r ? r : rings[0];
    return p->io;
}

/* Every opcode the back-end issues (Linux 5.6 and later have them all). */
static bool ring_supports_all(io_ring *r) {
    static const int needed[] = {
        IORING_OP_READ, IORING_OP_WRITE, IORING_OP_RECV, IORING_OP_SEND,
        IORING_OP_ACCEPT, IORING_OP_CONNECT, IORING_OP_POLL_ADD,
        IORING_OP_ASYNC_CANCEL, IORING_OP_LINK_TIMEOUT,
    };
    struct io_uring_probe *probe = io_uring_get_probe_ring(&r->ring);
    if (!probe)
        return false;
    bool ok = true;
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
        ok = ok && io_uring_opcode_supported(probe, needed[i]);
    io_uring_free_probe(probe);
    return ok;
}

bool uring_init(void) {
    wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd < 0)
        return false;
    int err;
    io_ring *first = ring_add(&err);
    if (!first || !ring_supports_all(first)) {
        if (first) {
            io_uring_queue_exit(&first->ring);
            free(first);
            rings[0] = NULL;
            astore(&nrings, 0, memory_order_release);
            err = EOPNOTSUPP;
        }
        close(wake_fd);
        wake_fd = -1;
        errno = err;
        return false;
    }
    /* Every P gets its ring now, while descriptors are surely available;
     * the owners only read p->io after this (the first I/O call waits for
     * the back-end to be chosen). */
    for (int32_t i = 0; i < sched.nprocs; i++) {
        goc_p *p = sched.allp[i];
        if (!p || p->io)
            continue;
        io_ring *r = i == 0 ? NULL : ring_add(&err);
        p->io = r ? r : rings[0];
    }
    return true;
}

/* ---- submission ------------------------------------------------------------------ */

/* sq_lock held.  Enters the kernel for the queued entries, if any. */
static void submit_queued(io_ring *r) {
    while (io_uring_sq_ready(&r->ring) > 0) {
        int rc = io_uring_submit(&r->ring);
        if (rc == -EINTR)
            continue;
        if (rc <= 0)
            break;   /* -EBUSY/-EAGAIN: completions must be reaped first */
    }
    astore(&r->unsubmitted, io_uring_sq_ready(&r->ring), memory_order_relaxed);
}

/* sq_lock held.  n free submission entries, entering the kernel to make
 * room if needed; false if the kernel refuses more for now. */
static bool sq_reserve(io_ring *r, unsigned n) {
    if (io_uring_sq_space_left(&r->ring) >= n)
        return true;
    submit_queued(r);
    return io_uring_sq_space_left(&r->ring) >= n;
}

static void prep_request(struct io_uring_sqe *sqe, const io_req *q) {
    switch (q->kind) {
    case IO_READ:
        io_uring_prep_read(sqe, q->fd, q->buf, (unsigned)q->len, (uint64_t)-1);
        break;
    case IO_WRITE:
        io_uring_prep_write(sqe, q->fd, q->buf, (unsigned)q->len, (uint64_t)-1);
        break;
    case IO_PREAD:
        io_uring_prep_read(sqe, q->fd, q->buf, (unsigned)q->len, (uint64_t)q->off);
        break;
    case IO_PWRITE:
        io_uring_prep_write(sqe, q->fd, q->buf, (unsigned)q->len, (uint64_t)q->off);
        break;
    case IO_RECV:
        io_uring_prep_recv(sqe, q->fd, q->buf, q->len, q->flags);
        break;
    case IO_SEND:
        io_uring_prep_send(sqe, q->fd, q->buf, q->len, q->flags | MSG_NOSIGNAL);
        break;
    case IO_ACCEPT:
        io_uring_prep_accept(sqe, q->fd, q->addr, q->addrlen, SOCK_CLOEXEC);
        break;
    case IO_CONNECT:
        io_uring_prep_connect(sqe, q->fd, q->addr, q->conlen);
        break;
    case IO_POLL:
        io_uring_prep_poll_add(sqe, q->fd, (unsigned)q->events);
        break;
    }
}

/* The P has nothing else queued to run: nobody else will commit on it soon,
 * so queued entries must go to the kernel now. */
static bool p_runq_dry(goc_p *p) {
    return !p || (aload(&p->runq_head, memory_order_acquire) ==
                      aload(&p->runq_tail, memory_order_acquire) &&
                  !aload(&p->runnext, memory_order_acquire));
}

/* sq_lock held, an operation's entries just queued: it counts as I/O in
 * flight, and the batch goes to the kernel when full or when submit. */
static void queued(io_ring *r, bool submit) {
    afetch_add(&sched.io_pending, 1, memory_order_relaxed);
    if (submit || io_uring_sq_ready(&r->ring) >= SUBMIT_BATCH)
        submit_queued(r);
    else
        astore(&r->unsubmitted, io_uring_sq_ready(&r->ring), memory_order_relaxed);
}

/* e->lock held.  Queues op's entries in its ring. */
static bool op_queue(uring_op *op) {
    io_ring *r = op->ring;
    lock_acquire(&r->sq_lock);
    if (!sq_reserve(r, op->limit ? 2 : 1)) {
        lock_release(&r->sq_lock);
        return false;
    }
    struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
    prep_request(sqe, op->req);
    diag_kernel_handoff_send(op);
    io_uring_sqe_set_data(sqe, op);
    if (op->limit) {
        op->ts.tv_sec = op->limit / GOC_SECOND;
        op->ts.tv_nsec = op->limit % GOC_SECOND;
        sqe->flags |= IOSQE_IO_LINK;
        struct io_uring_sqe *t = io_uring_get_sqe(&r->ring);
        io_uring_prep_link_timeout(t, &op->ts, IORING_TIMEOUT_ABS);
        io_uring_sqe_set_data64(t, TAG_IGNORE);
    }
    queued(r, p_runq_dry(sched_p()));
    lock_release(&r->sq_lock);
    return true;
}

static bool uring_commit(goc_g *g, void *arg) {
    (void)g;
    uring_op *op = arg;
    io_fd *e = op->e;
    lock_acquire(&e->lock);
    bool timed = e->deadline || op->poll_timeout;
    int verdict = e->closing || timed ? io_expired(e, op->req, timed ? nanotime() : 0) : 1;
    if (verdict != 1) {
        op->res = verdict;
        lock_release(&e->lock);
        return false;
    }
    op->limit = io_min_deadline(e->deadline, op->poll_timeout);
    /* Linked before the kernel can see it: once submitted, the completion
     * may resume the goroutine on another M before this commit returns,
     * and it must find op->queued set (it then waits for e->lock). */
    op->queued = true;
    op->prev = NULL;
    op->next = e->waiters;
    if (op->next)
        op->next->prev = op;
    e->waiters = op;
    if (!op_queue(op)) {
        e->waiters = op->next;
        if (op->next)
            op->next->prev = NULL;
        op->queued = false;
        op->res = RES_NOT_QUEUED;
        lock_release(&e->lock);
        return false;
    }
    lock_release(&e->lock);
    return true;
}

static void op_unlink(uring_op *op) {
    io_fd *e = op->e;
    lock_acquire(&e->lock);
    if (op->prev)
        op->prev->next = op->next;
    else
        e->waiters = op->next;
    if (op->next)
        op->next->prev = op->prev;
    op->queued = false;
    lock_release(&e->lock);
}

static bool fd_is_socket(io_fd *e, int fd) {
    uint8_t sock = aload(&e->is_socket, memory_order_relaxed);
    if (sock == SOCK_UNKNOWN) {
        struct stat st;
        sock = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) ? SOCK_YES : SOCK_NO;
        astore(&e->is_socket, sock, memory_order_relaxed);
    }
    return sock == SOCK_YES;
}

static bool is_input(const io_req *q) { return q->kind == IO_READ || q->kind == IO_RECV; }

/* Sockets: a send that fits in the socket buffer, or a read when the last
 * one filled its buffer (more is probably waiting), is done at once with
 * one non-blocking system call instead of a submission, a park and a
 * completion; EAGAIN sends it through the ring.  Out of line: it reads
 * errno, whose address must not be reused after a park in the caller. */
static __attribute__((noinline)) bool try_at_once(io_fd *e, const io_req *q, ssize_t *res) {
    bool out = q->kind == IO_WRITE || q->kind == IO_SEND;
    bool in = is_input(q);
    if (!(out || (in && aload(&e->read_more, memory_order_relaxed))) ||
        (q->flags & MSG_WAITALL) || aload(&e->deadline, memory_order_relaxed))
        return false;   /* an expired deadline must fail even a ready call */
    ssize_t r = out ? send(q->fd, q->buf, q->len, q->flags | MSG_DONTWAIT | MSG_NOSIGNAL)
                    : recv(q->fd, q->buf, q->len, q->flags | MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (in)
            astore(&e->read_more, false, memory_order_relaxed);
        return false;
    }
    *res = r < 0 ? -errno : r;
    return true;
}

static void note_read(io_fd *e, const io_req *q, ssize_t res) {
    if (is_input(q))
        astore(&e->read_more, res > 0 && (size_t)res == q->len, memory_order_relaxed);
}

/* The ring carries req out while the goroutine is parked. */
static ssize_t ring_wait(io_fd *e, io_req *req) {
    uring_op *op = calloc(1, sizeof *op);
    if (!op)
        return -ENOMEM;
    op->req = req;
    op->e = e;
    op->poll_timeout = req->kind == IO_POLL ? req->timeout_at : 0;
    ssize_t res;
    for (;;) {
        op->ring = ring_of(sched_p());
        op->g = sched_curg();
        sched_park_io(uring_commit, op, req->fd);
        res = op->res;
        if (!op->queued) {
            if (res != RES_NOT_QUEUED)
                break;
            goc_yield();
            continue;
        }
        op_unlink(op);
        if (res != -ECANCELED && res != -EINTR)
            break;
        lock_acquire(&e->lock);
        int verdict = io_expired(e, req, nanotime());
        lock_release(&e->lock);
        if (verdict != 1) {
            res = verdict;
            break;
        }
    }
    free(op);
    return res;
}

static ssize_t uring_run(io_fd *e, io_req *req) {
    ssize_t res;
    if (fd_is_socket(e, req->fd) && try_at_once(e, req, &res)) {
        note_read(e, req, res);
        return res;
    }
    res = ring_wait(e, req);
    note_read(e, req, res);
    return res;
}

/* e->lock held: cancel every operation in flight whose verdict may change. */
static void uring_kick(io_fd *e) {
    for (uring_op *op = e->waiters; op; op = op->next) {
        if (!e->closing && op->limit == io_min_deadline(e->deadline, op->poll_timeout))
            continue;
        io_ring *r = op->ring;
        lock_acquire(&r->sq_lock);
        if (sq_reserve(r, 1)) {
            struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
            io_uring_prep_cancel(sqe, op, 0);
            io_uring_sqe_set_data64(sqe, TAG_IGNORE);
            submit_queued(r);
        } else {
            /* The kernel takes no entries for now (out of memory): cancel
             * synchronously instead (Linux 6.0). */
            struct io_uring_sync_cancel_reg reg = {
                .addr = (uint64_t)(uintptr_t)op,
                .timeout = {.tv_sec = -1, .tv_nsec = -1},
            };
            io_uring_register_sync_cancel(&r->ring, &reg);
        }
        lock_release(&r->sq_lock);
    }
}

/* The ring serves every kind of descriptor without blocking a thread. */
static bool uring_blocking(io_fd *e, int fd) {
    (void)e;
    (void)fd;
    return false;
}

static void uring_forget(io_fd *e, int fd) {
    (void)fd;
    astore(&e->is_socket, SOCK_UNKNOWN, memory_order_relaxed);
    astore(&e->read_more, false, memory_order_relaxed);
}

/* ---- batched attempts (the default back-end) ------------------------------------ */

/* Whether the goroutine this P runs next was readied by I/O: it will most
 * likely send or receive too, and can join the batch.  Any other (one
 * that computes for a while, say) must not find a batch waiting: the
 * batch goes to the kernel before it runs.  A hint: the goroutine may be
 * stolen meanwhile, and then the batch waits for the next commit or the
 * scheduler's poll. */
static bool next_joins_batch(goc_p *p) {
    goc_g *next = aload(&p->runnext, memory_order_relaxed);
    if (!next) {
        uint32_t head = aload(&p->runq_head, memory_order_acquire);
        if (head == aload(&p->runq_tail, memory_order_acquire))
            return false;
        next = aload(&p->runq[head % RUNQ_SIZE], memory_order_relaxed);
    }
    return next && aload(&next->io_ready, memory_order_relaxed);
}

static bool attempt_commit(goc_g *g, void *arg) {
    (void)g;
    uring_op *op = arg;
    io_ring *r = op->ring;
    const io_req *q = op->req;
    lock_acquire(&r->sq_lock);
    if (!sq_reserve(r, 1)) {
        lock_release(&r->sq_lock);
        op->res = RES_NOT_QUEUED;
        return false;
    }
    struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
    /* MSG_DONTWAIT: the kernel answers -EAGAIN instead of waiting. */
    if (q->kind == IO_WRITE || q->kind == IO_SEND)
        io_uring_prep_send(sqe, q->fd, q->buf, q->len, q->flags | MSG_NOSIGNAL | MSG_DONTWAIT);
    else
        io_uring_prep_recv(sqe, q->fd, q->buf, q->len, q->flags | MSG_DONTWAIT);
    diag_kernel_handoff_send(op);
    io_uring_sqe_set_data(sqe, op);
    queued(r, !next_joins_batch(sched_p()));
    lock_release(&r->sq_lock);
    return true;
}

ssize_t uring_try_batched(io_req *req) {
    goc_p *p = sched_p();
    io_ring *r = p ? ring_of(p) : NULL;
    if (!r || (!next_joins_batch(p) && !aload(&r->unsubmitted, memory_order_relaxed)))
        return IO_NOT_BATCHED;
    /* On the goroutine's stack, which cannot move while it does I/O. */
    uring_op op = {.req = req, .ring = r, .g = sched_curg()};
    sched_park_io(attempt_commit, &op, req->fd);
    return op.res == RES_NOT_QUEUED ? IO_NOT_BATCHED : op.res;
}

/* ---- completion ------------------------------------------------------------------- */

/* Goroutines to run, in completion order. */
typedef struct glist {
    goc_g *head, *tail;
} glist;

/* Moves r's completions to the list of goroutines to run.  With wait false
 * a ring another thread is reaping is skipped (it will hand those out). */
static void ring_reap(io_ring *r, glist *out, bool wait) {
    /* Without the lock: the head is read atomically, as the reaper that
     * holds the lock stores it (io_uring_cq_ready reads it plainly). */
    unsigned tail = aload(r->ring.cq.ktail, memory_order_acquire);
    if (tail == aload(r->ring.cq.khead, memory_order_relaxed) &&
        !io_uring_cq_has_overflow(&r->ring))
        return;
    if (wait)
        lock_acquire(&r->cq_lock);
    else if (!lock_try(&r->cq_lock))
        return;
    if (io_uring_cq_has_overflow(&r->ring))
        io_uring_get_events(&r->ring);
    unsigned head, seen = 0;
    struct io_uring_cqe *cqe;
    int64_t done = 0;
    io_uring_for_each_cqe(&r->ring, head, cqe) {
        seen++;
        uring_op *op = io_uring_cqe_get_data(cqe);
        if (!op)
            continue;
        diag_kernel_handoff_receive(op);
        op->res = cqe->res;
        astore(&op->g->io_ready, true, memory_order_relaxed);
        op->g->schedlink = NULL;
        if (out->tail)
            out->tail->schedlink = op->g;
        else
            out->head = op->g;
        out->tail = op->g;
        done++;
    }
    io_uring_cq_advance(&r->ring, seen);
    lock_release(&r->cq_lock);
    if (done)
        afetch_sub(&sched.io_pending, done, memory_order_release);   /* see checkdead */
}

static void flush_ring(io_ring *r, bool wait) {
    if (!aload(&r->unsubmitted, memory_order_relaxed))
        return;
    if (wait)
        lock_acquire(&r->sq_lock);
    else if (!lock_try(&r->sq_lock))
        return;
    submit_queued(r);
    lock_release(&r->sq_lock);
}

static goc_g *reap_all(bool wait) {
    glist list = {NULL, NULL};
    int32_t n = aload(&nrings, memory_order_acquire);
    for (int32_t i = 0; i < n; i++)
        ring_reap(rings[i], &list, wait);
    return list.head;
}

static void drain_wake_fd(void) {
    uint64_t v;
    while (read(wake_fd, &v, sizeof v) < 0 && errno == EINTR)
        continue;
}

goc_g *uring_collect(bool before_sleep) {
    int32_t n = aload(&nrings, memory_order_acquire);
    goc_p *p = sched_p();
    if (!before_sleep) {
        /* From a scheduler loop: its own ring's queue, or every ring's when
         * the caller has no P (nobody else may be about to submit them). */
        if (p && p->io)
            flush_ring(p->io, true);
        else
            for (int32_t i = 0; i < n; i++)
                flush_ring(rings[i], false);
        return reap_all(false);
    }
    for (int32_t i = 0; i < n; i++)
        flush_ring(rings[i], true);
    return reap_all(true);
}

int uring_wake_fd(void) { return wake_fd; }

static goc_g *uring_poll(int64_t until) {
    if (until < 0)
        return uring_collect(false);
    goc_g *list = uring_collect(true);
    if (list)
        return list;
    /* The eventfd is drained only after the sleep: a wake() that came before
     * it (a timer added since the caller computed until) or a completion
     * posted since the reap leaves it readable, and the sleep ends at once. */
    struct timespec ts, *tsp = NULL;
    if (until > 0) {
        int64_t left = until - nanotime();
        if (left < 0)
            left = 0;
        ts.tv_sec = left / GOC_SECOND;
        ts.tv_nsec = left % GOC_SECOND;
        tsp = &ts;
    }
    struct pollfd pfd = {.fd = wake_fd, .events = POLLIN};
    ppoll(&pfd, 1, tsp, NULL);
    drain_wake_fd();
    return reap_all(true);
}

void uring_wake(void) {
    uint64_t one = 1;
    while (write(wake_fd, &one, sizeof one) < 0 && errno == EINTR)
        continue;
}

const io_backend io_uring_backend = {
    .name = "io_uring",
    .run = uring_run,
    .blocking = uring_blocking,
    .kick = uring_kick,
    .forget = uring_forget,
    .netpoll = {.poll = uring_poll, .wake = uring_wake},
};
