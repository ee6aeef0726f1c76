/* SPDX-License-Identifier: MIT */
/* Go-style goroutine tracebacks.
 *
 * The running goroutine is unwound with libgcc's _Unwind_Backtrace from
 * where we are (or from a signal's interrupted context).  A parked goroutine
 * is unwound on its own stack: ctx_run_on_suspended calls the collector just
 * below its saved switch frame, with CFI that makes the parked frames the
 * collector's callers.  Every goroutine stack ends at goc_ctx_trampoline,
 * whose return address is undefined, so the unwinder stops there.
 *
 * Below GOTRACEBACK=system the runtime's own frames are hidden, as Go hides
 * runtime.*: a trace starts at the outermost call into the public API (a
 * global goc_* function) and ends at the goroutine's entry function.
 * Nothing here allocates or takes a runtime lock, so dumps work while other
 * threads are frozen in any state (dladdr, for shared-library frames only,
 * takes the dynamic loader's). */
#include <string.h>
#include <unistd.h>
#include <unwind.h>

#include "sched/diag.h"
#include "sched/env.h"

enum {
    MAX_SHOWN = 100,      /* Go's _TracebackMaxFrames */
    MAX_COLLECTED = 128,  /* room for hidden runtime frames above the user's */
};

#if defined(__x86_64__)
enum { SWITCH_RA_OFFSET = 56, SWITCH_FRAME = 64 };
#elif defined(__aarch64__)
enum { SWITCH_RA_OFFSET = 152, SWITCH_FRAME = 160 };
#else
#error "unsupported architecture"
#endif

/* stack/: the first code of every goroutine, and the return address of the
 * call ctx_run_on_suspended makes (the boundary between our frames and the
 * parked goroutine's). */
void goc_ctx_trampoline(void);
void goc_ctx_start(void (*entry)(void *), void *arg);
extern const char ctx_suspended_call_ret[];

enum walk_start {
    START_HERE,        /* the frames of the code calling the walk */
    START_AT_PC,       /* the frame interrupted at start_pc by a signal */
    START_AT_RETURN,   /* the frame that start_pc, a return address, returns to */
    START_SUSPENDED,   /* the frames behind ctx_suspended_call_ret */
};

struct frame {
    uintptr_t pc;
    uintptr_t cfa;
    bool      exact;   /* pc is the faulting instruction, not a return address */
};

struct walk {
    enum walk_start start;
    uintptr_t       start_pc;
    bool            started;
    uintptr_t       lo, hi;   /* stack bounds the frames must stay in; 0: any */
    int             n;
    bool            more;     /* frames left uncollected */
    struct frame    frames[MAX_COLLECTED];
};

static _Unwind_Reason_Code collect_frame(struct _Unwind_Context *uc, void *arg) {
    struct walk *w = arg;
    int before = 0;
    uintptr_t pc = _Unwind_GetIPInfo(uc, &before);
    if (!w->started) {
        if (w->start == START_SUSPENDED) {
            w->started = pc == (uintptr_t)ctx_suspended_call_ret;
            return _URC_NO_REASON;
        }
        if (w->start == START_AT_PC && !(pc == w->start_pc && before))
            return _URC_NO_REASON;
        if (w->start == START_AT_RETURN && pc != w->start_pc)
            return _URC_NO_REASON;
        w->started = true;
    } else if (pc == 0) {
        return _URC_END_OF_STACK;
    }
    uintptr_t cfa = _Unwind_GetCFA(uc);
    if (w->hi && (cfa > w->hi || cfa < w->lo))
        return _URC_END_OF_STACK;
    if (w->n == MAX_COLLECTED) {
        w->more = true;
        return _URC_NORMAL_STOP;
    }
    w->frames[w->n++] = (struct frame){pc, cfa, before != 0};
    return _URC_NO_REASON;
}

