/* SPDX-License-Identifier: MIT */
/* The symbolizer: static functions of the executable (known only to
 * .symtab), exported ones, the runtime's own, shared-library functions
 * through dladdr, and addresses that are no code at all. */
#include <string.h>

#include "sched/diag.h"
#include "tests/testing.h"

static uintptr_t __attribute__((noinline)) caller_pc(void) {
    return (uintptr_t)__builtin_return_address(0);
}

/* Static, so only the ELF symbol table names it. */
static uintptr_t __attribute__((noinline)) static_helper(int x) {
    uintptr_t pc = caller_pc();
    __asm__ volatile("" ::"r"(x) : "memory");
    return pc;
}

static void check_name(uintptr_t pc, const char *want, uintptr_t want_start, bool want_global) {
    goc_symbol sym;
    memset(&sym, 0, sizeof sym);
    bool ok = symbolize(pc, &sym);
    CHECK(ok && sym.name && strcmp(sym.name, want) == 0, "pc 0x%lx: want %s, got %s",
          (unsigned long)pc, want, ok && sym.name ? sym.name : "(nothing)");
    CHECK(!ok || sym.start == want_start, "%s: start 0x%lx, want 0x%lx", want,
          (unsigned long)sym.start, (unsigned long)want_start);
    CHECK(!ok || sym.global == want_global, "%s: global %d", want, sym.global);
    CHECK(!ok || (sym.module && strstr(sym.module, "diag_symbolize")), "%s: module %s", want,
          sym.module ? sym.module : "(null)");
}

int main(void) {
    /* A pc inside a static function, as a traceback meets it. */
    uintptr_t inside = static_helper(1);
    check_name(inside - 1, "static_helper", (uintptr_t)static_helper, false);
    CHECK(inside > (uintptr_t)static_helper, "return address below its function");

    /* Function entries: a static test function, the runtime's public API. */
    check_name((uintptr_t)caller_pc, "caller_pc", (uintptr_t)caller_pc, false);
    check_name((uintptr_t)goc_panic + 1, "goc_panic", (uintptr_t)goc_panic, true);
    check_name((uintptr_t)main, "main", (uintptr_t)main, true);

    /* A shared-library function, through dladdr.  glibc exports write under
     * several names; any of them is fine as long as the module is libc. */
    goc_symbol sym;
    uintptr_t wr = (uintptr_t)&write;
    CHECK(symbolize(wr, &sym) && sym.name && strstr(sym.name, "write") && sym.start == wr,
          "write: %s", sym.name ? sym.name : "(nothing)");
    CHECK(sym.module && strstr(sym.module, "libc"), "write's module %s",
          sym.module ? sym.module : "(null)");

    /* Not code. */
    static int data_object;
    CHECK(!symbolize(16, &sym), "address 16 symbolized as %s", sym.name ? sym.name : "?");
    CHECK(!symbolize_is_text((uintptr_t)&data_object), "a data object is text");
    CHECK(symbolize_is_text(inside - 1), "a return address is not text");
    return test_status();
}
