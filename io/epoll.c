/* SPDX-License-Identifier: MIT */
/* The epoll back-end, for kernels or sandboxes that refuse io_uring (and
 * under GODEBUG=gocpoll=epoll).  Go's netpoller shape: descriptors are made
 * non-blocking and registered once, edge-triggered; an operation tries the
 * system call and, on EAGAIN, parks until the poller sees readiness.  A
 * readiness edge that arrives while nobody waits is remembered in the fd
 * entry, so a goroutine about to park retries instead of sleeping through it.
 *
 * Descriptors that epoll cannot watch (regular files) and the standard
 * streams (shared with other processes, whose blocking mode goc must not
 * change) are served by a plain system call inside a blocking section. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io.h"

/* data.u64 of an eventfd that only ends sleeps: the flag and its fd.
 * Other entries carry the watched fd itself. */
#define WAKE_FLAG (1ULL << 63)
enum { EVENTS_PER_POLL = 128 };

enum { WAKE_NONE, WAKE_READY, WAKE_KICK, WAKE_TIMER };

/* A parked operation.  Referenced by its goroutine and, while armed, by its
 * deadline timer; freed when both have let go. */
typedef struct ep_waiter {
    goc_g           *g;
    io_fd           *e;
    uint32_t         mask;     /* EPOLLIN and/or EPOLLOUT it waits for */
    uint8_t          wake;     /* WAKE_*, set by whoever unlinks it */
    bool             linked;   /* in e->waiters; e->lock */
    bool             fired;    /* its timer ran; e->lock */
    _Atomic int32_t  refs;
    goc_timer        timer;
    struct ep_waiter *next, *prev;
} ep_waiter;

static int ep_fd = -1;
static int wake_fd = -1;
static ssize_t (*try_batched)(io_req *req);

void epoll_batch_with(ssize_t (*fn)(io_req *req)) { try_batched = fn; }

bool epoll_watch_wake_fd(int fd) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = WAKE_FLAG | (uint64_t)fd};
    return epoll_ctl(ep_fd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool epoll_init(void) {
    ep_fd = epoll_create1(EPOLL_CLOEXEC);
    if (ep_fd < 0)
        return false;
    wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd < 0 || !epoll_watch_wake_fd(wake_fd)) {
        int err = errno;
        close(ep_fd);
        if (wake_fd >= 0)
            close(wake_fd);
        ep_fd = wake_fd = -1;
        errno = err;
        return false;
    }
    return true;
}

/* Whether a read that returns less than asked for has emptied fd, so the
 * next read can wait for readiness without trying first: true of pipes
 * (not packet-mode ones) and plain TCP, whose reads stop early only at an
 * urgent mark or before an end of file or error (deliver() turns this off
 * when it sees one of those).  Not of datagram sockets, of Unix stream
 * sockets (reads stop where passed descriptors or credentials change) or
 * of kernel TLS (record types). */
static bool short_read_drains(int fd, const struct stat *st, int fl) {
    if (S_ISFIFO(st->st_mode))
        return !(fl & O_DIRECT);
    int proto = 0;
    socklen_t len = sizeof proto;
    if (!S_ISSOCK(st->st_mode) || getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0 ||
        proto != IPPROTO_TCP)
        return false;
    char ulp[16] = "";
    len = sizeof ulp;
    return getsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, &len) == 0 && ulp[0] == '\0';
}

/* How fd is served, decided once per descriptor.  Out of line, like
 * attempt(): both read errno, whose address must not be reused from before
 * a park in their caller. */
static __attribute__((noinline)) uint8_t classify_fd(int fd, bool *short_drains, bool *socket) {
    struct stat st;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fstat(fd, &st) < 0)
        return EP_BLOCKING;   /* the system call itself will report the bad fd */
    bool shared_stream = fd <= STDERR_FILENO && !(fl & O_NONBLOCK);
    bool watchable = S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode) || (fl & O_NONBLOCK);
    if (shared_stream || !watchable)
        return EP_BLOCKING;
    if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return EP_BLOCKING;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                             .data.u64 = (uint64_t)fd};
    if (epoll_ctl(ep_fd, EPOLL_CTL_ADD, fd, &ev) == 0 || errno == EEXIST) {
        *short_drains = short_read_drains(fd, &st, fl);
        *socket = S_ISSOCK(st.st_mode);
        return EP_POLLABLE;
    }
    if (!(fl & O_NONBLOCK))
        fcntl(fd, F_SETFL, fl);
    return EP_BLOCKING;
}

