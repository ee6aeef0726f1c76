/* SPDX-License-Identifier: MIT */
/* I/O internals shared by io/'s files: the request a public call describes,
 * the per-fd state (deadline, close in progress, operations in flight), and
 * the back-ends that carry requests out while the goroutine is parked
 * (io_uring with epoll readiness for sockets by default; all io_uring with
 * GODEBUG=gocpoll=uring; all epoll when io_uring is unavailable or with
 * GODEBUG=gocpoll=epoll). */
#ifndef GOC_IO_H
#define GOC_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "sched/sched.h"

/* ---- requests ----------------------------------------------------------------- */
typedef enum io_kind {
    IO_READ,
    IO_WRITE,
    IO_PREAD,
    IO_PWRITE,
    IO_RECV,
    IO_SEND,
    IO_ACCEPT,
    IO_CONNECT,
    IO_POLL,
} io_kind;

/* One system call's worth of work.  Lives on the caller's stack; the
 * back-ends copy what must outlive a park into their own records. */
typedef struct io_req {
    io_kind          kind;
    int              fd;
    void            *buf;        /* read/recv/pread; write/send/pwrite (const) */
    size_t           len;
    off_t            off;        /* pread/pwrite */
    int              flags;      /* recv/send flags */
    struct sockaddr *addr;       /* accept: out; connect: in (const) */
    socklen_t       *addrlen;    /* accept */
    socklen_t        conlen;     /* connect */
    short            events;     /* poll */
    int64_t          timeout_at; /* poll: absolute nanotime() it gives up, 0 never */
} io_req;

/* The plain system call for req on a thread that blocks: -errno on failure. */
ssize_t io_syscall(const io_req *req);
/* True when the request waits for input (decides the readiness direction and
 * the poll(2) event used before a deadline-bounded blocking call). */
bool io_req_is_input(const io_req *req);

/* Result of a poll request whose own timeout expired (as opposed to the
 * fd's deadline, which gives -ETIMEDOUT): goc_poll returns 0. */
#define IO_POLL_TIMED_OUT 0

/* ---- per-fd state -----------------------------------------------------------------
 * Entries are never freed, so a pointer to one stays valid after the fd is
 * closed (timers and wakers may still hold it). */
enum { EP_UNKNOWN, EP_POLLABLE, EP_BLOCKING };
enum { SOCK_UNKNOWN, SOCK_YES, SOCK_NO };

typedef struct io_fd {
    goc_lock lock;
    bool     closing;     /* goc_close in progress: new operations fail */
    uint8_t  ep_state;    /* epoll back-end: EP_* */
    uint8_t  is_socket;   /* SOCK_*, for io_uring and batched attempts; a hint */
    bool     read_more;   /* io_uring: the last read filled its buffer; a hint */
    bool     rready;      /* epoll: readiness seen while nobody waited */
    bool     wready;
    bool     short_drains;/* epoll: a short read leaves nothing to read (a
                           * stream socket that never had urgent data, a
                           * pipe); set when classified */
    bool     drained;     /* epoll: the last read was short; a hint */
    int32_t  nops;        /* operations between begin and end */
    int64_t  deadline;    /* absolute nanotime(), 0 none; written under lock,
                           * also read without it as a hint */
    void    *waiters;     /* back-end records of parked operations */
    goc_g   *closer;      /* goroutine in goc_close waiting for nops == 0 */
} io_fd;

/* Entry for fd (>= 0), allocated on first use; NULL for an fd too large for
 * the table (such fds take the blocking path). */
io_fd *fd_entry(int fd);
/* Registers an operation: 0, or -EBADF while the fd is being closed. */
int  fd_op_begin(io_fd *e);
void fd_op_end(io_fd *e);
/* A descriptor that the kernel just handed out (accept) or a new socket
 * (connect): forget what a previous holder of the number left behind when
 * it was closed with close(2) instead of goc_close. */
void fd_fresh(int fd, bool clear_deadline);

/* ---- back-ends ------------------------------------------------------------------ */
typedef struct io_backend {
    const char *name;
    /* Performs req for the running goroutine, parking while it waits.
     * Deadline and close handling included; returns the result or -errno. */
    ssize_t (*run)(io_fd *e, io_req *req);
    /* True if fd is served by a plain blocking call instead (the caller
     * then makes one in a blocking section; goc_close does not wait for
     * it, as close(2) does not). */
    bool (*blocking)(io_fd *e, int fd);
    /* e->lock held: make every parked operation on e re-examine the fd
     * (closing or a new deadline). */
    void (*kick)(io_fd *e);
    /* e->lock held, the fd about to be closed, no operation in flight. */
    void (*forget)(io_fd *e, int fd);
    goc_netpoll_ops netpoll;
} io_backend;

extern const io_backend io_uring_backend;
extern const io_backend io_epoll_backend;
/* The default: epoll readiness for what epoll can watch, the rings for the
 * rest (io/hybrid.c says why). */
extern const io_backend io_hybrid_backend;

/* Try to set up io_uring; false (errno set) when the kernel refuses. */
bool uring_init(void);
bool epoll_init(void);
/* After uring_init: the epoll side of the default back-end. */
bool hybrid_init(void);

/* For the default back-end's poller, which sleeps in epoll_wait for both.
 * The rings' completions without sleeping (before_sleep: every ring's
 * queued entries are submitted first, waiting for their locks); the
 * eventfd the rings signal, and their wake-up, which writes it. */
goc_g *uring_collect(bool before_sleep);
int    uring_wake_fd(void);
void   uring_wake(void);
/* Adds an eventfd whose only purpose is to end epoll's sleep; the sleeper
 * drains it. */
bool   epoll_watch_wake_fd(int fd);
/* A non-blocking send or receive on a socket, queued in the P's ring with
 * other goroutines' so that one system call carries them all: the result,
 * or IO_NOT_BATCHED when there is no batch to join (the P has nothing else
 * to run) or no room.  epoll_batch_with makes the epoll side use it. */
#define IO_NOT_BATCHED ((ssize_t)INT32_MIN)
ssize_t uring_try_batched(io_req *req);
void    epoll_batch_with(ssize_t (*try_batched)(io_req *req));

/* The back-end in use, chosen on the first I/O call. */
const io_backend *io_backend_get(void);
/* "io_uring" or "epoll" (tests check which one runs). */
const char *io_backend_name(void);

/* For a goroutine without a P (a blocking section) or a foreign thread:
 * the plain system call, bounded by the fd's deadline with poll(2). */
ssize_t io_run_blocking(io_fd *e, io_req *req);

/* Helpers for the back-ends. */
static inline int64_t io_min_deadline(int64_t a, int64_t b) {
    if (!a)
        return b;
    if (!b)
        return a;
    return a < b ? a : b;
}
/* What a wait that ended without a result means, given the fd's state:
 * -EBADF if closing, -ETIMEDOUT past the fd deadline, IO_POLL_TIMED_OUT past
 * a poll request's own timeout, or 1 to try again.  e->lock held. */
int io_expired(io_fd *e, const io_req *req, int64_t now);

#endif
