/* test_slice.c: Slice (opset 13 inputs, int64 and int32; opset 9 attributes): negative
 * indices, clamping, INT64_MAX/INT64_MIN ends, negative and oversized steps, omitted axes and
 * steps. The reference kernel (nth 1 and 3) against a per-axis index-list oracle written here
 * and hand-computed cases; bad steps/axes and non-constant inputs rejected. */
#include "harness.h"
#include "op_check.h"

#define SEED 9091u

struct sl_case {
    enum yolo_dtype dt; int rank; int64_t shape[6];
    int n; int64_t starts[6], ends[6], axes[6], steps[6];
    int has_axes, has_steps;
    int opset;                   /* 9: attributes; else inputs */
    enum yolo_dtype idx_dt;      /* I64 or I32 index inputs */
};

static int32_t add_idx(struct yolo_graph *g, const char *name, const struct sl_case *c,
                       const int64_t *v, struct yolo_diag *d)
{
    int64_t n = c->n;
    if (c->idx_dt == YOLO_DT_I32) {
        int32_t v32[6];
        for (int i = 0; i < c->n; i++)
            v32[i] = (int32_t)(v[i] > INT32_MAX ? INT32_MAX : v[i] < INT32_MIN ? INT32_MIN : v[i]);
        return yolo_graph_add_const(g, name, YOLO_DT_I32, 1, &n, v32, d);
    }
    return yolo_graph_add_const(g, name, YOLO_DT_I64, 1, &n, v, d);
}

static int build(struct yolo_graph *g, const struct sl_case *c, int32_t *t, struct yolo_diag *d)
{
    yolo_graph_init(g);
    int32_t in[5];
    int n_in = 1;
    in[0] = yolo_graph_add_tensor(g, "x", c->dt, c->rank, c->shape, d);
    struct yolo_attr av[3] = {
        { .name = "starts", .type = YOLO_ATTR_INTS, .ints = c->starts, .n_ints = c->n },
        { .name = "ends", .type = YOLO_ATTR_INTS, .ints = c->ends, .n_ints = c->n },
        { .name = "axes", .type = YOLO_ATTR_INTS, .ints = c->axes, .n_ints = c->n },
    };
    struct yolo_attrs attrs = { av, c->has_axes ? 3 : 2, c->opset };
    if (c->opset >= 10) {
        attrs.n = 0;
        in[n_in++] = add_idx(g, "starts", c, c->starts, d);
        in[n_in++] = add_idx(g, "ends", c, c->ends, d);
        if (c->has_axes || c->has_steps)
            in[n_in++] = c->has_axes ? add_idx(g, "axes", c, c->axes, d) : -1;
        if (c->has_steps)
            in[n_in++] = add_idx(g, "steps", c, c->steps, d);
    }
    t[0] = in[0];
    t[1] = yolo_graph_add_tensor(g, "y", c->dt, -1, NULL, d);
    int32_t node = yolo_graph_add_node(g, YOLO_OP_SLICE, "slice", n_in, in, 1, &t[1], d);
    int rc = yolo_op_slice.import_fn(g, &g->nodes[node], &attrs, d);
    return rc ? rc : yolo_op_slice.shape_fn(g, &g->nodes[node], d);
}

