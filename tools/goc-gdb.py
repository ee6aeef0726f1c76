# SPDX-License-Identifier: MIT
# goc-gdb.py: goroutines in gdb, for a live process, one attached with
# `gdb -p`, or a core file.
#
#   info goroutines     every goroutine: id, name, state, wait reason, how
#                       long it has waited, where it is
#   goroutine N bt      goroutine N's backtrace, unwound by gdb itself
#   goroutine all bt    every goroutine's
#
# Every program linked with libgoc.a carries this file in a
# .debug_gdb_scripts section (sched/gdb_script.S): gdb offers to load it
# and does once the program is in its auto-load safe-path
# (`add-auto-load-safe-path /path/to/program` in ~/.gdbinit, or gdb's
# -iex option).  `source PREFIX/share/goc/goc-gdb.py` loads it by hand.
#
# Everything is read through the runtime's debug information (sched/sched.h:
# goc_sched sched, goc_g, goc_m), so the program needs it (-g, the default
# CFLAGS of goc's build).  A parked goroutine's registers are in its switch
# frame (stack/switch_*.S): an unwinder hands them to gdb as the caller of
# the current thread's innermost frame, and gdb's own unwinder walks the
# goroutine's stack from there, whether it is in its slot or packed into a
# small block.  A running goroutine, or one in a blocking section, is on a
# thread: that thread's backtrace is its own.

import time

import gdb
import gdb.unwinder

# sched/sched.h: goroutine states, and the runtime's goroutines' flag.
G_IDLE, G_RUNNABLE, G_RUNNING, G_WAITING, G_BLOCKING, G_DEAD = range(6)
STATE_NAMES = ["idle", "runnable", "running", "waiting", "syscall", "dead"]
GOC_G_SYSTEM = 1 << 31

# The switch frame at a parked goroutine's saved sp: (register, offset) of
# what goc_ctx_swap pushed, the caller's pc, and the frame's size.
SWITCH_FRAMES = {
    "x86_64": ([("r15", 8), ("r14", 16), ("r13", 24), ("r12", 32), ("rbx", 40),
                ("rbp", 48)], ("rip", 56), ("rsp", 64)),
    "aarch64": ([("x%d" % (19 + i), 64 + 8 * i) for i in range(10)] +
                [("x29", 144), ("x30", 152)], ("pc", 152), ("sp", 160)),
}


def arch_name():
    name = gdb.selected_inferior().architecture().name()
    return "aarch64" if "aarch64" in name else "x86_64"


def runtime_sched():
    """The scheduler's goc_sched: the one in proc.c, as a program may
    define a global of its own named sched."""
    for expr in ("'proc.c'::sched", "sched"):
        try:
            v = gdb.parse_and_eval(expr)
        except gdb.error:
            continue
        if v.type.strip_typedefs().tag == "goc_sched":
            return v
    raise gdb.GdbError("goc: no goroutines here (no goc_sched sched with "
                       "debug information in this program)")


def word(addr):
    ulong = gdb.lookup_type("unsigned long")
    return int(gdb.Value(addr).cast(ulong.pointer()).dereference())


def all_goroutines():
    g = runtime_sched()["allg"]
    while int(g) != 0:
        yield g
        g = g["allnext"]


def listed(g):
    st = int(g["status"])
    return not bool(g["is_thread"]) and st not in (G_IDLE, G_DEAD)


def wait_reason(g):
    st = int(g["status"])
    if st == G_BLOCKING:
        return "syscall"
    if st != G_WAITING:
        return ""
    reason = g["waitreason"].string() if int(g["waitreason"]) else "waiting"
    if int(g["waitfd"]) >= 0:
        reason += " (fd %d)" % int(g["waitfd"])
    return reason


def now_ns():
    """Monotonic now: the clock itself for a live process on this machine;
    in a core, sysmon's last look (waits then count up to that moment)."""
    inferior = gdb.selected_inferior()
    conn = getattr(inferior, "connection", None)
    if conn is not None and conn.type == "native":
        return time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    return int(runtime_sched()["waits_stamped_at"])


