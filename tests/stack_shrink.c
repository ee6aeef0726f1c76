/* SPDX-License-Identifier: MIT */
/* Stacks shrink back at a collection (goc_gc), and only when nothing the
 * collector can see points into them; new goroutines start at the average
 * stack size seen there.
 *
 *   stack_shrink self     a goroutine dives deep (its stack grows to
 *                         megabytes), comes back and calls goc_gc: its
 *                         stack_inuse drops back, and the frames it was
 *                         parked in, full of pointers to their own locals,
 *                         are intact on the new, smaller stack
 *   stack_shrink parked   50 goroutines dive, come back and park on a
 *                         channel in frames holding such pointers; goc_gc
 *                         from goroutine 1 shrinks them all
 *   stack_shrink pinned   the address of a parked goroutine's local kept
 *                         in a goc_alloc object, in a global, in another
 *                         goroutine's stack, or a pending pipe read into
 *                         its stack: goc_gc leaves that stack where it is;
 *                         once the pointer is gone, it shrinks
 *   stack_shrink start    goroutines parked using 80 KiB of stack: after
 *                         goc_gc, new goroutines that use as much start
 *                         large enough not to grow; with
 *                         GODEBUG=adaptivestackstart=0 they grow
 *   stack_shrink packed   2,000 goroutines parked a few frames deep: goc_gc
 *                         moves their frames into small blocks (stack_inuse
 *                         falls 16-fold or more), and values sent to them
 *                         afterwards land in the right frames
 *   stack_shrink foreign  a thread that is not a goroutine sends to parked
 *                         goroutines while goc_gc moves their stacks: every
 *                         value lands in the stack it was sent to
 *   stack_shrink quarantine  a stack grows away from its first slot, which
 *                         stays guarded (quarantined); goc_gc releases it
 *                         once no word the collector scans points into it,
 *                         and not while a global still does */
#include <pthread.h>
#include <string.h>

#include "base/sanitizers.h"
#include "stack/stack.h"
#include "testing.h"

/* TSan keeps its own call stack per fiber, of 65,536 frames. */
enum { DIVE_FRAMES = 20000, CHAIN_FRAMES = 8 };

/* The whole array is live: compilers may otherwise keep only the bytes
 * the code touches (clang does), and the frame would not use the stack it
 * is meant to. */
#define ESCAPE(array) __asm__ volatile("" : : "r"(array) : "memory")

static uint64_t stack_inuse(void)
{
    goc_memstats ms;
    goc_read_memstats(&ms);
    return ms.stack_inuse;
}

/* Uses ~frames * 200 bytes of stack, then returns. */
__attribute__((noinline))
static uint64_t dive(uint64_t frames)
{
    volatile char pad[160];
    pad[0] = (char)frames;
    ESCAPE(pad);
    if (frames == 0)
        return pad[0];
    return dive(frames - 1) + pad[0];
}

/* What a chain of frames does at its bottom, with the stack shallow. */
typedef void (*bottom_fn)(void *arg);

struct chain {
    bottom_fn bottom;
    void     *arg;
    uint64_t  errors;
};

/* Each frame keeps its local's address in memory and hands it down; after
 * the bottom (which parks) returns, the callee has written through it and
 * the kept address must still be the local's: the stack moved, and both
 * the pointer and the pointee with it. */
__attribute__((noinline))
static void link_frames(struct chain *c, int depth, uint64_t *parent)
{
    uint64_t cell = (uint64_t)depth * 0x9E3779B97F4A7C15ull;
    uint64_t *volatile self = &cell;
    if (depth == 0)
        c->bottom(c->arg);
    else
        link_frames(c, depth - 1, &cell);
    if (depth > 0 && cell != (uint64_t)depth * 0x9E3779B97F4A7C15ull + 1)
        c->errors++;
    if (self != &cell)
        c->errors++;
    *parent += 1;
}

static uint64_t run_chain(bottom_fn bottom, void *arg)
{
    struct chain c = {bottom, arg, 0};
    uint64_t top = 0;
    link_frames(&c, CHAIN_FRAMES, &top);
    if (top != 1)
        c.errors++;
    return c.errors;
}

/* ---- default: the goroutine that calls goc_gc shrinks too --------------- */

/* Where a local is now.  Through an empty asm: compilers take a local's
 * address for a constant (and see through a call that returns it) and
 * would fold two readings of it into one. */
static inline uintptr_t address_now(volatile int *local)
{
    uintptr_t a = (uintptr_t)local;
    __asm__ volatile("" : "+r"(a));
    return a;
}

