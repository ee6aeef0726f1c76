/* SPDX-License-Identifier: MIT */
/* Channels with Go's semantics (chan.go): a sender that finds a parked
 * receiver copies straight into the receiver's element and readies it;
 * buffered channels are FIFO rings; close wakes every waiter. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "base/membarrier.h"
#include "sched/chan.h"

#define MAX_ELEM_SIZE (1u << 16)

/* ---- the lock ------------------------------------------------------------------------ */

/* Spins past a holder on another CPU; after that the holder is probably
 * not running (preempted, or GOMAXPROCS above the CPUs), and yielding lets
 * it run. */
enum { CHAN_LOCK_SPIN = 200 };

void chan_lock_acquire_slow(chan_lock *l) {
    for (int i = 0;; i++) {
        if (i < CHAN_LOCK_SPIN)
            cpu_relax();
        else
            sched_yield();
        if (aload(&l->key, memory_order_relaxed) == 0 &&
            axchg(&l->key, 1, memory_order_acquire) == 0)
            return;
    }
}

chan_bias chan_bias_state;

/* A forked child that could not register goes without the bias: it has
 * one thread, in no channel lock. */
static void chan_bias_fork_child(void) {
    chan_bias_state.on = chan_bias_state.on && process_barrier_ready();
}

void chan_bias_init(void) {
    /* After the barrier's own fork handler, which re-registers the child. */
    if (process_barrier_init()) {
        pthread_atfork(NULL, NULL, chan_bias_fork_child);
        chan_bias_state.on = true;
    }
}

void chan_outsider_enter(void) {
    afetch_add(&chan_bias_state.outsiders, 1, memory_order_seq_cst);
    process_barrier();
    /* The owner's window is a few instructions, unless its thread was
     * preempted in it. */
    for (int i = 0; aload(&chan_bias_state.acquiring, memory_order_acquire); i++) {
        if (i < CHAN_LOCK_SPIN)
            cpu_relax();
        else
            sched_yield();
    }
}

bool chan_commit_unlock(goc_g *g, void *arg) {
    (void)g;
    chan_lock_release(arg);
    return true;
}

/* ---- wait queues -------------------------------------------------------------------- */

void waitq_enqueue(waitq *q, goc_sudog *s) {
    debug_assert(!s->next && !s->prev && (!q->first) == (!q->last) && q->first != s);
    s->next = NULL;
    s->prev = q->last;
    if (q->last)
        q->last->next = s;
    else
        astore(&q->first, s, memory_order_relaxed);
    q->last = s;
}

void waitq_remove(waitq *q, goc_sudog *s) {
    if (s->prev)
        s->prev->next = s->next;
    else if (q->first == s)
        astore(&q->first, s->next, memory_order_relaxed);
    else
        return;   /* not queued (already dequeued by a waker) */
    if (s->next)
        s->next->prev = s->prev;
    else
        q->last = s->prev;
    s->next = s->prev = NULL;
}

/* The first waiter still wanting this channel: a select waiter that another
 * case already won is skipped (it removes itself once it holds the locks). */
goc_sudog *waitq_dequeue(waitq *q) {
    for (;;) {
        goc_sudog *s = q->first;
        if (!s)
            return NULL;
        waitq_remove(q, s);
        if (s->is_select) {
            uint32_t zero = 0;
            if (!acas(&s->g->selectdone, &zero, 1, memory_order_acq_rel, memory_order_relaxed))
                continue;
        }
        return s;
    }
}

/* ---- creation ------------------------------------------------------------------------ */

static goc_chan *chan_alloc(size_t elemsize, size_t cap, size_t extra) {
    if (elemsize >= MAX_ELEM_SIZE)
        throw_panic("makechan: invalid channel element type (size %zu)", elemsize);
    size_t bufsize;
    if (__builtin_mul_overflow(elemsize, cap, &bufsize) || bufsize > ((size_t)1 << 40))
        throw_panic("makechan: size out of range");
    size_t head = (sizeof(goc_chan) + extra + 15) & ~(size_t)15;
    goc_chan *c = goc_alloc(head + bufsize);
    if (!c)
        throw_panic("makechan: size out of range");
    c->elemsize = elemsize;
    c->dataqsiz = cap;
    /* Without a buffer, the address past the header would point one past
     * the channel: at the next object of its span, which the collector
     * would then keep as long as the channel (and a leak report miss the
     * goroutines waiting on it). */
    c->buf = bufsize ? (char *)c + head : (char *)c;
    return c;
}

goc_chan *goc_chan_make(size_t elemsize, size_t cap) {
    sched_safepoint();
    return chan_alloc(elemsize, cap, 0);
}

goc_chan *chan_make_timer(size_t elemsize) {
    goc_chan *c = chan_alloc(elemsize, 1, sizeof(goc_timer));
    c->timer = (goc_timer *)(c + 1);
    return c;
}

