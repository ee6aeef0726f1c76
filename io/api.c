/* SPDX-License-Identifier: MIT */
/* The public I/O calls (docs/api.md section 6).  Each returns its result or a
 * negative errno, and sets errno on failure. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "io/io.h"
#include "mem/mem.h"

/* Linux moves at most this much in one read or write (MAX_RW_COUNT). */
#define IO_CHUNK_MAX ((size_t)INT_MAX & ~(size_t)4095)

/* Out of line so that &errno is computed on the thread the goroutine runs
 * on now: __errno_location is const and could be reused from before a park. */
static __attribute__((noinline)) ssize_t io_result(ssize_t r) {
    if (r < 0)
        errno = (int)-r;
    return r;
}

static ssize_t io_do(io_req *req) {
    sched_safepoint();
    if (req->fd < 0)
        return -EBADF;
    io_fd *e = fd_entry(req->fd);
    if (!sched_p() || !e)
        return io_run_blocking(e, req);
    const io_backend *b = io_backend_get();
    if (b->blocking(e, req->fd)) {
        goc_blocking_begin();
        ssize_t r = io_run_blocking(e, req);
        goc_blocking_end();
        return r;
    }
    ssize_t r = fd_op_begin(e);
    if (r == 0) {
        /* The kernel may read or write req's buffers on this stack until
         * run returns: it must not move (shrink) meanwhile. */
        goc_g *g = sched_curg();
        g->stack_pins++;
        r = b->run(e, req);
        g->stack_pins--;
        fd_op_end(e);
    }
    return r;
}

/* With mprotect tracking (GODEBUG=gcdirty=mprotect) heap pages are
 * read-only while a mark runs, and a system call writing there fails with
 * EFAULT instead of faulting, having perhaps taken the data (a datagram, a
 * pipe's bytes).  So the kernel writes into a buffer of the runtime's, and
 * plain stores copy the result in, which the fault handler records.  A
 * read into the heap then moves at most BOUNCE_MAX bytes a call, as read(2)
 * may. */
#define BOUNCE_MAX   ((size_t)256 << 10)
#define BOUNCE_STACK 256

static bool req_writes_heap(const io_req *req) {
    switch (req->kind) {
    case IO_READ:
    case IO_PREAD:
    case IO_RECV: return mem_wp_touches_heap(req->buf, req->len);
    case IO_ACCEPT:
        return req->addrlen && (mem_wp_touches_heap(req->addrlen, sizeof *req->addrlen) ||
                                (req->addr && mem_wp_touches_heap(req->addr, *req->addrlen)));
    default: return false;
    }
}

static ssize_t io_do_bounced(io_req *req) {
    if (req->kind == IO_ACCEPT) {
        struct sockaddr_storage from;
        socklen_t want = *req->addrlen, got = sizeof from;
        struct sockaddr *addr = req->addr;
        socklen_t *addrlen = req->addrlen;
        req->addr = (struct sockaddr *)&from;
        req->addrlen = &got;
        ssize_t r = io_do(req);
        if (r >= 0) {
            if (addr)
                memcpy(addr, &from, got < want ? got : want);
            *addrlen = got;
        }
        return r;
    }
    char small[BOUNCE_STACK];
    void *dest = req->buf;
    size_t len = req->len < BOUNCE_MAX ? req->len : BOUNCE_MAX;
    req->buf = len <= sizeof small ? small : mem_meta_alloc(len);
    req->len = len;
    ssize_t r = io_do(req);
    if (r > 0)
        memcpy(dest, req->buf, (size_t)r);
    if (req->buf != small)
        mem_meta_free(req->buf, len);
    return r;
}

/* io_do, for every request that may write into memory it was given. */
static ssize_t io_do_out(io_req *req) {
    if (unlikely(mem_wp_enabled()) && req_writes_heap(req))
        return io_do_bounced(req);
    return io_do(req);
}

/* Repeats a transfer until all of it is done or it fails. */
static ssize_t io_do_all(io_req *req, bool advance_offset) {
    const char *p = req->buf;
    size_t left = req->len, done = 0;
    do {
        req->buf = (void *)(p + done);
        req->len = left < IO_CHUNK_MAX ? left : IO_CHUNK_MAX;
        ssize_t r = io_do(req);
        if (r < 0)
            return r;
        if (r == 0 && req->len > 0)
            return -EIO;   /* the kernel took nothing and reported nothing */
        done += (size_t)r;
        left -= (size_t)r;
        if (advance_offset)
            req->off += r;
    } while (left > 0);
    return (ssize_t)done;
}

static size_t clamp_len(size_t n) { return n < IO_CHUNK_MAX ? n : IO_CHUNK_MAX; }

ssize_t goc_read(int fd, void *buf, size_t n) {
    io_req req = {.kind = IO_READ, .fd = fd, .buf = buf, .len = clamp_len(n)};
    return io_result(io_do_out(&req));
}

