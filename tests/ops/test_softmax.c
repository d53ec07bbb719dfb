/* test_softmax.c: Softmax at opset 11 (coerce to 2-D at axis, default 1) and 13 (one axis,
 * default -1): a hand-computed row, rows summing to 1, the reference kernel (nth 1 and 3)
 * against a double-precision oracle written here, and rejection of bad axes/dtypes. */
#include <math.h>

#include "harness.h"
#include "op_check.h"

#define SEED 4242u

struct sm_case { int rank; int64_t shape[6]; int has_axis; int64_t axis; int64_t opset; };

static int build(struct yolo_graph *g, const struct sm_case *c, int32_t *t, struct yolo_diag *d)
{
    yolo_graph_init(g);
    t[0] = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, c->rank, c->shape, d);
    t[1] = yolo_graph_add_tensor(g, "y", YOLO_DT_F32, -1, NULL, d);
    int32_t node = yolo_graph_add_node(g, YOLO_OP_SOFTMAX, "sm", 1, t, 1, &t[1], d);
    struct yolo_attr av = { .name = "axis", .type = YOLO_ATTR_INT, .i = c->axis };
    struct yolo_attrs attrs = { &av, c->has_axis ? 1 : 0, c->opset };
    int rc = yolo_op_softmax.import_fn(g, &g->nodes[node], &attrs, d);
    return rc ? rc : yolo_op_softmax.shape_fn(g, &g->nodes[node], d);
}

/* The oracle: softmax over the axis group the spec describes, in double. */
static void oracle(const struct sm_case *c, const float *x, double *y)
{
    int64_t axis = c->has_axis ? c->axis : (c->opset < 13 ? 1 : -1);
    if (axis < 0)
        axis += c->rank;
    int64_t outer = 1, len = 1, inner = 1;
    for (int i = 0; i < c->rank; i++) {
        if (i < axis)
            outer *= c->shape[i];
        else if (i == axis || c->opset < 13)
            len *= c->shape[i];
        else
            inner *= c->shape[i];
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            double sum = 0;
            for (int64_t i = 0; i < len; i++)
                sum += exp((double)x[(o * len + i) * inner + in]);
            for (int64_t i = 0; i < len; i++)
                y[(o * len + i) * inner + in] = exp((double)x[(o * len + i) * inner + in]) / sum;
        }
}

static void check_case(struct harness *h, const struct sm_case *c, uint64_t seed)
{
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t t[2];
    int rc = build(&g, c, t, &d);
    if ((rc = op_check_setup(h, rc, &oc, &g, seed, &d, "seed %llu", (unsigned long long)seed)) != 0)
        return;
    int64_t cnt = yolo_tensor_numel(&g.tensors[t[0]]);
    double *want = malloc(sizeof(double) * (size_t)cnt);
    float *wantf = malloc(sizeof(float) * (size_t)cnt);
    oracle(c, op_check_ptr(&oc, t[0]), want);
    for (int64_t i = 0; i < cnt; i++)
        wantf[i] = (float)want[i];
    for (int nth = 1; nth <= 3; nth += 2) {
        op_check_run(&oc, nth);
        const float *y = op_check_ptr(&oc, t[1]);
        double e = op_check_nmse(y, wantf, cnt);
        CHECK(h, e <= 1e-10, "nmse %g nth %d seed %llu opset %lld axis %lld", e, nth,
              (unsigned long long)seed, (long long)c->opset, (long long)c->axis);
    }
    free(want);
    free(wantf);
    op_check_release(&oc);
    yolo_graph_release(&g);
}

static void check_hand(struct harness *h)
{
    struct sm_case c = { 2, { 2, 3 }, 0, 0, 13 };
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t t[2];
    int rc = build(&g, &c, t, &d);
    if ((rc = op_check_setup(h, rc, &oc, &g, 1, &d, "hand")) != 0)
        return;
    const float xv[6] = { 1, 2, 3, 1000, 1000, 1000 };   /* second row: max subtraction */
    const float want[6] = { 0.0900305732f, 0.244728471f, 0.665240956f, 1 / 3.f, 1 / 3.f, 1 / 3.f };
    memcpy(op_check_ptr(&oc, t[0]), xv, sizeof xv);
    op_check_run(&oc, 1);
    const float *y = op_check_ptr(&oc, t[1]);
    for (int i = 0; i < 6; i++)
        CHECK(h, fabsf(y[i] - want[i]) < 1e-6f, "y[%d] = %.9g, want %.9g", i, y[i], want[i]);
    op_check_release(&oc);
    yolo_graph_release(&g);
}