size_t goc_chan_len(goc_chan *c) { return c ? aload(&c->qcount, memory_order_relaxed) : 0; }
size_t goc_chan_cap(goc_chan *c) { return c ? c->dataqsiz : 0; }
size_t goc_chan_elem_size(goc_chan *c) { return c ? c->elemsize : 0; }

/* ---- buffer and direct transfers ------------------------------------------------------- */

goc_g *chan_send_direct(goc_chan *c, goc_sudog *s, const void *elem) {
    copy_elem(s->elem, elem, c->elemsize);
    s->success = true;
    s->g->param = s;
    return s->g;
}

/* A sender is parked: on an unbuffered channel take its value directly; on a
 * full buffer take the head and move the sender's value to the tail. */
goc_g *chan_recv_direct(goc_chan *c, goc_sudog *s, void *elem) {
    if (c->dataqsiz == 0) {
        copy_elem(elem, s->elem, c->elemsize);
    } else {
        char *head = chan_slot(c, c->recvx);
        copy_elem(elem, head, c->elemsize);
        copy_elem(head, s->elem, c->elemsize);
        if (++c->recvx == c->dataqsiz)
            c->recvx = 0;
        c->sendx = c->recvx;
    }
    s->success = true;
    s->g->param = s;
    return s->g;
}

void chan_panic_closed_send(void) { throw_panic("send on closed channel"); }

/* ---- send ---------------------------------------------------------------------------------- */

static bool chan_do_send(goc_chan *c, const void *elem, bool block) {
    if (!c) {
        if (!block)
            return false;
        sched_park(NULL, NULL, waitreason_chan_send_nil);
        __builtin_unreachable();
    }
    if (!elem && c->elemsize)
        throw_panic("chan send: NULL element pointer for a %zu-byte element", c->elemsize);
    /* Not closed and no room: a non-blocking send fails without the lock. */
    if (!block && !aload(&c->closed, memory_order_relaxed) &&
        (c->dataqsiz == 0 ? aload(&c->recvq.first, memory_order_relaxed) == NULL
                          : aload(&c->qcount, memory_order_relaxed) == c->dataqsiz))
        return false;
    chan_lock_acquire(&c->lock);
    /* The buffered steady state first: room, nobody waiting, open (the
     * checks below would come to the same). */
    if (likely(c->qcount < c->dataqsiz && !c->recvq.first && !c->closed)) {
        chan_buf_put(c, elem);
        chan_lock_release(&c->lock);
        return true;
    }
    if (c->closed) {
        chan_lock_release(&c->lock);
        chan_panic_closed_send();
    }
    goc_sudog *r = waitq_dequeue(&c->recvq);
    if (r) {
        goc_g *receiver = chan_send_direct(c, r, elem);
        chan_lock_release(&c->lock);
        sched_ready(receiver);
        return true;
    }
    if (c->qcount < c->dataqsiz) {
        chan_buf_put(c, elem);
        chan_lock_release(&c->lock);
        return true;
    }
    if (!block) {
        chan_lock_release(&c->lock);
        return false;
    }
    goc_g *g = sched_getg();
    goc_sudog *s = sudog_of(g);
    s->g = g;
    s->elem = (void *)elem;
    s->chan = c;
    g->waiting = s;
    g->param = NULL;
    waitq_enqueue(&c->sendq, s);
    sched_park(chan_commit_unlock, &c->lock, waitreason_chan_send);
    g->waiting = NULL;
    if (!s->success)
        chan_panic_closed_send();
    return true;
}

void goc_chan_send(goc_chan *c, const void *elem) {
    sched_safepoint();
    chan_do_send(c, elem, true);
}

bool goc_chan_try_send(goc_chan *c, const void *elem) {
    sched_safepoint();
    return chan_do_send(c, elem, false);
}

bool chan_send_nonblocking(goc_chan *c, const void *elem) { return chan_do_send(c, elem, false); }

/* ---- receive --------------------------------------------------------------------------------- */

