/* test_concat.c: Concat on ranks 1..6, negative axes, f32/int64/bool, 1..7 inputs (one
 * empty): the reference kernel (nth 1 and 3) against an index oracle written here and a
 * hand-computed case; bad axes and mismatched inputs rejected. */
#include "harness.h"
#include "op_check.h"

#define SEED 1977u
#define MAXI 8

struct cc_case {
    enum yolo_dtype dt; int rank; int64_t shape[6]; int64_t axis; int n; int64_t sizes[MAXI];
};

/* Inputs take `shape` with the axis dim replaced by sizes[i]. */
static int build(struct yolo_graph *g, const struct cc_case *c, int32_t *t, struct yolo_diag *d)
{
    yolo_graph_init(g);
    int64_t ax = c->axis < 0 ? c->axis + c->rank : c->axis;
    for (int i = 0; i < c->n; i++) {
        int64_t s[6];
        memcpy(s, c->shape, sizeof s);
        if (ax >= 0 && ax < c->rank)
            s[ax] = c->sizes[i];
        char name[16];
        snprintf(name, sizeof name, "x%d", i);
        t[i] = yolo_graph_add_tensor(g, name, c->dt, c->rank, s, d);
    }
    t[c->n] = yolo_graph_add_tensor(g, "y", c->dt, -1, NULL, d);
    int32_t node = yolo_graph_add_node(g, YOLO_OP_CONCAT, "cat", c->n, t, 1, &t[c->n], d);
    struct yolo_attr av = { .name = "axis", .type = YOLO_ATTR_INT, .i = c->axis };
    struct yolo_attrs attrs = { &av, 1, 13 };
    int rc = yolo_op_concat.import_fn(g, &g->nodes[node], &attrs, d);
    return rc ? rc : yolo_op_concat.shape_fn(g, &g->nodes[node], d);
}

static void check_case(struct harness *h, const struct cc_case *c, uint64_t seed)
{
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t t[MAXI + 1];
    int rc = build(&g, c, t, &d);
    if ((rc = op_check_setup(h, rc, &oc, &g, seed, &d, "seed %llu", (unsigned long long)seed)) != 0)
        return;
    int64_t ax = c->axis < 0 ? c->axis + c->rank : c->axis, total = 0, outer = 1, inner = 1;
    for (int i = 0; i < c->n; i++)
        total += c->sizes[i];
    for (int k = 0; k < c->rank; k++)
        if (k < ax)
            outer *= c->shape[k];
        else if (k > ax)
            inner *= c->shape[k];
    const struct yolo_tensor *Y = &g.tensors[t[c->n]];
    CHECK(h, Y->ndim == c->rank && Y->shape[ax] == total && Y->dtype == c->dt,
          "output shape, seed %llu", (unsigned long long)seed);
    size_t es = yolo_dtype_size(c->dt);
    for (int nth = 1; nth <= 3; nth += 2) {
        op_check_run(&oc, nth);
        const uint8_t *y = op_check_ptr(&oc, t[c->n]);
        int64_t bad = 0, base = 0;
        for (int i = 0; i < c->n; i++) {
            const uint8_t *x = op_check_ptr(&oc, t[i]);
            for (int64_t o = 0; o < outer; o++)
                for (int64_t a = 0; a < c->sizes[i]; a++)
                    for (int64_t in = 0; in < inner; in++) {
                        int64_t xi = (o * c->sizes[i] + a) * inner + in;
                        int64_t yi = (o * total + base + a) * inner + in;
                        bad += memcmp(x + xi * es, y + yi * es, es) != 0;
                    }
            base += c->sizes[i];
        }
        CHECK(h, bad == 0, "%lld wrong elements, nth %d seed %llu", (long long)bad, nth,
              (unsigned long long)seed);
    }
    op_check_release(&oc);
    yolo_graph_release(&g);
}

