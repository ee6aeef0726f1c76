/* SPDX-License-Identifier: MIT */
/* Environment variables the runtime reads once at start-up, as Go does:
 * GOMAXPROCS, GOGC, GOMEMLIMIT, GOTRACEBACK and GODEBUG.  A malformed value
 * is reported once on stderr and the default is used. */
#ifndef GOC_SCHED_ENV_H
#define GOC_SCHED_ENV_H

#include <stdbool.h>
#include <stdint.h>

/* GOTRACEBACK levels, Go's numbering: 0 prints no traceback, 1 user frames,
 * 2 runtime frames and frame addresses too. */
enum {
    TRACEBACK_NONE = 0,
    TRACEBACK_USER = 1,
    TRACEBACK_SYSTEM = 2,
};

struct goc_env_config {
    int32_t gomaxprocs;       /* 0: unset (use the CPU count) */
    int32_t gogc;             /* < 0: collection off */
    int64_t gomemlimit;       /* bytes; INT64_MAX: no limit */
    int32_t traceback_level;  /* TRACEBACK_* */
    bool    traceback_all;    /* every goroutine, not only the failing one */
    bool    traceback_crash;  /* abort() (core dump) instead of exit(2) */
    int32_t gctrace;          /* GODEBUG=gctrace */
    int32_t schedtrace_ms;    /* GODEBUG=schedtrace: period in ms, 0 off */
    bool    scheddetail;      /* GODEBUG=scheddetail */
    bool    gccheckmark;      /* GODEBUG=gccheckmark */
    bool    goroutineleak;    /* GODEBUG=goroutineleak: a leak report after each collection */
};
extern struct goc_env_config goc_env;

/* Reads the environment into goc_env; the runtime calls it once, first
 * thing.  Later calls change nothing and report nothing. */
void env_init(void);

/* The integer value of GODEBUG key (the last one if repeated), or def when
 * absent or malformed. */
int64_t godebug_value(const char *key, int64_t def);   /* def unless an integer */
const char *godebug_string(const char *key);          /* NULL when absent */

/* Parsers behind env_init, one per variable.  On failure they return false
 * and set *why to the reason shown in the report. */
bool env_parse_gomaxprocs(const char *s, int32_t *out, const char **why);
bool env_parse_gogc(const char *s, int32_t *out, const char **why);
bool env_parse_gomemlimit(const char *s, int64_t *out, const char **why);
bool env_parse_gotraceback(const char *s, struct goc_env_config *cfg, const char **why);

#endif
