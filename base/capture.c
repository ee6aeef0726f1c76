/* SPDX-License-Identifier: MIT */
/* Diag output captured into memory (fatal.h, "capturing"). */
#include <sys/mman.h>
#include <string.h>

#include "base/fatal.h"

/* Per thread: another thread's fatal report, printed meanwhile, still goes
 * to fd 2. */
static __thread diag_capture *capturing;

void diag_capture_begin(diag_capture *c) {
    *c = (diag_capture){0};
    capturing = c;
}

void diag_capture_end(void) { capturing = NULL; }

void diag_capture_free(diag_capture *c) {
    if (c->buf)
        munmap(c->buf, c->cap);
    *c = (diag_capture){0};
}

/* Room for n more bytes: the buffer doubles, from 64 KiB. */
static bool reserve(diag_capture *c, size_t n) {
    if (c->cap - c->len >= n)
        return true;
    size_t cap = c->cap ? c->cap : (size_t)64 << 10;
    while (cap - c->len < n)
        cap *= 2;
    void *p = c->buf ? mremap(c->buf, c->cap, cap, MREMAP_MAYMOVE)
                     : mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return false;
    c->buf = p;
    c->cap = cap;
    return true;
}

bool diag_capture_write(const char *p, size_t n) {
    diag_capture *c = capturing;
    if (!c)
        return false;
    if (c->truncated || !reserve(c, n)) {
        c->truncated = true;
        return true;
    }
    memcpy(c->buf + c->len, p, n);
    c->len += n;
    return true;
}
