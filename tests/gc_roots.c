/* SPDX-License-Identifier: MIT */
/* Every kind of root keeps what it points to, and only while it does.
 * Each case makes a 256-byte object with a pattern and a finalizer, keeps
 * it only in one kind of root through several goc_gc calls (allocating
 * same-sized garbage in between, so that a premature free is reused and
 * the pattern broken), checks the pattern and that no finalizer ran, then
 * drops the root: the finalizer runs within a few more cycles.
 *
 *   gc_roots stack      a parked goroutine's local (blocked on a channel)
 *   gc_roots arg        a goroutine's argument before it first runs (it is
 *                       spawned at GOMAXPROCS=1 and goc_gc runs before it)
 *   gc_roots chanbuf    a channel's buffer
 *   gc_roots select     a select send case's element, a heap cell that
 *                       only the blocked select refers to
 *   gc_roots after      goc_after's channel, held by its timer alone
 *   gc_roots tick       goc_tick's channel, held by its timer alone (these
 *                       two check survival only: see "timers" below)
 *   gc_roots waitdone   a heap element a goroutine received into is
 *                       collectable once the wait is over
 *   gc_roots bss        a zero-initialized static pointer
 *   gc_roots data       an initialized static pointer
 *   gc_roots dlopen     a global of a shared object loaded after start
 *   gc_roots addroots   a malloc'd table given to goc_add_roots;
 *                       goc_remove_roots makes the object collectable
 *   gc_roots interior   only p + 100 kept, in a global
 *   gc_roots heap       a field of a goc_alloc object a global holds
 *   gc_roots keepalive  a local the function uses no more, up to its
 *                       goc_keep_alive call
 *
 * Still to add once stop-the-world suspends them and scans their stacks
 * (another change): a pointer held only on the stack of a thread that is
 * not a goroutine (the main thread before goc_main, a pthread that called
 * into goc), and only on the stack of a goroutine inside a
 * goc_blocking_begin section. */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "testing.h"

enum { OBJ_SIZE = 256, TAGS = 8, ROUNDS = 3, WAIT_CYCLES = 40 };

/* Pointers the test must not hold in plain form while the object should
 * be collectable are kept complemented: a conservative scan of the
 * variable then sees no pointer. */
#define HIDE(p) (~(uintptr_t)(p))
#define UNHIDE(type, h) ((type)~(h))

static _Atomic bool finalized[TAGS];

static void finalizer(void *obj)
{
    atomic_store(&finalized[((unsigned char *)obj)[0]], true);
}

static void fill(unsigned char *p, int tag)
{
    p[0] = (unsigned char)tag;
    for (int i = 1; i < OBJ_SIZE; i++)
        p[i] = (unsigned char)(tag * 31 + i);
}

static bool intact(const unsigned char *p, int tag)
{
    if (p[0] != tag)
        return false;
    for (int i = 1; i < OBJ_SIZE; i++)
        if (p[i] != (unsigned char)(tag * 31 + i))
            return false;
    return true;
}

/* The object of tag, with a finalizer that reports its collection. */
__attribute__((noinline))
static unsigned char *make_obj(int tag)
{
    unsigned char *p = goc_alloc(OBJ_SIZE);
    REQUIRE(p, "goc_alloc failed");
    fill(p, tag);
    atomic_store(&finalized[tag], false);
    goc_set_finalizer(p, finalizer);
    return p;
}

/* Overwrites the dead part of the stack, where copies of pointers the
 * test has dropped may linger. */
__attribute__((noinline))
static void clear_stack(void)
{
    volatile char pad[16384];
    memset((char *)pad, 0, sizeof pad);
    /* Or the compiler drops the stores to an array about to die (and the
     * call with them). */
    __asm__ volatile("" : : "r"(pad) : "memory");
}

/* Same-sized garbage, so that a slot freed too early is reused. */
__attribute__((noinline))
static void churn(void)
{
    for (int i = 0; i < 2000; i++)
        memset(goc_alloc(OBJ_SIZE), 0xee, OBJ_SIZE);
}

/* Several cycles during which the object of tag must stay alive. */
__attribute__((noinline))
static void collect_keeping(int tag, const char *root)
{
    for (int i = 0; i < ROUNDS; i++) {
        churn();
        clear_stack();
        goc_gc();
        goc_sleep(GOC_MILLISECOND);
    }
    CHECK(!atomic_load(&finalized[tag]), "%s: object finalized while the root held it", root);
}