ssize_t goc_write(int fd, const void *buf, size_t n) {
    io_req req = {.kind = IO_WRITE, .fd = fd, .buf = (void *)buf, .len = n};
    return io_result(io_do_all(&req, false));
}

ssize_t goc_pread(int fd, void *buf, size_t n, off_t off) {
    if (off < 0)   /* io_uring would take -1 as "the file position" */
        return io_result(-EINVAL);
    io_req req = {.kind = IO_PREAD, .fd = fd, .buf = buf, .len = clamp_len(n), .off = off};
    return io_result(io_do_out(&req));
}

ssize_t goc_pwrite(int fd, const void *buf, size_t n, off_t off) {
    if (off < 0)
        return io_result(-EINVAL);
    io_req req = {.kind = IO_PWRITE, .fd = fd, .buf = (void *)buf, .len = n, .off = off};
    return io_result(io_do_all(&req, true));
}

ssize_t goc_recv(int fd, void *buf, size_t n, int flags) {
    io_req req = {.kind = IO_RECV, .fd = fd, .buf = buf, .len = clamp_len(n), .flags = flags};
    return io_result(io_do_out(&req));
}

/* Like send(2) on a blocking stream socket, everything is sent unless an
 * error occurs; with MSG_DONTWAIT one attempt is made. */
ssize_t goc_send(int fd, const void *buf, size_t n, int flags) {
    io_req req = {.kind = IO_SEND, .fd = fd, .buf = (void *)buf, .len = n, .flags = flags};
    if (flags & MSG_DONTWAIT) {
        req.len = clamp_len(n);
        return io_result(io_do(&req));
    }
    return io_result(io_do_all(&req, false));
}

int goc_accept(int fd, struct sockaddr *addr, socklen_t *len) {
    io_req req = {.kind = IO_ACCEPT, .fd = fd, .addr = addr, .addrlen = len};
    ssize_t r = io_do_out(&req);
    if (r >= 0)
        fd_fresh((int)r, true);
    return (int)io_result(r);
}

int goc_connect(int fd, const struct sockaddr *addr, socklen_t len) {
    io_req req = {.kind = IO_CONNECT, .fd = fd, .addr = (struct sockaddr *)addr, .conlen = len};
    if (fd >= 0)
        fd_fresh(fd, false);   /* a new socket: its deadline is the caller's */
    return (int)io_result(io_do(&req));
}

int goc_poll(int fd, short events, int64_t timeout_ns) {
    io_req req = {.kind = IO_POLL, .fd = fd, .events = events};
    if (timeout_ns == 0) {
        if (fd < 0)
            return (int)io_result(-EBADF);
        return (int)io_result(io_syscall(&req));
    }
    if (timeout_ns > 0)
        req.timeout_at = nanotime() + timeout_ns;
    return (int)io_result(io_do(&req));
}

int goc_set_deadline(int fd, int64_t deadline_ns) {
    sched_safepoint();
    io_fd *e = fd_entry(fd);
    if (!e || fcntl(fd, F_GETFD) < 0)
        return (int)io_result(-EBADF);
    const io_backend *b = io_backend_get();
    lock_acquire(&e->lock);
    if (e->closing) {
        lock_release(&e->lock);
        return (int)io_result(-EBADF);
    }
    astore(&e->deadline, deadline_ns, memory_order_relaxed);
    b->kick(e);
    lock_release(&e->lock);
    return 0;
}

static __attribute__((noinline)) int close_fd(int fd) {
    return close(fd) < 0 ? -errno : 0;
}

/* Waits, e->lock held, until no operation on e is in flight; returns with
 * e->lock held.  Goroutines and foreign threads park; a goroutine inside a
 * blocking section has no P to park with and polls (the cancelled
 * operations finish within microseconds). */
static void wait_ops_drained(io_fd *e, int fd) {
    while (e->nops > 0) {
        if (sched_curg() && !sched_p()) {
            lock_release(&e->lock);
            usleep(50);
            lock_acquire(&e->lock);
            continue;
        }
        e->closer = sched_getg();
        sched_park_io(sched_commit_unlock, &e->lock, fd);
        lock_acquire(&e->lock);
    }
}

/* As Go's Close: operations blocked on fd wake with -EBADF ("use of closed
 * network connection"), then the descriptor is closed.  The entry stays
 * locked across close(2), so an operation on a new descriptor that reuses
 * the number cannot see this one's closing state. */
int goc_close(int fd) {
    sched_safepoint();
    io_fd *e = fd_entry(fd);
    if (!e)
        return (int)io_result(close_fd(fd));
    const io_backend *b = io_backend_get();
    lock_acquire(&e->lock);
    if (e->closing) {
        lock_release(&e->lock);
        return (int)io_result(-EBADF);
    }
    e->closing = true;
    b->kick(e);
    wait_ops_drained(e, fd);
    b->forget(e, fd);
    int r = close_fd(fd);
    e->closing = false;
    astore(&e->deadline, 0, memory_order_relaxed);
    lock_release(&e->lock);
    return (int)io_result(r);
}
