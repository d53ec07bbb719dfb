/* test_split.c: Split with sizes from the `split` attribute (opset 11), the constant 2nd input
 * (opset 13), an equal split, and `num_outputs` with a smaller last chunk (opset 18): the
 * reference kernel (nth 1 and 3) against an index oracle and hand-computed cases; bad sizes,
 * a non-constant sizes input and bad axes rejected. */
#include "harness.h"
#include "op_check.h"

#define SEED 3131u

enum src { BY_ATTR, BY_INPUT, EQUAL, NUM_OUTPUTS, BY_INPUT_NONCONST };

struct sp_case {
    enum yolo_dtype dt; int rank; int64_t shape[6]; int64_t axis; int n; int64_t sizes[8];
    enum src src;
};

static int build(struct yolo_graph *g, const struct sp_case *c, int32_t *t, struct yolo_diag *d)
{
    yolo_graph_init(g);
    int32_t in[2];
    in[0] = yolo_graph_add_tensor(g, "x", c->dt, c->rank, c->shape, d);
    int64_t n = c->n;
    if (c->src == BY_INPUT)
        in[1] = yolo_graph_add_const(g, "split", YOLO_DT_I64, 1, &n, c->sizes, d);
    else
        in[1] = yolo_graph_add_tensor(g, "split", YOLO_DT_I64, 1, &n, d);
    for (int k = 0; k < c->n; k++) {
        char name[16];
        snprintf(name, sizeof name, "y%d", k);
        t[k] = yolo_graph_add_tensor(g, name, c->dt, -1, NULL, d);
    }
    int with_input = c->src == BY_INPUT || c->src == BY_INPUT_NONCONST;
    int32_t node = yolo_graph_add_node(g, YOLO_OP_SPLIT, "split", with_input ? 2 : 1, in, c->n, t, d);
    struct yolo_attr av[3] = {
        { .name = "axis", .type = YOLO_ATTR_INT, .i = c->axis },
        { .name = "split", .type = YOLO_ATTR_INTS, .ints = c->sizes, .n_ints = c->n },
        { .name = "num_outputs", .type = YOLO_ATTR_INT, .i = c->n },
    };
    if (c->src == NUM_OUTPUTS)
        av[1] = av[2];
    int na = c->src == BY_ATTR || c->src == NUM_OUTPUTS ? 2 : 1;
    int64_t opset = c->src == BY_ATTR ? 11 : c->src == NUM_OUTPUTS ? 18 : 13;
    struct yolo_attrs attrs = { av, na, opset };
    int rc = yolo_op_split.import_fn(g, &g->nodes[node], &attrs, d);
    return rc ? rc : yolo_op_split.shape_fn(g, &g->nodes[node], d);
}

static void check_case(struct harness *h, const struct sp_case *c, const int64_t *want_sizes,
                       uint64_t seed)
{
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t t[8];
    int rc = build(&g, c, t, &d);
    if ((rc = op_check_setup(h, rc, &oc, &g, seed, &d, "seed %llu", (unsigned long long)seed)) != 0)
        return;
    int64_t ax = c->axis < 0 ? c->axis + c->rank : c->axis, outer = 1, inner = 1;
    for (int k = 0; k < c->rank; k++)
        if (k < ax)
            outer *= c->shape[k];
        else if (k > ax)
            inner *= c->shape[k];
    for (int k = 0; k < c->n; k++)
        CHECK(h, g.tensors[t[k]].shape[ax] == want_sizes[k] && g.tensors[t[k]].dtype == c->dt,
              "output %d has %lld along the axis, want %lld (seed %llu)", k,
              (long long)g.tensors[t[k]].shape[ax], (long long)want_sizes[k],
              (unsigned long long)seed);
    size_t es = yolo_dtype_size(c->dt);
    for (int nth = 1; nth <= 3; nth += 2) {
        op_check_run(&oc, nth);
        const uint8_t *x = op_check_ptr(&oc, 0);
        int64_t bad = 0, base = 0, dim = c->shape[ax];
        for (int k = 0; k < c->n; k++) {
            const uint8_t *y = op_check_ptr(&oc, t[k]);
            for (int64_t o = 0; o < outer; o++)
                for (int64_t a = 0; a < want_sizes[k]; a++)
                    for (int64_t in = 0; in < inner; in++) {
                        int64_t yi = (o * want_sizes[k] + a) * inner + in;
                        int64_t xi = (o * dim + base + a) * inner + in;
                        bad += memcmp(x + xi * es, y + yi * es, es) != 0;
                    }
            base += want_sizes[k];
        }
        CHECK(h, bad == 0, "%lld wrong elements, nth %d seed %llu", (long long)bad, nth,
              (unsigned long long)seed);
    }
    op_check_release(&oc);
    yolo_graph_release(&g);
}