static void walk_init(struct walk *w, enum walk_start start, const goc_g *g) {
    w->start = start;
    w->start_pc = 0;
    w->started = false;
    w->n = 0;
    w->more = false;
    w->lo = g && !g->is_thread ? (g->stack.guard_lo ? g->stack.guard_lo : g->stack.lo) : 0;
    w->hi = g && !g->is_thread ? g->stack.hi : 0;
}

static void walk_run(void *arg) {
    _Unwind_Backtrace(collect_frame, arg);
}

/* Symbol lookups use the call instruction, not the return address after it
 * (which may already be the next function). */
static bool frame_symbol(const struct frame *f, goc_symbol *sym) {
    return symbolize(f->exact ? f->pc : f->pc - 1, sym);
}

/* A function of the public API: the outermost runtime frame users know.
 * goc_ctx_* are the context switch's, global only for the assembly. */
static bool is_public_api(const goc_symbol *sym) {
    return sym->name && sym->global && strncmp(sym->name, "goc_", 4) == 0 &&
           strncmp(sym->name, "goc_ctx_", 8) != 0;
}

static void print_location(const goc_symbol *sym, bool known, uintptr_t pc) {
    if (known)
        diag_printf("\t%s +0x%lx", sym->module, (unsigned long)(pc - sym->start));
    else
        diag_printf("\t? pc=0x%lx", (unsigned long)pc);
}

struct frame_range {
    uintptr_t top_fn;     /* the first frame runs this function (0: any) */
    bool      skip_top;   /* ... and is itself left out */
    bool      from_api;   /* below GOTRACEBACK=system, start at the public API */
    uintptr_t entry;      /* the goroutine's function (0: a thread's stack) */
};

/* Index of the last frame to show below GOTRACEBACK=system: the goroutine's
 * entry function, or the frame before the scheduler's wrapper that
 * goc_ctx_start calls (the entry function may have tail-called away), or a
 * thread's main. */
static int last_user_frame(const struct walk *w, int first, uintptr_t entry) {
    goc_symbol sym;
    for (int i = first; i < w->n; i++) {
        if (!frame_symbol(&w->frames[i], &sym))
            continue;
        if (entry && sym.start == entry)
            return i;
        if (!entry && sym.name && strcmp(sym.name, "main") == 0)
            return i;
        if (sym.start == (uintptr_t)goc_ctx_start)
            return i - 2 >= first ? i - 2 : first;
    }
    return w->n - 1;
}

static void print_frames(const struct walk *w, const struct frame_range *r) {
    bool system = goc_env.traceback_level >= TRACEBACK_SYSTEM;
    int first = 0;
    goc_symbol sym;
    if (r->top_fn) {
        for (int i = 0; i < w->n; i++) {
            if (frame_symbol(&w->frames[i], &sym) && sym.start == r->top_fn) {
                first = r->skip_top ? i + 1 : i;
                break;
            }
        }
    }
    int last = system ? w->n - 1 : last_user_frame(w, first, r->entry);
    if (!system && r->from_api) {
        for (int i = first; i <= last; i++) {
            if (frame_symbol(&w->frames[i], &sym) && is_public_api(&sym)) {
                first = i;
                break;
            }
        }
    }
    for (int i = first; i <= last; i++) {
        const struct frame *f = &w->frames[i];
        if (i - first == MAX_SHOWN) {
            diag_printf("...additional frames elided...\n");
            return;
        }
        bool known = frame_symbol(f, &sym);
        diag_printf("%s(...)\n", known && sym.name ? sym.name : "?");
        print_location(&sym, known, f->pc);
        if (system)
            diag_printf(" fp=0x%lx pc=0x%lx", (unsigned long)f->cfa, (unsigned long)f->pc);
        diag_printf("\n");
    }
    if (w->more && last == w->n - 1)
        diag_printf("...additional frames elided...\n");
}

