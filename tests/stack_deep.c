/* SPDX-License-Identifier: MIT */
/* Deep recursion on growable stacks.  Every frame passes the address of a
 * local down; the callee writes through it after its own recursion has
 * returned, and the caller checks the value and that the address it kept
 * still names its local: stack moves in between must have moved both the
 * pointer and the pointee.
 *
 *   stack_deep          one goroutine, 1,000,000 frames
 *   stack_deep many     1,000 goroutines at once, each 4,000 frames deep
 *   stack_deep libc     snprintf in every frame, 200,000 frames, so the
 *                       stack overflows (and moves) inside the C library
 *   stack_deep runtime  a mutex locked in every frame, 100,000 frames: the
 *                       stack also grows at the runtime's safe points
 * (fewer frames under TSan, whose own shadow call stack is limited). */
#include <string.h>

#include "base/sanitizers.h"
#include "testing.h"

/* TSan keeps its own call stack per thread and fiber, of 65,536 frames. */
#ifdef GOC_TSAN
enum { DEEP_FRAMES = 50000, LIBC_FRAMES = 20000, RUNTIME_FRAMES = 20000 };
#else
enum { DEEP_FRAMES = 1000000, LIBC_FRAMES = 200000, RUNTIME_FRAMES = 100000 };
#endif
enum {
    MANY_GOROUTINES = 1000,
    MANY_FRAMES = 4000,
};

enum work { PLAIN, LIBC, RUNTIME };

struct dive {
    enum work  work;
    goc_mutex *mu;
    uint64_t   errors;
};

static uint64_t cell_seed(uint64_t depth) { return depth * 0x9E3779B97F4A7C15ull; }

__attribute__((noinline))
static uint64_t descend(struct dive *d, uint64_t depth, uint64_t *parent_cell)
{
    uint64_t cell = cell_seed(depth);
    uint64_t *volatile self = &cell;   /* kept in memory across the call */
    char text[48];
    if (d->work == LIBC)
        snprintf(text, sizeof text, "%llu:%.3f", (unsigned long long)depth, (double)depth / 7);
    if (d->work == RUNTIME) {
        goc_mutex_lock(d->mu);
        goc_mutex_unlock(d->mu);
    }
    uint64_t frames = 1;
    if (depth > 0) {
        frames += descend(d, depth - 1, &cell);
        if (cell != cell_seed(depth) + 1)
            d->errors++;
        if (self != &cell)
            d->errors++;
    } else {
        cell += 1;   /* the deepest frame checks itself */
    }
    if (d->work == LIBC) {
        char again[48];
        snprintf(again, sizeof again, "%llu:%.3f", (unsigned long long)depth, (double)depth / 7);
        if (strcmp(text, again) != 0)
            d->errors++;
    }
    *parent_cell += 1;
    return frames;
}

static uint64_t run_dive(enum work work, uint64_t frames, uint64_t *errors)
{
    goc_mutex *mu = calloc(1, sizeof *mu);
    REQUIRE(mu, "out of memory");
    struct dive d = {work, mu, 0};
    uint64_t top = cell_seed(frames + 1);
    uint64_t n = descend(&d, frames - 1, &top);
    if (top != cell_seed(frames + 1) + 1)
        d.errors++;
    *errors = d.errors;
    free(mu);
    return n;
}

struct job {
    enum work      work;
    uint64_t       frames;
    uint64_t       done, errors;
    goc_waitgroup *wg;
};

static void dive_goroutine(void *arg)
{
    struct job *j = arg;
    j->done = run_dive(j->work, j->frames, &j->errors);
    goc_waitgroup_done(j->wg);
}

static void run_jobs(int n, enum work work, uint64_t frames)
{
    struct job *jobs = calloc((size_t)n, sizeof *jobs);
    goc_waitgroup *wg = calloc(1, sizeof *wg);
    REQUIRE(jobs && wg, "out of memory");
    goc_waitgroup_add(wg, n);
    for (int i = 0; i < n; i++) {
        jobs[i] = (struct job){.work = work, .frames = frames, .wg = wg};
        goc_go(dive_goroutine, &jobs[i]);
    }
    goc_waitgroup_wait(wg);
    for (int i = 0; i < n; i++) {
        CHECK(jobs[i].done == frames, "goroutine %d ran %llu frames, want %llu", i,
              (unsigned long long)jobs[i].done, (unsigned long long)frames);
        CHECK(jobs[i].errors == 0, "goroutine %d: %llu frames saw a wrong local", i,
              (unsigned long long)jobs[i].errors);
    }
    free(jobs);
    free(wg);
}

static int stacks_given_back(void *arg)
{
    (void)arg;
    goc_memstats ms;
    goc_read_memstats(&ms);
    return ms.stack_inuse < (64u << 20);
}

static int test_main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "deep";
    if (strcmp(mode, "many") == 0)
        run_jobs(MANY_GOROUTINES, PLAIN, MANY_FRAMES);
    else if (strcmp(mode, "libc") == 0)
        run_jobs(1, LIBC, LIBC_FRAMES);
    else if (strcmp(mode, "runtime") == 0)
        run_jobs(1, RUNTIME, RUNTIME_FRAMES);
    else
        run_jobs(1, PLAIN, DEEP_FRAMES);
    /* Grown stacks are given back when their goroutines end (the last one
     * may still be on its way out when the wait group releases us). */
    if (!test_wait_until(stacks_given_back, NULL, 5 * GOC_SECOND)) {
        goc_memstats ms;
        goc_read_memstats(&ms);
        CHECK(false, "stack_inuse %llu after every deep goroutine ended",
              (unsigned long long)ms.stack_inuse);
    }
    return test_status();
}

GOC_MAIN(test_main)
