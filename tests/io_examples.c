/* SPDX-License-Identifier: MIT */
/* The example servers, started on ephemeral loopback ports and exercised:
 * echo (concurrent clients, a large transfer), httpd (routes, keep-alive,
 * pipelining, bodies, Connection: close, HTTP/1.0, bad requests, /stats
 * JSON), chat (nicks, rooms, fan-out, and a client that never reads being
 * dropped while the room keeps serving everyone else).  Every server is
 * stopped at the end and must still be running when it is. */
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>
#include <stdatomic.h>

#include "tests/io_test.h"

#define MS GOC_MILLISECOND

typedef struct server {
    const char *name;
    pid_t       pid;
    int         port;
} server;

static char examples_dir[PATH_MAX];

static void find_examples(void) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    REQUIRE(n > 0, "readlink /proc/self/exe");
    self[n] = '\0';
    /* <build>/tests/io_examples -> <build>/examples */
    snprintf(examples_dir, sizeof examples_dir, "%s/../examples", dirname(self));
}

static server start(const char *name) {
    server s = {.name = name};
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", examples_dir, name);
    REQUIRE(access(path, X_OK) == 0, "%s is not built", path);
    int out[2];
    REQUIRE(pipe2(out, O_CLOEXEC) == 0, "pipe2");
    char *args[] = {path, "0", "127.0.0.1", NULL};
    s.pid = io_test_spawn(path, args, out[1]);
    close(out[1]);
    /* "NAME: listening on 127.0.0.1:PORT\n" */
    char line[128] = {0};
    size_t len = 0;
    goc_set_deadline(out[0], goc_now() + 10 * GOC_SECOND);
    while (len < sizeof line - 1 && !memchr(line, '\n', len)) {
        ssize_t r = goc_read(out[0], line + len, sizeof line - 1 - len);
        REQUIRE(r > 0, "%s did not say where it listens (%zd)", name, r);
        len += (size_t)r;
    }
    goc_close(out[0]);
    const char *colon = strrchr(line, ':');
    REQUIRE(strstr(line, "listening on 127.0.0.1:") && colon, "%s said: %s", name, line);
    s.port = atoi(colon + 1);
    return s;
}

static void stop(server *s) {
    int status;
    CHECK(waitpid(s->pid, &status, WNOHANG) == 0, "%s died during the test (status %#x)",
          s->name, status);
    io_test_reap(s->pid, SIGTERM);
}

/* ---- line and message helpers ------------------------------------------------------ */

typedef struct reader {
    int    fd;
    size_t len;
    char   buf[16384];
} reader;

/* Next line (without the newline) within timeout: its length, or -errno /
 * -EPIPE at end of file. */
static ssize_t read_line_until(reader *rd, char *out, size_t cap) {
    for (;;) {
        char *nl = memchr(rd->buf, '\n', rd->len);
        if (nl) {
            size_t n = (size_t)(nl - rd->buf);
            size_t copy = n < cap - 1 ? n : cap - 1;
            memcpy(out, rd->buf, copy);
            out[copy] = '\0';
            rd->len -= n + 1;
            memmove(rd->buf, nl + 1, rd->len);
            return (ssize_t)copy;
        }
        if (rd->len == sizeof rd->buf)
            return -ENOBUFS;
        ssize_t r = goc_read(rd->fd, rd->buf + rd->len, sizeof rd->buf - rd->len);
        if (r <= 0)
            return r == 0 ? -EPIPE : r;
        rd->len += (size_t)r;
    }
}

/* The deadline bounds this read only: the fd's writes must not inherit it. */
static ssize_t read_line(reader *rd, char *out, size_t cap, int64_t timeout) {
    goc_set_deadline(rd->fd, goc_now() + timeout);
    ssize_t r = read_line_until(rd, out, cap);
    goc_set_deadline(rd->fd, 0);
    return r;
}

/* Reads lines until one contains want; false if none did within timeout. */
static bool expect_line(reader *rd, const char *want, int64_t timeout) {
    char line[2048];
    int64_t end = goc_now() + timeout;
    while (goc_now() < end)
        if (read_line(rd, line, sizeof line, end - goc_now()) < 0)
            return false;
        else if (strstr(line, want))
            return true;
    return false;
}

static bool send_str(int fd, const char *s) {
    return goc_write(fd, s, strlen(s)) == (ssize_t)strlen(s);
}

/* ---- echo --------------------------------------------------------------------------- */

typedef struct echo_client {
    int            port;
    int            id;
    bool           ok;
    goc_waitgroup *wg;
} echo_client;