/* Cycles until the object of tag is finalized; false if it never is. */
__attribute__((noinline))
static bool collect_until_finalized(int tag)
{
    for (int i = 0; i < WAIT_CYCLES && !atomic_load(&finalized[tag]); i++) {
        clear_stack();
        goc_gc();
        goc_sleep(GOC_MILLISECOND);
    }
    return atomic_load(&finalized[tag]);
}

static void expect_collected(int tag, const char *root)
{
    CHECK(collect_until_finalized(tag), "%s: object not collected once the root dropped it",
          root);
}

/* ---- stack ------------------------------------------------------------------- */
static void stack_holder(void *arg)
{
    goc_chan *go_on = arg;
    unsigned char *p = make_obj(0);
    bool ok;
    GOC_SEND_VAL(go_on, bool, true);   /* parked from here on */
    GOC_RECV_VAL(go_on, bool, &ok);
    CHECK(intact(p, 0), "stack: the parked goroutine's object changed");
    goc_keep_alive(p);
    GOC_SEND_VAL(go_on, bool, true);
}

static void test_stack(void)
{
    goc_chan *go_on = goc_chan_make(sizeof(bool), 0);
    bool ok;
    goc_go(stack_holder, go_on);
    GOC_RECV_VAL(go_on, bool, &ok);
    collect_keeping(0, "stack");
    GOC_SEND_VAL(go_on, bool, true);
    GOC_RECV_VAL(go_on, bool, &ok);
    expect_collected(0, "stack");
}

/* ---- goroutine argument ---------------------------------------------------------- */
/* Many goroutines, so that some wait in the run queue behind the collector
 * whatever order the scheduler picks them in, and outlast a concurrent
 * mark: goc_gc parks its caller while the mark runs, and the others run
 * meanwhile (at GOMAXPROCS=1 under UBSan, 32 were all done before the
 * cycle ended; in plain builds 1 run in 10 found none after it in 20
 * rounds). */
enum { ARG_GOROUTINES = 256, ARG_ROUNDS = 100 };
static _Atomic uint32_t arg_after_cycle, arg_broken, arg_base_gc;
static goc_chan *arg_done;

static void arg_runner(void *arg)
{
    goc_memstats ms;
    goc_read_memstats(&ms);
    if (ms.num_gc > atomic_load(&arg_base_gc))
        atomic_fetch_add(&arg_after_cycle, 1);
    if (!intact(arg, 1))
        atomic_fetch_add(&arg_broken, 1);
    GOC_SEND_VAL(arg_done, bool, true);
}

__attribute__((noinline))
static void spawn_with_objs(void)
{
    for (int i = 0; i < ARG_GOROUTINES; i++)
        goc_go(arg_runner, make_obj(1));
}

static void test_arg(void)
{
    int procs = goc_maxprocs(1);
    arg_done = goc_chan_make(sizeof(bool), ARG_GOROUTINES);
    /* Which goroutines run before the collector's is the scheduler's
     * choice: rounds until one ran after a cycle, i.e. its argument was a
     * root of that cycle while it had not started. */
    for (int round = 0; round < ARG_ROUNDS && !atomic_load(&arg_after_cycle); round++) {
        /* The collector's goroutine exists and has no sweeping left. */
        goc_gc();
        goc_memstats ms;
        goc_read_memstats(&ms);
        atomic_store(&arg_base_gc, ms.num_gc);
        spawn_with_objs();
        /* No park from the spawns to here: at GOMAXPROCS=1 none has run. */
        churn();
        clear_stack();
        goc_gc();
        bool ok;
        for (int i = 0; i < ARG_GOROUTINES; i++)
            GOC_RECV_VAL(arg_done, bool, &ok);
    }
    goc_maxprocs(procs);
    CHECK(atomic_load(&arg_after_cycle) > 0,
          "arg: in %d rounds every goroutine ran before the cycle: nothing was tested",
          ARG_ROUNDS);
    CHECK(atomic_load(&arg_broken) == 0, "arg: %u arguments changed before their goroutine ran",
          atomic_load(&arg_broken));
    /* Every goroutine is done: the last argument's object is collectable. */
    expect_collected(1, "arg");
}

/* ---- channel buffer ----------------------------------------------------------------- */
__attribute__((noinline))
static void send_obj(goc_chan *c, int tag)
{
    GOC_SEND_VAL(c, unsigned char *, make_obj(tag));
}

