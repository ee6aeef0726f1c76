/* SPDX-License-Identifier: MIT */
/* Per-fd state, indexed by descriptor number: a two-level table whose pages
 * appear on first use and are never freed, so lookups take no lock and a
 * pointer to an entry stays valid for the life of the process. */
#include <errno.h>
#include <stdlib.h>

#include "io/io.h"

/* Linux caps descriptors at fs.nr_open, 1 << 20 by default; larger fds are
 * legal only after raising it and take the blocking path. */
#define FD_PAGE_SHIFT 10
#define FD_PAGE_SIZE  (1 << FD_PAGE_SHIFT)
#define FD_MAX        (1 << 20)
#define FD_NPAGES     (FD_MAX / FD_PAGE_SIZE)

static io_fd *_Atomic fd_pages[FD_NPAGES];

io_fd *fd_entry(int fd) {
    if (fd < 0 || fd >= FD_MAX)
        return NULL;
    _Atomic(io_fd *) *slot = &fd_pages[fd >> FD_PAGE_SHIFT];
    io_fd *page = aload(slot, memory_order_acquire);
    if (unlikely(!page)) {
        io_fd *fresh = calloc(FD_PAGE_SIZE, sizeof *fresh);
        if (!fresh)
            fatal("out of memory allocating the I/O descriptor table");
        io_fd *expected = NULL;
        if (acas(slot, &expected, fresh, memory_order_acq_rel, memory_order_acquire)) {
            page = fresh;
        } else {
            free(fresh);
            page = expected;
        }
    }
    return &page[fd & (FD_PAGE_SIZE - 1)];
}

int fd_op_begin(io_fd *e) {
    lock_acquire(&e->lock);
    if (e->closing) {
        lock_release(&e->lock);
        return -EBADF;
    }
    e->nops++;
    lock_release(&e->lock);
    return 0;
}

void fd_op_end(io_fd *e) {
    goc_g *closer = NULL;
    lock_acquire(&e->lock);
    if (--e->nops == 0 && e->closer) {
        closer = e->closer;
        e->closer = NULL;
    }
    lock_release(&e->lock);
    if (closer)
        sched_ready(closer);
}

void fd_fresh(int fd, bool clear_deadline) {
    io_fd *e = fd_entry(fd);
    if (!e)
        return;
    lock_acquire(&e->lock);
    if (clear_deadline)
        astore(&e->deadline, 0, memory_order_relaxed);
    astore(&e->ep_state, EP_UNKNOWN, memory_order_release);
    astore(&e->is_socket, SOCK_UNKNOWN, memory_order_relaxed);
    astore(&e->read_more, false, memory_order_relaxed);
    astore(&e->short_drains, false, memory_order_relaxed);
    astore(&e->drained, false, memory_order_relaxed);
    e->rready = e->wready = false;
    lock_release(&e->lock);
}

int io_expired(io_fd *e, const io_req *req, int64_t now) {
    if (e->closing)
        return -EBADF;
    if (e->deadline && now >= e->deadline)
        return -ETIMEDOUT;
    if (req->kind == IO_POLL && req->timeout_at && now >= req->timeout_at)
        return IO_POLL_TIMED_OUT;
    return 1;
}
