/* SPDX-License-Identifier: MIT */
/* goc_dump_goroutines prints what SIGQUIT prints and the program goes on:
 * every goroutine under Go's header with its wait reason (I/O waits with
 * their descriptor) and, past a minute, how long it has waited; the frames
 * of parked goroutines, also once goc_gc has packed their stacks; the
 * caller first, as running.  Afterwards the goroutines it showed still
 * wake and finish. */
#include <string.h>
#include <unistd.h>

#include "sched/sched.h"
#include "testing.h"

static goc_waitgroup ready, finished;
static goc_chan *recv_chan, *send_chan, *select_chan;
static goc_mutex held, cond_mutex;
static goc_cond cond;
static goc_waitgroup never_done;
static int pipe_fds[2];

#define WAITER(name, call)                      \
    static void name(void *arg) {               \
        (void)arg;                              \
        goc_waitgroup_done(&ready);             \
        call;                                   \
        KEEP_FRAME();                           \
        goc_waitgroup_done(&finished);          \
    }

WAITER(wait_recv, goc_chan_recv(recv_chan, NULL))
WAITER(wait_send, goc_chan_send(send_chan, NULL))
WAITER(wait_select, goc_select((goc_case[]){{.chan = select_chan, .op = GOC_RECV}}, 1))
WAITER(wait_mutex, (goc_mutex_lock(&held), goc_mutex_unlock(&held)))
WAITER(wait_cond, (goc_mutex_lock(&cond_mutex), goc_cond_wait(&cond, &cond_mutex),
                   goc_mutex_unlock(&cond_mutex)))
WAITER(wait_group, goc_waitgroup_wait(&never_done))
WAITER(wait_sleep, goc_sleep(600 * GOC_SECOND))  /* never finishes */
WAITER(wait_read, { char b; CHECK(goc_read(pipe_fds[0], &b, 1) == 1, "read"); })

/* The dump, as one string (malloc'd). */
static char *dump(void) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    REQUIRE(f, "open_memstream");
    goc_dump_goroutines(f);
    fclose(f);
    return text;
}

/* The dump from the goroutine whose header has `header` on. */
static const char *section(const char *text, const char *header) {
    const char *at = strstr(text, header);
    return at ? at : "";
}

static bool has_frame(const char *text, const char *header, const char *fn) {
    const char *at = section(text, header);
    const char *end = strstr(at, "\n\n");
    const char *hit = strstr(at, fn);
    return hit && (!end || hit < end);
}

/* Pretends the receiver has waited five minutes and a half. */
static void backdate_receiver(void) {
    for (goc_g *g = sched.allg; g; g = g->allnext) {
        if (g->fn == wait_recv && aload(&g->status, memory_order_acquire) == G_WAITING)
            astore(&g->waitsince, goc_now() - 330 * GOC_SECOND, memory_order_relaxed);
    }
}

static void check_dump(const char *text, bool packed) {
    const char *when = packed ? "after goc_gc" : "before goc_gc";
    CHECK(strncmp(text, "goroutine 1 [running]:\n", 23) == 0, "%s: starts with %.40s", when, text);
    CHECK(has_frame(text, "goroutine 1 [running]:", "goc_dump_goroutines(...)") &&
              has_frame(text, "goroutine 1 [running]:", "test_main(...)"),
          "%s: the caller's frames", when);
    static const struct { const char *header, *fn; } want[] = {
        {"[chan receive, 5 minutes]:", "wait_recv(...)"},
        {"[chan send]:", "wait_send(...)"},
        {"[select]:", "wait_select(...)"},
        {"\"mutex-waiter\" [sync.Mutex.Lock]:", "wait_mutex(...)"},
        {"[sync.Cond.Wait]:", "wait_cond(...)"},
        {"[sync.WaitGroup.Wait]:", "wait_group(...)"},
        {"[sleep]:", "wait_sleep(...)"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        CHECK(strstr(text, want[i].header), "%s: no goroutine %s", when, want[i].header);
        CHECK(has_frame(text, want[i].header, want[i].fn), "%s: %s lacks %s", when,
              want[i].header, want[i].fn);
        CHECK(has_frame(text, want[i].header, "created by test_main in goroutine 1"),
              "%s: %s lacks its creator", when, want[i].header);
    }
    char io[64];
    snprintf(io, sizeof io, "[IO wait (fd %d)]:", pipe_fds[0]);
    CHECK(has_frame(text, io, "wait_read(...)"), "%s: no %s waiting in wait_read", when, io);
}

static int test_main(int argc, char **argv) {
    (void)argc, (void)argv;
    recv_chan = goc_chan_make(0, 0);
    send_chan = goc_chan_make(0, 0);
    select_chan = goc_chan_make(0, 0);
    REQUIRE(pipe(pipe_fds) == 0, "pipe");
    goc_mutex_lock(&held);
    goc_waitgroup_add(&never_done, 1);
    goc_fn fns[] = {wait_recv, wait_send, wait_select, wait_cond, wait_group, wait_sleep, wait_read};
    int n = sizeof fns / sizeof fns[0] + 1;
    goc_waitgroup_add(&ready, n);
    goc_waitgroup_add(&finished, n - 1);
    for (int i = 0; i < n - 1; i++)
        goc_go(fns[i], NULL);
    goc_go_with(wait_mutex, NULL, &(goc_go_opts){.name = "mutex-waiter"});
    goc_waitgroup_wait(&ready);
    goc_sleep(50 * GOC_MILLISECOND);

    backdate_receiver();
    char *text = dump();
    check_dump(text, false);
    free(text);
    /* Parked on little stack, they are packed now. */
    goc_gc();
    text = dump();
    check_dump(text, true);
    if (test_status() != 0)
        fputs(text, stderr);
    free(text);

    /* The world runs again: every waiter wakes and finishes. */
    goc_chan_recv(send_chan, NULL);
    goc_chan_send(recv_chan, NULL);
    goc_chan_close(select_chan);
    goc_mutex_unlock(&held);
    goc_mutex_lock(&cond_mutex);
    goc_cond_signal(&cond);
    goc_mutex_unlock(&cond_mutex);
    goc_waitgroup_done(&never_done);
    CHECK(write(pipe_fds[1], "x", 1) == 1, "write");
    goc_waitgroup_wait(&finished);
    return test_status();
}

GOC_MAIN(test_main)