static int64_t clampi(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* The spec's loop, one axis at a time: the input indices the output walks along each axis. */
static int oracle_lists(const struct sl_case *c, int64_t lists[6][64], int64_t *lens)
{
    for (int k = 0; k < c->rank; k++) {
        lens[k] = c->shape[k];
        for (int64_t i = 0; i < c->shape[k] && i < 64; i++)
            lists[k][i] = i;
    }
    for (int j = 0; j < c->n; j++) {
        int64_t ax = c->has_axes ? c->axes[j] : j, dim, s, e, st = c->has_steps ? c->steps[j] : 1;
        ax = ax < 0 ? ax + c->rank : ax;
        dim = c->shape[ax];
        s = c->starts[j] < 0 ? c->starts[j] + dim : c->starts[j];
        e = c->ends[j] < 0 ? c->ends[j] + dim : c->ends[j];
        lens[ax] = 0;
        if (st > 0)
            for (int64_t i = clampi(s, 0, dim); i < clampi(e, 0, dim) && lens[ax] < 64; i += st)
                lists[ax][lens[ax]++] = i;
        else
            for (int64_t i = clampi(s, 0, dim - 1); i > clampi(e, -1, dim - 1) && lens[ax] < 64;
                 i += st)
                lists[ax][lens[ax]++] = i;
    }
    return 0;
}

static void check_case(struct harness *h, const struct sl_case *c, uint64_t seed)
{
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t t[2];
    int rc = build(&g, c, t, &d);
    if ((rc = op_check_setup(h, rc, &oc, &g, seed, &d, "seed %llu", (unsigned long long)seed)) != 0)
        return;
    int64_t lists[6][64], lens[6], in_stride[6];
    oracle_lists(c, lists, lens);
    const struct yolo_tensor *Y = &g.tensors[t[1]];
    int shape_ok = Y->ndim == c->rank && Y->dtype == c->dt;
    for (int k = 0; k < c->rank && shape_ok; k++)
        shape_ok = Y->shape[k] == lens[k];
    CHECK(h, shape_ok, "output shape, seed %llu", (unsigned long long)seed);
    for (int k = c->rank - 1, s = 1; k >= 0; k--) {
        in_stride[k] = s;
        s *= (int)c->shape[k];
    }
    size_t es = yolo_dtype_size(c->dt);
    int64_t numel = shape_ok ? yolo_tensor_numel(Y) : 0;
    for (int nth = 1; nth <= 3; nth += 2) {
        op_check_run(&oc, nth);
        const uint8_t *x = op_check_ptr(&oc, t[0]), *y = op_check_ptr(&oc, t[1]);
        int64_t bad = 0;
        for (int64_t e = 0; e < numel; e++) {
            int64_t rem = e, xi = 0;
            for (int k = c->rank - 1; k >= 0; k--) {
                xi += lists[k][rem % lens[k]] * in_stride[k];
                rem /= lens[k];
            }
            bad += memcmp(x + xi * es, y + e * es, es) != 0;
        }
        CHECK(h, bad == 0, "%lld wrong elements, nth %d seed %llu", (long long)bad, nth,
              (unsigned long long)seed);
    }
    op_check_release(&oc);
    yolo_graph_release(&g);
}

/* x = 1..10; returns the number of output values written to out (or -1). */
static int run_1d(const struct sl_case *c, float *out)
{
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int32_t t[2];
    int rc = build(&g, c, t, &d);
    rc = rc ? rc : op_check_prepare(&oc, &g, 1, &d);
    if (rc) {
        fprintf(stderr, "run_1d: %s\n", d.msg);
        yolo_graph_release(&g);
        return -1;
    }
    float *x = op_check_ptr(&oc, t[0]);
    for (int i = 0; i < 10; i++)
        x[i] = (float)(i + 1);
    op_check_run(&oc, 1);
    int cnt = (int)yolo_tensor_numel(&g.tensors[t[1]]);
    memcpy(out, op_check_ptr(&oc, t[1]), sizeof(float) * (size_t)cnt);
    op_check_release(&oc);
    yolo_graph_release(&g);
    return cnt;
}

static void check_hand(struct harness *h)
{
    struct { int64_t s, e, st; int opset; int cnt; float want[10]; } v[] = {
        { -1, -INT64_MAX, -1, 13, 10, { 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 } },  /* reverse all */
        { 8, 1, -3, 13, 3, { 9, 6, 3 } },
        { 2, INT64_MAX, 1, 13, 8, { 3, 4, 5, 6, 7, 8, 9, 10 } },
        { -3, 100, 2, 13, 2, { 8, 10 } },
        { 100, -100, -4, 13, 3, { 10, 6, 2 } },                           /* clamped both ends */
        { 0, 10, INT64_MAX, 13, 1, { 1 } },                               /* huge step */
        { 9, -11, INT64_MIN, 13, 1, { 10 } },                             /* huge negative step */
        { 5, 5, 1, 13, 0, { 0 } },                                        /* empty */
        { 1, -1, 1, 9, 8, { 2, 3, 4, 5, 6, 7, 8, 9 } },                   /* opset 9 attributes */
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        struct sl_case c = { YOLO_DT_F32, 1, { 10 }, 1, { v[i].s }, { v[i].e }, { 0 }, { v[i].st },
                             0, 1, v[i].opset, YOLO_DT_I64 };
        c.has_steps = v[i].opset >= 10;
        float out[10];
        int cnt = run_1d(&c, out);
        int ok = cnt == v[i].cnt;
        for (int k = 0; ok && k < cnt; k++)
            ok = out[k] == v[i].want[k];
        CHECK(h, ok, "1-D slice %lld:%lld:%lld gave %d values", (long long)v[i].s,
              (long long)v[i].e, (long long)v[i].st, cnt);
    }
}

int main(void)
{
    HARNESS_INIT(h, "test_slice");
    printf("test_slice: seed %u\n", SEED);
    check_hand(&h);
    const struct sl_case cases[] = {
        /* YOLOv8's head: axis 1 from 0 to 4 and 4 to end (no steps) */
        { YOLO_DT_F32, 3, { 1, 17, 13 }, 1, { 0 }, { 4 }, { 1 }, { 1 }, 1, 0, 13, YOLO_DT_I64 },
        { YOLO_DT_F32, 3, { 1, 17, 13 }, 1, { 4 }, { INT64_MAX }, { 1 }, { 1 }, 1, 0, 13, YOLO_DT_I64 },
        { YOLO_DT_F32, 4, { 2, 7, 5, 3 }, 2, { -1, 1 }, { -8, 100 }, { 1, -1 }, { -2, 2 }, 1, 1, 13,
          YOLO_DT_I64 },
        { YOLO_DT_F32, 4, { 2, 7, 5, 3 }, 3, { 1, 6, 0 }, { 2, 0, 3 }, { 0, 1, 3 }, { 1, -2, 1 },
          1, 1, 13, YOLO_DT_I32 },
        { YOLO_DT_F32, 2, { 17, 3 }, 2, { 3, -2 }, { 17, 3 }, { 0 }, { 5, 1 }, 0, 1, 11,
          YOLO_DT_I64 },                                              /* axes omitted */
        { YOLO_DT_I64, 5, { 1, 3, 4, 3, 7 }, 1, { -3 }, { INT64_MIN }, { -1 }, { -2 }, 1, 1, 13,
          YOLO_DT_I64 },
        { YOLO_DT_BOOL, 2, { 7, 3 }, 1, { 5 }, { 1 }, { 0 }, { -1 }, 1, 1, 13, YOLO_DT_I64 },
        { YOLO_DT_F32, 6, { 2, 3, 1, 3, 2, 3 }, 2, { 1, 0 }, { 3, 2 }, { 1, -1 }, { 1, 1 }, 1, 0,
          9, YOLO_DT_I64 },                                          /* opset 9 attributes */
        { YOLO_DT_F32, 3, { 3, 4, 5 }, 1, { 3 }, { 1 }, { 1 }, { 1 }, 1, 1, 13, YOLO_DT_I64 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&h, &cases[i], SEED + i);
    const struct sl_case bad[] = {
        { YOLO_DT_F32, 2, { 4, 6 }, 1, { 0 }, { 3 }, { 1 }, { 0 }, 1, 1, 13, YOLO_DT_I64 },
        { YOLO_DT_F32, 2, { 4, 6 }, 2, { 0, 0 }, { 3, 3 }, { 1, -1 }, { 1, 1 }, 1, 1, 13,
          YOLO_DT_I64 },                                              /* axis repeated */
        { YOLO_DT_F32, 2, { 4, 6 }, 1, { 0 }, { 3 }, { 2 }, { 1 }, 1, 1, 13, YOLO_DT_I64 },
        { YOLO_DT_F32, 2, { 4, 6 }, 1, { 0 }, { 3 }, { -3 }, { 1 }, 1, 1, 13, YOLO_DT_I64 },
        { YOLO_DT_F32, 1, { 4 }, 2, { 0, 0 }, { 3, 3 }, { 0, 0 }, { 1, 1 }, 0, 0, 13,
          YOLO_DT_I64 },                                              /* more values than rank */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        int32_t t[2];
        int rc = build(&g, &bad[i], t, &d);
        CHECK(&h, rc != 0 && d.msg[0], "bad case %zu accepted", i);
        yolo_graph_release(&g);
    }
    {   /* starts computed at run time; ends of another length; float starts */
        struct sl_case c = { YOLO_DT_F32, 2, { 4, 6 }, 1, { 0 }, { 3 }, { 1 }, { 1 }, 1, 1, 13,
                             YOLO_DT_I64 };
        for (int k = 0; k < 3; k++) {
            struct yolo_graph g;
            struct yolo_diag d = { 0 };
            int32_t t[2];
            int rc = build(&g, &c, t, &d);
            CHECK(&h, rc == 0, "base: %s", d.msg);
            if (k == 0)
                g.tensors[1].flags &= ~(uint32_t)YOLO_TF_CONST;
            if (k == 1)
                g.tensors[2].shape[0] = 0;
            if (k == 2)
                g.tensors[1].dtype = YOLO_DT_F32;
            rc = yolo_op_slice.shape_fn(&g, &g.nodes[0], &d);
            CHECK(&h, rc != 0 && (k != 0 || (rc == YOLO_ERR_UNSUPPORTED &&
                                             strstr(d.msg, "must be a constant"))),
                  "bad input case %d: rc %d '%s'", k, rc, d.msg);
            yolo_graph_release(&g);
        }
    }
    return harness_finish(&h);
}