static void print_created_by(const goc_g *g) {
    if (!g->creator_pc || g->id == 1)
        return;
    goc_symbol sym;
    bool known = symbolize(g->creator_pc - 1, &sym);
    diag_printf("created by %s", known && sym.name ? sym.name : "?");
    if (g->creator_id)
        diag_printf(" in goroutine %lld", (long long)g->creator_id);
    diag_printf("\n");
    print_location(&sym, known, g->creator_pc);
    diag_printf("\n");
}

static const char *status_name(const goc_g *g) {
    switch (aload(&g->status, memory_order_relaxed)) {
    case G_IDLE:     return "idle";
    case G_RUNNABLE: return "runnable";
    case G_RUNNING:  return "running";
    case G_BLOCKING: return "syscall";
    case G_WAITING:  return g->waitreason ? g->waitreason : "waiting";
    case G_DEAD:     return "dead";
    default:         return "???";
    }
}

void traceback_header(goc_g *g, const char *status) {
    if (!g) {
        diag_printf("thread %ld [%s]:\n", (long)gettid(), status ? status : "running");
        return;
    }
    diag_printf("goroutine %lld", (long long)g->id);
    if (g->name)
        diag_printf(" \"%s\"", g->name);
    diag_printf(" [%s", status ? status : status_name(g));
    uint32_t st = aload(&g->status, memory_order_relaxed);
    /* Go's "IO wait" names no descriptor; which one tells most. */
    if (!status && st == G_WAITING && g->waitfd >= 0)
        diag_printf(" (fd %d)", (int)g->waitfd);
    int64_t since = aload(&g->waitsince, memory_order_relaxed);
    if ((st == G_WAITING || st == G_BLOCKING) && since) {
        int64_t minutes = (nanotime() - since) / (60 * GOC_SECOND);
        if (minutes >= 1)
            diag_printf(", %lld minutes", (long long)minutes);
    }
    if (g->lockedm)
        diag_printf(", locked to thread");
    diag_printf("]:\n");
}

static uintptr_t entry_of(const goc_g *g) {
    return g && !g->is_thread ? (uintptr_t)g->fn : 0;
}

void traceback_here(goc_g *g, uintptr_t top_fn) {
    struct walk w;
    /* Unbounded: this may run on a signal stack, outside g's. */
    walk_init(&w, START_HERE, NULL);
    _Unwind_Backtrace(collect_frame, &w);
    print_frames(&w, &(struct frame_range){top_fn, false, true, entry_of(g)});
    if (g && !g->is_thread)
        print_created_by(g);
}

void traceback_signal(goc_g *g, const ucontext_t *uc) {
    struct walk w;
    walk_init(&w, START_AT_PC, g);
#if defined(__x86_64__)
    w.start_pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#else
    w.start_pc = (uintptr_t)uc->uc_mcontext.pc;
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.sp;
#endif
    /* Interrupted on another stack (the M's own, during a switch): the
     * goroutine's bounds say nothing about these frames. */
    if (sp < w.lo || sp >= w.hi)
        w.lo = w.hi = 0;
    _Unwind_Backtrace(collect_frame, &w);
    if (w.n == 0) {
        /* The unwinder could not get through the signal frame: show the
         * interrupted pc at least. */
        w.frames[0] = (struct frame){w.start_pc, 0, true};
        w.n = 1;
    }
    print_frames(&w, &(struct frame_range){0, false, false, entry_of(g)});
    if (g && !g->is_thread)
        print_created_by(g);
}

int traceback_callers(uintptr_t ret, uintptr_t *pcs, int max) {
    struct walk w;
    walk_init(&w, START_AT_RETURN, NULL);
    w.start_pc = ret;
    /* The unwinder takes the dynamic loader's lock, which the collector's
     * root scan (dl_iterate_phdr) takes with the world stopped: no thread
     * may be held by the stop signal while it has it. */
    critical_begin();
    _Unwind_Backtrace(collect_frame, &w);
    critical_end();
    int n = w.n < max ? w.n : max;
    for (int i = 0; i < n; i++)
        pcs[i] = w.frames[i].pc;
    return n;
}

