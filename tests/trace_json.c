/* SPDX-License-Identifier: MIT */
/* Execution traces: a workload that creates, blocks, readies and ends
 * goroutines, runs a blocking section and a collection is traced with
 * goc_trace_start/goc_trace_stop; goc_trace_to_json's conversion must be
 * JSON (checked by the small parser below), an array of trace events whose
 * B/E pairs match on every lane in time order, with the events the
 * workload must produce.  The first half of the file, as a program that
 * died would leave it, must convert to such an array too; what is not a
 * trace must be refused.
 * With the argument "env" (GODEBUG=trace=FILE set by tests/cases), a trace
 * is running from the start, so goc_trace_start must say it is busy. */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "testing.h"

enum { ROUNDS = 2000, SPAWNS = 200, MAX_LANES = 64, MAX_DEPTH = 16 };

/* ---- workload ---------------------------------------------------------------- */
struct pair {
    goc_chan *ping, *pong;
};

static void echo(void *arg)
{
    struct pair *p = arg;
    int v;
    for (int i = 0; i < ROUNDS; i++) {
        goc_chan_recv(p->ping, &v);
        goc_chan_send(p->pong, &v);
    }
}

static void finish(void *arg)
{
    goc_waitgroup_done(arg);
}

static void workload(void)
{
    struct pair p = {goc_chan_make(sizeof(int), 0), goc_chan_make(sizeof(int), 0)};
    goc_go(echo, &p);
    for (int i = 0; i < ROUNDS; i++) {
        int v;
        goc_chan_send(p.ping, &i);
        goc_chan_recv(p.pong, &v);
    }
    goc_waitgroup wg = {0};
    goc_waitgroup_add(&wg, SPAWNS);
    for (int i = 0; i < SPAWNS; i++)
        goc_go(finish, &wg);
    goc_waitgroup_wait(&wg);
    goc_blocking_begin();
    usleep(2000);
    goc_blocking_end();
    goc_sleep(GOC_MILLISECOND);
    goc_gc();
}

/* ---- a JSON parser: checks the grammar, keeps a top-level object's fields -------- */
struct event {
    char   ph[4], name[96], why[64];
    double ts;
    long   tid;
    bool   has_ts, has_tid;
};

struct parser {
    const char *s;
    bool        ok;
};

static void skip_ws(struct parser *p)
{
    while (isspace((unsigned char)*p->s))
        p->s++;
}

static bool eat(struct parser *p, char c)
{
    skip_ws(p);
    if (*p->s != c)
        return false;
    p->s++;
    return true;
}

static void fail(struct parser *p) { p->ok = false; }

/* A string into out (truncated to n), escapes checked. */
static void string(struct parser *p, char *out, size_t n)
{
    size_t len = 0;
    if (!eat(p, '"'))
        return fail(p);
    while (p->ok && *p->s != '"') {
        char c = *p->s++;
        if ((unsigned char)c < 0x20 || c == '\0')
            return fail(p);
        if (c == '\\') {
            c = *p->s++;
            if (c == 'u') {
                for (int i = 0; i < 4; i++)
                    if (!isxdigit((unsigned char)*p->s++))
                        return fail(p);
                c = '?';
            } else if (!strchr("\"\\/bfnrt", c)) {
                return fail(p);
            }
        }
        if (out && len + 1 < n)
            out[len++] = c;
    }
    p->s++;
    if (out)
        out[len] = '\0';
}

static double number(struct parser *p)
{
    skip_ws(p);
    char *end;
    if (!(*p->s == '-' || isdigit((unsigned char)*p->s))) {
        fail(p);
        return 0;
    }
    double v = strtod(p->s, &end);
    p->s = end;
    return v;
}

static void value(struct parser *p, struct event *top, int depth);

