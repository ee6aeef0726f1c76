/* SPDX-License-Identifier: MIT */
/* Semaphores keyed by address, as Go's runtime/sema.go.
 *
 * Waiters live in a table of roots chosen by hashing the address.  Each root
 * holds a treap of sudogs keyed by address (so lookup stays logarithmic however
 * many distinct addresses collide in one root) with random priorities; the
 * tree node for an address heads a FIFO list of further waiters on it, linked
 * through waitlink, with the last one in the head's waittail.
 *
 * Tree fields of a sudog: prev = left child, next = right child, parent,
 * chan = the address, ticket = heap priority.  success tells a woken waiter
 * that the releaser handed it the count directly. */
#include "sched/sema.h"
#include "sched/sched.h"

#define SEMA_ROOTS 251

typedef struct sema_root {
    goc_lock         lock;
    goc_sudog       *treap;
    /* Waiters in this root, including ones about to enqueue: a release that
     * sees 0 here need not take the lock. */
    _Atomic uint32_t nwait;
} __attribute__((aligned(64))) sema_root;

static sema_root sema_table[SEMA_ROOTS];

static sema_root *root_for(const uint32_t *addr)
{
    return &sema_table[((uintptr_t)addr >> 3) % SEMA_ROOTS];
}

static bool try_take(uint32_t *addr)
{
    uint32_t v = aload(addr, memory_order_seq_cst);
    while (v != 0) {
        if (acas_weak(addr, &v, v - 1, memory_order_seq_cst, memory_order_seq_cst))
            return true;
    }
    return false;
}

/* ---- treap ------------------------------------------------------------- */

static void replace_child(sema_root *r, goc_sudog *parent, goc_sudog *old,
                          goc_sudog *new)
{
    if (!parent)
        r->treap = new;
    else if (parent->prev == old)
        parent->prev = new;
    else
        parent->next = new;
}

/* x's right child takes x's place; x becomes its left child. */
static void rotate_left(sema_root *r, goc_sudog *x)
{
    goc_sudog *p = x->parent, *y = x->next, *b = y->prev;

    y->prev = x;
    x->parent = y;
    x->next = b;
    if (b)
        b->parent = x;
    y->parent = p;
    replace_child(r, p, x, y);
}

/* y's left child takes y's place; y becomes its right child. */
static void rotate_right(sema_root *r, goc_sudog *y)
{
    goc_sudog *p = y->parent, *x = y->prev, *b = x->next;

    x->next = y;
    y->parent = x;
    y->prev = b;
    if (b)
        b->parent = y;
    x->parent = p;
    replace_child(r, p, y, x);
}

/* Put new into old's tree position (same key), taking over its links. */
static void take_tree_slot(sema_root *r, goc_sudog *old, goc_sudog *new)
{
    new->ticket = old->ticket;
    new->parent = old->parent;
    new->prev = old->prev;
    new->next = old->next;
    if (new->prev)
        new->prev->parent = new;
    if (new->next)
        new->next->parent = new;
    replace_child(r, old->parent, old, new);
    old->parent = old->prev = old->next = NULL;
}

static void root_queue(sema_root *r, uint32_t *addr, goc_sudog *s, bool lifo)
{
    goc_sudog **link = &r->treap, *parent = NULL;

    s->chan = addr;
    s->prev = s->next = s->parent = NULL;
    s->waitlink = s->waittail = NULL;
    for (goc_sudog *t = *link; t; t = *link) {
        if (t->chan == addr) {
            if (lifo) {
                /* s becomes the head; the old head is first in its list. */
                take_tree_slot(r, t, s);
                s->waitlink = t;
                s->waittail = t->waittail ? t->waittail : t;
                t->waittail = NULL;
            } else {
                if (t->waittail)
                    t->waittail->waitlink = s;
                else
                    t->waitlink = s;
                t->waittail = s;
            }
            return;
        }
        parent = t;
        link = (uintptr_t)addr < (uintptr_t)t->chan ? &t->prev : &t->next;
    }

    /* A new address: insert as a leaf, then rotate up to restore the
     * min-heap order on ticket.  The low bit keeps tickets non-zero. */
    s->ticket = fastrand() | 1;
    s->parent = parent;
    *link = s;
    while (s->parent && s->parent->ticket > s->ticket) {
        if (s->parent->prev == s)
            rotate_right(r, s->parent);
        else
            rotate_left(r, s->parent);
    }
}

/* Remove and return the oldest waiter on addr (the list head), or NULL. */
static goc_sudog *root_dequeue(sema_root *r, uint32_t *addr)
{
    goc_sudog *s = r->treap;

    while (s && s->chan != addr)
        s = (uintptr_t)addr < (uintptr_t)s->chan ? s->prev : s->next;
    if (!s)
        return NULL;

    goc_sudog *t = s->waitlink;
    if (t) {
        /* The next waiter on addr inherits the tree node. */
        take_tree_slot(r, s, t);
        t->waittail = s->waittail == t ? NULL : s->waittail;
    } else {
        /* Rotate s down to a leaf, keeping heap order, then cut it off. */
        while (s->prev || s->next) {
            if (!s->next || (s->prev && s->prev->ticket < s->next->ticket))
                rotate_right(r, s);
            else
                rotate_left(r, s);
        }
        replace_child(r, s->parent, s, NULL);
    }
    s->parent = s->prev = s->next = NULL;
    s->waitlink = s->waittail = NULL;
    s->chan = NULL;
    return s;
}

