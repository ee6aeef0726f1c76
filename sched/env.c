/* SPDX-License-Identifier: MIT */
/* Start-up environment: GOMAXPROCS, GOGC, GOMEMLIMIT, GOTRACEBACK, GODEBUG.
 * The syntax is Go's (runtime1.go, mgcpacer.go); where Go silently falls back
 * on a bad value we say so once on stderr, since a typo in GOGC otherwise
 * goes unnoticed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fatal.h"
#include "sched/env.h"
#include "mem/mem.h"

struct goc_env_config goc_env = {
    .gogc = 100,
    .gomemlimit = INT64_MAX,
    .traceback_level = TRACEBACK_USER,
};

enum { GODEBUG_MAX_ENTRIES = 64 };

struct godebug_entry {
    const char *key;
    const char *text;     /* the value as written */
    int64_t     value;    /* and as an integer, when is_int */
    bool        is_int;
};

/* Keys whose values must be integers; others may be words (gocpoll=epoll). */
static const char *const godebug_int_keys[] = {"gctrace",     "schedtrace",     "scheddetail",
                                                "gccheckmark", "gcstoptheworld", "gcpoison",
                                                "adaptivestackstart", "memprofilerate",
                                                "goroutineleak", "gchugepages"};

static bool godebug_wants_int(const char *key) {
    for (size_t i = 0; i < sizeof godebug_int_keys / sizeof godebug_int_keys[0]; i++)
        if (strcmp(key, godebug_int_keys[i]) == 0)
            return true;
    return false;
}

/* GODEBUG's well-formed entries, in order; filled once by env_init and only
 * read afterwards (also from crash paths, hence no locking). */
static struct godebug_entry godebug_entries[GODEBUG_MAX_ENTRIES];
static int godebug_count;

static void report_malformed(const char *name, const char *value, const char *why) {
    char buf[512];
    int n = snprintf(buf, sizeof buf, "goc: ignoring %s=\"%s\": %s\n", name, value, why);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof buf)
        n = sizeof buf - 1;
    diag_write_stderr(buf, (size_t)n);
}

/* Strict decimal integer: optional sign, digits, nothing else. */
static bool parse_int64(const char *s, size_t len, int64_t *out, const char **why) {
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i == len) {
        *why = "not an integer";
        return false;
    }
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            *why = "not an integer";
            return false;
        }
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10) {
            *why = "value out of range";
            return false;
        }
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static bool parse_int32(const char *s, int32_t *out, const char **why) {
    int64_t v;
    if (!parse_int64(s, strlen(s), &v, why))
        return false;
    if (v < INT32_MIN || v > INT32_MAX) {
        *why = "value out of range";
        return false;
    }
    *out = (int32_t)v;
    return true;
}

bool env_parse_gomaxprocs(const char *s, int32_t *out, const char **why) {
    int32_t n;
    if (!parse_int32(s, &n, why))
        return false;
    if (n <= 0) {
        *why = "must be a positive integer";
        return false;
    }
    *out = n;
    return true;
}

bool env_parse_gogc(const char *s, int32_t *out, const char **why) {
    if (strcmp(s, "off") == 0) {
        *out = -1;
        return true;
    }
    if (!parse_int32(s, out, why)) {
        *why = "want an integer percentage or \"off\"";
        return false;
    }
    return true;
}

/* Go's parseByteCount: digits, then nothing, "B", or "KiB".."TiB". */
bool env_parse_gomemlimit(const char *s, int64_t *out, const char **why) {
    if (strcmp(s, "off") == 0) {
        *out = INT64_MAX;
        return true;
    }
    static const struct { const char *suffix; int shift; } units[] = {
        {"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"TiB", 40}, {"B", 0},
    };
    size_t len = strlen(s);
    int shift = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t sl = strlen(units[i].suffix);
        if (len > sl && strcmp(s + len - sl, units[i].suffix) == 0) {
            len -= sl;
            shift = units[i].shift;
            break;
        }
    }
    int64_t n;
    if (len == 0 || s[0] < '0' || s[0] > '9' || !parse_int64(s, len, &n, why)) {
        *why = "want a byte count with an optional B, KiB, MiB, GiB or TiB suffix, or \"off\"";
        return false;
    }
    if (n > (INT64_MAX >> shift)) {
        *why = "value out of range";
        return false;
    }
    *out = n << shift;
    return true;
}