static void classify(io_fd *e, int fd) {
    bool short_drains = false, socket = false;
    uint8_t state = classify_fd(fd, &short_drains, &socket);
    astore(&e->short_drains, short_drains, memory_order_relaxed);
    astore(&e->is_socket, socket ? SOCK_YES : SOCK_NO, memory_order_relaxed);
    astore(&e->ep_state, state, memory_order_release);
}

static void waiter_unref(ep_waiter *w) {
    if (afetch_sub(&w->refs, 1, memory_order_acq_rel) == 1)
        free(w);
}

/* e->lock held. */
static void waiter_link(io_fd *e, ep_waiter *w) {
    w->prev = NULL;
    w->next = e->waiters;
    if (w->next)
        w->next->prev = w;
    e->waiters = w;
    w->linked = true;
}

/* e->lock held.  Takes w off the fd and returns its goroutine to ready. */
static goc_g *waiter_release(io_fd *e, ep_waiter *w, uint8_t why) {
    if (w->prev)
        w->prev->next = w->next;
    else
        e->waiters = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->linked = false;
    w->wake = why;
    afetch_sub(&sched.io_pending, 1, memory_order_release);   /* see checkdead */
    return w->g;
}

static void waiter_timer_fired(void *arg, int64_t now) {
    (void)now;
    ep_waiter *w = arg;
    io_fd *e = w->e;
    goc_g *g = NULL;
    lock_acquire(&e->lock);
    w->fired = true;
    if (w->linked)
        g = waiter_release(e, w, WAKE_TIMER);
    lock_release(&e->lock);
    if (g)
        sched_ready(g);
    waiter_unref(w);
}

/* Parks until fd may be ready in a direction of mask.  1: try the system
 * call again; otherwise the operation's result (-EBADF, -ETIMEDOUT, or
 * IO_POLL_TIMED_OUT). */
static int ep_wait(io_fd *e, const io_req *req, uint32_t mask) {
    lock_acquire(&e->lock);
    int64_t deadline = e->deadline;
    lock_release(&e->lock);
    int64_t limit = io_min_deadline(deadline, req->kind == IO_POLL ? req->timeout_at : 0);

    ep_waiter *w = calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    w->g = sched_curg();
    w->e = e;
    w->mask = mask;
    astore(&w->refs, limit ? 2 : 1, memory_order_relaxed);
    if (limit) {
        w->timer.when = limit;
        w->timer.fn = waiter_timer_fired;
        w->timer.arg = w;
        timer_start(&w->timer);
    }

    int verdict = 1;
    lock_acquire(&e->lock);
    if (e->closing || limit)
        verdict = io_expired(e, req, limit ? nanotime() : 0);
    bool ready_seen = ((mask & EPOLLIN) && e->rready) || ((mask & EPOLLOUT) && e->wready);
    if (verdict == 1 && !ready_seen && !w->fired && e->deadline == deadline) {
        waiter_link(e, w);
        afetch_add(&sched.io_pending, 1, memory_order_relaxed);
        sched_park_io(sched_commit_unlock, &e->lock, req->fd);
    } else {
        if (mask & EPOLLIN)
            e->rready = false;
        if (mask & EPOLLOUT)
            e->wready = false;
        lock_release(&e->lock);
    }
    if (limit && timer_stop(&w->timer))
        waiter_unref(w);
    waiter_unref(w);
    return verdict;
}

/* The non-blocking attempt.  connect's EINPROGRESS becomes a wait for
 * writability followed by a look at SO_ERROR. */