/* Why a parked goroutine's stack cannot be walked, or NULL if it can. */
static const char *suspended_unwalkable(const goc_g *g) {
    uintptr_t sp = (uintptr_t)g->ctx.sp;
    if (sp < g->stack.lo || sp + SWITCH_FRAME > g->stack.hi)
        return "saved stack pointer outside the stack";
    uintptr_t ra = *(const uintptr_t *)(sp + SWITCH_RA_OFFSET);
    if (ra != (uintptr_t)goc_ctx_trampoline && !symbolize_is_text(ra))
        return "saved return address is not code";
    return NULL;
}

/* Go shows a goroutine that never ran as its function at offset 0. */
static void print_not_started(goc_g *g) {
    goc_symbol sym;
    bool known = symbolize((uintptr_t)g->fn, &sym);
    diag_printf("%s(...)\n", known && sym.name ? sym.name : "?");
    print_location(&sym, known, (uintptr_t)g->fn);
    diag_printf("\n");
    print_created_by(g);
}

static void traceback_suspended(goc_g *g) {
    /* Stacks are bound when a goroutine first runs. */
    if (!g->ctx.sp) {
        print_not_started(g);
        return;
    }
    const char *why = suspended_unwalkable(g);
    if (why) {
        diag_printf("\tstack unavailable: %s\n", why);
        print_created_by(g);
        return;
    }
    uintptr_t ra = *(const uintptr_t *)((uintptr_t)g->ctx.sp + SWITCH_RA_OFFSET);
    if (ra == (uintptr_t)goc_ctx_trampoline) {
        print_not_started(g);
        return;
    }
    struct walk w;
    walk_init(&w, START_SUSPENDED, g);
    ctx_run_on_suspended(&g->ctx, walk_run, &w);
    print_frames(&w, &(struct frame_range){0, false, true, entry_of(g)});
    print_created_by(g);
}

void traceback_goroutine(goc_g *g, const char *status) {
    traceback_header(g, status);
    uint32_t st = aload(&g->status, memory_order_acquire);
    if (st == G_RUNNING || st == G_BLOCKING) {
        diag_printf("\tgoroutine running on other thread; stack unavailable\n");
        print_created_by(g);
    } else {
        traceback_suspended(g);
    }
}

void traceback_others(goc_g *skip) {
    goc_m *self = sched_m();
    goc_g *cur = self ? self->curg : NULL;
    /* The runtime's own goroutines (collector, sweeper, finalizers) are
     * shown at GOTRACEBACK=system only, as Go shows its system goroutines. */
    bool system = goc_env.traceback_level >= TRACEBACK_SYSTEM;
    /* No allg_lock: a thread frozen mid-update may hold it.  The list only
     * grows at its head, with each record linked before it is published. */
    for (goc_g *g = aload(&sched.allg, memory_order_acquire); g; g = g->allnext) {
        uint32_t st = aload(&g->status, memory_order_acquire);
        if (g == skip || g == cur || g->is_thread || st == G_DEAD || st == G_IDLE ||
            ((g->flags & GOC_G_SYSTEM) && !system))
            continue;
        diag_printf("\n");
        traceback_goroutine(g, NULL);
    }
}

void traceback_current(void) {
    goc_m *m = sched_m();
    goc_g *g = m ? m->curg : NULL;
    if (g || !m)
        traceback_header(g, "running");
    else
        diag_printf("runtime stack:\n");
    struct walk w;
    walk_init(&w, START_HERE, NULL);
    _Unwind_Backtrace(collect_frame, &w);
    print_frames(&w, &(struct frame_range){(uintptr_t)traceback_current, true, true, entry_of(g)});
    if (g)
        print_created_by(g);
}

void traceback_all(void) {
    traceback_current();
    traceback_others(NULL);
}
