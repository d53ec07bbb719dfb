/* test_fast_ops.c: the CPU backend's optimized kernels of the non-convolution ops
 * (cpu/fast_ops.h) against each op's reference kernel, for every ISA this CPU has, through
 * the backend's kernel choice (cpu/select.c), on awkward shapes (odd sizes, lengths around
 * the vector widths, tails, rank 2..5), nth 1..3. Data movers, MaxPool and the binary ops must
 * match bit for bit; Sigmoid, SiLU and Softmax within normalized MSE 1e-6 (plus a max relative
 * error check for the activations). Also: the reference kernel is picked where a kernel does
 * not apply (broadcasting Add beyond a one-element operand, strided MaxPool, few-row
 * Concat/Split, YOLO_ISA=ref), and the planner's in-place Concat/Split (core/plan.c) gives the
 * same outputs as copies. */
#include <math.h>

#include "harness.h"
#include "op_check.h"
#include "passes.h"

#define SEED 20261122u

static struct yolo_attr a_int(const char *name, int64_t v)
{
    return (struct yolo_attr){ .name = name, .type = YOLO_ATTR_INT, .i = v };
}
static struct yolo_attr a_ints(const char *name, const int64_t *v, int32_t n)
{
    return (struct yolo_attr){ .name = name, .type = YOLO_ATTR_INTS, .ints = v, .n_ints = n };
}
static struct yolo_attr a_str(const char *name, const char *v)
{
    return (struct yolo_attr){ .name = name, .type = YOLO_ATTR_STRING, .s = v };
}

static const enum yolo_isa isas[] = { YOLO_ISA_AVX2, YOLO_ISA_AVX512 };
static const char *const isa_names[] = { "avx2", "avx512" };

/* Runs node 0 of g (inputs random) with ref, then with the CPU backend's kernel for each ISA the
 * CPU has and nth 1..3; exact: bitwise compare, else NMSE <= 1e-6 and max rel err <= rel. */
static void check(struct harness *h, struct yolo_graph *g, int32_t out, int expect_fast, int exact,
                  double rel, const char *what, uint64_t seed)
{
    struct yolo_diag d = { 0 };
    struct op_check oc;
    int rc = op_check_prepare(&oc, g, seed, &d);
    CHECK(h, rc == 0, "%s: prepare: %s", what, d.msg);
    if (rc)
        return;
    const struct yolo_node *n = &g->nodes[0];
    const struct yolo_op_impl *impl = yolo_op_impl_get(n->op);
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    enum yolo_isa best = yolo_isa_select(&cpu, NULL);
    int64_t cnt = yolo_tensor_numel(&g->tensors[out]);
    op_check_run(&oc, 1);
    float *ref = op_check_copy(&oc, out);
    struct yolo_cpu_kernel ck;
    yolo_cpu_kernel_pick(g, n, YOLO_ISA_REF, 0, 1, &ck);
    CHECK(h, ck.fn == impl->ref_fn, "%s: the ref isa must give the reference", what);
    for (int i = 0; i < 2 && ref; i++) {
        if (isas[i] > best)
            continue;
        yolo_cpu_kernel_pick(g, n, isas[i], 0, 1, &ck);
        int fast = ck.fn != impl->ref_fn;
        CHECK(h, fast == expect_fast, "%s %s: fast kernel %s", what, isa_names[i],
              fast ? "picked where it does not apply" : "not picked");
        if (!fast)
            continue;
        for (int nth = 1; nth <= 3; nth++) {
            /* the outputs still hold the last run's values: poison them, so a kernel that
             * leaves an element unwritten fails */
            for (int k = 0; k < n->n_out; k++)
                memset(op_check_ptr(&oc, n->out[k]), 0xa5,
                       (size_t)yolo_tensor_bytes(&g->tensors[n->out[k]]));
            op_check_run_cpu(&oc, n->op, isas[i], -1, nth, NULL);
            const float *y = op_check_ptr(&oc, out);
            if (exact) {
                CHECK(h, memcmp(y, ref, (size_t)yolo_tensor_bytes(&g->tensors[out])) == 0, "%s %s nth %d: not "
                      "bit-identical to the reference", what, isa_names[i], nth);
                continue;
            }
            double e = op_check_nmse(y, ref, cnt), mx = 0;
            for (int64_t j = 0; j < cnt; j++) {
                double r = fabs((double)y[j] - ref[j]) / (fabs((double)ref[j]) + 1e-6);
                mx = r > mx ? r : mx;
            }
            CHECK(h, e <= 1e-6 && mx <= rel, "%s %s nth %d: nmse %g, max rel err %g", what,
                  isa_names[i], nth, e, mx);
        }
    }
    free(ref);
    op_check_release(&oc);
}

