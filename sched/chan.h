/* SPDX-License-Identifier: MIT */
/* Channel internals shared by chan.c, select.c and time.c. */
#ifndef GOC_SCHED_CHAN_H
#define GOC_SCHED_CHAN_H

#include <string.h>

#include "sched/internal.h"

/* A channel's waiters, FIFO, linked through goc_sudog.next/prev.
 * Invariants (under the channel's lock): first and last are both NULL or
 * both set; every element has s->chan == the channel; a sudog is in at most
 * one queue at a time, and out of any queue its next and prev are NULL
 * (waitq_remove clears them). */
typedef struct waitq {
    goc_sudog *first, *last;
} waitq;

/* A channel's lock.  Held for tens of nanoseconds and never across a
 * switch, so it is a spinlock whose release is a plain store: a futex
 * lock's release must exchange the word to learn whether anyone sleeps,
 * a locked instruction that costs as much as the acquire (7 ns on the VM
 * of bench/README.md), and every channel operation takes and releases a
 * channel lock.  A waiter spins, then yields its thread; it never sleeps,
 * so nobody has to be woken.  Holding it, or waiting for it, is a critical
 * section (base/critical.h), as for any runtime lock. */
typedef struct chan_lock {
    _Atomic uint32_t key;   /* 0 free, 1 held */
} chan_lock;

/* With GOMAXPROCS=1 one thread, the P's, makes nearly every channel
 * operation, and the exchange that takes a lock is most of each one's
 * cost (two thirds of a buffered send).  That thread (the owner) takes a
 * free lock with plain stores; every other thread (an outsider: a foreign
 * thread, a goroutine in a blocking section) announces itself first, and
 * the owner exchanges like everybody while one is announced.  It is
 * Dekker's handshake, whose store-load fence the owner leaves to the
 * outsider's membarrier(2): the owner stores acquiring, then reads
 * outsiders; an outsider adds itself to outsiders, makes every running
 * thread of the process execute a full fence, then waits for acquiring
 * to be clear.  Either the owner sees the outsider and exchanges, or its
 * store of acquiring, then of the key, is visible before the outsider
 * exchanges the key.  An outsider leaves outsiders after releasing its
 * lock.  Off under TSan (it cannot see the membarrier's fence), and when
 * the kernel offers no private expedited membarrier. */
typedef struct chan_bias {
    bool                           on;          /* set once, before any goroutine runs */
    CACHE_ALIGNED _Atomic uint32_t acquiring;   /* the owner is taking a lock */
    _Atomic uint32_t               outsiders;   /* outsiders taking or holding locks */
} chan_bias;
extern chan_bias chan_bias_state;
void chan_bias_init(void);
void chan_outsider_enter(void);

enum { CHAN_BIAS_OFF, CHAN_BIAS_OWNER, CHAN_BIAS_OUTSIDER };
/* The same at a lock's release as at its acquisition: GOMAXPROCS changes
 * only with the world stopped, never inside a critical section, and a
 * thread gains or loses its P only outside channel locks. */
static inline int chan_bias_role(void) {
    if (!chan_bias_state.on || aload(&sched.nprocs, memory_order_relaxed) != 1)
        return CHAN_BIAS_OFF;
    goc_m *m = sched_m();
    return m && m->p ? CHAN_BIAS_OWNER : CHAN_BIAS_OUTSIDER;
}

void chan_lock_acquire_slow(chan_lock *l);
static inline void chan_lock_acquire(chan_lock *l) {
    critical_begin();
    int role = chan_bias_role();
    if (role == CHAN_BIAS_OWNER) {
        astore(&chan_bias_state.acquiring, 1, memory_order_relaxed);
        atomic_signal_fence(memory_order_seq_cst);   /* the outsiders' membarrier orders it */
        /* Acquire: pairs with an outsider's leaving after its release. */
        bool alone = aload(&chan_bias_state.outsiders, memory_order_acquire) == 0;
        if (likely(alone))
            astore(&l->key, 1, memory_order_relaxed);   /* free: only outsiders and we take locks */
        astore(&chan_bias_state.acquiring, 0, memory_order_release);
        if (likely(alone))
            return;
    } else if (role == CHAN_BIAS_OUTSIDER) {
        chan_outsider_enter();
    }
    if (unlikely(axchg(&l->key, 1, memory_order_acquire) != 0))
        chan_lock_acquire_slow(l);
}
static inline void chan_lock_release(chan_lock *l) {
    astore(&l->key, 0, memory_order_release);
    if (unlikely(chan_bias_role() == CHAN_BIAS_OUTSIDER))
        afetch_sub(&chan_bias_state.outsiders, 1, memory_order_release);
    critical_end();
}
static inline bool chan_lock_held(chan_lock *l) { return aload(&l->key, memory_order_relaxed) != 0; }
/* A park commit that releases the channel lock arg. */
bool chan_commit_unlock(goc_g *g, void *arg);