static void object(struct parser *p, struct event *top, int depth)
{
    if (!eat(p, '{'))
        return fail(p);
    if (eat(p, '}'))
        return;
    do {
        char key[32];
        string(p, key, sizeof key);
        if (!p->ok || !eat(p, ':'))
            return fail(p);
        skip_ws(p);
        if (top && depth == 1 && strcmp(key, "ph") == 0) {
            string(p, top->ph, sizeof top->ph);
        } else if (top && depth == 1 && strcmp(key, "name") == 0) {
            string(p, top->name, sizeof top->name);
        } else if (top && depth == 1 && strcmp(key, "ts") == 0) {
            top->ts = number(p);
            top->has_ts = true;
        } else if (top && depth == 1 && strcmp(key, "tid") == 0) {
            top->tid = (long)number(p);
            top->has_tid = true;
        } else if (top && depth == 2 && strcmp(key, "why") == 0) {
            string(p, top->why, sizeof top->why);
        } else {
            value(p, top, depth + 1);
        }
    } while (p->ok && eat(p, ','));
    if (!eat(p, '}'))
        fail(p);
}

static void array(struct parser *p, int depth)
{
    if (!eat(p, '['))
        return fail(p);
    if (eat(p, ']'))
        return;
    do
        value(p, NULL, depth + 1);
    while (p->ok && eat(p, ','));
    if (!eat(p, ']'))
        fail(p);
}

static void value(struct parser *p, struct event *top, int depth)
{
    skip_ws(p);
    if (depth > 32)
        return fail(p);
    switch (*p->s) {
    case '{': return object(p, top, depth);
    case '[': return array(p, depth);
    case '"': return string(p, NULL, 0);
    }
    for (const char *lit = "true\0false\0null\0"; *lit; lit += strlen(lit) + 1) {
        if (strncmp(p->s, lit, strlen(lit)) == 0) {
            p->s += strlen(lit);
            return;
        }
    }
    number(p);
}

/* ---- the trace's checks ----------------------------------------------------------- */
struct lane {
    long   tid;
    int    depth;
    char   open[MAX_DEPTH][96];
    double last;
};

static struct lane lanes[MAX_LANES];
static int nlanes;

static struct lane *lane_of(long tid)
{
    for (int i = 0; i < nlanes; i++)
        if (lanes[i].tid == tid)
            return &lanes[i];
    REQUIRE(nlanes < MAX_LANES, "more than %d lanes", MAX_LANES);
    lanes[nlanes].tid = tid;
    return &lanes[nlanes++];
}

struct counts {
    int events, g_runs, creates, unblocks, chan_blocks, gc_marks, blocking, named_echo;
};

static void check_event(const struct event *e, struct counts *n)
{
    n->events++;
    CHECK(e->ph[0], "event %d has no ph", n->events);
    if (strcmp(e->ph, "M") == 0)
        return;
    CHECK(e->has_ts && e->has_tid, "event %d (%s %s) lacks ts or tid", n->events, e->ph, e->name);
    struct lane *l = lane_of(e->tid);
    if (strcmp(e->ph, "B") == 0 || strcmp(e->ph, "E") == 0) {
        CHECK(e->ts >= l->last, "lane %ld goes back in time: %.3f after %.3f", e->tid, e->ts, l->last);
        l->last = e->ts;
    }
    if (strcmp(e->ph, "B") == 0) {
        REQUIRE(l->depth < MAX_DEPTH, "lane %ld nests too deep", e->tid);
        snprintf(l->open[l->depth++], sizeof l->open[0], "%s", e->name);
        if (e->name[0] == 'G') {
            n->g_runs++;
            n->named_echo += strstr(e->name, " echo") != NULL;
        }
    } else if (strcmp(e->ph, "E") == 0) {
        CHECK(l->depth > 0, "lane %ld: E at %.3f closes nothing", e->tid, e->ts);
        if (l->depth > 0)
            l->depth--;
        n->chan_blocks += strncmp(e->why, "chan ", 5) == 0;
    } else if (strcmp(e->ph, "i") == 0) {
        n->creates += strncmp(e->name, "go G", 4) == 0;
        n->unblocks += strncmp(e->name, "unblock G", 9) == 0;
    } else if (strcmp(e->ph, "X") == 0) {
        n->gc_marks += strcmp(e->name, "mark") == 0;
        n->blocking += strstr(e->name, "blocking section") != NULL;
    } else {
        CHECK(0, "unexpected ph %s", e->ph);
    }
}