static void check_hand(struct harness *h)
{
    struct sp_case c = { YOLO_DT_F32, 1, { 6 }, 0, 2, { 2, 4 }, BY_ATTR };
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t t[2];
    int rc = build(&g, &c, t, &d);
    if ((rc = op_check_setup(h, rc, &oc, &g, 1, &d, "hand")) != 0)
        return;
    const float x[6] = { 1, 2, 3, 4, 5, 6 };
    memcpy(op_check_ptr(&oc, 0), x, sizeof x);
    op_check_run(&oc, 1);
    CHECK(h, memcmp(op_check_ptr(&oc, t[0]), x, 2 * sizeof(float)) == 0 &&
          memcmp(op_check_ptr(&oc, t[1]), x + 2, 4 * sizeof(float)) == 0, "[1..6] -> [1,2] [3..6]");
    op_check_release(&oc);
    yolo_graph_release(&g);
}

int main(void)
{
    HARNESS_INIT(h, "test_split");
    printf("test_split: seed %u\n", SEED);
    check_hand(&h);
    const struct { struct sp_case c; int64_t want[8]; } cases[] = {
        { { YOLO_DT_F32, 4, { 1, 34, 7, 5 }, 1, 2, { 17, 17 }, BY_ATTR }, { 17, 17 } },
        { { YOLO_DT_F32, 5, { 1, 3, 5, 3, 85 }, 4, 3, { 2, 2, 81 }, BY_ATTR }, { 2, 2, 81 } },
        { { YOLO_DT_F32, 4, { 1, 24, 3, 7 }, 1, 3, { 3, 7, 14 }, BY_INPUT }, { 3, 7, 14 } },
        { { YOLO_DT_F32, 3, { 1, 84, 17 }, -2, 2, { 4, 80 }, BY_INPUT }, { 4, 80 } },
        { { YOLO_DT_F32, 4, { 1, 2, 18, 9 }, 2, 3, { 0 }, EQUAL }, { 6, 6, 6 } },
        { { YOLO_DT_F32, 3, { 2, 7, 3 }, 1, 3, { 0 }, NUM_OUTPUTS }, { 3, 3, 1 } },
        { { YOLO_DT_F32, 2, { 2, 3 }, 1, 3, { 0 }, NUM_OUTPUTS }, { 1, 1, 1 } },
        { { YOLO_DT_I64, 2, { 5, 4 }, 0, 2, { 0, 5 }, BY_INPUT }, { 0, 5 } },   /* empty part */
        { { YOLO_DT_BOOL, 3, { 3, 4, 2 }, -1, 2, { 0 }, EQUAL }, { 1, 1 } },
        { { YOLO_DT_F32, 3, { 2, 2, 5 }, 1, 3, { 0 }, NUM_OUTPUTS }, { 1, 1, 0 } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&h, &cases[i].c, cases[i].want, SEED + i);
    const struct sp_case bad[] = {
        { YOLO_DT_F32, 2, { 4, 6 }, 1, 2, { 2, 3 }, BY_ATTR },          /* sums to 5, not 6 */
        { YOLO_DT_F32, 2, { 4, 6 }, 1, 2, { 7, -1 }, BY_INPUT },        /* negative size */
        { YOLO_DT_F32, 2, { 4, 7 }, 1, 2, { 0 }, EQUAL },               /* 7 not divisible by 2 */
        { YOLO_DT_F32, 2, { 4, 6 }, 2, 2, { 3, 3 }, BY_ATTR },          /* axis out of range */
        { YOLO_DT_F32, 6, { 2, 1, 3, 4, 1, 2 }, 3, 8, { 0 }, NUM_OUTPUTS }, /* 4 in 8: 1,1,1,1,-3 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        int32_t t[8];
        int rc = build(&g, &bad[i], t, &d);
        CHECK(&h, rc != 0 && d.msg[0], "bad case %zu accepted", i);
        yolo_graph_release(&g);
    }
    {   /* sizes from a tensor computed at run time */
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        struct sp_case c = { YOLO_DT_F32, 2, { 4, 6 }, 1, 2, { 3, 3 }, BY_INPUT_NONCONST };
        int32_t t[2];
        int rc = build(&g, &c, t, &d);
        CHECK(&h, rc == YOLO_ERR_UNSUPPORTED && strstr(d.msg, "must be a constant"),
              "non-constant split: rc %d '%s'", rc, d.msg);
        yolo_graph_release(&g);
    }
    {   /* the attribute with the wrong number of sizes, and sizes input of the wrong length */
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        struct sp_case c = { YOLO_DT_F32, 2, { 4, 6 }, 1, 2, { 3, 3 }, BY_INPUT };
        int32_t t[2];
        int rc = build(&g, &c, t, &d);
        CHECK(&h, rc == 0, "base: %s", d.msg);
        g.tensors[1].shape[0] = 1;
        rc = yolo_op_split.shape_fn(&g, &g.nodes[0], &d);
        CHECK(&h, rc != 0, "sizes input of length 1 for 2 outputs accepted");
        int64_t three[3] = { 2, 2, 2 };
        struct yolo_attr av = { .name = "split", .type = YOLO_ATTR_INTS, .ints = three, .n_ints = 3 };
        struct yolo_attrs attrs = { &av, 1, 11 };
        g.nodes[0].n_in = 1;
        rc = yolo_op_split.import_fn(&g, &g.nodes[0], &attrs, &d);
        CHECK(&h, rc != 0, "3 split sizes for 2 outputs accepted");
        yolo_graph_release(&g);
    }
    return harness_finish(&h);
}
