/* SPDX-License-Identifier: MIT */
/* The plain system calls behind each request, and the path for callers that
 * may block their thread: a goroutine inside goc_blocking_begin/end (it has
 * no P) or a thread that is not a goroutine.  Either blocks only itself. */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "io/io.h"

static ssize_t neg_errno(ssize_t r) { return r < 0 ? -errno : r; }

ssize_t io_syscall(const io_req *r) {
    switch (r->kind) {
    case IO_READ:
        return neg_errno(read(r->fd, r->buf, r->len));
    case IO_WRITE:
        return neg_errno(write(r->fd, r->buf, r->len));
    case IO_PREAD:
        return neg_errno(pread(r->fd, r->buf, r->len, r->off));
    case IO_PWRITE:
        return neg_errno(pwrite(r->fd, r->buf, r->len, r->off));
    case IO_RECV:
        return neg_errno(recv(r->fd, r->buf, r->len, r->flags));
    case IO_SEND:
        return neg_errno(send(r->fd, r->buf, r->len, r->flags | MSG_NOSIGNAL));
    case IO_ACCEPT:
        return neg_errno(accept4(r->fd, r->addr, r->addrlen, SOCK_CLOEXEC));
    case IO_CONNECT:
        return neg_errno(connect(r->fd, r->addr, r->conlen));
    case IO_POLL: {
        struct pollfd pfd = {.fd = r->fd, .events = r->events};
        int n = poll(&pfd, 1, 0);
        if (n < 0)
            return -errno;
        if (pfd.revents & POLLNVAL)
            return -EBADF;
        return pfd.revents;
    }
    }
    return -EINVAL;
}

bool io_req_is_input(const io_req *r) {
    switch (r->kind) {
    case IO_READ:
    case IO_PREAD:
    case IO_RECV:
    case IO_ACCEPT:
        return true;
    case IO_POLL:
        return (r->events & (POLLIN | POLLPRI | POLLRDHUP)) != 0;
    default:
        return false;
    }
}

/* Waits for the fd to become ready until limit (absolute nanotime(), 0 =
 * forever): 1 ready, 0 limit reached, -errno on failure. */
static int wait_ready_until(int fd, short events, int64_t limit) {
    for (;;) {
        int ms = -1;
        if (limit) {
            int64_t left = limit - nanotime();
            if (left <= 0)
                return 0;
            /* Round up: waking early would only loop. */
            int64_t l = (left + GOC_MILLISECOND - 1) / GOC_MILLISECOND;
            ms = l > 1000000 ? 1000000 : (int)l;
        }
        struct pollfd pfd = {.fd = fd, .events = events};
        int n = poll(&pfd, 1, ms);
        if (n < 0 && errno != EINTR)
            return -errno;
        if (n > 0)
            return (pfd.revents & POLLNVAL) ? -EBADF : 1;
    }
}

ssize_t io_run_blocking(io_fd *e, io_req *req) {
    int64_t deadline = 0;
    if (e) {
        lock_acquire(&e->lock);
        deadline = e->deadline;
        lock_release(&e->lock);
    }
    int64_t limit = io_min_deadline(deadline, req->kind == IO_POLL ? req->timeout_at : 0);
    if (limit || req->kind == IO_POLL) {
        short ev = req->kind == IO_POLL ? req->events
                   : io_req_is_input(req) ? POLLIN : POLLOUT;
        int w = wait_ready_until(req->fd, ev, limit);
        if (w < 0)
            return w;
        if (w == 0)
            return deadline && nanotime() >= deadline ? -ETIMEDOUT : IO_POLL_TIMED_OUT;
    }
    ssize_t r;
    do
        r = io_syscall(req);
    while (r == -EINTR);
    return r;
}
