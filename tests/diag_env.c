/* SPDX-License-Identifier: MIT */
/* Start-up environment parsing: each parser on good and bad values, then
 * env_init in a child process with a prepared environment, checking the
 * parsed values and that each malformed value is reported exactly once, in
 * the documented form, with the default kept. */
#include <string.h>
#include <sys/wait.h>

#include "sched/env.h"
#include "tests/testing.h"

static void test_gomaxprocs(void) {
    int32_t n = -7;
    const char *why = NULL;
    CHECK(env_parse_gomaxprocs("4", &n, &why) && n == 4, "4 -> %d", n);
    CHECK(env_parse_gomaxprocs("2147483647", &n, &why) && n == INT32_MAX, "max -> %d", n);
    const char *bad[] = {"0", "-3", "abc", "4x", " 4", "", "2147483648", "+"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        CHECK(!env_parse_gomaxprocs(bad[i], &n, &why) && why && *why,
              "GOMAXPROCS=\"%s\" accepted", bad[i]);
    }
}

static void test_gogc(void) {
    int32_t v = 0;
    const char *why = NULL;
    CHECK(env_parse_gogc("off", &v, &why) && v < 0, "off -> %d", v);
    CHECK(env_parse_gogc("50", &v, &why) && v == 50, "50 -> %d", v);
    CHECK(env_parse_gogc("-1", &v, &why) && v == -1, "-1 -> %d", v);
    CHECK(env_parse_gogc("0", &v, &why) && v == 0, "0 -> %d", v);
    const char *bad[] = {"abc", "Off", "100%", "1e3", "99999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        CHECK(!env_parse_gogc(bad[i], &v, &why) && why, "GOGC=\"%s\" accepted", bad[i]);
    }
}

static void test_gomemlimit(void) {
    static const struct { const char *s; int64_t v; } good[] = {
        {"0", 0},
        {"123", 123},
        {"123B", 123},
        {"1KiB", 1024},
        {"3MiB", 3 << 20},
        {"2GiB", INT64_C(2) << 30},
        {"5TiB", INT64_C(5) << 40},
        {"off", INT64_MAX},
        {"9223372036854775807", INT64_MAX},
        {"8388607TiB", INT64_C(8388607) << 40},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t v = -1;
        const char *why = NULL;
        CHECK(env_parse_gomemlimit(good[i].s, &v, &why) && v == good[i].v,
              "GOMEMLIMIT=\"%s\" -> %lld (%s)", good[i].s, (long long)v, why ? why : "ok");
    }
    const char *bad[] = {"", "B", "KiB", "1K", "1KB", "1kiB", "1PiB", "-1", "-1KiB", "x",
                         "1 MiB", "8388608TiB", "9223372036854775808", "1.5GiB"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = 0;
        const char *why = NULL;
        CHECK(!env_parse_gomemlimit(bad[i], &v, &why) && why, "GOMEMLIMIT=\"%s\" accepted -> %lld",
              bad[i], (long long)v);
    }
}

static void test_gotraceback(void) {
    static const struct {
        const char *s;
        int32_t level;
        bool all, crash;
    } good[] = {
        {"none", 0, false, false},  {"single", 1, false, false}, {"all", 1, true, false},
        {"system", 2, true, false}, {"crash", 2, true, true},    {"0", 0, true, false},
        {"1", 1, true, false},      {"2", 2, true, false},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct goc_env_config c = {.traceback_level = -1};
        const char *why = NULL;
        CHECK(env_parse_gotraceback(good[i].s, &c, &why) && c.traceback_level == good[i].level &&
                  c.traceback_all == good[i].all && c.traceback_crash == good[i].crash,
              "GOTRACEBACK=%s -> level %d all %d crash %d", good[i].s, c.traceback_level,
              c.traceback_all, c.traceback_crash);
    }
    const char *bad[] = {"ALL", "verbose", "-1", "1x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct goc_env_config c = {.traceback_level = 1};
        const char *why = NULL;
        CHECK(!env_parse_gotraceback(bad[i], &c, &why) && why && c.traceback_level == 1,
              "GOTRACEBACK=\"%s\" accepted", bad[i]);
    }
}

/* ---- env_init in a child ------------------------------------------------- */