/* ---- acquire / release ------------------------------------------------- */

void sema_acquire(uint32_t *addr, bool lifo, const char *reason)
{
    if (try_take(addr))
        return;

    goc_sudog *s = sudog_acquire();
    sema_root *r = root_for(addr);

    s->g = sched_getg();
    s->g->waitobj = addr;
    s->elem = NULL;
    s->success = false;
    for (;;) {
        lock_acquire(&r->lock);
        /* Announce the wait before the last try, so that a release after
         * that try sees nwait > 0 and comes to the queue for us. */
        afetch_add(&r->nwait, 1, memory_order_seq_cst);
        if (try_take(addr)) {
            afetch_sub(&r->nwait, 1, memory_order_seq_cst);
            lock_release(&r->lock);
            break;
        }
        root_queue(r, addr, s, lifo);
        sched_park(sched_commit_unlock, &r->lock, reason);
        if (s->success || try_take(addr))
            break;
    }
    sudog_release(s);
}

void sema_release(uint32_t *addr, bool handoff)
{
    sema_root *r = root_for(addr);

    afetch_add(addr, 1, memory_order_seq_cst);
    if (aload(&r->nwait, memory_order_seq_cst) == 0)
        return;

    lock_acquire(&r->lock);
    if (aload(&r->nwait, memory_order_seq_cst) == 0) {
        /* A waiter took the count on its own before queueing. */
        lock_release(&r->lock);
        return;
    }
    goc_sudog *s = root_dequeue(r, addr);
    if (s)
        afetch_sub(&r->nwait, 1, memory_order_seq_cst);
    lock_release(&r->lock);
    if (!s)
        return;

    /* Decide before sched_ready: once readied, the waiter may free s. */
    bool handed = handoff && try_take(addr);
    s->success = handed;
    sched_ready(s->g);
    /* The waiter inherits the rest of our time slice, so a contended mutex
     * in starvation mode passes from owner to owner without a newcomer
     * barging in between.  Only a goroutine holding a P (not a foreign
     * thread, not one inside a blocking section) has a slice to give. */
    if (handed && sched_p())
        goc_yield();
}

/* ---- notify lists (goc_cond) -------------------------------------------
 * c->wait: next ticket to hand out (atomic); c->notify: next ticket to wake,
 * written under c->lock; head/tail: parked waiters, linked through next. */

static bool ticket_before(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

static goc_lock *cond_lock(goc_cond *c)
{
    return (goc_lock *)&c->lock;
}

uint32_t notify_list_add(goc_cond *c)
{
    return afetch_add(&c->wait, 1, memory_order_seq_cst);
}

void notify_list_wait(goc_cond *c, uint32_t ticket)
{
    lock_acquire(cond_lock(c));
    if (ticket_before(ticket, c->notify)) {
        /* Already notified while we were unlocking the mutex. */
        lock_release(cond_lock(c));
        return;
    }
    goc_sudog *s = sudog_acquire();
    s->g = sched_getg();
    s->g->waitobj = c;
    s->elem = NULL;
    s->ticket = ticket;
    s->next = NULL;
    goc_sudog *tail = c->tail;
    if (tail)
        tail->next = s;
    else
        c->head = s;
    c->tail = s;
    sched_park(sched_commit_unlock, cond_lock(c), waitreason_cond);
    sudog_release(s);
}

void notify_list_notify_one(goc_cond *c)
{
    if (aload(&c->wait, memory_order_seq_cst) ==
        aload(&c->notify, memory_order_seq_cst))
        return;

    lock_acquire(cond_lock(c));
    uint32_t t = c->notify;
    if (t == aload(&c->wait, memory_order_seq_cst)) {
        lock_release(cond_lock(c));
        return;
    }
    astore(&c->notify, t + 1, memory_order_seq_cst);

    /* Tickets are taken before queueing, so the list is not strictly in
     * ticket order; the holder of t may also not have queued yet, in which
     * case it will see notify past its ticket and not sleep. */
    goc_sudog *prev = NULL;
    for (goc_sudog *s = c->head; s; prev = s, s = s->next) {
        if (s->ticket != t)
            continue;
        goc_sudog *next = s->next;
        if (prev)
            prev->next = next;
        else
            c->head = next;
        if (c->tail == s)
            c->tail = prev;
        s->next = NULL;
        lock_release(cond_lock(c));
        sched_ready(s->g);
        return;
    }
    lock_release(cond_lock(c));
}

void notify_list_notify_all(goc_cond *c)
{
    if (aload(&c->wait, memory_order_seq_cst) ==
        aload(&c->notify, memory_order_seq_cst))
        return;

    lock_acquire(cond_lock(c));
    goc_sudog *s = c->head;
    c->head = c->tail = NULL;
    astore(&c->notify, aload(&c->wait, memory_order_seq_cst), memory_order_seq_cst);
    lock_release(cond_lock(c));

    while (s) {
        goc_sudog *next = s->next;
        s->next = NULL;
        sched_ready(s->g);
        s = next;
    }
}