/* Complemented: a global holding a stack address would pin that stack. */
static uintptr_t addr_before, addr_after;
static uint64_t shrink_goal;   /* stack_inuse once the dive's stack is back */

static void collect_at_bottom(void *arg)
{
    (void)arg;
    volatile int here;
    addr_before = ~address_now(&here);
    /* The scan is conservative: a stale word somewhere (a register saved by
     * a thread that ran this goroutine) can pin a stack for one collection,
     * as it can keep a dead object for one in any conservative collector.
     * Once seen in CI under ASan at GOMAXPROCS=1; a few tries. */
    for (int i = 0; i < 5 && stack_inuse() > shrink_goal; i++)
        goc_gc();
    addr_after = ~address_now(&here);
}

static void test_self(void)
{
    /* The collector's own goroutines start with the first collection. */
    goc_gc();
    uint64_t base = stack_inuse();
    dive(DIVE_FRAMES);
    uint64_t grown = stack_inuse();
    REQUIRE(grown >= base + (2u << 20), "dive grew stack_inuse only from %llu to %llu",
            (unsigned long long)base, (unsigned long long)grown);
    shrink_goal = base + (32u << 10);
    CHECK(run_chain(collect_at_bottom, NULL) == 0, "a frame saw a wrong local after goc_gc");
    uint64_t after = stack_inuse();
    /* The GC goroutine's stack may not be given back yet. */
    CHECK(after <= shrink_goal, "stack_inuse %llu after goc_gc, %llu before the dive, %llu grown",
          (unsigned long long)after, (unsigned long long)base, (unsigned long long)grown);
    CHECK(addr_before != addr_after, "the stack did not move (%#lx)", (unsigned long)~addr_before);
}

/* ---- parked: goroutines parked on a channel shrink ----------------------- */

enum { PARKED = 50 };

struct parked_job {
    goc_chan      *gate;
    goc_waitgroup *parked, *done;
    uint64_t       errors;
};

static void wait_at_gate(void *arg)
{
    struct parked_job *j = arg;
    goc_waitgroup_done(j->parked);
    chan_recv(j->gate, NULL);
}

static void parked_goroutine(void *arg)
{
    struct parked_job *j = arg;
    dive(DIVE_FRAMES / 4);   /* 1 MiB or more */
    j->errors = run_chain(wait_at_gate, j);
    goc_waitgroup_done(j->done);
}

static void test_parked(void)
{
    uint64_t base = stack_inuse();
    struct parked_job *jobs = goc_alloc(PARKED * sizeof *jobs);
    goc_chan *gate = chan_make(0, 0);
    goc_waitgroup *parked = goc_alloc(sizeof *parked), *done = goc_alloc(sizeof *done);
    goc_waitgroup_add(parked, PARKED);
    goc_waitgroup_add(done, PARKED);
    for (int i = 0; i < PARKED; i++) {
        jobs[i] = (struct parked_job){gate, parked, done, 0};
        go(parked_goroutine, &jobs[i]);
    }
    goc_waitgroup_wait(parked);
    uint64_t grown = stack_inuse();
    goc_gc();
    uint64_t after = stack_inuse();
    /* Each grew to 1 MiB or more and needs 32 KiB now. */
    CHECK(grown >= base + PARKED * (1u << 20) / 2, "stack_inuse grew from %llu to %llu only",
          (unsigned long long)base, (unsigned long long)grown);
    CHECK(after <= base + PARKED * (64u << 10), "stack_inuse %llu after goc_gc, %llu before",
          (unsigned long long)after, (unsigned long long)grown);
    chan_close(gate);
    goc_waitgroup_wait(done);
    for (int i = 0; i < PARKED; i++)
        CHECK(jobs[i].errors == 0, "goroutine %d saw a wrong local after goc_gc", i);
}

/* ---- pinned: a pointer from outside keeps a stack where it is ---------- */

enum pin { PIN_HEAP, PIN_GLOBAL, PIN_STACK, PIN_IO, NPINS };
static const char *const pin_names[NPINS] = {"heap object", "global", "other stack", "pipe read"};

static uint64_t *volatile pinning_global;

struct pin_job {
    enum pin   how;
    goc_chan  *gate;        /* the pinned goroutine and goroutine 1 take turns */
    goc_chan  *handoff;     /* PIN_STACK: the address, to the keeper */
    goc_chan  *kick;        /* PIN_STACK: goroutine 1 and the keeper */
    uint64_t **heap_slot;   /* goc_alloc'd */
    int        pipe_rd;
    uint64_t   errors;
};