static __attribute__((noinline)) ssize_t attempt(io_fd *e, io_req *req, bool *connecting) {
    bool transfer = req->kind == IO_READ || req->kind == IO_WRITE || req->kind == IO_RECV ||
                    req->kind == IO_SEND;
    if (try_batched && transfer && aload(&e->is_socket, memory_order_relaxed) == SOCK_YES) {
        ssize_t r = try_batched(req);
        if (r != IO_NOT_BATCHED)
            return r;
    }
    if (req->kind == IO_POLL) {
        ssize_t r = io_syscall(req);
        return r == 0 ? -EAGAIN : r;
    }
    if (req->kind == IO_CONNECT && *connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(req->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            return -errno;
        if (err == 0) {
            /* Writable with no error: connected, or still in progress if the
             * wake-up was for something else. */
            struct sockaddr_storage peer;
            socklen_t plen = sizeof peer;
            if (getpeername(req->fd, (struct sockaddr *)&peer, &plen) == 0)
                return 0;
            return errno == ENOTCONN ? -EAGAIN : -errno;
        }
        return -err;
    }
    ssize_t r = io_syscall(req);
    if (req->kind == IO_CONNECT && r == -EINPROGRESS) {
        *connecting = true;
        return -EAGAIN;
    }
    return r;
}

static uint32_t wait_mask(const io_req *req) {
    if (req->kind != IO_POLL)
        return io_req_is_input(req) ? EPOLLIN : EPOLLOUT;
    uint32_t m = 0;
    if (req->events & (POLLIN | POLLPRI | POLLRDHUP))
        m |= EPOLLIN;
    if (req->events & POLLOUT)
        m |= EPOLLOUT;
    /* Only errors and hang-ups were asked for: either edge may bring them. */
    return m ? m : EPOLLIN | EPOLLOUT;
}

/* ep_state is written under e->lock and read without it once known. */
static bool ep_blocking(io_fd *e, int fd) {
    uint8_t st = aload(&e->ep_state, memory_order_acquire);
    if (st == EP_UNKNOWN) {
        lock_acquire(&e->lock);
        if (e->ep_state == EP_UNKNOWN)
            classify(e, fd);
        st = e->ep_state;
        lock_release(&e->lock);
    }
    return st == EP_BLOCKING;
}

static ssize_t ep_run(io_fd *e, io_req *req) {
    /* As in Go, an expired deadline fails the call even if it could
     * complete at once. */
    if (aload(&e->deadline, memory_order_relaxed)) {
        lock_acquire(&e->lock);
        int verdict = io_expired(e, req, nanotime());
        lock_release(&e->lock);
        if (verdict == -ETIMEDOUT)
            return verdict;
    }
    bool connecting = false;
    uint32_t mask = wait_mask(req);
    bool plain_read = (req->kind == IO_READ || req->kind == IO_RECV) && !req->flags && req->len;
    /* After a short read the descriptor is empty: trying again would cost
     * a system call that fails with EAGAIN (one in three of an echo
     * server's).  Readiness that came since then is in rready. */
    bool wait_first = plain_read && aload(&e->drained, memory_order_relaxed) &&
                      aload(&e->short_drains, memory_order_relaxed);
    for (;;) {
        if (!wait_first) {
            ssize_t r = attempt(e, req, &connecting);
            if (r == -EINTR)
                continue;
            if (r != -EAGAIN) {
                if (plain_read)
                    astore(&e->drained, r > 0 && (size_t)r < req->len, memory_order_relaxed);
                return r;
            }
        }
        wait_first = false;
        int verdict = ep_wait(e, req, mask);
        if (verdict != 1)
            return verdict;
    }
}

/* e->lock held: every parked operation looks at the fd again. */
static void ep_kick(io_fd *e) {
    while (e->waiters) {
        ep_waiter *w = e->waiters;
        sched_ready(waiter_release(e, w, WAKE_KICK));
    }
}

static void ep_forget(io_fd *e, int fd) {
    if (e->ep_state == EP_POLLABLE)
        epoll_ctl(ep_fd, EPOLL_CTL_DEL, fd, NULL);
    astore(&e->ep_state, EP_UNKNOWN, memory_order_release);
    astore(&e->short_drains, false, memory_order_relaxed);
    astore(&e->drained, false, memory_order_relaxed);
    e->rready = e->wready = false;
}

/* Readiness of one descriptor: wake the operations it concerns. */
static goc_g *deliver(uint32_t events, int fd, goc_g *list) {
    io_fd *e = fd_entry(fd);
    if (!e)
        return list;
    uint32_t got = 0;
    if (events & (EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        got |= EPOLLIN;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
        got |= EPOLLOUT;
    uint32_t taken = 0;
    lock_acquire(&e->lock);
    /* Urgent data (reads stop at its mark), or an end of file or error
     * pending behind data (a read returns the data first): a short read no
     * longer means there is nothing left.  A waiter this wakes, or one
     * that finds rready set, sees it before its next read. */
    if (events & (EPOLLPRI | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        astore(&e->short_drains, false, memory_order_relaxed);
    for (ep_waiter *w = e->waiters, *next; w; w = next) {
        next = w->next;
        if (!(w->mask & got))
            continue;
        taken |= w->mask & got;
        goc_g *g = waiter_release(e, w, WAKE_READY);
        astore(&g->io_ready, true, memory_order_relaxed);
        g->schedlink = list;
        list = g;
    }
    if (got & ~taken & EPOLLIN)
        e->rready = true;
    if (got & ~taken & EPOLLOUT)
        e->wready = true;
    lock_release(&e->lock);
    return list;
}

static int ep_wait_events(struct epoll_event *evs, int64_t until) {
    if (until < 0)
        return epoll_wait(ep_fd, evs, EVENTS_PER_POLL, 0);
    if (until == 0)
        return epoll_wait(ep_fd, evs, EVENTS_PER_POLL, -1);
    int64_t left = until - nanotime();
    if (left < 0)
        left = 0;
    struct timespec ts = {.tv_sec = left / GOC_SECOND, .tv_nsec = left % GOC_SECOND};
    /* Once refused, not asked again (Valgrind warns at every call). */
    static _Atomic bool no_pwait2;
    int n = -1;
    if (!aload(&no_pwait2, memory_order_relaxed)) {
        n = epoll_pwait2(ep_fd, evs, EVENTS_PER_POLL, &ts, NULL);
        if (n < 0 && errno == ENOSYS)
            astore(&no_pwait2, true, memory_order_relaxed);
    }
    if (aload(&no_pwait2, memory_order_relaxed)) {
        /* Before Linux 5.11 (or under Valgrind 3.19): millisecond
         * resolution, rounded up so the caller's timer is due when we
         * return. */
        int64_t ms = (left + GOC_MILLISECOND - 1) / GOC_MILLISECOND;
        n = epoll_wait(ep_fd, evs, EVENTS_PER_POLL, ms > 1000000 ? 1000000 : (int)ms);
    }
    return n;
}

static goc_g *ep_poll(int64_t until) {
    struct epoll_event evs[EVENTS_PER_POLL];
    int n = ep_wait_events(evs, until);
    goc_g *list = NULL;
    for (int i = 0; i < n; i++) {
        if (evs[i].data.u64 & WAKE_FLAG) {
            /* The wake-up is for the M that blocks: a look that does not
             * block leaves it set (level-triggered) for that M to see. */
            int fd = (int)(evs[i].data.u64 & ~WAKE_FLAG);
            uint64_t v;
            while (until >= 0 && read(fd, &v, sizeof v) < 0 && errno == EINTR)
                continue;
            continue;
        }
        list = deliver(evs[i].events, (int)evs[i].data.u64, list);
    }
    return list;
}

static void ep_wake(void) {
    uint64_t one = 1;
    while (write(wake_fd, &one, sizeof one) < 0 && errno == EINTR)
        continue;
}

const io_backend io_epoll_backend = {
    .name = "epoll",
    .run = ep_run,
    .blocking = ep_blocking,
    .kick = ep_kick,
    .forget = ep_forget,
    .netpoll = {.poll = ep_poll, .wake = ep_wake},
};