bool env_parse_gotraceback(const char *s, struct goc_env_config *cfg, const char **why) {
    static const struct {
        const char *name;
        int32_t level;
        bool all, crash;
    } names[] = {
        {"none", TRACEBACK_NONE, false, false},
        {"single", TRACEBACK_USER, false, false},
        {"all", TRACEBACK_USER, true, false},
        {"system", TRACEBACK_SYSTEM, true, false},
        {"crash", TRACEBACK_SYSTEM, true, true},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(s, names[i].name) == 0) {
            cfg->traceback_level = names[i].level;
            cfg->traceback_all = names[i].all;
            cfg->traceback_crash = names[i].crash;
            return true;
        }
    }
    /* Go's numeric form: the level, with every goroutine shown. */
    int32_t n;
    if (!parse_int32(s, &n, why) || n < 0) {
        *why = "want none, single, all, system, crash or a level 0, 1, 2";
        return false;
    }
    cfg->traceback_level = n > TRACEBACK_SYSTEM ? TRACEBACK_SYSTEM : n;
    cfg->traceback_all = true;
    cfg->traceback_crash = false;
    return true;
}

/* The last entry for key wins, as in Go. */
static const struct godebug_entry *godebug_find(const char *key) {
    for (int i = godebug_count - 1; i >= 0; i--)
        if (strcmp(godebug_entries[i].key, key) == 0)
            return &godebug_entries[i];
    return NULL;
}

int64_t godebug_value(const char *key, int64_t def) {
    const struct godebug_entry *e = godebug_find(key);
    return e && e->is_int ? e->value : def;
}

const char *godebug_string(const char *key) {
    const struct godebug_entry *e = godebug_find(key);
    return e ? e->text : NULL;
}

/* Splits a private copy of GODEBUG into entries; the copy lives as long as
 * the process since the entries point into it. */
static void parse_godebug(const char *value) {
    char *copy = strdup(value);
    if (!copy)
        return;
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        const char *why;
        int64_t v;
        if (!eq || eq == item) {
            report_malformed("GODEBUG", item, "want key=value");
            continue;
        }
        *eq = '\0';
        bool is_int = parse_int64(eq + 1, strlen(eq + 1), &v, &why);
        if (!is_int && godebug_wants_int(item)) {
            *eq = '=';
            report_malformed("GODEBUG", item, why);
            continue;
        }
        if (godebug_count == GODEBUG_MAX_ENTRIES) {
            *eq = '=';
            report_malformed("GODEBUG", item, "too many entries");
            continue;
        }
        godebug_entries[godebug_count++] = (struct godebug_entry){item, eq + 1, v, is_int};
    }
}

static int32_t clamp_int32(int64_t v) {
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

void env_init(void) {
    static bool done;
    if (done)
        return;
    done = true;

    const char *why;
    const char *v;
    if ((v = getenv("GOMAXPROCS")) && *v &&
        !env_parse_gomaxprocs(v, &goc_env.gomaxprocs, &why))
        report_malformed("GOMAXPROCS", v, why);
    if ((v = getenv("GOGC")) && *v && !env_parse_gogc(v, &goc_env.gogc, &why))
        report_malformed("GOGC", v, why);
    if ((v = getenv("GOMEMLIMIT")) && *v &&
        !env_parse_gomemlimit(v, &goc_env.gomemlimit, &why))
        report_malformed("GOMEMLIMIT", v, why);
    if ((v = getenv("GOTRACEBACK")) && *v && !env_parse_gotraceback(v, &goc_env, &why))
        report_malformed("GOTRACEBACK", v, why);
    if ((v = getenv("GODEBUG")) && *v)
        parse_godebug(v);

    goc_env.gctrace = clamp_int32(godebug_value("gctrace", 0));
    int64_t st = godebug_value("schedtrace", 0);
    goc_env.schedtrace_ms = st > 0 ? clamp_int32(st) : 0;
    goc_env.scheddetail = godebug_value("scheddetail", 0) > 0;
    goc_env.gccheckmark = godebug_value("gccheckmark", 0) > 0;
    goc_env.goroutineleak = godebug_value("goroutineleak", 0) > 0;
    /* Set here, before the first allocation: env_init precedes it. */
    mem_poison = godebug_value("gcpoison", 0) > 0;
}
