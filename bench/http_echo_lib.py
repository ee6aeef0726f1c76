# SPDX-License-Identifier: MIT
"""What bench/http-run and bench/echo-run share: building a Go twin,
starting a server on a free loopback port and stopping it, and the table."""

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GO = os.environ.get("GO", "/usr/lib/go-1.19/bin/go")
_tmp = tempfile.TemporaryDirectory(prefix="goc-netbench-")


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < limit:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
    if limit < want:
        print("note: RLIMIT_NOFILE hard limit %d is below the %d wanted" % (hard, want),
              file=sys.stderr)


def require_tool(path, package):
    """A missing comparator ends the benchmark with one line, not a traceback."""
    if not shutil.which(path):
        sys.exit("%s not found (Debian package %s): benchmark skipped" % (path, package))


def check_built(builddir, prog):
    path = os.path.join(builddir, prog)
    if not os.access(path, os.X_OK):
        sys.exit("%s is not built: run make in %s" % (path, os.path.abspath(builddir)))
    return path


def build_go(name):
    """Builds bench/go/NAME/main.go; returns the binary's path."""
    require_tool(GO, "golang-1.19")
    out = os.path.join(_tmp.name, name + "-go")
    env = dict(os.environ)
    env.setdefault("GOCACHE", os.path.join(_tmp.name, "gocache"))
    env.update(GO111MODULE="on", GOFLAGS="-mod=mod", GOPROXY="off")   # bench/go's module, std only
    subprocess.run([GO, "build", "-o", out, "./" + name], check=True, env=env,
                   cwd=os.path.join(SRC, "bench", "go"))
    return out


def run_checked(argv):
    res = subprocess.run(argv, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit("%s failed (%d):\n%s%s" % (argv[0], res.returncode, res.stdout, res.stderr))
    return res.stdout


class Server:
    """A server started with port 0 on 127.0.0.1; it prints
    "NAME: listening on 127.0.0.1:PORT" and runs until stopped."""

    def __init__(self, path):
        self.proc = subprocess.Popen([path, "0", "127.0.0.1"], stdout=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        if "listening on 127.0.0.1:" not in line:
            self.stop()
            sys.exit("%s did not start: %r" % (path, line))
        self.port = int(line.rsplit(":", 1)[1])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def median_by(runs, key):
    return sorted(runs, key=lambda r: r[key])[len(runs) // 2]


def print_table(header, rows, markdown):
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---:" for _ in header) + "|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("  ".join(h.rjust(w) for h, w in zip(header, widths)))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
