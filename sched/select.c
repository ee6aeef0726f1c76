/* SPDX-License-Identifier: MIT */
/* select (Go's selectgo): poll the cases in a random order, so each ready
 * case is equally likely; if none is ready, enqueue on every channel and
 * park; the first channel to fire wins the race on g->selectdone. Channels
 * are locked in address order so two selects can never deadlock. */
#include <stdlib.h>

#include "sched/chan.h"

enum { SELECT_STACK_CASES = 64 };

typedef struct select_locks {
    goc_case *cases;
    uint32_t *lockorder;
    size_t    n;
} select_locks;

static void sel_lock(const select_locks *l) {
    goc_chan *prev = NULL;
    for (size_t i = 0; i < l->n; i++) {
        goc_chan *c = l->cases[l->lockorder[i]].chan;
        if (c != prev)
            chan_lock_acquire(&c->lock);
        prev = c;
    }
}

static void sel_unlock(const select_locks *l) {
    /* Backwards, skipping duplicates: the same channel may appear twice. */
    for (size_t i = l->n; i-- > 0;) {
        goc_chan *c = l->cases[l->lockorder[i]].chan;
        if (i > 0 && l->cases[l->lockorder[i - 1]].chan == c)
            continue;
        chan_lock_release(&c->lock);
    }
}

static bool sel_commit(goc_g *g, void *arg) {
    (void)g;
    sel_unlock(arg);
    return true;
}

/* Heap sort of case indices by channel address: O(n log n), no allocation. */
static void sift(goc_case *cases, uint32_t *a, size_t root, size_t n) {
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n &&
            (uintptr_t)cases[a[child + 1]].chan > (uintptr_t)cases[a[child]].chan)
            child++;
        if ((uintptr_t)cases[a[root]].chan >= (uintptr_t)cases[a[child]].chan)
            return;
        uint32_t t = a[root];
        a[root] = a[child];
        a[child] = t;
        root = child;
    }
}

static void sort_by_chan(goc_case *cases, uint32_t *a, size_t n) {
    for (size_t i = n / 2; i-- > 0;)
        sift(cases, a, i, n);
    for (size_t end = n; end-- > 1;) {
        uint32_t t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift(cases, a, 0, end);
    }
}

/* Try one case with every channel locked; on success the locks are released. */
static bool try_case(goc_case *k, const select_locks *l) {
    goc_chan *c = k->chan;
    goc_g *wake = NULL;
    if (k->op == GOC_RECV) {
        goc_sudog *s = waitq_dequeue(&c->sendq);
        if (s) {
            wake = chan_recv_direct(c, s, k->elem);
            k->ok = true;
        } else if (c->qcount > 0) {
            chan_buf_take(c, k->elem);
            k->ok = true;
        } else if (c->closed) {
            copy_elem(k->elem, NULL, c->elemsize);
            k->ok = false;
        } else {
            return false;
        }
    } else {
        if (c->closed) {
            sel_unlock(l);
            chan_panic_closed_send();
        }
        goc_sudog *s = waitq_dequeue(&c->recvq);
        if (s)
            wake = chan_send_direct(c, s, k->elem);
        else if (c->qcount < c->dataqsiz)
            chan_buf_put(c, k->elem);
        else
            return false;
    }
    sel_unlock(l);
    if (wake)
        sched_ready(wake);
    return true;
}

static int select_impl(goc_case *cases, size_t n, bool block) {
    sched_safepoint();
    uint32_t stack_buf[2 * SELECT_STACK_CASES];
    uint32_t *pollorder = stack_buf, *lockorder = stack_buf + SELECT_STACK_CASES;
    if (n > SELECT_STACK_CASES) {
        pollorder = malloc(2 * n * sizeof *pollorder);
        if (!pollorder)
            fatal("out of memory in select with %zu cases", n);
        lockorder = pollorder + n;
    }
    /* Random permutation of the cases with a channel (Fisher-Yates, inside-out). */
    size_t norder = 0;
    for (size_t i = 0; i < n; i++) {
        if (!cases[i].chan)
            continue;
        if (cases[i].op != GOC_SEND && cases[i].op != GOC_RECV)
            throw_panic("goc_select: case %zu has invalid op %d", i, cases[i].op);
        uint32_t j = fastrandn((uint32_t)norder + 1);
        pollorder[norder] = pollorder[j];
        pollorder[j] = (uint32_t)i;
        norder++;
    }
    for (size_t i = 0; i < norder; i++)
        lockorder[i] = pollorder[i];
    sort_by_chan(cases, lockorder, norder);
    select_locks locks = {cases, lockorder, norder};
    int chosen = -1;

    if (norder == 0) {
        if (block)   /* Go's wording: only a select without cases is "no cases" */
            sched_park(NULL, NULL, n == 0 ? waitreason_select_no_cases : waitreason_select);
        goto out;
    }
    sel_lock(&locks);
    for (size_t i = 0; i < norder; i++) {
        if (try_case(&cases[pollorder[i]], &locks)) {
            chosen = (int)pollorder[i];
            goto out;
        }
    }
    if (!block) {
        sel_unlock(&locks);
        goto out;
    }

    /* Nothing ready: wait on every channel. */
    goc_g *g = sched_getg();
    astore(&g->selectdone, 0, memory_order_relaxed);
    g->param = NULL;
    goc_sudog **link = &g->waiting;
    for (size_t i = 0; i < norder; i++) {
        goc_case *k = &cases[lockorder[i]];
        goc_sudog *s = sudog_acquire();
        s->g = g;
        s->is_select = true;
        s->elem = k->elem;
        s->chan = k->chan;
        s->ticket = lockorder[i];
        *link = s;
        link = &s->waitlink;
        waitq_enqueue(k->op == GOC_SEND ? &k->chan->sendq : &k->chan->recvq, s);
    }
    *link = NULL;
    sched_park(sel_commit, &locks, waitreason_select);

    sel_lock(&locks);
    goc_sudog *won = g->param;
    bool success = false;
    for (goc_sudog *s = g->waiting, *next; s; s = next) {
        next = s->waitlink;
        goc_case *k = &cases[s->ticket];
        if (s == won) {
            chosen = (int)s->ticket;
            success = s->success;
        } else {
            waitq_remove(k->op == GOC_SEND ? &k->chan->sendq : &k->chan->recvq, s);
        }
        sudog_release(s);
    }
    g->waiting = NULL;
    g->param = NULL;
    sel_unlock(&locks);
    if (chosen < 0)
        fatal("select woke up without a case");
    if (cases[chosen].op == GOC_SEND) {
        if (!success)
            chan_panic_closed_send();
    } else {
        cases[chosen].ok = success;
    }
out:
    if (pollorder != stack_buf)
        free(pollorder);
    return chosen;
}

int goc_select(goc_case *cases, size_t n) { return select_impl(cases, n, true); }
int goc_select_try(goc_case *cases, size_t n) { return select_impl(cases, n, false); }
