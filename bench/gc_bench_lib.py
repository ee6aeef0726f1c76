# SPDX-License-Identifier: MIT
"""What bench/gc-run and bench/gc-pause-run share: building goc's program
and its Go twin, running a child with its peak RSS and CPU measured,
reading gctrace, medians and the table."""

import math
import os
import re
import signal
import statistics
import subprocess
import sys
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_GO = os.environ.get("GOC_BENCH_GO", "/usr/lib/go-1.19/bin/go")

# gctrace=1's line, in Go's grammar (gc/trace.c): clock A+B+C, cpu D+E/F/G+H.
GCTRACE = re.compile(r"^gc \d+ @[0-9.]+s \d+%: ([0-9.]+)\+([0-9.]+)\+([0-9.]+) ms clock, "
                     r"([0-9.]+)\+([0-9.]+)/([0-9.]+)/([0-9.]+)\+([0-9.]+) ms cpu")
# goc's gctrace=2 line: how the mark ran and how long stopping took.
GCTRACE_MODE = re.compile(r"^gc \d+: mark (\w+) \(([^)]*)\),.* time to stop (\d+)\+(\d+) us\b")


def note(msg):
    print(msg, file=sys.stderr, flush=True)


def build_goc(build_dir, target):
    """make TARGET in a configured goc build directory; returns its path."""
    if not build_dir or not os.path.isfile(os.path.join(build_dir, "Makefile")):
        sys.exit("%s: --build-dir (or GOC_BUILD_DIR) must name a configured goc build directory"
                 % os.path.basename(sys.argv[0]))
    subprocess.run(["make", "-C", build_dir, "-j2", "-s", target], check=True)
    return os.path.join(build_dir, target)


def build_go(go, package, scratch):
    """go build bench/go/PACKAGE offline; returns the binary's path."""
    env = dict(os.environ, GO111MODULE="on", GOFLAGS="-mod=mod", GOPROXY="off", CGO_ENABLED="0",
               GOCACHE=os.path.join(scratch, "go-cache"), GOPATH=os.path.join(scratch, "go-path"))
    out = os.path.join(scratch, package + "-go")
    subprocess.run([go, "build", "-o", out, "./" + package], cwd=os.path.join(SRC, "bench", "go"),
                   env=env, check=True)
    return out


SPAWN_C = r'''
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
/* spawn OUT PROG ARGS...: runs PROG, writes "maxrss_kb user_s sys_s" to OUT,
 * exits with PROG's status. */
int main(int argc, char **argv) {
    pid_t pid = fork();
    if (pid == 0) {
        execv(argv[2], argv + 2);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
        return 126;
    FILE *f = fopen(argv[1], "w");
    fprintf(f, "%ld %ld.%06ld %ld.%06ld\n", ru.ru_maxrss, (long)ru.ru_utime.tv_sec,
            (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
    fclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
'''


def build_spawn(scratch):
    """A child's ru_maxrss includes the RSS of the process it was forked
    from (Linux keeps the larger figure across exec): runs are forked from
    this small program, not from Python."""
    path = os.path.join(scratch, "spawn")
    subprocess.run([os.environ.get("CC", "cc"), "-O2", "-x", "c", "-", "-o", path], input=SPAWN_C,
                   universal_newlines=True, check=True)
    return path


def run_measured(spawn, argv, env_extra, scratch, what, timeout=None):
    """Runs argv (forked by spawn) with env_extra added to the environment.
    Returns its stdout, stderr, wall and CPU seconds and peak RSS in MB;
    exits naming the command when it fails or outlives timeout."""
    env = dict(os.environ, **env_extra)
    err_path = os.path.join(scratch, "stderr")
    ru_path = os.path.join(scratch, "rusage")
    command = " ".join(["%s=%s" % kv for kv in sorted(env_extra.items())] + argv)
    with open(err_path, "w") as err:
        t0 = time.monotonic()
        # A session of its own, so a timeout kills the program, not only spawn.
        p = subprocess.Popen([spawn, ru_path] + argv, stdout=subprocess.PIPE, stderr=err, env=env,
                             universal_newlines=True, start_new_session=True)
        try:
            out, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            sys.exit("%s: %s timed out after %d s:\n  %s" % (os.path.basename(sys.argv[0]), what,
                                                             timeout, command))
        wall = time.monotonic() - t0
    with open(err_path) as f:
        err_text = f.read()
    if p.returncode != 0:
        sys.exit("%s: %s failed (status %d):\n  %s\n%s" % (os.path.basename(sys.argv[0]), what,
                                                          p.returncode, command, err_text[-3000:]))
    with open(ru_path) as f:
        maxrss, utime, stime = f.read().split()
    return {"out": out, "err": err_text, "wall": wall, "cpu": float(utime) + float(stime),
            "rss": int(maxrss) / 1024.0}


def parse_gctrace(err_text):
    """From gctrace lines: each cycle's pause (clock A + C, ms), the GC CPU
    of all cycles (D + E + F + G + H, s) and, from goc's gctrace=2 lines,
    how many cycles marked concurrently and the longest time to stop (us)."""
    pauses, gc_cpu, modes, stops = [], 0.0, [], []
    for line in err_text.splitlines():
        m = GCTRACE.match(line)
        if m:
            f = [float(x) for x in m.groups()]
            pauses.append(f[0] + f[2])
            gc_cpu += sum(f[3:]) / 1e3
            continue
        m = GCTRACE_MODE.match(line)
        if m:
            modes.append(m.group(1))
            stops += [int(m.group(3)), int(m.group(4))]
    return {"pauses": pauses, "gc_cpu": gc_cpu, "cycles": len(pauses),
            "concurrent": sum(1 for m in modes if m != "stw") if modes else None,
            "max_stop_us": max(stops) if stops else None}


def percentile(values, p):
    """Nearest rank, as bench/gc_pause.c and its Go twin compute theirs."""
    if not values:
        return None
    v = sorted(values)
    return v[max(0, math.ceil(p / 100.0 * len(v)) - 1)]


def med(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def fmt(v, spec):
    return "-" if v is None else spec % v


def ratio(a, b):
    return a / b if a is not None and b else None


def print_table(header, rows, markdown, text_columns):
    """Right-aligned numbers; text_columns (indices) left-aligned in Markdown."""
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" if i in text_columns else "---:" for i in range(len(header))) + "|")
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
        for r in [header] + rows:
            print("  ".join(c.rjust(w) for c, w in zip(r, widths)).rstrip())


def print_footer(repeat):
    print("\nMedians of %d runs each, alternating; %d CPUs; load average %.1f."
          % (repeat, os.cpu_count(), os.getloadavg()[0]))
