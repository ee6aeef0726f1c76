/* SPDX-License-Identifier: MIT */
/* GODEBUG=gctrace=1 prints one line per cycle in Go 1.19's grammar
 * (runtime/mgc.go, gcMarkTermination), and each figure is true.
 *
 * The program runs itself as a child ("child" argument) with stderr in a
 * file: the child churns through heap-triggered cycles and calls goc_gc a
 * few times, writing after each goc_gc a record "child: forced N goal G
 * procs K" (num_gc, next_gc and GOMAXPROCS then).  The parent parses every
 * gctrace line with a strict pattern and checks:
 *   - the cycle numbers count 1, 2, 3, ... and match the child's num_gc;
 *   - @seconds never decreases;
 *   - the nine millisecond figures are in Go's fmtNSAsMS format: whole
 *     numbers from 10 up, else two significant digits, at most 3 decimals;
 *   - X >= Z (the heap at the start holds everything marked live);
 *   - " (forced)" on exactly the goc_gc cycles, and on those the goal is
 *     next_gc >> 20 as goc_read_memstats gave it right after;
 *   - K is GOMAXPROCS, the CPU share is 0-100%;
 * and that without GODEBUG the child prints no gctrace line. */
#include <fcntl.h>
#include <regex.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>

#include "testing.h"

extern char **environ;

enum { FORCED = 4, CHURN_BYTES = 48 << 20, OBJ = 4096, MAX_CYCLES = 256 };

/* ---- the child -------------------------------------------------------------- */
static void *volatile sink;

__attribute__((noinline))
static void churn(size_t bytes)
{
    for (size_t n = 0; n < bytes; n += OBJ)
        sink = goc_alloc(OBJ);
}

static void record(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One write, as gctrace's own lines: they do not interleave. */
    REQUIRE(n > 0 && (size_t)n < sizeof line && write(STDERR_FILENO, line, (size_t)n) == n,
            "write failed");
}

static int child(void)
{
    goc_memstats ms;
    for (int k = 0; k < FORCED; k++) {
        churn(CHURN_BYTES / FORCED);
        goc_gc();
        goc_read_memstats(&ms);
        record("child: forced %u goal %llu procs %d\n", ms.num_gc,
               (unsigned long long)ms.next_gc, goc_maxprocs(0));
    }
    goc_read_memstats(&ms);
    record("child: cycles %u forced %u\n", ms.num_gc, ms.num_forced_gc);
    return 0;
}

/* ---- the parent ---------------------------------------------------------------- */
/* Go's fmtNSAsMS: "0"; 0.00d / 0.0dd (under 100 us); 0.dd (under 1 ms);
 * d.d (under 10 ms); then whole milliseconds, no leading zero. */
#define MS "(0|0\\.00[1-9]|0\\.0[1-9][0-9]|0\\.[1-9][0-9]|[1-9]\\.[0-9]|[1-9][0-9]+)"
#define INT "(0|[1-9][0-9]*)"
static const char trace_re[] =
    "^gc " INT " @" INT "\\.([0-9]{3})s " INT "%: " MS "\\+" MS "\\+" MS " ms clock, "
    MS "\\+" MS "/" MS "/" MS "\\+" MS " ms cpu, " INT "->" INT "->" INT " MB, "
    INT " MB goal, " INT " MB stacks, " INT " MB globals, " INT " P( \\(forced\\))?$";
/* Submatch numbers in trace_re. */
enum {
    M_N = 1, M_SEC, M_MSEC, M_UTIL,
    M_HEAP0 = M_UTIL + 9, M_HEAP1, M_HEAP2, M_GOAL, M_STACKS, M_GLOBALS, M_PROCS, M_FORCED,
    M_COUNT
};

static uint64_t field(const char *line, const regmatch_t *m, int i)
{
    return strtoull(line + m[i].rm_so, NULL, 10);
}

/* Runs the child with GODEBUG set to godebug (NULL: unset); returns its
 * stderr, malloc'd. */
