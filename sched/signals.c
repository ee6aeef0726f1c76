/* SPDX-License-Identifier: MIT */
/* The runtime's signal handlers, in Go's manner (signal_unix.go):
 * - SIGQUIT dumps every goroutine and exits 2;
 * - a write to a heap page the collector protected (mprotect tracking,
 *   mem/writeprot.c) is recorded and retried;
 * - SIGSEGV/SIGBUS/SIGFPE become Go's run-time panics or "fatal error:
 *   fault", and a touch of a goroutine's guard region "fatal error: stack
 *   overflow"; SIGILL is reported like Go's throwing signals.
 * They run on a per-thread sigaltstack, so a stack overflow can be reported.
 * SIGQUIT also serves to freeze the other threads while a report is
 * printed: a thread receiving it while another reports stops for good.
 * STW_SIGNAL holds threads for a stopped world (sched/suspend.c).
 * SIGPIPE is not touched here. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mem/mem.h"
#include "sched/diag.h"
#include "sched/env.h"

enum {
    ALTSTACK_SIZE = 64 * 1024,  /* unwinder, symbolizer and formatting */
    FREEZE_WAIT_NS = 100 * 1000 * 1000,
    NIL_PAGE_LIMIT = 0x1000,    /* Go: faults below this are nil dereferences */
};

static const int fault_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};

/* Handlers installed before ours, for the signals we take over. */
static struct sigaction previous[NSIG];
/* Threads that have stopped for a report. */
static _Atomic int frozen_threads;

static const char *signal_title(int sig) {
    switch (sig) {
    case SIGSEGV: return "SIGSEGV: segmentation violation";
    case SIGBUS:  return "SIGBUS: bus error";
    case SIGFPE:  return "SIGFPE: floating-point exception";
    case SIGILL:  return "SIGILL: illegal instruction";
    case SIGQUIT: return "SIGQUIT: quit";
    default:      return "signal";
    }
}

static uintptr_t context_pc(const ucontext_t *uc) {
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#else
    return (uintptr_t)uc->uc_mcontext.pc;
#endif
}

static void dump_registers(const ucontext_t *uc) {
#if defined(__x86_64__)
    static const struct { const char *name; int reg; } regs[] = {
        {"rax   ", REG_RAX}, {"rbx   ", REG_RBX}, {"rcx   ", REG_RCX}, {"rdx   ", REG_RDX},
        {"rdi   ", REG_RDI}, {"rsi   ", REG_RSI}, {"rbp   ", REG_RBP}, {"rsp   ", REG_RSP},
        {"r8    ", REG_R8},  {"r9    ", REG_R9},  {"r10   ", REG_R10}, {"r11   ", REG_R11},
        {"r12   ", REG_R12}, {"r13   ", REG_R13}, {"r14   ", REG_R14}, {"r15   ", REG_R15},
        {"rip   ", REG_RIP}, {"rflags", REG_EFL},
    };
    for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++)
        diag_printf("%s 0x%llx\n", regs[i].name,
                    (unsigned long long)uc->uc_mcontext.gregs[regs[i].reg]);
    /* REG_CSGSFS packs cs, gs and fs, 16 bits each from the bottom. */
    unsigned long long csgsfs = (unsigned long long)uc->uc_mcontext.gregs[REG_CSGSFS];
    diag_printf("cs     0x%llx\n", csgsfs & 0xffff);
    diag_printf("fs     0x%llx\n", (csgsfs >> 32) & 0xffff);
    diag_printf("gs     0x%llx\n", (csgsfs >> 16) & 0xffff);
#else
    for (int i = 0; i < 29; i++)
        diag_printf("r%-2d     0x%llx\n", i, (unsigned long long)uc->uc_mcontext.regs[i]);
    diag_printf("r29     0x%llx\n", (unsigned long long)uc->uc_mcontext.regs[29]);
    diag_printf("lr      0x%llx\n", (unsigned long long)uc->uc_mcontext.regs[30]);
    diag_printf("sp      0x%llx\n", (unsigned long long)uc->uc_mcontext.sp);
    diag_printf("pc      0x%llx\n", (unsigned long long)uc->uc_mcontext.pc);
    diag_printf("fault   0x%llx\n", (unsigned long long)uc->uc_mcontext.fault_address);
#endif
}

/* Go's report for signals it cannot turn into a panic (SIGQUIT, SIGILL,
 * and fault signals sent with kill): the signal, where it hit, every
 * goroutine, the registers. */
