/* SPDX-License-Identifier: MIT */
/* The typed helpers GOC_SEND_VAL / GOC_RECV_VAL move values of the right
 * type like the untyped calls (mismatched sizes panic: see chan_panics),
 * and goc_chan_elem_size reports the size the channel was made with. */
#include "testing.h"

typedef struct {
    double x, y;
    int    tag;
} point;

static void produce(void *arg)
{
    goc_chan *c = arg;
    for (int i = 0; i < 100; i++)
        GOC_SEND_VAL(c, point, ((point){ i * 0.5, -i, i }));
    goc_chan_close(c);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    goc_chan *c = goc_chan_make(sizeof(point), 4);
    CHECK(goc_chan_elem_size(c) == sizeof(point), "elem size %zu, want %zu",
          goc_chan_elem_size(c), sizeof(point));
    goc_go(produce, c);
    point p;
    int n = 0;
    while (GOC_RECV_VAL(c, point, &p)) {
        CHECK(p.tag == n && p.x == n * 0.5 && p.y == -n, "value %d arrived as {%g,%g,%d}", n, p.x,
              p.y, p.tag);
        n++;
    }
    CHECK(n == 100, "received %d values", n);

    goc_chan *ints = goc_chan_make(sizeof(int64_t), 1);
    GOC_SEND_VAL(ints, int64_t, INT64_C(1) << 40);
    int64_t big = 0;
    CHECK(GOC_RECV_VAL(ints, int64_t, &big) && big == INT64_C(1) << 40, "int64 round trip %lld",
          (long long)big);
    return test_status();
}

GOC_MAIN(test_main)
