/* test_qconv_grid.c: a QConv whose float output on a grid is only quantized again writes the
 * grid's bytes, its readers tables (cpu/qconv_grid_mark.c). A YOLOv8 C2f's cv1 as a QDQ
 * model leaves it (rows of 38 pixels: ragged vectors):
 *
 *   x [N, 8, 10, 38] -> Qx -> A (3x3, 8 -> 16, float on a grid: Q -> DQ -> act) -> a
 *   a -> Split [8, 8] -> s0, s1
 *   s1 -> Q1 -> q1 -> DQ1 -> d1;   q1 -> B (1x1, 8 -> 8, float) -> graph output
 *   Concat(s0, d1) -> Qc -> DQc -> graph output
 *
 * Variants: U8_SILU (a uint8 grid, SiLU), I8_SIGMOID (an int8 grid, Sigmoid), ADD (s1 also
 * read by an Add, a graph output: A keeps its floats), KEPT (a, a graph output: the same),
 * BATCH (N = 2, no Split: a -> Q1 straight; Concat(DQ1, ...) absent), NECK (a neck's join:
 * Concat(A, Resize x2 of C), C a 1x1 stride-2 conv on a grid too: the join reads A's bytes
 * where the planner placed A inside it, and upsamples C's). On avx512 with
 * AVX512_VNNI and AVX512_VBMI, A must run a "-grid" kernel, Q1 "grid-q-c4" (B reads it in the
 * c4 layout) or "grid-q", Qc "concat-q"; elsewhere none of them. Every output must be the
 * reference kernels' floats bit for bit, on 1 and 2 threads: the tables hold the reference's
 * own arithmetic. A test of the test: the same graph with the tables' SiLU made the kernel's
 * (grid_exp) would differ in a few bytes; that is not checked here, the bit-exactness is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "harness.h"
#include "ops/op_params.h"
#include "passes.h"
#include "qgraph.h"

enum variant { U8_SILU, I8_SIGMOID, ADD, KEPT, BATCH, NECK, N_VARIANTS };

/* QConv of x (C -> M, k x k, stride s) with a float output on a uint8 grid, SiLU */
static void grid_conv(struct yolo_graph *g, const char *name, int32_t x, int64_t C, int64_t M,
                      int64_t k, int64_t s, uint64_t *seed, int32_t out)
{
    int32_t ni = qg_qconv(g, name, x, C, M, k, s, 0, seed, out);
    int64_t *p = g->nodes[ni].params;
    p[YOLO_QC_XZP] = 50;
    p[YOLO_QC_ODT] = YOLO_DT_F32;
    p[YOLO_QC_GDT] = YOLO_DT_U8;
    p[YOLO_QC_YZP] = 97;
    p[YOLO_CONV_ACT] = YOLO_ACT_SILU;
    g->nodes[ni].fparams[YOLO_QC_FP_DQS] = 0.052f;
}

/* A neck's join: Concat(A (3x3, 8 -> 16), Resize x2 of C (1x1, 8 -> 8, stride 2)), both on
 * grids, each placed in the join (the planner's in place) or upsampled by it. */
static void build_neck(struct yolo_graph *g)
{
    uint64_t seed = 0x4ec4u;
    yolo_graph_init(g);
    const int64_t xs[4] = { 1, 8, 10, 38 };
    int32_t x = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 4, xs, NULL);
    qg_input(g, x);
    int32_t qx = qg_tensor(g, "qx"), a = qg_tensor(g, "a"), c = qg_tensor(g, "c");
    int32_t cat = qg_tensor(g, "cat"), qc = qg_tensor(g, "qc"), yc = qg_tensor(g, "yc");
    qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Qx", x, 0.02f, YOLO_DT_U8, 50, qx);
    grid_conv(g, "A", qx, 8, 16, 3, 1, &seed, a);
    grid_conv(g, "C", qx, 8, 8, 1, 2, &seed, c);
    int32_t r = qg_resize2x(g, "R", c);
    int32_t ci = qg_node(g, YOLO_OP_CONCAT, "Concat", 2, (int32_t[]){ a, r }, cat);
    g->nodes[ci].params[YOLO_CC_AXIS] = 1;
    qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Qc", cat, 0.04f, YOLO_DT_U8, 5, qc);
    qg_qdq(g, YOLO_OP_DEQUANTIZE_LINEAR, "DQc", qc, 0.04f, YOLO_DT_U8, 5, yc);
    qg_output(g, yc);
}

