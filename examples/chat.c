/* SPDX-License-Identifier: MIT */
/* Line-based chat (pub/sub) server.  Each room is a goroutine that owns its
 * member list and fans every message out over the members' channels; a
 * member whose queue is full is dropped (the room never waits for a slow
 * client).  Each connection has a reader goroutine (commands and messages
 * in) and a writer goroutine (its queue out to the socket).
 *
 * Protocol, one line each way:
 *   /nick NAME   change name          /join ROOM   move to another room
 *   /quit        leave                anything else is said to the room
 * The server sends "[room] nick: text" lines and "* ..." notices.
 *
 *   chat [port] [address]      (default: any free port on 127.0.0.1) */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "examples/net.h"

enum {
    NAME_MAX_LEN = 31,
    LINE_MAX_LEN = 1024,
    MEMBER_QUEUE = 1024,   /* messages a member may lag behind before being dropped */
    WRITE_BATCH = 16384,
    ROOM_QUEUE = 256,
};

/* Immutable once sent; shared by every queue it is in, freed by the GC. */
typedef struct message {
    size_t len;
    char   text[];
} message;

typedef struct member {
    int           fd;
    goc_chan     *out;      /* message *, filled by rooms, drained by the writer */
    goc_chan     *ack;      /* room -> reader: the leave was done */
    goc_chan     *written;  /* closed by the writer when it is done */
    _Atomic bool  dropped;
    char          nick[NAME_MAX_LEN + 1];
} member;

enum { EV_JOIN, EV_LEAVE, EV_SAY };
typedef struct room_event {
    int      kind;
    member  *who;
    message *msg;
} room_event;

typedef struct room {
    char         name[NAME_MAX_LEN + 1];
    goc_chan    *events;   /* room_event */
    struct room *next;
} room;

static goc_mutex rooms_mu;
static room *rooms;
static _Atomic int guest_seq;

