/* SPDX-License-Identifier: MIT */
/* Load generator for echo servers (bench/echo-run), on plain epoll threads
 * (no goc), so it loads a goc server and a Go server the same way.  Each
 * client sends a message and waits for all of it to come back before it
 * sends the next.
 *
 *   echo-load PORT CONNS SECONDS [SIZE] [THREADS] [RATE]
 *
 * Without RATE (or 0) the clients are closed-loop: the next message goes
 * as soon as the reply is in, and the server and this generator share the
 * CPU as fast as they can.  A saturating closed loop measures throughput;
 * its latency is mostly how long whichever side is the bottleneck waits
 * for a core.  With RATE, the clients together send RATE messages per
 * second on a fixed schedule, and a round trip's latency counts from the
 * time its message was due, so a reply that comes late delays the next
 * message without hiding that delay (no coordinated omission): latency at
 * a load both servers can carry.
 *
 * Prints one line: round trips per second and latency percentiles. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { HIST_US = 1000000 };   /* latency buckets: 1 us each up to 1 s */

typedef struct client {
    int     fd;
    size_t  sent, got;
    int64_t started;        /* when the message in flight was sent or due */
    bool    in_flight;
} client;

typedef struct worker {
    pthread_t  thread;
    int        nclients;
    client    *clients;
    uint64_t   round_trips;
    int        first, nconns;   /* index of its first client, and of all */
    uint32_t  *hist;        /* HIST_US + 1 buckets; the last: >= 1 s */
    const char *error;
} worker;

static int port, msg_size;
static int64_t interval_ns;   /* between one client's messages; 0: closed loop */
static char *message;
static _Atomic bool stopping;
static int64_t measure_start;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int dial(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1;
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Sends what is left of the current message; false on a broken connection. */
static bool pump_send(client *c) {
    while (c->sent < (size_t)msg_size) {
        ssize_t n = send(c->fd, message + c->sent, (size_t)msg_size - c->sent,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0)
            return errno == EAGAIN;
        c->sent += (size_t)n;
    }
    return true;
}

static bool start_round(client *c, int64_t started) {
    c->sent = c->got = 0;
    c->started = started;
    c->in_flight = true;
    return pump_send(c);
}

/* Under a fixed rate: sends the messages that are due, and returns how long
 * until the next one is (-1: none waits). */
static int64_t send_due(worker *w, int64_t now, bool *failed) {
    int64_t wait = -1;
    for (int i = 0; i < w->nclients; i++) {
        client *c = &w->clients[i];
        if (c->in_flight)
            continue;
        if (c->started <= now) {
            if (!start_round(c, c->started)) {
                *failed = true;
                return -1;
            }
        } else if (wait < 0 || c->started - now < wait) {
            wait = c->started - now;
        }
    }
    return wait;
}

static void *work(void *arg) {
    worker *w = arg;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    for (int i = 0; i < w->nclients; i++) {
        client *c = &w->clients[i];
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
        if (interval_ns) {
            /* Spread the clients' schedules evenly over one interval. */
            c->started = now_ns() + interval_ns * (w->first + i) / w->nconns;
        } else if (!start_round(c, now_ns())) {
            w->error = "send failed";
            return NULL;
        }
    }
    char buf[65536];
    struct epoll_event evs[256];
    bool failed = false;
    while (!atomic_load_explicit(&stopping, memory_order_relaxed)) {
        int64_t wait = interval_ns ? send_due(w, now_ns(), &failed) : -1;
        if (failed) {
            w->error = "send failed";
            return NULL;
        }
        /* Wake for the next due message, and at least every 100 ms. */
        struct timespec timeout = {.tv_sec = 0, .tv_nsec = 100 * 1000000};
        if (wait >= 0 && wait < timeout.tv_nsec)
            timeout.tv_nsec = (long)wait;
        int n = epoll_pwait2(ep, evs, 256, &timeout, NULL);
        for (int i = 0; i < n; i++) {
            client *c = evs[i].data.ptr;
            ssize_t r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN)
                    continue;
                w->error = r == 0 ? "server closed a connection" : strerror(errno);
                return NULL;
            }
            c->got += (size_t)r;
            if (c->got < (size_t)msg_size) {
                if (!pump_send(c)) {
                    w->error = "send failed";
                    return NULL;
                }
                continue;
            }
            int64_t end = now_ns();
            if (c->started >= measure_start) {
                int64_t us = (end - c->started) / 1000;
                w->hist[us < HIST_US ? us : HIST_US]++;
                w->round_trips++;
            }
            c->in_flight = false;
            if (interval_ns) {
                c->started += interval_ns;   /* sent by send_due, now or later */
            } else if (!start_round(c, end)) {
                w->error = "send failed";
                return NULL;
            }
        }
    }
    close(ep);
    return NULL;
}

