/* SPDX-License-Identifier: MIT */
/* Linking goc must not replace the program's allocator: malloc still comes
 * from the C library (glibc's own accounting sees the blocks), no jemalloc
 * symbol is visible to the dynamic linker, no libjemalloc is mapped, and
 * goc's heap (whose metadata comes from its private jemalloc) still works. */
#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem_check.h"


static int maps_mention(const char *what) {
    FILE *f = fopen("/proc/self/maps", "r");
    CHECK(f);
    char line[512];
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, what))
            found = 1;
    fclose(f);
    return found;
}

static int run(int argc, char **argv) {
    (void)argc;
    (void)argv;
    /* Exercise goc's heap first, so its jemalloc is initialised. */
    for (int i = 0; i < 10000; i++)
        CHECK(goc_alloc(100 + (size_t)i % 5000) != NULL);
    CHECK(goc_alloc(1 << 20) != NULL);

    Dl_info info;
    CHECK(dladdr((void *)malloc, &info) && info.dli_fname);
    CHECK(strstr(info.dli_fname, "libc.so") != NULL);
    CHECK(dladdr((void *)free, &info) && strstr(info.dli_fname, "libc.so") != NULL);

    struct mallinfo2 before = mallinfo2();
    void *block = malloc(10000);
    struct mallinfo2 after = mallinfo2();
    CHECK(block);
    CHECK(after.uordblks >= before.uordblks + 10000);
    CHECK(malloc_usable_size(block) >= 10000);
    free(block);

    CHECK(dlsym(RTLD_DEFAULT, "mallocx") == NULL);
    CHECK(dlsym(RTLD_DEFAULT, "mallctl") == NULL);
    CHECK(!maps_mention("libjemalloc"));
    return 0;
}

GOC_MAIN(run)
