/* SPDX-License-Identifier: MIT */
/* The allocation workload with jemalloc's malloc/free: this binary links
 * libjemalloc, which replaces malloc for the whole process, so it is kept
 * apart from bench/alloc (which must keep glibc's). */
#include <dlfcn.h>

#include "alloc_work.h"

static const alloc_impl jemalloc_impl = {"jemalloc", malloc, alloc_free_each};

int main(void) {
    Dl_info info;
    if (!dladdr((void *)malloc, &info) || !info.dli_fname || !strstr(info.dli_fname, "jemalloc")) {
        fprintf(stderr, "alloc-jemalloc: malloc does not come from libjemalloc\n");
        return 1;
    }
    alloc_bench_threads(&jemalloc_impl, 1);
    alloc_bench_threads(&jemalloc_impl, 2);
    return 0;
}