/* Lock order: a channel's lock comes before sched.lock, a P's timers_lock
 * and the leaf locks (sched.sudog_lock, sched.gfree_lock, sched.allg_lock):
 * readying a waiter under it may start an M.  Several channel locks (a
 * select, chan_lock_waits) are taken in address order, so two selects
 * never deadlock.  Never held across a switch: a parking goroutine's
 * commit releases it once the goroutine's context is saved.
 *
 * Invariants, all under lock:
 *   - qcount <= dataqsiz; sendx, recvx < dataqsiz when buffered; the slots
 *     from recvx, qcount of them (wrapping), hold values, the others zero;
 *   - recvq non-empty => qcount == 0 (a receiver waits only on an empty
 *     buffer); sendq non-empty => qcount == dataqsiz;
 *   - closed => sendq is empty (close wakes every sender, which panics);
 *   - qcount and recvq.first are also read racily, without the lock, by the
 *     non-blocking fast paths, which re-check under it. */
struct goc_chan {
    chan_lock  lock;
    uint32_t   closed;
    size_t     qcount;     /* values in the buffer; read racily by fast paths */
    size_t     dataqsiz;   /* capacity */
    size_t     elemsize;
    size_t     sendx, recvx;
    waitq      recvq, sendq;
    goc_timer *timer;      /* goc_after / goc_tick channels */
    char      *buf;
};

goc_chan  *chan_make_timer(size_t elemsize);    /* capacity 1, with a timer */
static inline goc_timer *chan_timer(goc_chan *c) { return c->timer; }
bool       chan_send_nonblocking(goc_chan *c, const void *elem);

/* Used by select with c->lock held. */
goc_sudog *waitq_dequeue(waitq *q);
void       waitq_enqueue(waitq *q, goc_sudog *s);
void       waitq_remove(waitq *q, goc_sudog *s);
/* Transfer with a parked waiter; return it, to be readied after unlocking. */
goc_g     *chan_send_direct(goc_chan *c, goc_sudog *s, const void *elem);
goc_g     *chan_recv_direct(goc_chan *c, goc_sudog *s, void *elem);

/* Element copies: fixed sizes become plain moves (most elements are a word
 * or two); src NULL means zero. */
static inline void copy_elem(void *dst, const void *src, size_t n) {
    if (!dst)
        return;
    switch (n) {
    case 0:
        return;
    case 4:
        if (src) __builtin_memcpy(dst, src, 4); else __builtin_memset(dst, 0, 4);
        return;
    case 8:
        if (src) __builtin_memcpy(dst, src, 8); else __builtin_memset(dst, 0, 8);
        return;
    case 16:
        if (src) __builtin_memcpy(dst, src, 16); else __builtin_memset(dst, 0, 16);
        return;
    default:
        if (src) memcpy(dst, src, n); else memset(dst, 0, n);
    }
}

static inline char *chan_slot(goc_chan *c, size_t i) { return c->buf + i * c->elemsize; }

static inline void chan_buf_put(goc_chan *c, const void *elem) {
    debug_assert(chan_lock_held(&c->lock) && c->qcount < c->dataqsiz && !c->recvq.first);
    copy_elem(chan_slot(c, c->sendx), elem, c->elemsize);
    if (++c->sendx == c->dataqsiz)
        c->sendx = 0;
    astore(&c->qcount, c->qcount + 1, memory_order_relaxed);
}

static inline void chan_buf_take(goc_chan *c, void *elem) {
    debug_assert(chan_lock_held(&c->lock) && c->qcount > 0 && !c->sendq.first);
    char *s = chan_slot(c, c->recvx);
    copy_elem(elem, s, c->elemsize);
    copy_elem(s, NULL, c->elemsize);   /* the collector must not see a stale pointer */
    if (++c->recvx == c->dataqsiz)
        c->recvx = 0;
    astore(&c->qcount, c->qcount - 1, memory_order_relaxed);
}
void       chan_panic_closed_send(void) __attribute__((noreturn));

#endif