__attribute__((noreturn))
static void report_throwing_signal(int sig, const siginfo_t *info, const ucontext_t *uc) {
    diag_start_dying();
    goc_m *m = sched_m();
    goc_g *g = m ? m->curg : NULL;
    uintptr_t pc = context_pc(uc);
    diag_printf("%s\n", signal_title(sig));
    diag_printf("PC=0x%lx m=%lld sigcode=%d\n", (unsigned long)pc,
                (long long)(m ? m->id : -1), info->si_code);
    if (sig == SIGILL) {
        /* Up to 16 bytes, never past the end of the pc's page. */
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        size_t n = page - pc % page < 16 ? page - pc % page : 16;
        diag_printf("instruction bytes:");
        for (size_t i = 0; i < n; i++)
            diag_printf(" 0x%x", ((const unsigned char *)pc)[i]);
        diag_printf("\n");
    }
    diag_printf("\n");
    if (goc_env.schedtrace_ms > 0 || goc_env.scheddetail)
        schedtrace_print_nowait(true);
    signals_freeze_others();
    if (goc_env.traceback_level > TRACEBACK_NONE) {
        if (g)
            traceback_header(g, "running");
        else if (m)
            diag_printf("goroutine 0 [idle]:\n");
        else
            traceback_header(NULL, "running");
        traceback_signal(g, uc);
        traceback_others(g);
        diag_printf("\n");
        dump_registers(uc);
    }
    diag_finish_dying();
}

__attribute__((noreturn))
static void report_stack_overflow(goc_g *g, const siginfo_t *info, const ucontext_t *uc) {
    diag_start_dying();
    diag_printf("runtime: goroutine %lld", (long long)g->id);
    if (g->name)
        diag_printf(" \"%s\"", g->name);
    diag_printf(" stack exceeds %lu-byte limit\n", (unsigned long)stack_limit_of(g));
    diag_printf("runtime: sp=0x%lx stack=[0x%lx, 0x%lx] fault address 0x%lx\n",
                (unsigned long)ucontext_sp(uc), (unsigned long)g->stack.lo,
                (unsigned long)g->stack.hi, (unsigned long)info->si_addr);
    diag_printf("fatal error: stack overflow\n");
    diag_report_goroutines(0, uc, true);
    diag_finish_dying();
}

/* A touch of a moved stack's old range: a pointer into a goroutine's stack
 * outlived the move (stack/grow.c). */
__attribute__((noreturn))
static void report_moved_stack(int sig, int64_t goid, const siginfo_t *info, const ucontext_t *uc) {
    diag_start_dying();
    diag_printf("unexpected fault address 0x%lx\n", (unsigned long)info->si_addr);
    diag_printf("runtime: the address was in goroutine %lld's stack, which has since moved "
                "to grow: a pointer to a stack variable was kept across the move (or given to "
                "another goroutine); use heap memory, or start that goroutine with "
                "GOC_STACK_FIXED\n", (long long)goid);
    diag_printf("fatal error: fault\n");
    diag_printf("[signal %s code=0x%x addr=0x%lx pc=0x%lx]\n", signal_title(sig),
                (unsigned)info->si_code, (unsigned long)info->si_addr,
                (unsigned long)context_pc(uc));
    diag_report_goroutines(0, uc, true);
    diag_finish_dying();
}

/* What Go's sigpanic makes of a fault: a run-time panic (nil dereference,
 * division by zero) or, for a wild address, "fatal error: fault". */
__attribute__((noreturn))
static void report_fault(int sig, const siginfo_t *info, const ucontext_t *uc) {
    uintptr_t addr = (uintptr_t)info->si_addr;
    const char *panic_msg = NULL;
    switch (sig) {
    case SIGSEGV:
        if ((info->si_code == SEGV_MAPERR || info->si_code == SEGV_ACCERR) &&
            addr < NIL_PAGE_LIMIT)
            panic_msg = "invalid memory address or nil pointer dereference";
        break;
    case SIGBUS:
        if (info->si_code == BUS_ADRERR && addr < NIL_PAGE_LIMIT)
            panic_msg = "invalid memory address or nil pointer dereference";
        break;
    case SIGFPE:
        panic_msg = info->si_code == FPE_INTDIV ? "integer divide by zero"
                  : info->si_code == FPE_INTOVF ? "integer overflow"
                  : "floating point error";
        break;
    }
    diag_start_dying();
    if (panic_msg)
        diag_printf("panic: runtime error: %s\n", panic_msg);
    else
        diag_printf("unexpected fault address 0x%lx\nfatal error: fault\n", (unsigned long)addr);
    diag_printf("[signal %s code=0x%x addr=0x%lx pc=0x%lx]\n", signal_title(sig),
                (unsigned)info->si_code, (unsigned long)addr, (unsigned long)context_pc(uc));
    diag_report_goroutines(0, uc, panic_msg == NULL);
    diag_finish_dying();
}

/* Go forwards synchronous signals that hit code outside any goroutine to a
 * handler installed before the runtime's. */
static bool forward(int sig, siginfo_t *info, void *ctx) {
    const struct sigaction *prev = &previous[sig];
    if (info->si_code <= 0 || sig == SIGILL || sched_m() != NULL)
        return false;
    if (prev->sa_flags & SA_SIGINFO) {
        if (!prev->sa_sigaction)
            return false;
        prev->sa_sigaction(sig, info, ctx);
        return true;
    }
    if (prev->sa_handler == SIG_DFL || prev->sa_handler == SIG_IGN)
        return false;
    prev->sa_handler(sig);
    return true;
}