static void keeper(void *arg)
{
    /* Holds the address only on its own stack while parked. */
    struct pin_job *j = arg;
    uint64_t *volatile kept = NULL;
    chan_recv(j->handoff, (void *)&kept);
    chan_recv(j->kick, NULL);
    *kept += 1;
    kept = NULL;
    chan_send(j->kick, NULL);
}

static void pinned_bottom(void *arg)
{
    struct pin_job *j = arg;
    uint64_t local = 41;
    char buf[16] = {0};
    uint64_t *addr = &local;
    switch (j->how) {
    case PIN_HEAP:   *j->heap_slot = &local; break;
    case PIN_GLOBAL: pinning_global = &local; break;
    case PIN_STACK:  chan_send(j->handoff, &addr); break;
    default:         break;
    }
    chan_send(j->gate, NULL);
    if (j->how == PIN_IO) {
        /* Parked with the kernel about to write into buf. */
        if (goc_read(j->pipe_rd, buf, 5) != 5 || memcmp(buf, "hello", 5) != 0)
            j->errors++;
        local++;
    } else {
        chan_recv(j->gate, NULL);   /* the pinned goc_gc happens now */
    }
    if (local != 42)
        j->errors++;
    *j->heap_slot = NULL;
    pinning_global = NULL;
    chan_send(j->gate, NULL);
    chan_recv(j->gate, NULL);       /* unpinned: this park may move the stack */
    if (local != 42 || addr != &local)
        j->errors++;
}

static void pinned_goroutine(void *arg)
{
    struct pin_job *j = arg;
    dive(DIVE_FRAMES);
    j->errors += run_chain(pinned_bottom, j);
    chan_send(j->gate, NULL);
}

/* Writes through the pinning pointer from a frame of its own, gone (below
 * the stack pointer, where no scan looks) by the next goc_gc. */
__attribute__((noinline))
static void poke(struct pin_job *j, int pipe_wr)
{
    switch (j->how) {
    case PIN_HEAP:   **j->heap_slot += 1; break;
    case PIN_GLOBAL: *pinning_global += 1; break;
    case PIN_STACK:  chan_send(j->kick, NULL); chan_recv(j->kick, NULL); break;
    case PIN_IO:     REQUIRE(write(pipe_wr, "hello", 5) == 5, "write"); break;
    default:         break;
    }
}

static void test_pinned(void)
{
    for (enum pin how = 0; how < NPINS; how++) {
        struct pin_job *j = goc_alloc(sizeof *j);
        int fds[2];
        REQUIRE(pipe(fds) == 0, "pipe");
        *j = (struct pin_job){.how = how, .gate = chan_make(0, 0),
                              .handoff = chan_make(sizeof(uint64_t *), 0), .kick = chan_make(0, 0),
                              .heap_slot = goc_alloc(sizeof(uint64_t *)), .pipe_rd = fds[0]};
        if (how == PIN_STACK)
            go(keeper, j);
        go(pinned_goroutine, j);
        chan_recv(j->gate, NULL);        /* grown, pinned and about to park */
        if (how == PIN_IO)
            goc_sleep(20 * GOC_MILLISECOND);   /* let it reach the read */
        uint64_t grown = stack_inuse();
        goc_gc();
        uint64_t pinned = stack_inuse();
        /* Others' stacks may be packed meanwhile (32 KiB each), not this
         * one of megabytes. */
        CHECK(pinned + (1u << 20) > grown, "%s: the stack shrank from %llu to %llu while pinned",
              pin_names[how], (unsigned long long)grown, (unsigned long long)pinned);
        poke(j, fds[1]);
        if (how != PIN_IO)
            chan_send(j->gate, NULL);
        chan_recv(j->gate, NULL);        /* unpinned and parking */
        while (goc_num_goroutine() > 2)
            goc_yield();                 /* the keeper may be on its way out */
        goc_gc();
        uint64_t unpinned = stack_inuse();
        CHECK(unpinned + (1u << 20) < grown, "%s: stack_inuse %llu after the pin went, %llu before",
              pin_names[how], (unsigned long long)unpinned, (unsigned long long)grown);
        chan_send(j->gate, NULL);
        chan_recv(j->gate, NULL);        /* finished */
        CHECK(j->errors == 0, "%s: %llu wrong values", pin_names[how],
              (unsigned long long)j->errors);
        close(fds[0]);
        close(fds[1]);
    }
}

/* ---- start: the adaptive starting size ----------------------------------- */

enum { WIDE = 32, NEWCOMERS = 8 };

static _Atomic int wide_parking;

