/* SPDX-License-Identifier: MIT */
/* HTTP/1.1 server: one goroutine per connection, keep-alive and pipelining,
 * and a small router:
 *   GET /        "Hello, World!\n"
 *   GET /stats   goroutine count and memory statistics as JSON
 *   anything else 404
 * Requests may carry a body (Content-Length) up to the buffer size;
 * "Connection: close" (or HTTP/1.0 without keep-alive) ends the connection
 * after the response.
 *
 *   httpd [port] [address]     (default: any free port on 127.0.0.1) */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <strings.h>
#include <time.h>

#include "examples/net.h"

enum { IN_SIZE = 8192, OUT_SIZE = 16384 };

typedef struct conn {
    int    fd;
    size_t inlen, outlen;
    time_t date_sec;
    char   date[40];
    char   in[IN_SIZE];
    char   out[OUT_SIZE];
} conn;

typedef struct request {
    const char *method, *path;
    size_t      method_len, path_len;
    bool        keep_alive;
    size_t      body_len;
} request;

/* ---- responses -------------------------------------------------------------- */

static const char *http_date(conn *c) {
    time_t now = time(NULL);
    if (now != c->date_sec) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(c->date, sizeof c->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        c->date_sec = now;
    }
    return c->date;
}

static bool flush(conn *c) {
    bool ok = c->outlen == 0 || goc_write(c->fd, c->out, c->outlen) >= 0;
    c->outlen = 0;
    return ok;
}

/* Appends one response; false if the connection failed. */
static bool respond(conn *c, const request *rq, int status, const char *reason,
                    const char *type, const char *extra, const char *body, size_t body_len) {
    bool head = rq->method_len == 4 && memcmp(rq->method, "HEAD", 4) == 0;
    char hdr[512];
    int n = snprintf(hdr, sizeof hdr,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Date: %s\r\n%s%s\r\n",
                     status, reason, type, body_len, http_date(c), extra,
                     rq->keep_alive ? "" : "Connection: close\r\n");
    if (head)
        body_len = 0;
    if (c->outlen + (size_t)n + body_len > OUT_SIZE && !flush(c))
        return false;
    if ((size_t)n + body_len > OUT_SIZE) {
        /* Larger than the buffer: straight out. */
        return goc_write(c->fd, hdr, (size_t)n) >= 0 &&
               goc_write(c->fd, body, body_len) >= 0;
    }
    memcpy(c->out + c->outlen, hdr, (size_t)n);
    memcpy(c->out + c->outlen + n, body, body_len);
    c->outlen += (size_t)n + body_len;
    return true;
}

static int json_field(char *buf, size_t cap, const char *name, uint64_t v, bool last) {
    return snprintf(buf, cap, "  \"%s\": %llu%s\n", name, (unsigned long long)v, last ? "" : ",");
}

static bool stats(conn *c, const request *rq) {
    goc_memstats ms;
    goc_read_memstats(&ms);
    struct { const char *name; uint64_t v; } fields[] = {
        {"goroutines", (uint64_t)goc_num_goroutine()},
        {"alloc", ms.alloc}, {"total_alloc", ms.total_alloc}, {"sys", ms.sys},
        {"mallocs", ms.mallocs}, {"frees", ms.frees},
        {"heap_alloc", ms.heap_alloc}, {"heap_sys", ms.heap_sys},
        {"heap_idle", ms.heap_idle}, {"heap_inuse", ms.heap_inuse},
        {"heap_released", ms.heap_released}, {"heap_objects", ms.heap_objects},
        {"stack_inuse", ms.stack_inuse}, {"stack_sys", ms.stack_sys},
        {"next_gc", ms.next_gc}, {"num_gc", ms.num_gc},
        {"pause_total_ns", ms.pause_total_ns},
    };
    size_t nfields = sizeof fields / sizeof fields[0];
    char body[2048];
    size_t len = (size_t)snprintf(body, sizeof body, "{\n");
    for (size_t i = 0; i < nfields; i++)
        len += (size_t)json_field(body + len, sizeof body - len, fields[i].name, fields[i].v,
                                  i + 1 == nfields);
    len += (size_t)snprintf(body + len, sizeof body - len, "}\n");
    return respond(c, rq, 200, "OK", "application/json", "", body, len);
}

static bool route(conn *c, const request *rq) {
    static const char hello[] = "Hello, World!\n";
    static const char not_found[] = "404 page not found\n";
    static const char not_allowed[] = "405 method not allowed\n";
    size_t plen = rq->path_len;
    const char *q = memchr(rq->path, '?', plen);
    if (q)
        plen = (size_t)(q - rq->path);
    bool get = (rq->method_len == 3 && memcmp(rq->method, "GET", 3) == 0) ||
               (rq->method_len == 4 && memcmp(rq->method, "HEAD", 4) == 0);
    bool root = plen == 1 && rq->path[0] == '/';
    bool stats_path = plen == 6 && memcmp(rq->path, "/stats", 6) == 0;
    const char *text = "text/plain; charset=utf-8";
    if ((root || stats_path) && !get)
        return respond(c, rq, 405, "Method Not Allowed", text, "Allow: GET, HEAD\r\n",
                       not_allowed, sizeof not_allowed - 1);
    if (root)
        return respond(c, rq, 200, "OK", text, "", hello, sizeof hello - 1);
    if (stats_path)
        return stats(c, rq);
    return respond(c, rq, 404, "Not Found", text, "", not_found, sizeof not_found - 1);
}