static void on_fault(int sig, siginfo_t *info, void *ctx) {
    int saved_errno = errno;
    const ucontext_t *uc = ctx;
    /* First, and on any thread: a foreign thread's write to the heap is
     * the collector's to record, not the program's handler's to see. */
    if (sig == SIGSEGV && info->si_code == SEGV_ACCERR && mem_wp_fault((uintptr_t)info->si_addr)) {
        errno = saved_errno;
        return;
    }
    if (!diag_dying() && !diag_dying_elsewhere() && forward(sig, info, ctx)) {
        errno = saved_errno;
        return;
    }
    if (info->si_code <= 0 || sig == SIGILL)
        report_throwing_signal(sig, info, uc);
    goc_g *g = sched_curg();
    uintptr_t addr = (uintptr_t)info->si_addr;
    if (g && !g->is_thread && (sig == SIGSEGV || sig == SIGBUS) && g->stack.guard_lo < g->stack.lo &&
        addr >= g->stack.guard_lo && addr < g->stack.lo) {
        /* The goroutine needs more stack: it resumes on a larger copy. */
        if (stack_grow_on_fault(g, addr, ctx)) {
            errno = saved_errno;
            return;
        }
        report_stack_overflow(g, info, uc);
    }
    int64_t moved_goid;
    if ((sig == SIGSEGV || sig == SIGBUS) && stack_quarantined(addr, &moved_goid))
        report_moved_stack(sig, moved_goid, info, uc);
    report_fault(sig, info, uc);
}

static void on_quit(int sig, siginfo_t *info, void *ctx) {
    int saved_errno = errno;
    if (diag_dying_elsewhere()) {
        /* Frozen for another thread's report, until the process ends. */
        afetch_add(&frozen_threads, 1, memory_order_seq_cst);
        for (;;)
            pause();
    }
    if (diag_dying()) {
        /* The reporter itself: a repeated quit changes nothing. */
        errno = saved_errno;
        return;
    }
    report_throwing_signal(sig, info, ctx);
}

void signals_freeze_others(void) {
    goc_m *self = sched_m();
    int sent = 0;
    for (goc_m *m = aload(&sched.allm, memory_order_acquire); m; m = m->alllink) {
        pthread_t t = aload(&m->thread, memory_order_acquire);
        if (m == self || !t)
            continue;
        if (pthread_kill(t, SIGQUIT) == 0)
            sent++;
    }
    int64_t deadline = nanotime() + FREEZE_WAIT_NS;
    while (aload(&frozen_threads, memory_order_seq_cst) < sent && nanotime() < deadline) {
        struct timespec ms = {0, 1000 * 1000};
        nanosleep(&ms, NULL);
    }
}

/* blocked: a signal held back while the handler runs, or 0. */
static void install(int sig, void (*fn)(int, siginfo_t *, void *), int extra_flags, int blocked) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART | extra_flags;
    sigemptyset(&sa.sa_mask);
    if (blocked)
        sigaddset(&sa.sa_mask, blocked);
    sigaction(sig, &sa, &previous[sig]);
}

bool sched_fault_handler_installed(void) {
    struct sigaction now;
    return sigaction(SIGSEGV, NULL, &now) == 0 && (now.sa_flags & SA_SIGINFO) &&
           now.sa_sigaction == on_fault;
}

static void runtime_signal_set(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGQUIT);
    sigaddset(set, STW_SIGNAL);
    for (size_t i = 0; i < sizeof fault_signals / sizeof fault_signals[0]; i++)
        sigaddset(set, fault_signals[i]);
}

void signals_init(void) {
    install(SIGQUIT, on_quit, 0, 0);
    /* SA_NODEFER: a fault while reporting one must reach the handler (and
     * print "panic during panic"); blocked, it would kill silently.
     * STW_SIGNAL is held back instead: a stop cannot hold a thread inside
     * a fault handler (sched/suspend.c: on the altstack), and the stopper
     * would re-send it until it came outside one.  A thread that writes to
     * fresh protected chunks one after another (mprotect tracking) spends
     * most of its time in the handler: a stop took up to 25 ms.  Held
     * back, it comes the moment the handler returns. */
    for (size_t i = 0; i < sizeof fault_signals / sizeof fault_signals[0]; i++)
        install(fault_signals[i], on_fault, SA_NODEFER, STW_SIGNAL);
    suspend_init();
}

void signals_init_thread(void) {
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_DISABLE)) {
        /* One guard page below, so a handler overflowing its stack faults
         * instead of writing over whatever lies there. */
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        uint8_t *mem = mmap(NULL, ALTSTACK_SIZE + page, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (mem != MAP_FAILED) {
            mprotect(mem, page, PROT_NONE);
            stack_t ss = {.ss_sp = mem + page, .ss_size = ALTSTACK_SIZE, .ss_flags = 0};
            if (sigaltstack(&ss, NULL) == 0) {
                goc_m *m = sched_m();
                if (m)
                    m->altstack = mem;
            } else {
                munmap(mem, ALTSTACK_SIZE + page);
            }
        }
    }
    sigset_t set;
    runtime_signal_set(&set);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}