static int child_main(void) {
    env_init();
    env_init();   /* a second call must neither re-parse nor re-report */
    printf("gomaxprocs=%d gogc=%d gomemlimit=%lld level=%d all=%d crash=%d gctrace=%d "
           "schedtrace=%d scheddetail=%d gccheckmark=%d foo=%lld missing=%lld\n",
           goc_env.gomaxprocs, goc_env.gogc, (long long)goc_env.gomemlimit,
           goc_env.traceback_level, goc_env.traceback_all, goc_env.traceback_crash,
           goc_env.gctrace, goc_env.schedtrace_ms, goc_env.scheddetail, goc_env.gccheckmark,
           (long long)godebug_value("foo", -1), (long long)godebug_value("missing", -9));
    return 0;
}

static size_t read_all(int fd, char *buf, size_t cap) {
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    return n;
}

/* Runs this program as a child with exactly envp; returns its stdout and
 * stderr. */
static void run_child(const char *self, char *const envp[], char *out, char *err, size_t cap) {
    int po[2], pe[2];
    REQUIRE(pipe(po) == 0 && pipe(pe) == 0, "pipe");
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]);
        close(pe[0]);
        char *const argv[] = {(char *)self, "child", NULL};
        execve(self, argv, envp);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    read_all(po[0], out, cap);
    read_all(pe[0], err, cap);
    close(po[0]);
    close(pe[0]);
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
}

static void test_env_init(const char *self) {
    char out[4096], err[4096];

    char *const clean[] = {NULL};
    run_child(self, clean, out, err, sizeof out);
    CHECK(strcmp(out, "gomaxprocs=0 gogc=100 gomemlimit=9223372036854775807 level=1 all=0 "
                      "crash=0 gctrace=0 schedtrace=0 scheddetail=0 gccheckmark=0 foo=-1 "
                      "missing=-9\n") == 0,
          "defaults: %s", out);
    CHECK(err[0] == '\0', "defaults reported something: %s", err);

    char *const good[] = {"GOMAXPROCS=3", "GOGC=off", "GOMEMLIMIT=2MiB", "GOTRACEBACK=crash",
                          "GODEBUG=gctrace=1,schedtrace=250,scheddetail=1,gccheckmark=1,foo=7,foo=8",
                          NULL};
    run_child(self, good, out, err, sizeof out);
    CHECK(strcmp(out, "gomaxprocs=3 gogc=-1 gomemlimit=2097152 level=2 all=1 crash=1 gctrace=1 "
                      "schedtrace=250 scheddetail=1 gccheckmark=1 foo=8 missing=-9\n") == 0,
          "good values: %s", out);
    CHECK(err[0] == '\0', "good values reported something: %s", err);

    char *const bad[] = {"GOMAXPROCS=0", "GOGC=abc", "GOMEMLIMIT=1PiB", "GOTRACEBACK=loud",
                         "GODEBUG=gctrace=x,schedtrace=100,nokey,foo=3", NULL};
    run_child(self, bad, out, err, sizeof out);
    CHECK(strcmp(out, "gomaxprocs=0 gogc=100 gomemlimit=9223372036854775807 level=1 all=0 "
                      "crash=0 gctrace=0 schedtrace=100 scheddetail=0 gccheckmark=0 foo=3 "
                      "missing=-9\n") == 0,
          "bad values: %s", out);
    const char *expected[] = {
        "goc: ignoring GOMAXPROCS=\"0\": ",
        "goc: ignoring GOGC=\"abc\": ",
        "goc: ignoring GOMEMLIMIT=\"1PiB\": ",
        "goc: ignoring GOTRACEBACK=\"loud\": ",
        "goc: ignoring GODEBUG=\"gctrace=x\": ",
        "goc: ignoring GODEBUG=\"nokey\": ",
    };
    const char *line = err;
    size_t nlines = 0;
    for (const char *p = err; *p; p++)
        nlines += *p == '\n';
    CHECK(nlines == sizeof expected / sizeof expected[0], "%zu report lines:\n%s", nlines, err);
    for (size_t i = 0; i < sizeof expected / sizeof expected[0] && *line; i++) {
        CHECK(strncmp(line, expected[i], strlen(expected[i])) == 0, "line %zu: want %s..., got %s",
              i, expected[i], line);
        const char *reason = line + strlen(expected[i]);
        CHECK(*reason && *reason != '\n', "line %zu has no reason", i);
        line = strchr(line, '\n');
        if (!line)
            break;
        line++;
    }
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return child_main();
    test_gomaxprocs();
    test_gogc();
    test_gomemlimit();
    test_gotraceback();
    test_env_init("/proc/self/exe");
    return test_status();
}