static void echo_one(void *arg) {
    echo_client *c = arg;
    int fd = io_test_dial(c->port);
    char msg[64], back[64];
    int len = snprintf(msg, sizeof msg, "hello from client %d", c->id);
    c->ok = fd >= 0 && goc_write(fd, msg, (size_t)len) == len;
    int got = 0;
    while (c->ok && got < len) {
        ssize_t r = goc_read(fd, back + got, (size_t)(len - got));
        c->ok = r > 0;
        got += r > 0 ? (int)r : 0;
    }
    c->ok = c->ok && memcmp(msg, back, (size_t)len) == 0;
    if (fd >= 0)
        goc_close(fd);
    goc_waitgroup_done(c->wg);
}

typedef struct bulk {
    int            fd;
    unsigned char *data;
    size_t         n;
    ssize_t        result;
    goc_waitgroup *wg;
} bulk;

static void bulk_send(void *arg) {
    bulk *b = arg;
    b->result = goc_write(b->fd, b->data, b->n);
    shutdown(b->fd, SHUT_WR);
    goc_waitgroup_done(b->wg);
}

static void test_echo(void) {
    server s = start("echo");
    enum { CLIENTS = 200 };
    static echo_client cs[CLIENTS];
    goc_waitgroup wg = {0};
    for (int i = 0; i < CLIENTS; i++) {
        cs[i] = (echo_client){.port = s.port, .id = i, .wg = &wg};
        goc_waitgroup_add(&wg, 1);
        goc_go(echo_one, &cs[i]);
    }
    goc_waitgroup_wait(&wg);
    int ok = 0;
    for (int i = 0; i < CLIENTS; i++)
        ok += cs[i].ok;
    CHECK(ok == CLIENTS, "echo: %d of %d clients got their message back", ok, CLIENTS);

    /* 8 MiB both ways at once, then the half close ends the session. */
    enum { SIZE = 8 << 20 };
    int fd = io_test_dial(s.port);
    REQUIRE(fd >= 0, "dial echo");
    unsigned char *data = malloc(SIZE), *back = malloc(SIZE);
    for (int i = 0; i < SIZE; i++)
        data[i] = (unsigned char)(i * 7 + (i >> 13));
    bulk b = {.fd = fd, .data = data, .n = SIZE, .wg = &wg};
    goc_waitgroup_add(&wg, 1);
    goc_go(bulk_send, &b);
    size_t got = 0;
    ssize_t r;
    goc_set_deadline(fd, goc_now() + 20 * GOC_SECOND);
    while (got < SIZE && (r = goc_read(fd, back + got, SIZE - got)) > 0)
        got += (size_t)r;
    goc_waitgroup_wait(&wg);
    CHECK(b.result == SIZE, "echo: bulk write returned %zd", b.result);
    CHECK(got == SIZE && memcmp(data, back, SIZE) == 0, "echo: %zu of %d bulk bytes came back%s",
          got, SIZE, got == SIZE ? " but differ" : "");
    char c;
    CHECK(goc_read(fd, &c, 1) == 0, "echo: the server closes after our half close");
    goc_close(fd);
    free(data);
    free(back);
    stop(&s);
}

/* ---- httpd -------------------------------------------------------------------------- */

typedef struct response {
    int    status;
    char   headers[1024];
    char   body[2048];
    size_t body_len;
} response;

/* Reads one response from rd (which may hold pipelined ones).  The answer
 * to HEAD has a Content-Length but no body (head true). */
static bool read_response_within(reader *rd, response *out, bool head) {
    char *end;
    while (!(end = memmem(rd->buf, rd->len, "\r\n\r\n", 4))) {
        ssize_t r = goc_read(rd->fd, rd->buf + rd->len, sizeof rd->buf - rd->len);
        if (r <= 0)
            return false;
        rd->len += (size_t)r;
    }
    size_t head_len = (size_t)(end - rd->buf) + 4;
    if (head_len >= sizeof out->headers || sscanf(rd->buf, "HTTP/1.1 %d ", &out->status) != 1)
        return false;
    memcpy(out->headers, rd->buf, head_len);
    out->headers[head_len] = '\0';
    const char *cl = strcasestr(out->headers, "\r\nContent-Length: ");
    if (!cl)
        return false;
    out->body_len = strtoul(cl + 18, NULL, 10);
    if (out->body_len >= sizeof out->body)
        return false;
    size_t content_length = out->body_len;
    if (head)
        out->body_len = 0;
    while (rd->len < head_len + out->body_len) {
        ssize_t r = goc_read(rd->fd, rd->buf + rd->len, sizeof rd->buf - rd->len);
        if (r <= 0)
            return false;
        rd->len += (size_t)r;
    }
    memcpy(out->body, rd->buf + head_len, out->body_len);
    out->body[out->body_len] = '\0';
    rd->len -= head_len + out->body_len;
    memmove(rd->buf, rd->buf + head_len + out->body_len, rd->len);
    out->body_len = content_length;
    return true;
}