static void check_hand(struct harness *h)
{
    struct cc_case c = { YOLO_DT_F32, 2, { 2, 0 }, 1, 2, { 2, 1 } };
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t t[3];
    int rc = build(&g, &c, t, &d);
    if ((rc = op_check_setup(h, rc, &oc, &g, 1, &d, "hand")) != 0)
        return;
    const float a[4] = { 1, 2, 3, 4 }, b[2] = { 5, 6 }, want[6] = { 1, 2, 5, 3, 4, 6 };
    memcpy(op_check_ptr(&oc, t[0]), a, sizeof a);
    memcpy(op_check_ptr(&oc, t[1]), b, sizeof b);
    op_check_run(&oc, 2);
    CHECK(h, memcmp(op_check_ptr(&oc, t[2]), want, sizeof want) == 0, "[[1,2],[3,4]] ++ [[5],[6]]");
    op_check_release(&oc);
    yolo_graph_release(&g);
}

int main(void)
{
    HARNESS_INIT(h, "test_concat");
    printf("test_concat: seed %u\n", SEED);
    check_hand(&h);
    const struct cc_case cases[] = {
        { YOLO_DT_F32, 4, { 1, 0, 7, 7 }, 1, 2, { 3, 17 } },
        { YOLO_DT_F32, 4, { 1, 0, 5, 3 }, 1, 4, { 8, 8, 8, 8 } },          /* SPPF */
        { YOLO_DT_F32, 3, { 1, 84, 0 }, -1, 3, { 17, 7, 3 } },               /* head, axis -1 */
        { YOLO_DT_F32, 5, { 1, 3, 7, 5, 0 }, 4, 3, { 2, 2, 81 } },           /* YOLOv5 */
        { YOLO_DT_F32, 3, { 0, 3, 5 }, 0, 5, { 1, 2, 1, 3, 1 } },
        { YOLO_DT_I64, 1, { 0 }, 0, 7, { 1, 1, 1, 1, 2, 1, 1 } },            /* shape vectors */
        { YOLO_DT_BOOL, 2, { 3, 0 }, -1, 2, { 5, 4 } },
        { YOLO_DT_F32, 6, { 2, 1, 3, 0, 2, 3 }, -3, 2, { 1, 3 } },
        { YOLO_DT_F32, 3, { 2, 0, 3 }, 1, 3, { 2, 0, 3 } },                 /* one empty input */
        { YOLO_DT_F32, 2, { 0, 3 }, 0, 1, { 7 } },                          /* single input */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&h, &cases[i], SEED + i);
    const struct cc_case bad[] = {
        { YOLO_DT_F32, 2, { 2, 0 }, 2, 2, { 1, 1 } },      /* axis == rank */
        { YOLO_DT_F32, 2, { 2, 0 }, -3, 2, { 1, 1 } },     /* axis < -rank */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        int32_t t[3];
        int rc = build(&g, &bad[i], t, &d);
        CHECK(&h, rc != 0 && d.msg[0], "bad axis case %zu accepted", i);
        yolo_graph_release(&g);
    }
    /* mismatches: a non-axis dim, the rank, the dtype; and a missing axis attribute */
    for (int k = 0; k < 4; k++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        struct cc_case c = { YOLO_DT_F32, 3, { 2, 0, 4 }, 1, 2, { 3, 5 } };
        int32_t t[3];
        int rc = build(&g, &c, t, &d);
        CHECK(&h, rc == 0, "mismatch base case: %s", d.msg);
        if (k == 0)
            g.tensors[t[1]].shape[2] = 5;
        if (k == 1)
            g.tensors[t[1]].ndim = 2;
        if (k == 2)
            g.tensors[t[1]].dtype = YOLO_DT_I64;
        if (k < 3) {
            rc = yolo_op_concat.shape_fn(&g, &g.nodes[0], &d);
        } else {
            struct yolo_attrs none = { NULL, 0, 13 };
            rc = yolo_op_concat.import_fn(&g, &g.nodes[0], &none, &d);
        }
        CHECK(&h, rc != 0 && d.msg[0], "mismatch case %d accepted", k);
        yolo_graph_release(&g);
    }
    return harness_finish(&h);
}