/* Returns GOC_RECV_OK, GOC_RECV_CLOSED, or GOC_RECV_EMPTY (only when !block). */
static int chan_do_recv(goc_chan *c, void *elem, bool block) {
    if (!c) {
        if (!block)
            return GOC_RECV_EMPTY;
        sched_park(NULL, NULL, waitreason_chan_receive_nil);
        __builtin_unreachable();
    }
    if (!block && (c->dataqsiz == 0 ? aload(&c->sendq.first, memory_order_relaxed) == NULL
                                    : aload(&c->qcount, memory_order_relaxed) == 0)) {
        if (!aload(&c->closed, memory_order_acquire))
            return GOC_RECV_EMPTY;
        /* Closed: re-check emptiness, a value may have come before close. */
        if (aload(&c->qcount, memory_order_acquire) == 0) {
            copy_elem(elem, NULL, c->elemsize);
            return GOC_RECV_CLOSED;
        }
    }
    chan_lock_acquire(&c->lock);
    /* The buffered steady state first: values and no parked sender (with
     * one, the buffer is full and the sender's value must follow). */
    if (likely(c->qcount > 0 && !c->sendq.first)) {
        chan_buf_take(c, elem);
        chan_lock_release(&c->lock);
        return GOC_RECV_OK;
    }
    if (c->closed && c->qcount == 0) {
        chan_lock_release(&c->lock);
        copy_elem(elem, NULL, c->elemsize);
        return GOC_RECV_CLOSED;
    }
    goc_sudog *s = waitq_dequeue(&c->sendq);
    if (s) {
        goc_g *sender = chan_recv_direct(c, s, elem);
        chan_lock_release(&c->lock);
        sched_ready(sender);
        return GOC_RECV_OK;
    }
    if (c->qcount > 0) {
        chan_buf_take(c, elem);
        chan_lock_release(&c->lock);
        return GOC_RECV_OK;
    }
    if (!block) {
        chan_lock_release(&c->lock);
        return GOC_RECV_EMPTY;
    }
    goc_g *g = sched_getg();
    s = sudog_of(g);
    s->g = g;
    s->elem = elem;
    s->chan = c;
    g->waiting = s;
    g->param = NULL;
    waitq_enqueue(&c->recvq, s);
    sched_park(chan_commit_unlock, &c->lock, waitreason_chan_receive);
    g->waiting = NULL;
    return s->success ? GOC_RECV_OK : GOC_RECV_CLOSED;
}

bool goc_chan_recv(goc_chan *c, void *elem) {
    sched_safepoint();
    return chan_do_recv(c, elem, true) == GOC_RECV_OK;
}

int goc_chan_try_recv(goc_chan *c, void *elem) {
    sched_safepoint();
    return chan_do_recv(c, elem, false);
}

/* ---- typed helpers ------------------------------------------------------------------------------ */

static void check_size(goc_chan *c, size_t size) {
    if (c && c->elemsize != size)
        throw_panic("channel element size mismatch: channel holds %zu-byte elements, value is %zu bytes",
                    c->elemsize, size);
}

void goc_chan_send_sized(goc_chan *c, const void *elem, size_t size) {
    check_size(c, size);
    goc_chan_send(c, elem);
}

bool goc_chan_recv_sized(goc_chan *c, void *elem, size_t size) {
    check_size(c, size);
    return goc_chan_recv(c, elem);
}

/* ---- close ---------------------------------------------------------------------------------------- */

void goc_chan_close(goc_chan *c) {
    sched_safepoint();
    if (!c)
        throw_panic("close of nil channel");
    chan_lock_acquire(&c->lock);
    if (c->closed) {
        chan_lock_release(&c->lock);
        throw_panic("close of closed channel");
    }
    astore(&c->closed, 1, memory_order_release);
    goc_g *wake = NULL;
    goc_sudog *s;
    while ((s = waitq_dequeue(&c->recvq))) {
        copy_elem(s->elem, NULL, c->elemsize);
        s->success = false;
        s->g->param = s;
        s->g->schedlink = wake;
        wake = s->g;
    }
    while ((s = waitq_dequeue(&c->sendq))) {
        s->success = false;
        s->g->param = s;
        s->g->schedlink = wake;
        wake = s->g;
    }
    chan_lock_release(&c->lock);
    while (wake) {
        goc_g *next = wake->schedlink;
        sched_ready(wake);
        wake = next;
    }
}

/* ---- moving a parked waiter's stack ------------------------------------------ */

static int by_address(const void *a, const void *b) {
    uintptr_t x = (uintptr_t) * (goc_chan *const *)a, y = (uintptr_t) * (goc_chan *const *)b;
    return (x > y) - (x < y);
}

int chan_lock_waits(goc_g *g, goc_chan **locked, int max) {
    int n = 0;
    for (goc_sudog *s = g->waiting; s; s = s->waitlink) {
        if (!s->elem)
            continue;   /* nothing to transfer through its stack */
        if (n == max)
            return -1;
        locked[n++] = s->chan;
    }
    /* Select's order: by address, each channel once. */
    qsort(locked, (size_t)n, sizeof *locked, by_address);
    int unique = 0;
    for (int i = 0; i < n; i++)
        if (i == 0 || locked[i] != locked[i - 1])
            locked[unique++] = locked[i];
    for (int i = 0; i < unique; i++)
        chan_lock_acquire(&locked[i]->lock);
    return unique;
}

void chan_unlock_waits(goc_chan **locked, int n) {
    for (int i = n - 1; i >= 0; i--)
        chan_lock_release(&locked[i]->lock);
}