def duration(ns):
    s = ns // 1000000000
    if s >= 3600:
        return "%dh%02dm" % (s // 3600, s % 3600 // 60)
    if s >= 60:
        return "%dm%02ds" % (s // 60, s % 60)
    return "%ds" % s


def waited(g, now):
    since = int(g["waitsince"])
    if int(g["status"]) not in (G_WAITING, G_BLOCKING):
        return ""
    # sysmon stamps a wait at its next look (sched/sysmon.c).
    return duration(max(now - since, 0)) if since else "<10s"


class FrameId(object):
    def __init__(self, sp, pc):
        self.sp = sp
        self.pc = pc


class GoroutineUnwinder(gdb.unwinder.Unwinder):
    """While ctx_sp is set, the selected thread's innermost real frame
    returns into the goroutine parked with its registers at ctx_sp.  (Real:
    gdb does not ask unwinders about the frames of inlined calls; the first
    frame it asks about is the one to take over, at level claimed.)"""

    def __init__(self):
        super(GoroutineUnwinder, self).__init__("goc goroutines")
        self.ctx_sp = None
        self.claimed = None

    def __call__(self, pending):
        if self.ctx_sp is None:
            return None
        if self.claimed is None:
            self.claimed = pending.level()
        if pending.level() != self.claimed:
            return None
        saved, (pc_reg, pc_off), (sp_reg, size) = SWITCH_FRAMES[arch_name()]
        ulong = gdb.lookup_type("unsigned long")
        # The innermost frame's id lies below the goroutine's frames, so
        # gdb does not take them for a stack running backwards.
        info = pending.create_unwind_info(FrameId(gdb.Value(self.ctx_sp).cast(ulong),
                                                  pending.read_register(pc_reg)))
        for reg, off in saved:
            info.add_saved_register(reg, gdb.Value(word(self.ctx_sp + off)).cast(ulong))
        info.add_saved_register(pc_reg, gdb.Value(word(self.ctx_sp + pc_off)).cast(ulong))
        info.add_saved_register(sp_reg, gdb.Value(self.ctx_sp + size).cast(ulong))
        return info


# The collector stops the world with SIGURG, as Go preempts with it: not
# worth stopping the program for.
gdb.execute("handle SIGURG nostop noprint pass", to_string=True)

unwinder = GoroutineUnwinder()
gdb.unwinder.register_unwinder(None, unwinder, replace=True)


def thread_of(g):
    """The gdb thread running g (running, or in a blocking section)."""
    m = g["m"]
    if int(m) == 0:
        return None
    tid = int(m["tid"])
    for t in gdb.selected_inferior().threads():
        if t.ptid[1] == tid:
            return t
    return None


def not_started(g):
    """Whether g has not run yet: no context, or one that starts at the
    trampoline."""
    sp = int(g["ctx"]["sp"])
    if sp == 0:
        return True
    _, (_, pc_off), _ = SWITCH_FRAMES[arch_name()]
    ra = word(sp + pc_off)
    return gdb.execute("info symbol %d" % ra, to_string=True).startswith("goc_ctx_trampoline ")


def collect(frame, limit=200):
    frames = []
    while frame is not None and len(frames) < limit:
        frames.append(frame)
        frame = frame.older()
    return frames


def with_frames(g, fn):
    """fn(frames) with g's frames: formatted while they are valid (the
    unwinder and the selected thread are put back afterwards)."""
    st = int(g["status"])
    if st in (G_RUNNING, G_BLOCKING):
        t = thread_of(g)
        if t is None:
            return fn(None)
        old = gdb.selected_thread()
        t.switch()
        try:
            return fn(collect(gdb.newest_frame()))
        finally:
            old.switch()
    if not_started(g):
        return fn([])
    unwinder.ctx_sp = int(g["ctx"]["sp"])
    unwinder.claimed = None
    gdb.invalidate_cached_frames()
    try:
        frames = collect(gdb.newest_frame(), limit=300)
        return fn(frames[unwinder.claimed + 1:] if unwinder.claimed is not None else [])
    finally:
        unwinder.ctx_sp = None
        gdb.invalidate_cached_frames()


def is_public_api(name):
    return name.startswith("goc_") and not name.startswith("goc_ctx_")


def where(frames):
    """(frame, call): the caller of the outermost goc_ call, the user's
    code waiting in it; else the innermost frame of the program itself (a
    blocking section in a C library call), with the call it is in."""
    names = [f.name() or "??" for f in frames]
    last_api = max([i for i, n in enumerate(names) if is_public_api(n)], default=-1)
    if 0 <= last_api < len(frames) - 1:
        return frames[last_api + 1], names[last_api]
    program = gdb.current_progspace().filename
    for i, f in enumerate(frames):
        fn = f.function()
        if fn is not None and fn.symtab.objfile.filename == program:
            return f, names[0] if i else None
    return frames[0], None


def location(frame):
    name = frame.name() or "0x%x" % frame.pc()
    sal = frame.find_sal()
    if sal.symtab is not None:
        return "%s at %s:%d" % (name, sal.symtab.filename, sal.line)
    return name


def frame_args(frame):
    try:
        block = frame.block()
    except RuntimeError:
        return ""
    while block is not None and block.function is None:
        block = block.superblock
    if block is None:
        return ""
    args = []
    for sym in block:
        if sym.is_argument:
            try:
                args.append("%s=%s" % (sym.name, sym.value(frame)))
            except gdb.error:
                args.append("%s=<unavailable>" % sym.name)
    return ", ".join(args)


def format_frame(level, frame):
    line = "#%-3d0x%016x in %s (%s)" % (level, frame.pc(), frame.name() or "??", frame_args(frame))
    sal = frame.find_sal()
    if sal.symtab is not None:
        line += " at %s:%d" % (sal.symtab.filename, sal.line)
    return line


def header(g):
    text = "goroutine %d" % int(g["id"])
    if int(g["name"]):
        text += ' "%s"' % g["name"].string()
    reason = wait_reason(g) or STATE_NAMES[int(g["status"])]
    return text + " [%s]:" % reason


def current_goroutine_id():
    thread = gdb.selected_thread()
    if thread is None:
        return None
    for g in all_goroutines():
        if listed(g) and int(g["status"]) in (G_RUNNING, G_BLOCKING):
            t = thread_of(g)
            if t is not None and t.ptid == thread.ptid:
                return int(g["id"])
    return None


class InfoGoroutines(gdb.Command):
    """List goc's goroutines: id, name, state, wait reason, how long it has
waited (measured by sysmon every 10 s), and where it is.  "*" marks the
goroutine of the selected thread."""

    def __init__(self):
        super(InfoGoroutines, self).__init__("info goroutines", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        now = now_ns()
        current = current_goroutine_id()
        rows = []
        for g in all_goroutines():
            if not listed(g):
                continue
            gid = int(g["id"])
            name = g["name"].string() if int(g["name"]) else ""
            if int(g["flags"]) & GOC_G_SYSTEM:
                name = name + " (runtime)" if name else "(runtime)"

            def place(frames):
                if frames is None:
                    return "on a thread gdb does not see"
                if not frames:
                    return "not started: %s" % (g["fn"].format_string(symbols=True))
                frame, api = where(frames)
                packed = " [packed stack]" if bool(g["stack_packed"]) else ""
                return location(frame) + (" in %s" % api if api else "") + packed

            rows.append(("*" if gid == current else " ", gid, name,
                         STATE_NAMES[int(g["status"])], wait_reason(g), waited(g, now),
                         with_frames(g, place)))
        rows.sort(key=lambda r: r[1])
        widths = [max([len(str(r[i])) for r in rows] + [len(h)]) for i, h in
                  enumerate(["", "Id", "Name", "State", "Wait reason", "Waited"])]
        fmt = "%s %-*s  %-*s  %-*s  %-*s  %-*s  %s"
        gdb.write(fmt % ("", widths[1], "Id", widths[2], "Name", widths[3], "State",
                         widths[4], "Wait reason", widths[5], "Waited", "Where") + "\n")
        for r in rows:
            gdb.write(fmt % (r[0], widths[1], r[1], widths[2], r[2], widths[3], r[3],
                             widths[4], r[4], widths[5], r[5], r[6]) + "\n")


class GoroutineCommand(gdb.Command):
    """goroutine N bt: backtrace of goroutine N (parked ones too, their
stacks unwound by gdb).  goroutine all bt: every goroutine's."""

    def __init__(self):
        super(GoroutineCommand, self).__init__("goroutine", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        words = arg.split()
        if len(words) != 2 or words[1] not in ("bt", "backtrace"):
            raise gdb.GdbError("usage: goroutine N bt | goroutine all bt")
        if words[0] == "all":
            chosen = [g for g in all_goroutines() if listed(g)]
            chosen.sort(key=lambda g: int(g["id"]))
        else:
            try:
                gid = int(words[0])
            except ValueError:
                raise gdb.GdbError("goroutine: %s is not a goroutine id" % words[0])
            chosen = [g for g in all_goroutines() if int(g["id"]) == gid and listed(g)]
            if not chosen:
                raise gdb.GdbError("goroutine %d: no such goroutine" % gid)
        for i, g in enumerate(chosen):
            if i:
                gdb.write("\n")
            gdb.write(header(g) + "\n")
            gdb.write(with_frames(g, lambda frames: self.backtrace(g, frames)))

    @staticmethod
    def backtrace(g, frames):
        if frames is None:
            return "\tits thread is not in this process image\n"
        if not frames:
            return "\tnot started: %s\n" % g["fn"].format_string(symbols=True)
        return "".join(format_frame(i, f) + "\n" for i, f in enumerate(frames))


InfoGoroutines()
GoroutineCommand()