static int32_t add_node(struct yolo_graph *g, enum yolo_op op, int32_t n_in, const int32_t *in,
                        int32_t *out, struct yolo_attr *av, int32_t na, int64_t opset,
                        struct yolo_diag *d)
{
    *out = yolo_graph_add_tensor(g, "y", YOLO_DT_F32, -1, NULL, d);
    int32_t node = yolo_graph_add_node(g, op, "node", n_in, in, 1, out, d);
    const struct yolo_op_impl *impl = yolo_op_impl_get(op);
    if (node < 0)
        return -1;
    struct yolo_attrs attrs = { av, na, opset };
    if (impl->import_fn && impl->import_fn(g, &g->nodes[node], &attrs, d))
        return -1;
    return node;
}

static void unary_cases(struct harness *h, uint64_t *seed)
{
    static const int64_t lens[] = { 1, 7, 8, 15, 16, 17, 33, 1000 };
    for (int op = 0; op < 2; op++)
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
            struct yolo_graph g;
            struct yolo_diag d = { 0 };
            yolo_graph_init(&g);
            int64_t shape[3] = { 1, 3, lens[i] };
            int32_t x = yolo_graph_add_tensor(&g, "x", YOLO_DT_F32, 3, shape, &d), y;
            add_node(&g, op ? YOLO_OP_SILU : YOLO_OP_SIGMOID, 1, &x, &y, NULL, 0, 13, &d);
            char what[64];
            snprintf(what, sizeof what, "%s [1,3,%lld]", op ? "SiLU" : "Sigmoid", (long long)lens[i]);
            check(h, &g, y, 1, 0, 2e-6, what, (*seed)++);
            yolo_graph_release(&g);
        }
}

/* Add and Mul: same shapes and a one-element operand (a 0-d scale on either side, or
 * [1,1,1,1]) take the vector kernel, bit for bit the reference's; other broadcasting stays on
 * the reference. */
static void binary_cases(struct harness *h, uint64_t *seed)
{
    static const char *const form[] = { "", " (broadcast)", " (0-d b)", " (0-d a)", " ([1,1,1,1] b)" };
    for (int op = 0; op < 2; op++)
        for (int bc = 0; bc < 5; bc++) {
            struct yolo_graph g;
            struct yolo_diag d = { 0 };
            yolo_graph_init(&g);
            int64_t sa[4] = { 1, 5, 7, 9 }, sb[4] = { 1, 5, bc == 1 ? 1 : 7, 9 }, one[4] = { 1, 1, 1, 1 };
            int32_t a = yolo_graph_add_tensor(&g, "a", YOLO_DT_F32, bc == 3 ? 0 : 4, sa, &d);
            int32_t b = yolo_graph_add_tensor(&g, "b", YOLO_DT_F32, bc == 2 ? 0 : 4,
                                              bc == 4 ? one : sb, &d), y;
            add_node(&g, op ? YOLO_OP_MUL : YOLO_OP_ADD, 2, (int32_t[]){ a, b }, &y, NULL, 0, 14, &d);
            char what[64];
            snprintf(what, sizeof what, "%s%s", op ? "Mul" : "Add", form[bc]);
            check(h, &g, y, bc != 1, 1, 0, what, (*seed)++);
            yolo_graph_release(&g);
        }
}