/* Rows along the axis sum to 1 at opset 13; at opset 11 the whole trailing block does. */
static void check_sums(struct harness *h)
{
    for (int legacy = 0; legacy < 2; legacy++) {
        struct sm_case c = { 4, { 2, 3, 4, 5 }, 1, 1, legacy ? 11 : 13 };
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        struct op_check oc;
        int32_t t[2];
        int rc = build(&g, &c, t, &d);
        rc = rc ? rc : op_check_prepare(&oc, &g, 99, &d);
        CHECK(h, rc == 0, "sums: %s", d.msg);
        if (rc) {
            yolo_graph_release(&g);
            continue;
        }
        op_check_run(&oc, 1);
        const float *y = op_check_ptr(&oc, t[1]);
        double worst = 0;
        for (int b = 0; b < 2; b++) {
            if (legacy) {
                double s = 0;
                for (int i = 0; i < 60; i++)
                    s += y[b * 60 + i];
                worst = fmax(worst, fabs(s - 1));
            } else {
                for (int in = 0; in < 20; in++) {
                    double s = 0;
                    for (int i = 0; i < 3; i++)
                        s += y[b * 60 + i * 20 + in];
                    worst = fmax(worst, fabs(s - 1));
                }
            }
        }
        CHECK(h, worst < 1e-5, "opset %s: sums off by %g", legacy ? "11" : "13", worst);
        op_check_release(&oc);
        yolo_graph_release(&g);
    }
}

int main(void)
{
    HARNESS_INIT(h, "test_softmax");
    printf("test_softmax: seed %u\n", SEED);
    check_hand(&h);
    check_sums(&h);
    const struct sm_case cases[] = {
        { 4, { 1, 4, 16, 17 }, 1, 1, 13 },        /* DFL-like: axis 1 of 4-D */
        { 4, { 1, 2, 7, 7 }, 1, -1, 19 },         /* attention */
        { 4, { 1, 3, 16, 7 }, 1, 3, 11 },         /* yolov8 opset 11: last axis */
        { 3, { 2, 3, 17 }, 0, 0, 11 },            /* opset 11 default axis 1: rows of 51 */
        { 3, { 2, 3, 17 }, 0, 0, 13 },            /* opset 13 default axis -1 */
        { 3, { 3, 7, 5 }, 1, 0, 12 },             /* coerce at axis 0: one row of everything */
        { 3, { 3, 7, 5 }, 1, -2, 17 },
        { 1, { 1 }, 0, 0, 13 },
        { 2, { 17, 1 }, 1, 0, 13 },
        { 5, { 1, 3, 2, 4, 3 }, 1, 2, 13 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&h, &cases[i], SEED + i);
    const struct sm_case bad[] = {
        { 4, { 1, 2, 3, 4 }, 1, 4, 13 },
        { 4, { 1, 2, 3, 4 }, 1, -5, 11 },
        { 2, { 2, 3 }, 1, 2, 11 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        int32_t t[2];
        int rc = build(&g, &bad[i], t, &d);
        CHECK(&h, rc != 0 && d.msg[0], "bad axis case %zu accepted", i);
        yolo_graph_release(&g);
    }
    {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        struct sm_case c = { 2, { 2, 3 }, 0, 0, 13 };
        int32_t t[2];
        build(&g, &c, t, &d);
        g.tensors[t[0]].dtype = YOLO_DT_I64;
        int rc = yolo_op_softmax.shape_fn(&g, &g.nodes[0], &d);
        CHECK(&h, rc == YOLO_ERR_UNSUPPORTED, "int64 softmax: rc %d", rc);
        g.tensors[t[0]].dtype = YOLO_DT_F32;
        struct yolo_attr av = { .name = "axis", .type = YOLO_ATTR_FLOAT, .f = 1.0f };
        struct yolo_attrs attrs = { &av, 1, 13 };
        rc = yolo_op_softmax.import_fn(&g, &g.nodes[0], &attrs, &d);
        CHECK(&h, rc != 0, "float axis attribute accepted");
        yolo_graph_release(&g);
    }
    return harness_finish(&h);
}
