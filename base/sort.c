/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "base/sort.h"

static void swap_bytes(char *a, char *b, size_t size) {
    for (size_t i = 0; i < size; i++) {
        char t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

void sort_mostly_sorted(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *)) {
    if (n < 2)
        return;
    char *a = base;
    size_t rising = 1, falling = 1;
    while (rising < n && cmp(a + (rising - 1) * size, a + rising * size) <= 0)
        rising++;
    if (rising == n)
        return;
    while (falling < n && cmp(a + (falling - 1) * size, a + falling * size) >= 0)
        falling++;
    if (falling < n) {
        qsort(base, n, size, cmp);
        return;
    }
    for (size_t i = 0, j = n - 1; i < j; i++, j--)
        swap_bytes(a + i * size, a + j * size, size);
}