/* 40 KiB of stack in each of frames frames (each under the 64 KiB guard);
 * with a gate, the deepest parks on it. */
__attribute__((noinline))
static void use_wide(goc_chan *gate, int frames)
{
    volatile char wide[40 << 10];
    wide[sizeof wide - 1] = 1;
    wide[0] = 1;
    ESCAPE(wide);
    if (frames > 1) {
        use_wide(gate, frames - 1);
    } else if (gate) {
        atomic_fetch_add(&wide_parking, 1);
        chan_recv(gate, NULL);
    }
    KEEP_FRAME();
}

static void park_wide(void *arg)
{
    use_wide(arg, 2);   /* 80 KiB */
    KEEP_FRAME();
}

struct newcomer {
    goc_waitgroup *wg;
    bool           moved;
};

/* Uses as much stack as the parked ones: a goroutine that started smaller
 * grows, which moves its frames. */
static void newcomer(void *arg)
{
    struct newcomer *n = arg;
    volatile int here;
    /* Complemented in memory, or the move would relocate it along with
     * the stack. */
    volatile uintptr_t before = ~address_now(&here);
    use_wide(NULL, 2);
    n->moved = ~address_now(&here) != before;
    goc_waitgroup_done(n->wg);
}

static void test_start(void)
{
    goc_chan *gate = chan_make(0, 0);
    for (int i = 0; i < WIDE; i++)
        go(park_wide, gate);
    while (atomic_load(&wide_parking) < WIDE)
        goc_yield();
    goc_gc();
    const char *godebug = getenv("GODEBUG");
    bool adaptive = !godebug || !strstr(godebug, "adaptivestackstart=0");
    struct newcomer *n = goc_alloc(NEWCOMERS * sizeof *n);
    goc_waitgroup *wg = goc_alloc(sizeof *wg);
    goc_waitgroup_add(wg, NEWCOMERS);
    for (int i = 0; i < NEWCOMERS; i++) {
        n[i].wg = wg;
        go(newcomer, &n[i]);
    }
    goc_waitgroup_wait(wg);
    for (int i = 0; i < NEWCOMERS; i++)
        CHECK(n[i].moved == !adaptive, "goroutine %d started %s: its stack %s", i,
              adaptive ? "after goc_gc saw 80 KiB stacks" : "with adaptivestackstart=0",
              n[i].moved ? "grew" : "did not grow");
    chan_close(gate);
}

/* ---- packed: parked goroutines' frames wait in small blocks ---------------- */

enum { PACKED = 2000 };

struct packed_job {
    goc_chan      *in;
    uint64_t       want;
    goc_waitgroup *parked, *done;
    uint64_t       errors;
};

static void receive_at_bottom(void *arg)
{
    struct packed_job *j = arg;
    uint64_t got = UINT64_MAX;
    goc_waitgroup_done(j->parked);
    chan_recv(j->in, &got);   /* the sender writes into the packed frames */
    if (got != j->want)
        j->errors++;
}

static void packed_goroutine(void *arg)
{
    struct packed_job *j = arg;
    j->errors += run_chain(receive_at_bottom, j);
    goc_waitgroup_done(j->done);
}

static void test_packed(void)
{
    struct packed_job *jobs = goc_alloc(PACKED * sizeof *jobs);
    goc_waitgroup *parked = goc_alloc(sizeof *parked), *done = goc_alloc(sizeof *done);
    goc_waitgroup_add(parked, PACKED);
    goc_waitgroup_add(done, PACKED);
    for (int i = 0; i < PACKED; i++) {
        jobs[i] = (struct packed_job){chan_make(sizeof(uint64_t), 0), (uint64_t)i * 7919, parked,
                                      done, 0};
        go(packed_goroutine, &jobs[i]);
    }
    goc_waitgroup_wait(parked);
    uint64_t before = stack_inuse();
    goc_gc();
    uint64_t after = stack_inuse();
#ifdef GOC_ASAN
    (void)before, (void)after;   /* ASan builds keep their slots */
#else
    /* 32 KiB slots each before; a block of at most 2 KiB each after. */
    CHECK(before >= PACKED * (32u << 10), "stack_inuse %llu before goc_gc",
          (unsigned long long)before);
    CHECK(after <= PACKED * (2u << 10) + (1u << 20), "stack_inuse %llu after goc_gc, %llu before",
          (unsigned long long)after, (unsigned long long)before);
#endif
    for (int i = 0; i < PACKED; i++)
        chan_send(jobs[i].in, &jobs[i].want);
    goc_waitgroup_wait(done);
    for (int i = 0; i < PACKED; i++)
        CHECK(jobs[i].errors == 0, "goroutine %d: %llu wrong values after packing", i,
              (unsigned long long)jobs[i].errors);
}