static void softmax_cases(struct harness *h, uint64_t *seed)
{
    struct { int rank; int64_t shape[4]; int64_t axis; } c[] = {
        { 4, { 1, 37, 4, 16 }, -1 },   /* DFL bins on the last axis */
        { 4, { 1, 16, 4, 21 }, 1 },    /* DFL bins on axis 1: inner 84 */
        { 3, { 2, 5, 400 }, 2 },       /* attention rows */
        { 3, { 2, 17, 3 }, 1 },        /* inner 3 < VL */
        { 2, { 9, 1 }, 1 },            /* length 1 */
        { 2, { 4, 23 }, -1 },          /* tail */
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        yolo_graph_init(&g);
        int32_t x = yolo_graph_add_tensor(&g, "x", YOLO_DT_F32, c[i].rank, c[i].shape, &d), y;
        struct yolo_attr av[1] = { a_int("axis", c[i].axis) };
        add_node(&g, YOLO_OP_SOFTMAX, 1, &x, &y, av, 1, 13, &d);
        char what[64];
        snprintf(what, sizeof what, "Softmax case %zu", i);
        check(h, &g, y, 1, 0, 2e-6, what, (*seed)++);
        yolo_graph_release(&g);
    }
}

static void maxpool_cases(struct harness *h, uint64_t *seed)
{
    struct { int64_t c, hh, w, k, s, sw, p, ceil; int fast; } c[] = {
        { 5, 20, 20, 5, 1, 1, 2, 0, 1 },   /* SPPF */
        { 3, 7, 9, 3, 1, 1, 1, 0, 1 },
        { 2, 9, 23, 5, 2, 1, 1, 1, 1 },    /* vertical stride, ceil mode */
        { 4, 6, 33, 1, 1, 1, 0, 0, 1 },
        { 3, 13, 17, 4, 1, 1, 3, 0, 1 },   /* windows wholly in the padding */
        { 2, 8, 8, 2, 2, 2, 0, 0, 0 },     /* stride 2: reference */
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        yolo_graph_init(&g);
        int64_t shape[4] = { 1, c[i].c, c[i].hh, c[i].w }, ks[2] = { c[i].k, c[i].k };
        int64_t st[2] = { c[i].s, c[i].sw }, pd[4] = { c[i].p, c[i].p, c[i].p, c[i].p };
        int32_t x = yolo_graph_add_tensor(&g, "x", YOLO_DT_F32, 4, shape, &d), y;
        struct yolo_attr av[4] = { a_ints("kernel_shape", ks, 2), a_ints("strides", st, 2),
                                   a_ints("pads", pd, 4), a_int("ceil_mode", c[i].ceil) };
        add_node(&g, YOLO_OP_MAXPOOL, 1, &x, &y, av, 4, 12, &d);
        char what[64];
        snprintf(what, sizeof what, "MaxPool case %zu", i);
        check(h, &g, y, c[i].fast, 1, 0, what, (*seed)++);
        yolo_graph_release(&g);
    }
}