static double percentile(const uint32_t *hist, uint64_t total, double q) {
    uint64_t want = (uint64_t)(q * (double)total), seen = 0;
    for (int us = 0; us <= HIST_US; us++) {
        seen += hist[us];
        if (seen > want)
            return us;
    }
    return HIST_US;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s PORT CONNS SECONDS [SIZE] [THREADS] [RATE]\n", argv[0]);
        return 2;
    }
    port = atoi(argv[1]);
    int conns = atoi(argv[2]);
    double seconds = atof(argv[3]);
    msg_size = argc > 4 ? atoi(argv[4]) : 64;
    int nworkers = argc > 5 ? atoi(argv[5]) : 2;
    double rate = argc > 6 ? atof(argv[6]) : 0;
    if (conns < 1 || seconds <= 0 || msg_size < 1 || nworkers < 1 || rate < 0) {
        fprintf(stderr, "%s: bad arguments\n", argv[0]);
        return 2;
    }
    if (nworkers > conns)
        nworkers = conns;
    if (rate > 0)
        interval_ns = (int64_t)(conns * 1e9 / rate);
    message = malloc((size_t)msg_size);
    for (int i = 0; i < msg_size; i++)
        message[i] = (char)('a' + i % 26);

    client *clients = calloc((size_t)conns, sizeof *clients);
    for (int i = 0; i < conns; i++) {
        clients[i].fd = dial();
        if (clients[i].fd < 0) {
            fprintf(stderr, "%s: connection %d: %s\n", argv[0], i, strerror(errno));
            return 1;
        }
    }
    worker *ws = calloc((size_t)nworkers, sizeof *ws);
    /* The first quarter second warms up (connections, caches, goroutines). */
    measure_start = now_ns() + 250 * 1000000LL;
    for (int i = 0, next = 0; i < nworkers; i++) {
        ws[i].nclients = conns / nworkers + (i < conns % nworkers);
        ws[i].clients = clients + next;
        ws[i].first = next;
        ws[i].nconns = conns;
        ws[i].hist = calloc(HIST_US + 1, sizeof(uint32_t));
        next += ws[i].nclients;
        pthread_create(&ws[i].thread, NULL, work, &ws[i]);
    }
    int64_t end = measure_start + (int64_t)(seconds * 1e9);
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 10 * 1000000};
    while (now_ns() < end)
        nanosleep(&pause, NULL);
    atomic_store(&stopping, true);
    double elapsed = (double)(now_ns() - measure_start) / 1e9;

    uint64_t total = 0;
    uint32_t *hist = calloc(HIST_US + 1, sizeof(uint32_t));
    const char *error = NULL;
    for (int i = 0; i < nworkers; i++) {
        pthread_join(ws[i].thread, NULL);
        if (ws[i].error)
            error = ws[i].error;
        total += ws[i].round_trips;
        for (int us = 0; us <= HIST_US; us++)
            hist[us] += ws[i].hist[us];
    }
    if (error) {
        fprintf(stderr, "%s: %s\n", argv[0], error);
        return 1;
    }
    if (total == 0) {
        fprintf(stderr, "%s: no round trip completed\n", argv[0]);
        return 1;
    }
    printf("echo-load conns %d size %d round_trips_per_sec %.0f p50_us %.0f p99_us %.0f\n",
           conns, msg_size, (double)total / elapsed, percentile(hist, total, 0.50),
           percentile(hist, total, 0.99));
    return 0;
}