static void test_chanbuf(void)
{
    goc_chan *c = goc_chan_make(sizeof(unsigned char *), 4);
    send_obj(c, 2);
    collect_keeping(2, "chanbuf");
    unsigned char *p;
    GOC_RECV_VAL(c, unsigned char *, &p);
    CHECK(intact(p, 2), "chanbuf: the buffered object changed");
    p = NULL;
    expect_collected(2, "chanbuf");
    goc_keep_alive(c);
}

/* ---- select case element -------------------------------------------------------------- */
/* The cases live in malloc'd memory, which the collector does not scan:
 * the heap cell holding the pointer is known to the blocked select only. */
__attribute__((noinline))
static goc_case *select_cases(goc_chan *c)
{
    goc_case *cases = calloc(1, sizeof *cases);
    unsigned char **cell = goc_alloc(sizeof *cell);
    REQUIRE(cases && cell, "allocation failed");
    *cell = make_obj(3);
    cases[0] = (goc_case){.chan = c, .op = GOC_SEND, .elem = cell};
    return cases;
}

static void select_sender(void *arg)
{
    goc_case *cases = select_cases(arg);
    clear_stack();
    goc_select(cases, 1);
    free(cases);
}

static void test_select(void)
{
    goc_chan *c = goc_chan_make(sizeof(unsigned char *), 0);
    goc_go(select_sender, c);
    goc_sleep(10 * GOC_MILLISECOND);   /* blocked in its select by then */
    collect_keeping(3, "select");
    unsigned char *p;
    GOC_RECV_VAL(c, unsigned char *, &p);
    CHECK(intact(p, 3), "select: the object sent by the select changed");
    p = NULL;
    expect_collected(3, "select");
}

/* ---- timers ---------------------------------------------------------------------------- */
/* A channel points into itself (its timer's argument is the channel), and
 * by Go's rule a finalizer on an object that reaches itself never runs:
 * here only survival is checked.  Freed early, the channel would be
 * reused by the churn (or poisoned with GODEBUG=gcpoison=1), and receiving
 * from it would fail.  The timer holds the channel only until it fires
 * (then the channel is garbage, as in Go): goc_after's must outlast the
 * collections, which take a while under the sanitizers. */
#define AFTER_NS (2 * GOC_SECOND)
static volatile uintptr_t timer_chan;
static int64_t timer_started;

__attribute__((noinline))
static void start_timer(bool tick)
{
    timer_started = test_clock_ns();
    goc_chan *c = tick ? goc_tick(20 * GOC_MILLISECOND) : goc_after(AFTER_NS);
    REQUIRE(goc_alloc_size(c) > 0, "the timer's channel is not a heap object");
    timer_chan = HIDE(c);
}

__attribute__((noinline))
static void receive_from_timer(bool tick)
{
    goc_chan *c = UNHIDE(goc_chan *, timer_chan);
    CHECK(goc_chan_cap(c) == 1 && goc_chan_elem_size(c) == sizeof(int64_t),
          "the timer's channel changed: cap %zu, element %zu bytes", goc_chan_cap(c),
          goc_chan_elem_size(c));
    for (int i = 0; i < (tick ? 3 : 1); i++) {
        int64_t t = 0, t0 = test_clock_ns();
        CHECK(goc_chan_recv(c, &t), "timer: its channel is closed");
        CHECK(t > 0, "timer: received time %lld", (long long)t);
        CHECK(test_clock_ns() - t0 < 5 * GOC_SECOND, "timer: receive took too long");
    }
    if (tick)
        goc_tick_stop(c);
    timer_chan = 0;
}

static void test_timer(bool tick)
{
    start_timer(tick);
    collect_keeping(4, tick ? "tick" : "after");
    REQUIRE(tick || test_clock_ns() - timer_started < AFTER_NS,
            "after: the collections took longer than the timer: nothing was tested");
    receive_from_timer(tick);
}

/* ---- a finished wait ------------------------------------------------------------------------ */
/* A goroutine that waited on a channel keeps neither the channel nor the
 * element it received into once the wait is over, while it waits on
 * something else (a wait group here, not a channel). */
static goc_waitgroup waitdone_wg;

__attribute__((noinline))
static void receive_into_heap(goc_chan *c)
{
    unsigned char *cell = make_obj(4);
    CHECK(goc_chan_recv_sized(c, cell + 8, sizeof(int)), "closed");
    CHECK(*(int *)(cell + 8) == 42, "received %d", *(int *)(cell + 8));
}

static void waitdone_receiver(void *arg)
{
    receive_into_heap(arg);
    clear_stack();
    goc_waitgroup_wait(&waitdone_wg);
}