static void build(struct yolo_graph *g, enum variant v)
{
    if (v == NECK) {
        build_neck(g);
        return;
    }
    uint64_t seed = 0x9a1d5eedu;
    yolo_graph_init(g);
    const int64_t xs[4] = { v == BATCH ? 2 : 1, 8, 10, 38 };
    int32_t x = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 4, xs, NULL);
    qg_input(g, x);
    int32_t qx = qg_tensor(g, "qx"), a = qg_tensor(g, "a"), s0 = qg_tensor(g, "s0");
    int32_t s1 = qg_tensor(g, "s1"), q1 = qg_tensor(g, "q1"), d1 = qg_tensor(g, "d1");
    int32_t yb = qg_tensor(g, "yb"), cat = qg_tensor(g, "cat"), qc = qg_tensor(g, "qc");
    int32_t yc = qg_tensor(g, "yc"), sum = qg_tensor(g, "sum");
    qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Qx", x, 0.02f, YOLO_DT_U8, 50, qx);
    int32_t ai = qg_qconv(g, "A", qx, 8, 16, 3, 1, 0, &seed, a);
    int64_t *p = g->nodes[ai].params;
    int i8 = v == I8_SIGMOID;
    p[YOLO_QC_XZP] = 50;
    p[YOLO_QC_ODT] = YOLO_DT_F32;
    p[YOLO_QC_GDT] = i8 ? YOLO_DT_I8 : YOLO_DT_U8;
    p[YOLO_QC_YZP] = i8 ? -7 : 121;
    p[YOLO_CONV_ACT] = i8 ? YOLO_ACT_SIGMOID : YOLO_ACT_SILU;
    g->nodes[ai].fparams[YOLO_QC_FP_DQS] = 0.045f;
    int32_t half = a;
    if (v != BATCH) {
        int32_t si = qg_node(g, YOLO_OP_SPLIT, "Split", 1, (int32_t[]){ a }, s0);
        struct yolo_node *sn = &g->nodes[si];
        sn->n_out = 2;
        sn->out[1] = s1;
        sn->params[YOLO_SP_AXIS] = 1;
        sn->params[YOLO_SP_MODE] = YOLO_SP_NUM_OUTPUTS;
        sn->params[YOLO_SP_NUM] = 2;
        half = s1;
    }
    qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Q1", half, 0.031f, YOLO_DT_U8, 6, q1);
    int32_t bi = qg_qconv(g, "B", q1, v == BATCH ? 16 : 8, 8, 1, 1, 0, &seed, yb);
    g->nodes[bi].params[YOLO_QC_XZP] = 6;
    g->nodes[bi].params[YOLO_QC_ODT] = YOLO_DT_F32;
    qg_output(g, yb);
    if (v != BATCH) {
        qg_qdq(g, YOLO_OP_DEQUANTIZE_LINEAR, "DQ1", q1, 0.031f, YOLO_DT_U8, 6, d1);
        int32_t ci = qg_node(g, YOLO_OP_CONCAT, "Concat", 2, (int32_t[]){ s0, d1 }, cat);
        g->nodes[ci].params[YOLO_CC_AXIS] = 1;
        qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Qc", cat, 0.04f, YOLO_DT_U8, 5, qc);
        qg_qdq(g, YOLO_OP_DEQUANTIZE_LINEAR, "DQc", qc, 0.04f, YOLO_DT_U8, 5, yc);
        qg_output(g, yc);
    }
    if (v == ADD) {
        qg_node(g, YOLO_OP_ADD, "Add", 2, (int32_t[]){ s1, s1 }, sum);
        qg_output(g, sum);
    }
    if (v == KEPT)
        qg_output(g, a);
}

