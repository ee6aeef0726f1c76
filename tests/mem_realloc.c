/* SPDX-License-Identifier: MIT */
/* goc_realloc: growth and shrinking across small and large sizes keep the
 * contents, zero the new tail, stay in place when the object still fits,
 * and keep the scan/noscan kind. */
#include <stdint.h>
#include <string.h>

#include "mem_check.h"

static void fill(unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 7 + 3);
}

static int filled(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(i * 7 + 3))
            return 0;
    return 1;
}

static void resize(size_t from, size_t to, bool atomic) {
    unsigned char *p = atomic ? goc_alloc_atomic(from) : goc_alloc(from);
    size_t old = goc_alloc_size(p);
    fill(p, old);
    unsigned char *q = goc_realloc(p, to);
    size_t now = goc_alloc_size(q);
    CHECK(q && now >= to);
    size_t kept = old < to ? old : to;
    CHECK(filled(q, kept));
    if (now > old)
        CHECK(is_zero(q + old, now - old));
    CHECK(span_noscan(mem_span_of(q)) == atomic);
    if (to <= old && to >= old / 2)
        CHECK(q == p);
    if (q != p)
        CHECK(goc_alloc_size(p) == 0 || mem_span_of(p)->cached);
    mem_free(q);
    check_memstats();
}

static int run(int argc, char **argv) {
    (void)argc;
    (void)argv;
    static const size_t sizes[] = {1, 16, 24, 100, 1000, 4096, 30000, 32768, 40000, 1 << 20};
    size_t n = sizeof sizes / sizeof sizes[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            resize(sizes[i], sizes[j], false);
            resize(sizes[i], sizes[j], true);
        }
    /* In place while it fits. */
    char *p = goc_alloc(100);
    CHECK(goc_realloc(p, 112) == p);
    CHECK(goc_realloc(p, 60) == p);
    /* NULL behaves as goc_alloc. */
    char *z = goc_realloc(NULL, 50);
    CHECK(z && goc_alloc_size(z) == 64 && is_zero(z, 64));
    /* A growing buffer, as a C program builds one. */
    size_t len = 0;
    unsigned char *buf = NULL;
    for (int i = 0; i < 20; i++) {
        size_t grown = len * 2 + 10;
        buf = goc_realloc(buf, grown);
        CHECK(filled(buf, len));
        fill(buf, grown);
        len = grown;
    }
    check_memstats();
    return 0;
}

GOC_MAIN(run)
