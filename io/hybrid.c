/* SPDX-License-Identifier: MIT */
/* The default back-end: descriptors that epoll can watch (sockets, pipes,
 * descriptors already non-blocking) wait for readiness as in Go's netpoller
 * and then make the system call themselves; everything else (regular
 * files, block devices, the standard streams when they are blocking) goes
 * through the io_uring rings, so that no thread blocks for it.
 *
 * A socket's send or receive made while the P has other goroutines to run
 * does not make its own system call: it joins a batch in the P's ring
 * (with MSG_DONTWAIT, so the kernel does it at submission or answers
 * -EAGAIN) and the batch goes in with one io_uring_enter when the P runs
 * dry.  A system call costs ~1 us on the paravirtualized machines we
 * measure on; after a poll that readies twenty connections, their twenty
 * reads and then their twenty writes cost one each.
 *
 * Why sockets do not wait in the ring (GODEBUG=gocpoll=uring still does
 * that): an operation that has to wait completes in the kernel as task
 * work of the submitting thread, which the kernel interrupts to run it; a
 * readiness edge only marks the descriptor ready.  On loopback HTTP
 * (bench/http-run, 2 cores) waiting in the ring gave 1.04x Go's requests/s
 * at 100 connections and 1.15x at 1,000 with 2.7x Go's p99; readiness
 * gave 1.60x and 1.50x with a lower p99 than Go's, and batching 1.87x and
 * 1.77x.
 *
 * One M sleeps for both, in epoll_wait: the rings' eventfd is in the epoll
 * set, so a completion (or a wake-up) ends the sleep like a readiness
 * event, and readiness costs one system call as in Go. */
#include "io/io.h"

static goc_g *glist_append(goc_g *list, goc_g *more) {
    if (!list)
        return more;
    goc_g *tail = list;
    while (tail->schedlink)
        tail = tail->schedlink;
    tail->schedlink = more;
    return list;
}

static bool via_ring(io_fd *e, int fd) { return io_epoll_backend.blocking(e, fd); }

static ssize_t hybrid_run(io_fd *e, io_req *req) {
    return via_ring(e, req->fd) ? io_uring_backend.run(e, req) : io_epoll_backend.run(e, req);
}

/* Every descriptor is served without blocking a thread. */
static bool hybrid_blocking(io_fd *e, int fd) {
    (void)e;
    (void)fd;
    return false;
}

/* e->lock held; the operations in flight were started by the back-end
 * that ep_state names, and it stays the same until the fd is forgotten. */
static void hybrid_kick(io_fd *e) {
    if (e->ep_state == EP_POLLABLE)
        io_epoll_backend.kick(e);
    else
        io_uring_backend.kick(e);
}

static void hybrid_forget(io_fd *e, int fd) {
    io_epoll_backend.forget(e, fd);
    io_uring_backend.forget(e, fd);
}

static goc_g *hybrid_poll(int64_t until) {
    goc_g *(*epoll_poll)(int64_t) = io_epoll_backend.netpoll.poll;
    if (until < 0)
        return glist_append(uring_collect(false), epoll_poll(-1));
    goc_g *done = uring_collect(true);
    if (done)
        return glist_append(done, epoll_poll(-1));
    goc_g *ready = epoll_poll(until);
    return glist_append(ready, uring_collect(true));
}

bool hybrid_init(void) {
    if (!epoll_init() || !epoll_watch_wake_fd(uring_wake_fd()))
        return false;
    epoll_batch_with(uring_try_batched);
    return true;
}

const io_backend io_hybrid_backend = {
    .name = "io_uring+epoll",
    .run = hybrid_run,
    .blocking = hybrid_blocking,
    .kick = hybrid_kick,
    .forget = hybrid_forget,
    .netpoll = {.poll = hybrid_poll, .wake = uring_wake},
};