static char *run_child(const char *self, const char *godebug)
{
    char *env[256];
    size_t n = 0;
    char setting[64];
    for (char **e = environ; *e && n < 254; e++)
        if (strncmp(*e, "GODEBUG=", 8))
            env[n++] = *e;
    if (godebug) {
        snprintf(setting, sizeof setting, "GODEBUG=%s", godebug);
        env[n++] = setting;
    }
    env[n] = NULL;

    char path[] = "/tmp/gc_trace.XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0, "mkstemp failed");
    unlink(path);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd, STDERR_FILENO);
    char *argv[] = {(char *)self, "child", NULL};
    pid_t pid;
    REQUIRE(posix_spawn(&pid, self, &fa, NULL, argv, env) == 0, "posix_spawn failed");
    posix_spawn_file_actions_destroy(&fa);
    int status;
    goc_blocking_begin();
    pid_t w = waitpid(pid, &status, 0);
    goc_blocking_end();
    REQUIRE(w == pid, "waitpid failed");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed: status %#x", status);

    off_t size = lseek(fd, 0, SEEK_END);
    char *out = malloc((size_t)size + 1);
    REQUIRE(out && pread(fd, out, (size_t)size, 0) == size, "reading the child's stderr failed");
    out[size] = 0;
    close(fd);
    return out;
}

typedef struct child_facts {
    bool     forced[MAX_CYCLES + 1];   /* by cycle number */
    uint64_t goal_mb[MAX_CYCLES + 1];
    unsigned cycles, nforced;
    int      procs;
} child_facts;

static void check_line(const char *line, const regmatch_t *m, const child_facts *f,
                       unsigned *last_n, uint64_t *last_ms)
{
    unsigned n = (unsigned)field(line, m, M_N);
    CHECK(n == *last_n + 1, "cycle %u follows cycle %u: %s", n, *last_n, line);
    *last_n = n;
    uint64_t ms = field(line, m, M_SEC) * 1000 + field(line, m, M_MSEC);
    CHECK(ms >= *last_ms, "@ went back from %llu ms: %s", (unsigned long long)*last_ms, line);
    *last_ms = ms;
    CHECK(field(line, m, M_UTIL) <= 100, "CPU share over 100%%: %s", line);
    CHECK(field(line, m, M_HEAP0) >= field(line, m, M_HEAP2), "live above the start heap: %s",
          line);
    CHECK((int)field(line, m, M_PROCS) == f->procs, "not %d P: %s", f->procs, line);
    REQUIRE(n <= MAX_CYCLES, "too many cycles");
    bool forced = m[M_FORCED].rm_so >= 0;
    CHECK(forced == f->forced[n], "cycle %u is%s a goc_gc cycle: %s", n,
          f->forced[n] ? "" : " not", line);
    if (f->forced[n])
        CHECK(field(line, m, M_GOAL) == f->goal_mb[n], "goal not next_gc %llu MB: %s",
              (unsigned long long)f->goal_mb[n], line);
}

static void check_trace(char *out)
{
    regex_t re;
    REQUIRE(regcomp(&re, trace_re, REG_EXTENDED) == 0, "bad pattern");
    static child_facts f;
    unsigned k = 0;
    /* The child's records first: they say what each cycle must show. */
    for (char *s = out; (s = strstr(s, "child: ")); s++) {
        unsigned n, forced;
        unsigned long long goal;
        int procs;
        if (sscanf(s, "child: forced %u goal %llu procs %d", &n, &goal, &procs) == 3) {
            REQUIRE(n <= MAX_CYCLES, "too many cycles");
            f.forced[n] = true;
            f.goal_mb[n] = goal >> 20;
            f.procs = procs;
            k++;
        } else if (sscanf(s, "child: cycles %u forced %u", &n, &forced) == 2) {
            f.cycles = n;
            f.nforced = forced;
        }
    }
    CHECK(k == FORCED && f.nforced == FORCED, "%u goc_gc records, num_forced_gc %u, want %d", k,
          f.nforced, FORCED);
    CHECK(f.cycles > FORCED, "%u cycles: no heap-triggered ones", f.cycles);

    unsigned last_n = 0, lines = 0;
    uint64_t last_ms = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strncmp(line, "child: ", 7))
            continue;
        regmatch_t m[M_COUNT];
        if (regexec(&re, line, M_COUNT, m, 0)) {
            CHECK(0, "not a gctrace line: %s", line);
            continue;
        }
        lines++;
        check_line(line, m, &f, &last_n, &last_ms);
    }
    CHECK(lines == f.cycles, "%u gctrace lines for %u cycles", lines, f.cycles);
    regfree(&re);
}

static int run(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "child"))
        return child();
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    REQUIRE(n > 0, "readlink failed");
    self[n] = 0;

    char *out = run_child(self, "gctrace=1");
    check_trace(out);
    free(out);

    out = run_child(self, NULL);
    CHECK(!strstr(out, "gc 1 @"), "gctrace lines without GODEBUG:\n%s", out);
    free(out);
    return test_status();
}

GOC_MAIN(run)