/* ---- foreign: a thread sends to goroutines while their stacks move ----- */

enum { RECEIVERS = 8, ROUNDS = 200 };

struct receiver {
    goc_chan      *in;
    goc_waitgroup *done;
    uint64_t       errors;
};

static void receive_deep(void *arg)
{
    struct receiver *r = arg;
    for (uint64_t want = 0; want < ROUNDS; want++) {
        dive(want % 2 ? DIVE_FRAMES / 4 : 0);   /* grown every other round */
        uint64_t got = UINT64_MAX;
        chan_recv(r->in, &got);   /* into this stack, which may be moving */
        if (got != want)
            r->errors++;
    }
    goc_waitgroup_done(r->done);
}

static void *send_from_thread(void *arg)
{
    struct receiver *rs = arg;
    for (uint64_t v = 0; v < ROUNDS; v++)
        for (int i = 0; i < RECEIVERS; i++)
            chan_send(rs[i].in, &v);
    return NULL;
}

static void test_foreign(void)
{
    struct receiver *rs = goc_alloc(RECEIVERS * sizeof *rs);
    goc_waitgroup *done = goc_alloc(sizeof *done);
    goc_waitgroup_add(done, RECEIVERS);
    for (int i = 0; i < RECEIVERS; i++) {
        rs[i] = (struct receiver){chan_make(sizeof(uint64_t), 0), done, 0};
        go(receive_deep, &rs[i]);
    }
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, send_from_thread, rs) == 0, "pthread_create");
    while (goc_num_goroutine() > 1) {
        goc_gc();
        goc_sleep(100 * GOC_MICROSECOND);   /* the receivers need the P too */
    }
    goc_waitgroup_wait(done);
    pthread_join(t, NULL);
    for (int i = 0; i < RECEIVERS; i++)
        CHECK(rs[i].errors == 0, "receiver %d got %llu wrong values", i,
              (unsigned long long)rs[i].errors);
}

/* ---- quarantine: released once a cycle proves it unreferenced ----------- */

static uintptr_t old_local_inv;   /* complemented: points nowhere */
/* A real pointer into the old range; volatile: it is stored, never read. */
static volatile uintptr_t old_local_kept;

static void grow_away(void *arg)
{
    goc_waitgroup *done = arg;
    volatile int here;
    old_local_inv = ~(uintptr_t)&here;
    dive(DIVE_FRAMES);   /* the stack moves to a larger slot */
    goc_waitgroup_done(done);
}

/* Asked from a goroutine of its own that ends at once: a conservative
 * scan would find the address left in a dead slot of the asker's frames
 * (the stale-word retention every conservative collector has). */
static void probe_quarantine(void *arg)
{
    goc_chan *answer = arg;
    int64_t goid;
    bool q = stack_quarantined(~old_local_inv, &goid);
    goc_chan_send(answer, &q);
}

static bool quarantined(void)
{
    goc_chan *answer = goc_chan_make(sizeof(bool), 0);
    goc_go(probe_quarantine, answer);
    bool q;
    goc_chan_recv(answer, &q);
    return q;
}

static void test_quarantine(void)
{
    for (int kept = 0; kept < 2; kept++) {
        goc_waitgroup *wg = goc_alloc(sizeof *wg);
        goc_waitgroup_add(wg, 1);
        goc_go(grow_away, wg);
        goc_waitgroup_wait(wg);
        REQUIRE(quarantined(), "the first slot of a grown stack is not quarantined");
        if (kept)
            old_local_kept = ~old_local_inv;
        goc_gc();
        if (kept)
            CHECK(quarantined(), "a range a global points into was released");
        else
            CHECK(!quarantined(), "an unreferenced quarantined range survived goc_gc");
        old_local_kept = 0;
        goc_gc();
        CHECK(!quarantined(), "the range stayed quarantined after its last pointer went");
    }
}

static int test_main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "self";
    if (strcmp(mode, "parked") == 0)
        test_parked();
    else if (strcmp(mode, "pinned") == 0)
        test_pinned();
    else if (strcmp(mode, "start") == 0)
        test_start();
    else if (strcmp(mode, "foreign") == 0)
        test_foreign();
    else if (strcmp(mode, "packed") == 0)
        test_packed();
    else if (strcmp(mode, "quarantine") == 0)
        test_quarantine();
    else
        test_self();
    return test_status();
}

GOC_MAIN(test_main)