/* ---- requests --------------------------------------------------------------- */

static bool header_is(const char *line, size_t len, const char *name, const char **value,
                      size_t *value_len) {
    size_t n = strlen(name);
    if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
        return false;
    const char *v = line + n + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *value = v;
    *value_len = (size_t)(end - v);
    return true;
}

static bool has_token(const char *v, size_t len, const char *token) {
    size_t n = strlen(token);
    for (size_t i = 0; i + n <= len; i++)
        if (strncasecmp(v + i, token, n) == 0 && (i == 0 || v[i - 1] == ' ' || v[i - 1] == ',') &&
            (i + n == len || v[i + n] == ',' || v[i + n] == ' '))
            return true;
    return false;
}

/* Parses the head in c->in[0, head_len) (it ends with CRLF CRLF).  Returns
 * 0, or the status to answer a bad request with. */
static int parse(const char *head, size_t head_len, request *rq) {
    const char *end = head + head_len, *line_end = memmem(head, head_len, "\r\n", 2);
    const char *sp1 = memchr(head, ' ', (size_t)(line_end - head));
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(line_end - sp1 - 1)) : NULL;
    if (!sp2 || sp1 == head || sp2 == sp1 + 1 || line_end - sp2 != 9 ||
        memcmp(sp2 + 1, "HTTP/1.", 7) != 0 || (sp2[8] != '0' && sp2[8] != '1'))
        return 400;
    *rq = (request){.method = head, .method_len = (size_t)(sp1 - head),
                    .path = sp1 + 1, .path_len = (size_t)(sp2 - sp1 - 1),
                    .keep_alive = sp2[8] == '1'};
    for (const char *line = line_end + 2; line < end - 2;) {
        const char *next = memmem(line, (size_t)(end - line), "\r\n", 2);
        size_t len = (size_t)(next - line);
        const char *v;
        size_t vlen;
        if (header_is(line, len, "Connection", &v, &vlen)) {
            if (has_token(v, vlen, "close"))
                rq->keep_alive = false;
            else if (has_token(v, vlen, "keep-alive"))
                rq->keep_alive = true;
        } else if (header_is(line, len, "Content-Length", &v, &vlen)) {
            char num[24];
            char *stop;
            if (vlen == 0 || vlen >= sizeof num)
                return 400;
            memcpy(num, v, vlen);
            num[vlen] = '\0';
            unsigned long long n = strtoull(num, &stop, 10);
            if (*stop || num[0] == '-')
                return 400;
            rq->body_len = (size_t)n;
        } else if (header_is(line, len, "Transfer-Encoding", &v, &vlen)) {
            return 501;
        }
        line = next + 2;
    }
    return 0;
}

static const char *reason_of(int status) {
    switch (status) {
    case 400: return "Bad Request";
    case 413: return "Request Entity Too Large";
    case 431: return "Request Header Fields Too Large";
    default:  return "Not Implemented";
    }
}

/* Answers a request that cannot be served; the connection then ends. */
static void fail(conn *c, int status) {
    request rq = {.method = "GET", .method_len = 3, .keep_alive = false};
    char body[64];
    int n = snprintf(body, sizeof body, "%d %s\n", status, reason_of(status));
    if (respond(c, &rq, status, reason_of(status), "text/plain; charset=utf-8", "", body,
                (size_t)n))
        flush(c);
}

static void serve(void *arg) {
    conn *c = arg;
    for (;;) {
        /* Answer every complete request in the buffer, then send them all. */
        size_t off = 0;
        bool keep = true;
        for (;;) {
            char *head = c->in + off;
            size_t avail = c->inlen - off;
            char *end = memmem(head, avail, "\r\n\r\n", 4);
            if (!end)
                break;
            size_t head_len = (size_t)(end - head) + 4;
            request rq;
            int bad = parse(head, head_len, &rq);
            if (!bad && rq.body_len > IN_SIZE - head_len)
                bad = 413;
            if (bad) {
                flush(c);
                fail(c, bad);
                keep = false;
                break;
            }
            if (avail < head_len + rq.body_len)
                break;   /* the body is still on its way */
            off += head_len + rq.body_len;
            if (!route(c, &rq) || !rq.keep_alive) {
                keep = false;
                break;
            }
        }
        if (!flush(c) || !keep)
            break;
        memmove(c->in, c->in + off, c->inlen - off);
        c->inlen -= off;
        if (c->inlen == IN_SIZE) {
            fail(c, 431);
            break;
        }
        ssize_t n = goc_read(c->fd, c->in + c->inlen, IN_SIZE - c->inlen);
        if (n <= 0)
            break;
        c->inlen += (size_t)n;
    }
    goc_close(c->fd);
    free(c);
}

static int httpd_main(int argc, char **argv) {
    int listener = example_listen("httpd", argc, argv);
    for (;;) {
        int fd = example_accept(listener);
        if (fd < 0)
            return example_accept_failed("httpd", fd);
        conn *c = malloc(sizeof *c);
        if (!c) {
            goc_close(fd);
            continue;
        }
        c->fd = fd;
        c->inlen = c->outlen = 0;
        c->date_sec = 0;
        goc_go(serve, c);
    }
}

GOC_MAIN(httpd_main)