/* whole: the trace of the whole workload, whose events are counted. */
static void check_trace(const char *text, bool whole)
{
    struct parser p = {text, true};
    struct counts n = {0};
    nlanes = 0;
    memset(lanes, 0, sizeof lanes);
    REQUIRE(eat(&p, '['), "the trace is not a JSON array");
    if (!eat(&p, ']')) {
        do {
            struct event e = {0};
            object(&p, &e, 1);
            REQUIRE(p.ok, "malformed JSON near offset %ld: %.40s", (long)(p.s - text), p.s);
            check_event(&e, &n);
        } while (eat(&p, ','));
        REQUIRE(eat(&p, ']'), "the array does not end near offset %ld", (long)(p.s - text));
    }
    skip_ws(&p);
    CHECK(*p.s == '\0', "text after the array: %.40s", p.s);
    for (int i = 0; i < nlanes; i++)
        CHECK(lanes[i].depth == 0, "lane %ld leaves %d slices open (last %s)", lanes[i].tid,
              lanes[i].depth, lanes[i].open[lanes[i].depth - 1]);
    if (!whole) {
        CHECK(n.g_runs > 0, "the first half of the trace has no goroutine run");
        return;
    }
    CHECK(n.g_runs >= ROUNDS, "%d goroutine runs, want >= %d", n.g_runs, ROUNDS);
    CHECK(n.named_echo > 0, "no run names its function (echo)");
    CHECK(n.creates >= SPAWNS, "%d goroutines created, want >= %d", n.creates, SPAWNS);
    CHECK(n.unblocks >= ROUNDS, "%d unblocks, want >= %d", n.unblocks, ROUNDS);
    CHECK(n.chan_blocks >= ROUNDS, "%d runs ended on a channel, want >= %d", n.chan_blocks, ROUNDS);
    CHECK(n.gc_marks >= 1, "no GC mark phase");
    CHECK(n.blocking >= 1, "no blocking section");
}

/* The JSON of the trace in f's bytes [0, len). */
static char *to_json(FILE *f, long len)
{
    FILE *in = tmpfile(), *json = tmpfile();
    REQUIRE(in && json, "tmpfile: %s", strerror(errno));
    char buf[1 << 16];
    rewind(f);
    for (long left = len; left > 0;) {
        size_t n = fread(buf, 1, left < (long)sizeof buf ? (size_t)left : sizeof buf, f);
        REQUIRE(n > 0, "cannot read the trace back");
        fwrite(buf, 1, n, in);
        left -= (long)n;
    }
    rewind(in);
    int rc = goc_trace_to_json(in, json);
    REQUIRE(rc == 0, "goc_trace_to_json: %d", rc);
    long size = ftell(json);
    REQUIRE(size > 0, "empty JSON");
    char *text = malloc((size_t)size + 1);
    rewind(json);
    REQUIRE(fread(text, 1, (size_t)size, json) == (size_t)size, "cannot read the JSON back");
    text[size] = '\0';
    fclose(in);
    fclose(json);
    return text;
}

static int test_main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "env") == 0) {
        CHECK(goc_trace_start(stdout) == -EBUSY, "GODEBUG=trace did not start a trace");
        workload();
        return test_status();
    }
    FILE *f = tmpfile();
    REQUIRE(f, "tmpfile: %s", strerror(errno));
    REQUIRE(goc_trace_start(f) == 0, "goc_trace_start failed");
    CHECK(goc_trace_start(f) == -EBUSY, "a second trace started");
    workload();
    goc_trace_stop();
    goc_trace_stop();   /* a no-op */
    long size = ftell(f);
    REQUIRE(size > 0, "empty trace");
    char *text = to_json(f, size);
    check_trace(text, true);
    free(text);
    text = to_json(f, size / 2);
    check_trace(text, false);
    free(text);
    fclose(f);
    FILE *junk = tmpfile(), *json = tmpfile();
    REQUIRE(junk && json, "tmpfile: %s", strerror(errno));
    fputs("[{\"ph\":\"M\"}]\n", junk);
    rewind(junk);
    CHECK(goc_trace_to_json(junk, json) == -EINVAL, "JSON taken for a trace");
    fclose(junk);
    fclose(json);
    return test_status();
}

GOC_MAIN(test_main)
