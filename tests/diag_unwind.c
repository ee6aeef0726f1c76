/* SPDX-License-Identifier: MIT */
/* ctx_run_on_suspended: a context parked two calls deep inside its own
 * stack is unwound from outside.  The unwinder must see exactly the parked
 * frames, in order, ending at the context's entry, run on the caller's stack,
 * and leave the parked frames intact so the context resumes correctly. */
#include <string.h>
#include <unwind.h>

#include "sched/diag.h"
#include "tests/testing.h"

static goc_ctx main_ctx, co_ctx;
static goc_stack co_stack, main_stack_bounds;
static volatile int resumed_sum;

enum { MAX_NAMES = 16 };

struct seen {
    int         n;
    const char *names[MAX_NAMES];
    uintptr_t   fn_sp;   /* a local's address inside the unwinding function */
    bool        past_marker;
};

extern const char ctx_suspended_call_ret[];

static _Unwind_Reason_Code record(struct _Unwind_Context *uc, void *arg) {
    struct seen *s = arg;
    uintptr_t pc = _Unwind_GetIP(uc);
    if (!s->past_marker) {
        s->past_marker = pc == (uintptr_t)ctx_suspended_call_ret;
        return _URC_NO_REASON;
    }
    /* After a frame whose return address is undefined (the context's
     * trampoline), libgcc reports one more with pc 0: the end. */
    if (pc == 0)
        return _URC_END_OF_STACK;
    goc_symbol sym;
    if (s->n < MAX_NAMES)
        s->names[s->n++] = symbolize(pc - 1, &sym) && sym.name ? sym.name : "?";
    return _URC_NO_REASON;
}

static void unwind_here(void *arg) {
    struct seen *s = arg;
    int local;
    s->fn_sp = (uintptr_t)&local;
    _Unwind_Backtrace(record, s);
}

/* Callee-saved registers hold values across the park: clobbered frames or
 * registers would show in the sums. */
static int __attribute__((noinline)) parked_inner(int depth) {
    volatile int keep[8];
    for (int i = 0; i < 8; i++)
        keep[i] = depth * 100 + i;
    ctx_switch(&co_ctx, &main_ctx, &main_stack_bounds);
    int sum = 0;
    for (int i = 0; i < 8; i++)
        sum += keep[i];
    return sum;
}

static int __attribute__((noinline)) parked_outer(int depth) {
    volatile int mine = depth * 7;
    int r = parked_inner(depth + 1);
    return r + mine;
}

static void co_entry(void *arg) {
    (void)arg;
    resumed_sum = parked_outer(1);
    ctx_switch(&co_ctx, &main_ctx, &main_stack_bounds);
    __builtin_trap();
}

int main(void) {
    REQUIRE(stack_alloc(0, &co_stack) == 0, "stack_alloc");
    ctx_make(&co_ctx, &co_stack, co_entry, NULL);
    ctx_switch(&main_ctx, &co_ctx, &co_stack);   /* runs until parked_inner parks */

    struct seen s;
    memset(&s, 0, sizeof s);
    ctx_run_on_suspended(&co_ctx, unwind_here, &s);

    /* It runs on the caller's stack: a parked stack may be too small to
     * host an unwinder (stacks start at a few KiB). */
    CHECK(!(s.fn_sp >= co_stack.guard_lo && s.fn_sp < co_stack.hi),
          "fn ran at 0x%lx, on the parked goroutine's stack", (unsigned long)s.fn_sp);
    CHECK(s.past_marker, "the unwinder never reached ctx_run_on_suspended's call");
    /* ctx_switch may tail-call the switch and so be absent; the compiler
     * may rename clones (parked_inner.constprop.0). */
    const char *want[] = {"parked_inner", "parked_outer", "co_entry"};
    size_t nwant = sizeof want / sizeof want[0];
    int first = s.n > 0 && strcmp(s.names[0], "ctx_switch") == 0 ? 1 : 0;
    CHECK(s.n >= first + (int)nwant, "only %d parked frames", s.n);
    for (size_t i = 0; i < nwant && first + (int)i < s.n; i++) {
        const char *got = s.names[first + i];
        size_t len = strlen(want[i]);
        CHECK(strncmp(got, want[i], len) == 0 && (got[len] == '\0' || got[len] == '.'),
              "frame %zu: %s, want %s", first + i, got, want[i]);
    }
    /* The chain ends at the context's first code, not in the test's own
     * stack: at most goc_ctx_start and goc_ctx_trampoline follow. */
    CHECK(s.n <= first + (int)nwant + 2, "%d frames: the unwind ran past the context's entry",
          s.n);

    for (int i = 0; i < s.n; i++)
        CHECK(strcmp(s.names[i], "main") != 0, "frame %d is the test's main", i);

    ctx_switch(&main_ctx, &co_ctx, &co_stack);   /* resume: parked_inner returns */
    int want_sum = 0;
    for (int i = 0; i < 8; i++)
        want_sum += 200 + i;
    CHECK(resumed_sum == want_sum + 7, "resumed with %d, want %d", resumed_sum, want_sum + 7);
    return test_status();
}
