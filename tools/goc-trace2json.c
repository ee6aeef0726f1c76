/* SPDX-License-Identifier: MIT */
/* goc-trace2json TRACE [OUT.json]: converts an execution trace written by
 * GODEBUG=trace=TRACE or goc_trace_start to Chrome trace-event JSON (to
 * standard output without OUT.json), for Perfetto or chrome://tracing. */
#include <errno.h>
#include <goc.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: goc-trace2json TRACE [OUT.json]\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    if (!in) {
        fprintf(stderr, "goc-trace2json: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    FILE *out = argc == 3 ? fopen(argv[2], "w") : stdout;
    if (!out) {
        fprintf(stderr, "goc-trace2json: %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    int rc = goc_trace_to_json(in, out);
    if (rc == -EINVAL)
        fprintf(stderr, "goc-trace2json: %s: not a goc execution trace\n", argv[1]);
    else if (rc < 0)
        fprintf(stderr, "goc-trace2json: %s: %s\n", argc == 3 ? argv[2] : argv[1], strerror(-rc));
    if (fclose(out) && !rc) {
        fprintf(stderr, "goc-trace2json: %s\n", strerror(errno));
        rc = -EIO;
    }
    fclose(in);
    return rc ? 1 : 0;
}