static void resize_cases(struct harness *h, uint64_t *seed)
{
    struct { int rank; int64_t shape[5]; float scales[5]; const char *ctm, *nm; } c[] = {
        { 4, { 1, 3, 5, 7 }, { 1, 1, 2, 2 }, "asymmetric", "floor" },        /* YOLO upsample */
        { 4, { 2, 3, 4, 20 }, { 1, 1, 2, 2 }, "asymmetric", "floor" },       /* 2x: vector + tail */
        { 4, { 1, 2, 3, 17 }, { 1, 1, 2, 2 }, "half_pixel", "round_prefer_floor" },   /* j / 2 too */
        { 4, { 1, 2, 3, 5 }, { 1, 1, 2, 2 }, "align_corners", "floor" },     /* 2x, not j / 2 */
        { 4, { 2, 2, 4, 5 }, { 1, 1, 3, 2.5f }, "half_pixel", "round_prefer_floor" },
        { 4, { 1, 2, 9, 11 }, { 1, 1, 0.5f, 0.5f }, "asymmetric", "ceil" },
        { 3, { 2, 3, 7 }, { 1, 2, 2 }, "align_corners", "round_prefer_ceil" },
        { 5, { 1, 2, 3, 2, 3 }, { 1, 1, 2, 1, 2 }, "asymmetric", "floor" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        yolo_graph_init(&g);
        int64_t nv = c[i].rank;
        int32_t in[3] = { yolo_graph_add_tensor(&g, "x", YOLO_DT_F32, c[i].rank, c[i].shape, &d), -1,
                          yolo_graph_add_const(&g, "scales", YOLO_DT_F32, 1, &nv, c[i].scales, &d) }, y;
        struct yolo_attr av[3] = { a_str("mode", "nearest"),
                                   a_str("coordinate_transformation_mode", c[i].ctm),
                                   a_str("nearest_mode", c[i].nm) };
        add_node(&g, YOLO_OP_RESIZE, 3, in, &y, av, 3, 13, &d);
        char what[64];
        snprintf(what, sizeof what, "Resize case %zu", i);
        check(h, &g, y, 1, 1, 0, what, (*seed)++);
        yolo_graph_release(&g);
    }
}

static void transpose_cases(struct harness *h, uint64_t *seed)
{
    struct { int rank; int64_t shape[5], perm[5]; int fast; } c[] = {
        { 4, { 1, 4, 16, 37 }, { 0, 3, 1, 2 }, 1 },   /* DFL */
        { 4, { 1, 37, 4, 16 }, { 0, 3, 2, 1 }, 1 },   /* DFL back */
        { 2, { 9, 13 }, { 1, 0 }, 1 },
        { 3, { 2, 16, 24 }, { 0, 2, 1 }, 1 },          /* whole 8x8 tiles */
        { 5, { 2, 3, 5, 7, 3 }, { 4, 2, 0, 3, 1 }, 1 },
        { 5, { 1, 3, 85, 10, 13 }, { 0, 1, 3, 4, 2 }, 1 },   /* YOLOv5 head: a 85, b 130 */
        { 3, { 2, 21, 200 }, { 0, 2, 1 }, 1 },         /* a tail of 5, b blocks of 64 + 8 */
        /* the last dims stay: runs reordered by memcpy */
        { 3, { 3, 5, 7 }, { 1, 0, 2 }, 1 },
        { 4, { 1, 4, 16, 37 }, { 0, 2, 1, 3 }, 1 },   /* YOLO11's DFL */
        { 5, { 2, 3, 5, 4, 3 }, { 2, 0, 1, 3, 4 }, 1 },   /* runs of two dims, 12 floats */
        { 3, { 2, 3, 5 }, { 0, 1, 2 }, 1 },            /* identity: one run */
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        yolo_graph_init(&g);
        int32_t x = yolo_graph_add_tensor(&g, "x", YOLO_DT_F32, c[i].rank, c[i].shape, &d), y;
        struct yolo_attr av[1] = { a_ints("perm", c[i].perm, c[i].rank) };
        add_node(&g, YOLO_OP_TRANSPOSE, 1, &x, &y, av, 1, 13, &d);
        char what[64];
        snprintf(what, sizeof what, "Transpose case %zu", i);
        check(h, &g, y, c[i].fast, 1, 0, what, (*seed)++);
        yolo_graph_release(&g);
    }
}

/* Pow by a constant 2 (float32 or int64; lengths around the vector widths) is a * a, bit
 * for bit as the reference; other exponents, or a non-constant one, stay on the reference. */
static void pow_cases(struct harness *h, uint64_t *seed)
{
    struct { int64_t len; enum yolo_dtype edt; float e; int is_const, fast; } c[] = {
        { 2 * 3 * 7 * 2, YOLO_DT_F32, 2.0f, 1, 1 }, { 16, YOLO_DT_F32, 2.0f, 1, 1 },
        { 33, YOLO_DT_I64, 2.0f, 1, 1 },            { 1, YOLO_DT_F32, 2.0f, 1, 1 },
        { 17, YOLO_DT_F32, 0.5f, 1, 0 },            { 17, YOLO_DT_F32, 3.0f, 1, 0 },
        { 17, YOLO_DT_F32, 2.0f, 0, 0 },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        yolo_graph_init(&g);
        int64_t shape[2] = { 1, c[i].len }, one = 1, ei = (int64_t)c[i].e;
        int32_t in[2] = { yolo_graph_add_tensor(&g, "x", YOLO_DT_F32, 2, shape, &d), -1 }, y;
        in[1] = c[i].is_const ? yolo_graph_add_const(&g, "e", c[i].edt, 1, &one,
                                                     c[i].edt == YOLO_DT_F32 ? (void *)&c[i].e
                                                                             : (void *)&ei, &d)
                              : yolo_graph_add_tensor(&g, "e", c[i].edt, 1, &one, &d);
        add_node(&g, YOLO_OP_POW, 2, in, &y, NULL, 0, 15, &d);
        char what[64];
        snprintf(what, sizeof what, "Pow case %zu", i);
        check(h, &g, y, c[i].fast, 1, 0, what, (*seed)++);
        yolo_graph_release(&g);
    }
}

/* Concat and Split along an axis with many rows before it (YOLOv5's head: the last axis,
 * 2 + 2 + 81 floats), parts around the vector widths (1..4 words by word copies, 5..15
 * masked, 16, 17, 33 with an overlapping tail, > 256 by memcpy), int64, and where the
 * reference stays: too few rows, parts not whole words (bool). Every output, bit for bit. */
static void rows_cases(struct harness *h, uint64_t *seed)
{
    struct { enum yolo_dtype dt; int rank; int64_t shape[5]; int axis, np; int64_t parts[4];
             int fast; } c[] = {
        { YOLO_DT_F32, 5, { 1, 3, 5, 7, 0 }, 4, 3, { 2, 2, 81 }, 1 },       /* YOLOv5 head */
        { YOLO_DT_F32, 3, { 2, 9, 0 }, 2, 4, { 1, 3, 4, 5 }, 1 },
        { YOLO_DT_F32, 3, { 3, 7, 0 }, 2, 4, { 15, 16, 17, 33 }, 1 },
        { YOLO_DT_F32, 3, { 1, 20, 0 }, 2, 3, { 257, 7, 300 }, 1 },
        { YOLO_DT_F32, 4, { 1, 17, 0, 3 }, 2, 2, { 2, 5 }, 1 },             /* inner 3 */
        { YOLO_DT_F32, 3, { 4, 5, 0 }, 2, 3, { 0, 6, 2 }, 1 },              /* an empty part */
        { YOLO_DT_I64, 3, { 2, 11, 0 }, 2, 3, { 1, 2, 9 }, 1 },
        { YOLO_DT_F32, 3, { 1, 15, 0 }, 2, 2, { 2, 81 }, 0 },               /* 15 rows */
        { YOLO_DT_F32, 3, { 1, 4, 0 }, 1, 2, { 7, 9 }, 0 },                 /* 1 row */
        { YOLO_DT_BOOL, 3, { 3, 7, 0 }, 2, 3, { 2, 3, 5 }, 0 },             /* bytes */
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        for (int op = 0; op < 2; op++) {
            struct yolo_graph g;
            struct yolo_diag d = { 0 };
            yolo_graph_init(&g);
            int64_t sh[5], sum = 0;
            memcpy(sh, c[i].shape, sizeof sh);
            for (int k = 0; k < c[i].np; k++)
                sum += c[i].parts[k];
            int32_t in[5], out[4], node;
            struct yolo_attr av[1] = { a_int("axis", op ? c[i].axis : c[i].axis - c[i].rank) };
            struct yolo_attrs attrs = { av, 1, 13 };
            if (op) {   /* Split x -> parts */
                sh[c[i].axis] = sum;
                int64_t np = c[i].np;
                in[0] = yolo_graph_add_tensor(&g, "x", c[i].dt, c[i].rank, sh, &d);
                in[1] = yolo_graph_add_const(&g, "split", YOLO_DT_I64, 1, &np, c[i].parts, &d);
                for (int k = 0; k < c[i].np; k++)
                    out[k] = yolo_graph_add_tensor(&g, "y", c[i].dt, -1, NULL, &d);
                node = yolo_graph_add_node(&g, YOLO_OP_SPLIT, "node", 2, in, c[i].np, out, &d);
            } else {    /* Concat parts -> y */
                for (int k = 0; k < c[i].np; k++) {
                    sh[c[i].axis] = c[i].parts[k];
                    in[k] = yolo_graph_add_tensor(&g, "x", c[i].dt, c[i].rank, sh, &d);
                }
                out[0] = yolo_graph_add_tensor(&g, "y", c[i].dt, -1, NULL, &d);
                node = yolo_graph_add_node(&g, YOLO_OP_CONCAT, "node", c[i].np, in, 1, out, &d);
            }
            const struct yolo_op_impl *impl = yolo_op_impl_get(op ? YOLO_OP_SPLIT : YOLO_OP_CONCAT);
            int rc = node < 0 || impl->import_fn(&g, &g.nodes[node], &attrs, &d);
            CHECK(h, rc == 0, "rows case %zu: %s", i, d.msg);
            for (int k = 0; !rc && k < (op ? c[i].np : 1); k++) {
                char what[64];
                snprintf(what, sizeof what, "%s case %zu output %d", op ? "Split" : "Concat", i, k);
                check(h, &g, out[k], c[i].fast, 1, 0, what, *seed);
            }
            (*seed)++;
            yolo_graph_release(&g);
        }
}

/* MatMul through the CPU backend's choice: batch broadcast, M not a multiple of 8, K past one block. */
static void matmul_cases(struct harness *h, uint64_t *seed)
{
    struct { int ra; int64_t a[3]; int rb; int64_t b[3]; } c[] = {
        { 3, { 2, 13, 7 }, 3, { 2, 7, 50 } },
        { 3, { 2, 70, 33 }, 2, { 33, 9 } },
        { 2, { 9, 2500 }, 2, { 2500, 20 } },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        yolo_graph_init(&g);
        int32_t in[2] = { yolo_graph_add_tensor(&g, "a", YOLO_DT_F32, c[i].ra, c[i].a, &d),
                          yolo_graph_add_tensor(&g, "b", YOLO_DT_F32, c[i].rb, c[i].b, &d) }, y;
        add_node(&g, YOLO_OP_MATMUL, 2, in, &y, NULL, 0, 13, &d);
        char what[64];
        snprintf(what, sizeof what, "MatMul case %zu", i);
        check(h, &g, y, 1, 0, 1e30, what, (*seed)++);
        yolo_graph_release(&g);
    }
}

/* x -> Split(axis 1) -> (a, b); b -> Sigmoid -> s; Concat(a, b, s) -> y, as in YOLO's C2f.
 * Planned, the Split outputs live in x and x, s in y: the outputs must equal a plain run. */
static void in_place_case(struct harness *h, uint64_t seed)
{
    struct yolo_graph g;
    struct yolo_diag d = { 0 };
    yolo_graph_init(&g);
    int64_t xs[4] = { 1, 6, 5, 7 }, sizes[2] = { 2, 4 }, two = 2;
    int32_t x = yolo_graph_add_tensor(&g, "x", YOLO_DT_F32, 4, xs, &d);
    int32_t u = yolo_graph_add_tensor(&g, "u", YOLO_DT_F32, -1, NULL, &d);
    int32_t sp[2] = { yolo_graph_add_tensor(&g, "a", YOLO_DT_F32, -1, NULL, &d),
                      yolo_graph_add_tensor(&g, "b", YOLO_DT_F32, -1, NULL, &d) };
    int32_t sz = yolo_graph_add_const(&g, "sizes", YOLO_DT_I64, 1, &two, sizes, &d);
    int32_t s = yolo_graph_add_tensor(&g, "s", YOLO_DT_F32, -1, NULL, &d);
    int32_t y = yolo_graph_add_tensor(&g, "y", YOLO_DT_F32, -1, NULL, &d);
    int32_t n0 = yolo_graph_add_node(&g, YOLO_OP_SIGMOID, "pre", 1, &x, 1, &u, &d);
    int32_t sin[2] = { u, sz };
    int32_t n1 = yolo_graph_add_node(&g, YOLO_OP_SPLIT, "split", 2, sin, 2, sp, &d);
    int32_t n2 = yolo_graph_add_node(&g, YOLO_OP_SIGMOID, "sig", 1, &sp[1], 1, &s, &d);
    int32_t cin[3] = { sp[0], sp[1], s };
    int32_t n3 = yolo_graph_add_node(&g, YOLO_OP_CONCAT, "concat", 3, cin, 1, &y, &d);
    struct yolo_attr sa[1] = { a_int("axis", 1) }, ca[1] = { a_int("axis", 1) };
    struct yolo_attrs satt = { sa, 1, 13 }, catt = { ca, 1, 13 };
    int rc = n0 < 0 || n1 < 0 || n2 < 0 || n3 < 0 ||
             yolo_op_split.import_fn(&g, &g.nodes[n1], &satt, &d) ||
             yolo_op_concat.import_fn(&g, &g.nodes[n3], &catt, &d);
    g.inputs[0] = x;
    g.n_inputs = 1;
    g.outputs[0] = y;
    g.n_outputs = 1;
    g.tensors[x].flags |= YOLO_TF_INPUT;
    g.tensors[y].flags |= YOLO_TF_OUTPUT;
    struct yolo_plan_stats st = { 0 };
    rc = rc ? rc : yolo_graph_infer(&g, 0, &d);
    rc = rc ? rc : yolo_plan(&g, &st, &d);
    CHECK(h, rc == 0, "in-place graph: %s", d.msg);
    if (rc) {
        yolo_graph_release(&g);
        return;
    }
    /* the split's two parts in u, u at the start of y, s after it */
    CHECK(h, st.n_in_place == 4, "planner placed %d parts in place, want 4", st.n_in_place);
    CHECK(h, g.tensors[u].offset == g.tensors[y].offset &&
          g.tensors[sp[0]].offset == g.tensors[y].offset &&
          g.tensors[sp[1]].offset == g.tensors[y].offset + 2 * 5 * 7 * 4 &&
          g.tensors[s].offset == g.tensors[y].offset + 6 * 5 * 7 * 4,
          "in-place offsets: u %llu a %llu b %llu s %llu y %llu",
          (unsigned long long)g.tensors[u].offset, (unsigned long long)g.tensors[sp[0]].offset,
          (unsigned long long)g.tensors[sp[1]].offset, (unsigned long long)g.tensors[s].offset,
          (unsigned long long)g.tensors[y].offset);
    /* run planned (shared bytes) and unplanned (op_check: every tensor its own bytes) */
    uint8_t *arena = aligned_alloc(64, g.arena_bytes);
    if (!arena) {
        yolo_graph_release(&g);
        return;
    }
    uint64_t rng = seed;
    struct yolo_exec ex = { .g = &g, .arena = arena, .consts = g.consts };
    float *xin = yolo_exec_ptr(&ex, x);
    for (int64_t i = 0; i < 6 * 5 * 7; i++)
        xin[i] = harness_randf(&rng, -2.0f, 2.0f);
    float *xcopy = malloc(sizeof(float) * 6 * 5 * 7);
    if (xcopy)
        memcpy(xcopy, xin, sizeof(float) * 6 * 5 * 7);
    for (int32_t i = 0; i < g.n_nodes; i++)
        yolo_op_impl_get(g.nodes[i].op)->ref_fn(&ex, &g.nodes[i], 0, 1);
    float want[2 * 5 * 7 + 4 * 5 * 7 + 4 * 5 * 7];
    for (int64_t i = 0; xcopy && i < 6 * 5 * 7; i++)
        want[i] = 1.0f / (1.0f + expf(-xcopy[i]));
    for (int64_t i = 0; xcopy && i < 4 * 5 * 7; i++)
        want[6 * 5 * 7 + i] = 1.0f / (1.0f + expf(-want[2 * 5 * 7 + i]));
    const float *yv = yolo_exec_ptr(&ex, y);
    int same = xcopy != NULL;
    for (int64_t i = 0; xcopy && i < 10 * 5 * 7; i++)
        same &= yv[i] == want[i];
    CHECK(h, same, "in-place Split/Concat output differs from the plain computation");
    free(xcopy);
    free(arena);
    yolo_graph_release(&g);
}

int main(void)
{
    HARNESS_INIT(h, "test_fast_ops");
    uint64_t seed = SEED;
    printf("test_fast_ops: seed %u\n", SEED);
    unary_cases(&h, &seed);
    binary_cases(&h, &seed);
    softmax_cases(&h, &seed);
    maxpool_cases(&h, &seed);
    resize_cases(&h, &seed);
    transpose_cases(&h, &seed);
    matmul_cases(&h, &seed);
    rows_cases(&h, &seed);
    pow_cases(&h, &seed);
    in_place_case(&h, seed);
    return harness_finish(&h);
}
