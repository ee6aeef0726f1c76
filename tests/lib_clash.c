/* SPDX-License-Identifier: MIT */
/* A program whose own globals share names with goc's internals links
 * against the installed-style libgoc.a (only goc_ names are global there)
 * and runs goroutines, a channel and the heap with them in place. */
#include <goc.h>
#include <stdio.h>
#include <string.h>

int sched = 1, mheap = 2, execute = 3, startm = 4;
int fatal(const char *msg) { return (int)strlen(msg); }
long nanotime(void) { return 42; }
unsigned fastrand(void) { return 7; }
int lock_acquire(int x) { return x + 1; }
int stack_alloc(int x) { return x * 2; }
int timer_start(int x) { return x - 1; }

static void worker(void *arg) {
    goc_chan *c = arg;
    long *v = goc_alloc(sizeof *v);
    *v = nanotime() + fastrand();
    goc_chan_send(c, &v);
}

static int run(int argc, char **argv) {
    (void)argc;
    (void)argv;
    goc_chan *c = goc_chan_make(sizeof(long *), 0);
    go(worker, c);
    long *v;
    goc_chan_recv(c, &v);
    int mine = sched + mheap + execute + startm + fatal("ab") + lock_acquire(0) + stack_alloc(1) +
               timer_start(1);
    if (*v != 49 || mine != 15) {
        fprintf(stderr, "lib_clash: got %ld and %d, want 49 and 15\n", *v, mine);
        return 1;
    }
    return 0;
}

GOC_MAIN(run)
