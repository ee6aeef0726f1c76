#!/bin/bash
# SPDX-License-Identifier: MIT
# tools/goc-gdb.py, as gdb loads it from the program (.debug_gdb_scripts),
# on tests/gdb_target three ways: a process gdb runs to a breakpoint, a
# process gdb attaches to (gdb -p), and a core file gdb wrote of that one.
# Each time `info goroutines` must list every goroutine the program
# started, with its wait reason and the function it waits in, and
# `goroutine N bt` / `goroutine all bt` must unwind each one's stack down
# to its function: parked ones (some packed by goc_gc), one in a blocking
# section, and goroutine 1.
set -u
here=$(cd "$(dirname "$0")" && pwd)
prog=$here/gdb_target
command -v gdb >/dev/null || { echo "gdb not found: install the Debian package gdb" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/goc-gdb.XXXXXX") || exit 1
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
failed=0

fail() {
    echo "gdb_goroutines: $*" >&2
    failed=1
}

# check WHAT OUTPUT PROGRAM_OUTPUT MAIN_STATE: the goroutines the program
# listed ("goroutine ID FUNCTION"), as gdb shows them.
check() {
    local what=$1 out=$2 listing=$3 main_state=$4 id fn reason
    grep -q 'packed stack' "$out" || fail "$what: no goroutine's stack is packed"
    grep -Eq "^\*? +1 +$main_state" "$out" || fail "$what: goroutine 1 is not $main_state"
    while read -r _ id fn; do
        case $fn in
        park_recv) reason='chan receive' ;;
        park_select) reason='select' ;;
        park_mutex) reason='mutex-waiter +waiting +sync\.Mutex\.Lock' ;;
        park_read) reason='IO wait \(fd [0-9]+\)' ;;
        in_blocking_section) reason='syscall +syscall' ;;
        esac
        # ("*" marks the goroutine of the thread gdb selected.)
        grep -Eq "^[ *] +$id +.*$reason .* $fn at .*gdb_target\.c:[0-9]+" "$out" ||
            fail "$what: info goroutines lacks goroutine $id ($reason) in $fn"
        # Its backtrace, from its header to the next blank line, reaches
        # its function.
        sed -n "/^goroutine $id [[\"]/,/^\$/p" "$out" | grep -Eq "^#[0-9]+ +0x[0-9a-f]+ in $fn \(" ||
            fail "$what: goroutine $id's backtrace lacks $fn"
    done < <(grep '^goroutine ' "$listing")
    grep -Eq '^#[0-9]+ +0x[0-9a-f]+ in goc_chan_recv \(' "$out" ||
        fail "$what: goroutine 2 bt does not show goc_chan_recv"
    if [ "$failed" -ne 0 ]; then
        sed 's/^/    gdb| /' "$out" >&2
    fi
}

gdb_batch() {   # gdb_batch OUT ARGS...: gdb on prog with goc's extension
    local out=$1
    shift
    timeout 120 gdb -nx -batch -iex "add-auto-load-safe-path $prog" \
        -ex 'handle SIGSEGV nostop noprint pass' "$@" >"$out" 2>&1
}
gdb_cmds=(-ex 'info goroutines' -ex 'goroutine 2 bt' -ex 'goroutine all bt')

# 1. A process gdb runs, stopped at a breakpoint.
gdb_batch "$tmp/live" -ex 'break gdb_target_ready' -ex run "${gdb_cmds[@]}" -ex kill "$prog"
grep '^goroutine [0-9]* [a-z_]*$' "$tmp/live" >"$tmp/live.listing"
check live "$tmp/live" "$tmp/live.listing" 'running'

# 2. A process gdb attaches to, which gdb then saves as a core.  gdb 13's
# gcore cannot read a mapping with MADV_GUARD_INSTALL guards inside (it
# drops the whole mapping): this one has mprotect guards (README: gdb).
GOC_STACK_GUARD=mprotect "$prog" wait >"$tmp/attached.listing" &
pid=$!
for _ in $(seq 100); do
    grep -q '^ready' "$tmp/attached.listing" && break
    sleep 0.1
done
sleep 0.2
gdb_batch "$tmp/attached" -p "$pid" "${gdb_cmds[@]}" -ex "generate-core-file $tmp/core" -ex detach "$prog"
check attached "$tmp/attached" "$tmp/attached.listing" 'waiting +select \(no cases\)'
kill "$pid"
wait "$pid" 2>/dev/null
pid=

# 3. The core file.
gdb_batch "$tmp/core.out" "${gdb_cmds[@]}" "$prog" "$tmp/core"
check core "$tmp/core.out" "$tmp/attached.listing" 'waiting +select \(no cases\)'

exit "$failed"