static void test_waitdone(void)
{
    goc_chan *c = goc_chan_make(sizeof(int), 0);
    goc_waitgroup_add(&waitdone_wg, 1);
    goc_go(waitdone_receiver, c);
    goc_sleep(10 * GOC_MILLISECOND);   /* the receiver waits by then */
    GOC_SEND_VAL(c, int, 42);
    expect_collected(4, "waitdone");
    goc_waitgroup_done(&waitdone_wg);
}

/* ---- globals ------------------------------------------------------------------------------ */
static unsigned char *volatile bss_root;
static unsigned char *volatile data_root = (unsigned char *)&finalized;

__attribute__((noinline))
static void set_global(unsigned char *volatile *root, int tag, size_t offset)
{
    *root = make_obj(tag) + offset;
}

static void test_global(unsigned char *volatile *root, int tag, size_t offset, const char *name)
{
    set_global(root, tag, offset);
    collect_keeping(tag, name);
    CHECK(intact(*root - offset, tag), "%s: the object changed", name);
    *root = NULL;
    expect_collected(tag, name);
}

/* ---- dlopen ------------------------------------------------------------------------------- */
static void test_dlopen(void)
{
    char exe[PATH_MAX], path[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    REQUIRE(n > 0, "readlink /proc/self/exe failed");
    exe[n] = 0;
    snprintf(path, sizeof path, "%s/gc_roots_dso.so", dirname(exe));
    void *dso = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    REQUIRE(dso, "dlopen: %s", dlerror());
    unsigned char *volatile *root = dlsym(dso, "gc_dso_root");
    REQUIRE(root, "dlsym: %s", dlerror());
    test_global(root, 5, 0, "dlopen");
}

/* ---- goc_add_roots ---------------------------------------------------------------------- */
static void test_addroots(void)
{
    unsigned char *volatile *table = calloc(4, sizeof *table);
    REQUIRE(table, "calloc failed");
    goc_add_roots((void *)table, 4 * sizeof *table);
    set_global(&table[2], 6, 0);
    collect_keeping(6, "addroots");
    CHECK(intact(table[2], 6), "addroots: the object changed");
    /* The table still points to it, but is no root any more. */
    goc_remove_roots((void *)table);
    expect_collected(6, "addroots");
    free((void *)table);
}

/* ---- keep alive ----------------------------------------------------------------------------- */
__attribute__((noinline))
static void keepalive_scope(void)
{
    unsigned char *p = make_obj(7);
    collect_keeping(7, "keepalive");
    CHECK(intact(p, 7), "keepalive: the object changed");
    goc_keep_alive(p);
}

static int run(int argc, char **argv)
{
    REQUIRE(argc == 2, "usage: gc_roots CASE");
    const char *what = argv[1];
    static unsigned char *volatile holder_field_root;
    if (!strcmp(what, "stack"))
        test_stack();
    else if (!strcmp(what, "arg"))
        test_arg();
    else if (!strcmp(what, "chanbuf"))
        test_chanbuf();
    else if (!strcmp(what, "select"))
        test_select();
    else if (!strcmp(what, "after"))
        test_timer(false);
    else if (!strcmp(what, "tick"))
        test_timer(true);
    else if (!strcmp(what, "waitdone"))
        test_waitdone();
    else if (!strcmp(what, "bss"))
        test_global(&bss_root, 5, 0, "bss");
    else if (!strcmp(what, "data"))
        test_global(&data_root, 5, 0, "data");
    else if (!strcmp(what, "interior"))
        test_global(&bss_root, 5, 100, "interior");
    else if (!strcmp(what, "dlopen"))
        test_dlopen();
    else if (!strcmp(what, "addroots"))
        test_addroots();
    else if (!strcmp(what, "heap")) {
        /* A heap object, held by a global, holds the only pointer. */
        unsigned char *volatile *holder = goc_alloc(4 * sizeof *holder);
        holder_field_root = (unsigned char *)holder;
        holder = NULL;
        test_global((unsigned char *volatile *)holder_field_root + 1, 6, 0, "heap");
        CHECK(goc_alloc_size((void *)holder_field_root) > 0, "heap: the holder is gone");
    } else if (!strcmp(what, "keepalive")) {
        keepalive_scope();
        /* From here, so that no frame of the checks below keeps a dead
         * frame's copy of the pointer in a slot it never writes. */
        clear_stack();
        expect_collected(7, "keepalive");
    } else
        REQUIRE(0, "unknown case %s", what);
    return test_status();
}

GOC_MAIN(run)