static message *message_new(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static message *message_new(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    message *m = goc_alloc_atomic(sizeof *m + (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(m->text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    m->len = (size_t)n;
    return m;
}

/* ---- rooms -------------------------------------------------------------------- */

typedef struct members {
    member **v;
    size_t   n, cap;
} members;

static void members_remove(members *ms, size_t i) { ms->v[i] = ms->v[--ms->n]; }

/* The member fell MEMBER_QUEUE messages behind: it goes, and its socket is
 * shut down so its reader and writer finish. */
static void drop(member *m) {
    atomic_store(&m->dropped, true);
    shutdown(m->fd, SHUT_RDWR);
}

static void broadcast(members *ms, message *msg) {
    for (size_t i = 0; i < ms->n;) {
        if (goc_chan_try_send(ms->v[i]->out, &msg)) {
            i++;
            continue;
        }
        drop(ms->v[i]);
        members_remove(ms, i);
    }
}

static void room_run(void *arg) {
    room *r = arg;
    members ms = {0};
    room_event ev;
    while (goc_chan_recv(r->events, &ev)) {
        switch (ev.kind) {
        case EV_JOIN:
            if (ms.n == ms.cap) {
                ms.cap = ms.cap ? 2 * ms.cap : 8;
                ms.v = realloc(ms.v, ms.cap * sizeof *ms.v);
                if (!ms.v)
                    goc_panic("chat: out of memory");
            }
            ms.v[ms.n++] = ev.who;
            broadcast(&ms, message_new("* %s joined %s\n", ev.who->nick, r->name));
            break;
        case EV_LEAVE:
            for (size_t i = 0; i < ms.n; i++) {
                if (ms.v[i] == ev.who) {
                    members_remove(&ms, i);
                    broadcast(&ms, message_new("* %s left %s\n", ev.who->nick, r->name));
                    break;
                }
            }
            goc_chan_send(ev.who->ack, NULL);
            break;
        case EV_SAY:
            broadcast(&ms, ev.msg);
            break;
        }
    }
}

/* The room called name, started on first use.  Rooms live as long as the
 * server: a room that ended while a join was on its way would lose it. */
static room *room_get(const char *name) {
    goc_mutex_lock(&rooms_mu);
    room *r = rooms;
    while (r && strcmp(r->name, name) != 0)
        r = r->next;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            goc_panic("chat: out of memory");
        snprintf(r->name, sizeof r->name, "%s", name);
        r->events = goc_chan_make(sizeof(room_event), ROOM_QUEUE);
        goc_add_roots(r, sizeof *r);   /* the channel is only referenced from here */
        r->next = rooms;
        rooms = r;
        goc_go(room_run, r);
    }
    goc_mutex_unlock(&rooms_mu);
    return r;
}

static void room_send(room *r, int kind, member *who, message *msg) {
    room_event ev = {.kind = kind, .who = who, .msg = msg};
    goc_chan_send(r->events, &ev);
}

static void room_leave(room *r, member *m) {
    room_send(r, EV_LEAVE, m, NULL);
    goc_chan_recv(m->ack, NULL);
}

/* ---- connections ---------------------------------------------------------------- */

/* Sends the member's queue, as much of it per write as is waiting: one
 * system call per message would let a busy room outrun a client that reads
 * everything promptly. */
static void writer(void *arg) {
    member *m = arg;
    char batch[WRITE_BATCH];
    message *msg;
    while (goc_chan_recv(m->out, &msg)) {
        size_t len = 0;
        do {
            if (len + msg->len > sizeof batch && len > 0) {
                if (!atomic_load(&m->dropped) && goc_write(m->fd, batch, len) < 0)
                    drop(m);
                len = 0;
            }
            if (msg->len > sizeof batch) {
                if (!atomic_load(&m->dropped) && goc_write(m->fd, msg->text, msg->len) < 0)
                    drop(m);
            } else {
                memcpy(batch + len, msg->text, msg->len);
                len += msg->len;
            }
        } while (goc_chan_try_recv(m->out, &msg) == GOC_RECV_OK);
        if (len > 0 && !atomic_load(&m->dropped) && goc_write(m->fd, batch, len) < 0)
            drop(m);
    }
    goc_chan_close(m->written);
}

static void tell(member *m, message *msg) {
    if (!goc_chan_try_send(m->out, &msg))
        drop(m);
}

static bool valid_name(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > NAME_MAX_LEN)
        return false;
    for (; *s; s++)
        if (*s <= ' ' || *s == 0x7f)
            return false;
    return true;
}

/* Handles one line; false when the client asked to quit. */
static bool handle_line(member *m, room **current, char *line) {
    if (strncmp(line, "/nick ", 6) == 0) {
        if (!valid_name(line + 6)) {
            tell(m, message_new("* bad name\n"));
            return true;
        }
        message *note = message_new("* %s is now %s\n", m->nick, line + 6);
        snprintf(m->nick, sizeof m->nick, "%s", line + 6);
        room_send(*current, EV_SAY, m, note);
    } else if (strncmp(line, "/join ", 6) == 0) {
        if (!valid_name(line + 6)) {
            tell(m, message_new("* bad room name\n"));
            return true;
        }
        room_leave(*current, m);
        *current = room_get(line + 6);
        room_send(*current, EV_JOIN, m, NULL);
    } else if (strcmp(line, "/quit") == 0) {
        return false;
    } else if (line[0] == '/') {
        tell(m, message_new("* commands: /nick NAME, /join ROOM, /quit\n"));
    } else {
        room_send(*current, EV_SAY, m, message_new("[%s] %s: %s\n", (*current)->name, m->nick, line));
    }
    return true;
}

static void session(void *arg) {
    member *m = arg;
    room *current = room_get("lobby");
    goc_go(writer, m);
    tell(m, message_new("* welcome %s; /nick NAME, /join ROOM, /quit\n", m->nick));
    room_send(current, EV_JOIN, m, NULL);

    char buf[LINE_MAX_LEN + 1];
    size_t len = 0;
    bool going = true;
    while (going && !atomic_load(&m->dropped)) {
        ssize_t n = goc_read(m->fd, buf + len, sizeof buf - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        char *start = buf, *nl;
        while (going && (nl = memchr(start, '\n', len - (size_t)(start - buf)))) {
            *nl = '\0';
            if (nl > start && nl[-1] == '\r')
                nl[-1] = '\0';
            going = handle_line(m, &current, start);
            start = nl + 1;
        }
        len -= (size_t)(start - buf);
        memmove(buf, start, len);
        if (len == sizeof buf - 1)
            break;   /* a line longer than the protocol allows */
    }
    room_leave(current, m);
    /* What is queued still goes out, unless the client stops reading. */
    goc_set_deadline(m->fd, goc_now() + 5 * GOC_SECOND);
    goc_chan_close(m->out);
    goc_chan_recv(m->written, NULL);
    goc_close(m->fd);
    goc_remove_roots(m);
    free(m);
}

static int chat_main(int argc, char **argv) {
    int listener = example_listen("chat", argc, argv);
    for (;;) {
        int fd = example_accept(listener);
        if (fd < 0)
            return example_accept_failed("chat", fd);
        member *m = calloc(1, sizeof *m);
        if (!m) {
            goc_close(fd);
            continue;
        }
        m->fd = fd;
        m->out = goc_chan_make(sizeof(message *), MEMBER_QUEUE);
        m->ack = goc_chan_make(0, 0);
        m->written = goc_chan_make(0, 0);
        goc_add_roots(m, sizeof *m);   /* malloc'd: its channels need a root */
        snprintf(m->nick, sizeof m->nick, "guest%d", atomic_fetch_add(&guest_seq, 1) + 1);
        goc_go(session, m);
    }
}

GOC_MAIN(chat_main)
