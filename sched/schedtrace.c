/* SPDX-License-Identifier: MIT */
/* GODEBUG=schedtrace=N and scheddetail=1: the scheduler's state in the exact
 * format of Go's schedtrace (proc.go), printed by sysmon every N ms and at
 * the start of a fatal report.  Fields Go has and goc does not (mallocing,
 * preemptoff, locks, sysmonwait) keep their place with their idle values,
 * so tools that parse Go's lines parse these. */
#include "sched/diag.h"

enum { LOCK_WAIT_NS = 10 * 1000 * 1000 };

/* Go measures from the first trace line, which therefore says 0ms. */
static _Atomic int64_t trace_start;

/* Go's numbering of goroutine states (runtime2.go), which the G lines show. */
static unsigned go_g_status(uint32_t st) {
    switch (st) {
    case G_IDLE:     return 0;
    case G_RUNNABLE: return 1;
    case G_RUNNING:  return 2;
    case G_BLOCKING: return 3;   /* _Gsyscall */
    case G_WAITING:  return 4;
    case G_DEAD:     return 6;
    default:         return st;
    }
}

static const char *bool_str(bool b) { return b ? "true" : "false"; }

static void print_ps(bool detail) {
    int32_t n = sched.nprocs;
    for (int32_t i = 0; i < n; i++) {
        goc_p *p = sched.allp[i];
        uint32_t h = aload(&p->runq_head, memory_order_acquire);
        uint32_t t = aload(&p->runq_tail, memory_order_acquire);
        if (detail) {
            goc_m *m = aload(&p->m, memory_order_acquire);
            diag_printf("  P%d: status=%u schedtick=%u syscalltick=%u m=%lld runqsize=%u "
                        "gfreecnt=%d timerslen=%d\n",
                        i, aload(&p->status, memory_order_relaxed),
                        p->schedtick, p->syscalltick, (long long)(m ? m->id : -1), t - h,
                        p->ngfree, p->ntimers);
        } else {
            diag_printf(" %s%u%s", i == 0 ? "[" : "", t - h, i == n - 1 ? "]\n" : "");
        }
    }
    if (!detail && n == 0)
        diag_printf(" []\n");
}

static void print_ms(void) {
    for (goc_m *m = aload(&sched.allm, memory_order_acquire); m; m = m->alllink) {
        goc_p *p = aload(&m->p, memory_order_relaxed);
        goc_g *g = aload(&m->curg, memory_order_acquire);
        goc_g *locked = aload(&m->lockedg, memory_order_relaxed);
        bool dying = m->fatal_in_progress != NULL;
        diag_printf("  M%lld: p=%d curg=%lld mallocing=0 throwing=%d preemptoff= locks=0 "
                    "dying=%d spinning=%s blocked=%s lockedg=%lld\n",
                    (long long)m->id, p ? p->id : -1, (long long)(g ? g->id : -1), dying,
                    dying, bool_str(m->spinning), bool_str(m->blocked),
                    (long long)(locked ? locked->id : -1));
    }
}

static void print_gs(void) {
    for (goc_g *g = aload(&sched.allg, memory_order_acquire); g; g = g->allnext) {
        if (g->is_thread)
            continue;
        uint32_t st = aload(&g->status, memory_order_relaxed);
        goc_m *m = aload(&g->m, memory_order_relaxed);
        goc_m *lockedm = aload(&g->lockedm, memory_order_relaxed);
        const char *reason = st == G_WAITING && g->waitreason ? g->waitreason : "";
        diag_printf("  G%lld: status=%u(%s) m=%lld lockedm=%lld\n", (long long)g->id,
                    go_g_status(st), reason, (long long)(m ? m->id : -1),
                    (long long)(lockedm ? lockedm->id : -1));
    }
}

static void print_trace(bool detail) {
    int64_t now = nanotime();
    int64_t start = 0;
    if (!acas(&trace_start, &start, now, memory_order_seq_cst, memory_order_seq_cst))
        now -= start;
    else
        now = 0;
    diag_printf("SCHED %lldms: gomaxprocs=%d idleprocs=%d threads=%lld spinningthreads=%d "
                "idlethreads=%d runqueue=%d",
                (long long)(now / 1000000), sched.nprocs,
                aload(&sched.npidle, memory_order_relaxed),
                (long long)(sched.mnext - sched.nmfreed),
                aload(&sched.nmspinning, memory_order_relaxed), sched.nmidle,
                sched.runqsize);
    if (detail)
        diag_printf(" gcwaiting=%u nmidlelocked=%d stopwait=%d sysmonwait=0\n",
                    aload(&sched.gcwaiting, memory_order_relaxed),
                    sched.nmidlelocked, sched.stopwait);
    print_ps(detail);
    if (!detail)
        return;
    print_ms();
    print_gs();
}

void schedtrace_print(bool detail) {
    lock_acquire(&sched.lock);
    diag_ignore_races_begin();   /* per-P and per-M fields are sampled, as Go does */
    print_trace(detail);
    diag_ignore_races_end();
    lock_release(&sched.lock);
}

void schedtrace_print_nowait(bool detail) {
    /* The lock holder may be frozen, or be this very thread, failing. */
    int64_t deadline = nanotime() + LOCK_WAIT_NS;
    bool locked;
    while (!(locked = lock_try(&sched.lock)) && nanotime() < deadline)
        cpu_relax();
    print_trace(detail);
    if (locked)
        lock_release(&sched.lock);
}
