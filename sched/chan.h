/* Channel internals shared by chan.c, select.c and time.c. */
#ifndef GOC_SCHED_CHAN_H
#define GOC_SCHED_CHAN_H

#include "sched/internal.h"

typedef struct waitq {
    goc_sudog *first, *last;
} waitq;

struct goc_chan {
    goc_lock   lock;
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
void       chan_buf_put(goc_chan *c, const void *elem);
void       chan_buf_take(goc_chan *c, void *elem);
void       chan_panic_closed_send(void) __attribute__((noreturn));

#endif
