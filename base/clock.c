/* SPDX-License-Identifier: MIT */
#include <time.h>

#include "base/clock.h"

int64_t nanotime(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