static bool read_response_to(reader *rd, response *out, bool head) {
    goc_set_deadline(rd->fd, goc_now() + 5 * GOC_SECOND);
    bool ok = read_response_within(rd, out, head);
    goc_set_deadline(rd->fd, 0);
    return ok;
}

static bool read_response(reader *rd, response *out) { return read_response_to(rd, out, false); }

static bool closed_by_server(reader *rd) {
    goc_set_deadline(rd->fd, goc_now() + 5 * GOC_SECOND);
    char c;
    return rd->len == 0 && goc_read(rd->fd, &c, 1) == 0;
}

static void test_httpd(void) {
    static const char hello[] = "Hello, World!\n";
    server s = start("httpd");
    static reader rd;
    response res;
    rd.len = 0;
    rd.fd = io_test_dial(s.port);
    REQUIRE(rd.fd >= 0, "dial httpd");

    /* Keep-alive: several requests on one connection. */
    for (int i = 0; i < 3; i++) {
        CHECK(send_str(rd.fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "send");
        CHECK(read_response(&rd, &res) && res.status == 200 && strcmp(res.body, hello) == 0 &&
              strstr(res.headers, "Content-Length: 14\r\n"),
              "GET / #%d: status %d body \"%s\"", i, res.status, res.body);
    }
    /* Pipelined: three requests in one write, answered in order. */
    CHECK(send_str(rd.fd, "GET /nope HTTP/1.1\r\n\r\nGET /stats HTTP/1.1\r\n\r\n"
                          "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"), "send");
    CHECK(read_response(&rd, &res) && res.status == 404, "GET /nope: %d", res.status);
    CHECK(read_response(&rd, &res) && res.status == 200 &&
          strstr(res.headers, "application/json"), "GET /stats: %d", res.status);
    const char *g = strstr(res.body, "\"goroutines\": ");
    CHECK(g && atoi(g + 14) >= 2, "/stats has no sensible goroutine count: %s", res.body);
    CHECK(strstr(res.body, "\"heap_alloc\": ") && res.body[0] == '{' &&
          res.body[res.body_len - 2] == '}', "/stats is not the expected JSON: %s", res.body);
    CHECK(read_response(&rd, &res) && res.status == 405, "POST /: %d", res.status);
    /* The body was skipped: the connection still works. */
    CHECK(send_str(rd.fd, "HEAD / HTTP/1.1\r\n\r\n"), "send");
    CHECK(read_response_to(&rd, &res, true) && res.status == 200 && res.body_len == 14 &&
          res.body[0] == '\0', "HEAD /: status %d", res.status);
    /* Had the server sent a body after HEAD, it would now precede the next
     * response and spoil it. */
    CHECK(send_str(rd.fd, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n"), "send");
    CHECK(read_response(&rd, &res) && res.status == 200 &&
          strstr(res.headers, "Connection: close\r\n"), "GET with Connection: close");
    CHECK(closed_by_server(&rd), "the server keeps a Connection: close connection open");
    goc_close(rd.fd);

    /* HTTP/1.0 without keep-alive closes; a bad request gets 400 and a close. */
    rd.len = 0;
    rd.fd = io_test_dial(s.port);
    CHECK(send_str(rd.fd, "GET / HTTP/1.0\r\n\r\n"), "send");
    CHECK(read_response(&rd, &res) && res.status == 200, "HTTP/1.0 GET: %d", res.status);
    CHECK(closed_by_server(&rd), "HTTP/1.0 connection left open");
    goc_close(rd.fd);
    rd.len = 0;
    rd.fd = io_test_dial(s.port);
    CHECK(send_str(rd.fd, "NONSENSE\r\n\r\n"), "send");
    CHECK(read_response(&rd, &res) && res.status == 400, "bad request: %d", res.status);
    CHECK(closed_by_server(&rd), "connection left open after a bad request");
    goc_close(rd.fd);
    stop(&s);
}

/* ---- chat ---------------------------------------------------------------------------- */

typedef struct flood_counter {
    reader        *rd;
    int            want;
    _Atomic int    got;
    bool           in_order;
    goc_waitgroup *wg;
} flood_counter;

/* Counts "[flood] fast: line N" lines, which must come in order. */
static void count_flood(void *arg) {
    flood_counter *fc = arg;
    char line[2048];
    fc->in_order = true;
    while (fc->got < fc->want && read_line(fc->rd, line, sizeof line, 20 * GOC_SECOND) >= 0) {
        const char *p = strstr(line, "[flood] fast: line ");
        if (!p)
            continue;
        if (atoi(p + 19) != fc->got)
            fc->in_order = false;
        fc->got++;
    }
    goc_waitgroup_done(fc->wg);
}

static void test_chat(void) {
    server s = start("chat");
    static reader a, b, c, fast, slow;
    reader *all[] = {&a, &b, &c, &fast, &slow};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        all[i]->len = 0;
        all[i]->fd = io_test_dial(s.port);
        REQUIRE(all[i]->fd >= 0, "dial chat");
        CHECK(expect_line(all[i], "* welcome guest", 5 * GOC_SECOND), "no welcome line");
    }
    CHECK(send_str(a.fd, "/nick alice\n") && send_str(b.fd, "/nick bob\n"), "send");
    CHECK(expect_line(&b, "is now alice", 5 * GOC_SECOND), "bob did not see alice's rename");
    CHECK(send_str(a.fd, "hi there\n"), "send");
    CHECK(expect_line(&b, "[lobby] alice: hi there", 5 * GOC_SECOND), "bob missed alice");
    CHECK(expect_line(&a, "[lobby] alice: hi there", 5 * GOC_SECOND), "alice missed herself");

    /* Rooms: bob and c move to "den"; what bob says there reaches c. */
    CHECK(send_str(b.fd, "/join den\n"), "send");
    CHECK(expect_line(&b, "bob joined den", 5 * GOC_SECOND), "bob did not join den");
    CHECK(send_str(c.fd, "/nick carol\n/join den\n"), "send");
    CHECK(expect_line(&b, "carol joined den", 5 * GOC_SECOND), "bob missed carol joining");
    CHECK(send_str(b.fd, "quiet in here\n"), "send");
    CHECK(expect_line(&c, "[den] bob: quiet in here", 5 * GOC_SECOND), "carol missed bob");
    CHECK(send_str(a.fd, "/bogus\n"), "send");
    CHECK(expect_line(&a, "* commands:", 5 * GOC_SECOND), "no help for an unknown command");

    /* A member that never reads must not stall its room: "slow" joins
     * "flood" and never reads again while "fast" says enough to fill the
     * kernel's buffers and the room's queue many times over. */
    enum { FLOOD = 10000, PAD = 800 };   /* 8 MB: more than loopback buffers hold */
    enum { FAST_LAG_MAX = 200 };         /* well inside the server's 1024-message queue */
    CHECK(send_str(slow.fd, "/join flood\n"), "send");
    CHECK(send_str(fast.fd, "/nick fast\n/join flood\n"), "send");
    CHECK(expect_line(&fast, "fast joined flood", 5 * GOC_SECOND), "fast did not join");
    goc_waitgroup wg = {0};
    flood_counter fc = {.rd = &fast, .want = FLOOD, .wg = &wg};
    goc_waitgroup_add(&wg, 1);
    goc_go(count_flood, &fc);
    char pad[PAD + 1];
    memset(pad, 'z', PAD);
    pad[PAD] = '\0';
    bool sent = true;
    for (int i = 0; i < FLOOD && sent; i++) {
        char line[PAD + 32];
        snprintf(line, sizeof line, "line %d %s\n", i, pad);
        sent = send_str(fast.fd, line);
        /* fast reads everything, but on a loaded machine it may fall far
         * enough behind to be dropped too; keep it within reach. */
        int64_t give_up = goc_now() + 10 * GOC_SECOND;
        while (i - atomic_load(&fc.got) > FAST_LAG_MAX && goc_now() < give_up)
            goc_sleep(GOC_MILLISECOND);
    }
    CHECK(sent, "fast could not send");
    goc_waitgroup_wait(&wg);
    CHECK(fc.got == FLOOD && fc.in_order, "fast got %d of %d of its lines back%s", fc.got,
          FLOOD, fc.in_order ? "" : ", out of order");
    /* slow was dropped: draining it ends in end of file, well short of FLOOD lines. */
    int lines = 0;
    char line[2048];
    ssize_t r;
    while ((r = read_line(&slow, line, sizeof line, 10 * GOC_SECOND)) >= 0)
        lines += strstr(line, "[flood] fast: line ") != NULL;
    CHECK(r == -EPIPE, "slow client: %s instead of being disconnected", strerror((int)-r));
    CHECK(lines < FLOOD, "slow client got all %d lines: it was not dropped", lines);

    /* The rest of the server is unaffected. */
    CHECK(send_str(a.fd, "still here\n"), "send");
    CHECK(expect_line(&a, "[lobby] alice: still here", 5 * GOC_SECOND), "lobby stopped");
    CHECK(send_str(c.fd, "/quit\n"), "send");
    CHECK(expect_line(&b, "carol left den", 5 * GOC_SECOND), "bob missed carol leaving");
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        goc_close(all[i]->fd);
    stop(&s);
}

static int test_main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    find_examples();
    io_test_resources before = io_test_resources_now();
    test_echo();
    test_httpd();
    test_chat();
    io_test_check_no_leaks(before, 0);
    return test_status();
}

int main(int argc, char **argv) { return io_test_main(argc, argv, test_main); }