static const char *kernel_of(const struct yolo_graph *g, const char **kn, const char *name)
{
    int32_t i = qg_find_node(g, name);
    return i >= 0 && kn[i] ? kn[i] : "(none)";
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

int main(void)
{
    HARNESS_INIT(h, "test_qconv_grid");
    static const char *const names[] = { "uint8 grid, SiLU", "int8 grid, Sigmoid",
                                         "also read by an Add", "kept as an output",
                                         "batch 2, no Split", "a neck's join" };
    static const char *const isas[] = { "avx2", "avx512" };
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    int can = cpu.avx512vbmi && cpu.avx512vnni && yolo_isa_select(&cpu, NULL) == YOLO_ISA_AVX512;
    printf("test_qconv_grid: AVX512_VNNI and AVX512_VBMI %s\n", can ? "yes: grid bytes run" : "no");
    for (int v = 0; v < N_VARIANTS; v++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        build(&g, (enum variant)v);
        int rc = yolo_graph_infer(&g, 0, &d) == 0 && yolo_plan(&g, NULL, &d) == 0;
        CHECK(&h, rc, "%s: %s", names[v], d.msg);
        if (!rc) {
            yolo_graph_release(&g);
            continue;
        }
        int64_t n_ref = 0;
        float *ref = qg_run(&g, "ref", 1, &n_ref, NULL);
        const char **kn = calloc((size_t)g.n_nodes, sizeof *kn);
        for (int k = 0; k < 2; k++)
            for (int threads = 1; threads <= 2; threads++) {
                int64_t n = 0;
                float *got = qg_run(&g, isas[k], threads, &n, kn);
                int grid = k == 1 && can && v != ADD && v != KEPT;
                const char *ka = kernel_of(&g, kn, "A"), *kq = kernel_of(&g, kn, "Q1");
                CHECK(&h, ends_with(ka, "-grid") == grid, "%s, %s, %d threads: A runs %s",
                      names[v], isas[k], threads, ka);
                if (v == NECK)
                    CHECK(&h, ends_with(kernel_of(&g, kn, "C"), "-grid") == grid, "%s, %s, %d "
                          "threads: C runs %s", names[v], isas[k], threads, kernel_of(&g, kn, "C"));
                const char *wq = v == BATCH ? "grid-q-c4" : "grid-q";
                CHECK(&h, !grid || v == NECK || strcmp(kq, wq) == 0, "%s, %s, %d threads: Q1 "
                      "runs %s", names[v], isas[k], threads, kq);
                CHECK(&h, grid || strncmp(kq, "grid-q", 6) != 0, "%s, %s, %d threads: Q1 runs %s",
                      names[v], isas[k], threads, kq);
                if (v != BATCH && k == 1 && can)
                    CHECK(&h, strcmp(kernel_of(&g, kn, "Qc"), "concat-q") == 0, "%s, %d threads: "
                          "Qc runs %s", names[v], threads, kernel_of(&g, kn, "Qc"));
                int64_t diff = n == n_ref && ref ? qg_bit_diffs(got, ref, n) : -1;
                if (v == ADD || v == KEPT) {   /* A's floats are read: its SiLU is simd.h's */
                    double w = n == n_ref && ref ? qg_worst_rel(got, ref, n, 1e-6) : 1;
                    CHECK(&h, w <= 1e-6, "%s, %s, %d threads: %g from the reference kernels "
                          "(%lld of %lld floats differ)", names[v], isas[k], threads, w,
                          (long long)diff, (long long)n);
                } else {
                    CHECK(&h, diff == 0, "%s, %s, %d threads: %lld of %lld floats differ from "
                          "the reference kernels", names[v], isas[k], threads, (long long)diff,
                          (long long)n);
                }
                free(got);
            }
        free(kn);
        free(ref);
        yolo_graph_release(&g);
    }
    return harness_finish(&h);
}
