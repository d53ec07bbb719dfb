/* test_conv_add.c: a residual Add written by the convolution before it (passes.h, struct
 * yolo_conv_add; cpu/conv_add_mark.c): a C2f shortcut, z = r + conv(r) (SWAPPED: conv(r) + r),
 * at batch 2, 9 rows of W pixels, with SiLU, in three precisions:
 *   INT8:  x -> Q (uint8) -> qx, r = DQ(qx), the conv an int8 QConv of qx (8 -> 8) with a
 *          float output: the VNNI kernel adds r as it stores, at W = 40 (its flat bands) and
 *          W = 64 (row tiles)
 *   FP32:  r = Relu(x), the conv 3x3 float32 (16 -> 16): Winograd, whose output transform adds r
 *   BF16:  the same conv through `yolo build --bf16`'s pass: bf16 Winograd on AVX512_BF16
 * and KEPT, where the conv's output is a graph output too, so the Add runs on its own, and
 * OLD_PLAN, with z moved into r's bytes after planning (as a plan from before the sum's life
 * started at the conv may have it): the Add must run on its own there too, since the mark
 * refuses a sum that shares bytes with its addend or the conv's input. Where
 * the kernel can (INT8 at avx512 with AVX512_VNNI; FP32 and BF16 everywhere: a bf16 conv
 * without AVX512_BF16 takes the float32 kernel) the Add must be "fused" (but in KEPT), and z
 * must be the same floats as KEPT's run the same way (the same convolution, the same float
 * sum), on 1 and 2 threads; everywhere within tolerance of the reference kernels. */
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "harness.h"
#include "ops/op_params.h"
#include "passes.h"
#include "qgraph.h"

enum variant { ADD, SWAPPED, KEPT, OLD_PLAN, N_VARIANTS };
enum precision { INT8, FP32, BF16, N_PRECISIONS };

static int32_t float_conv(struct yolo_graph *g, int32_t x, int64_t C, uint64_t *seed, int32_t y)
{
    const int64_t ws[4] = { C, C, 3, 3 };
    float *w = malloc(sizeof(float) * (size_t)(C * C * 9 + C));
    if (!w)
        exit(1);
    for (int64_t i = 0; i < C * C * 9 + C; i++)
        w[i] = harness_randf(seed, -1, 1) / (float)(3 * C);
    int32_t wt = yolo_graph_add_const(g, "w", YOLO_DT_F32, 4, ws, w, NULL);
    int32_t bt = yolo_graph_add_const(g, "b", YOLO_DT_F32, 1, &C, w + C * C * 9, NULL);
    free(w);
    int32_t c = qg_node(g, YOLO_OP_CONV, "conv", 3, (int32_t[]){ x, wt, bt }, y);
    qg_conv_geometry(g->nodes[c].params, 3, 1);
    return c;
}

static void build(struct yolo_graph *g, enum variant v, enum precision pr, int64_t W)
{
    uint64_t seed = 0xadd5u;
    yolo_graph_init(g);
    int64_t C = pr == INT8 ? 8 : 16;
    const int64_t xs[4] = { 2, C, 9, W };
    int32_t x = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 4, xs, NULL);
    qg_input(g, x);
    int32_t r = qg_tensor(g, "r"), y = qg_tensor(g, "y"), z = qg_tensor(g, "z"), c;
    if (pr == INT8) {
        int32_t qx = qg_tensor(g, "qx");
        qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Q", x, 0.02f, YOLO_DT_U8, 40, qx);
        qg_qdq(g, YOLO_OP_DEQUANTIZE_LINEAR, "DQ", qx, 0.02f, YOLO_DT_U8, 40, r);
        c = qg_qconv(g, "conv", qx, C, C, 3, 1, 0, &seed, y);
        g->nodes[c].params[YOLO_QC_XZP] = 40;
        g->nodes[c].params[YOLO_QC_ODT] = YOLO_DT_F32;
    } else {
        qg_node(g, YOLO_OP_RELU, "relu", 1, &x, r);
        c = float_conv(g, r, C, &seed, y);
    }
    g->nodes[c].params[YOLO_CONV_ACT] = YOLO_ACT_SILU;
    qg_node(g, YOLO_OP_ADD, "add", 2, v == SWAPPED ? (int32_t[]){ y, r } : (int32_t[]){ r, y }, z);
    qg_output(g, z);
    if (v == KEPT)
        qg_output(g, y);
    if (pr == BF16) {   /* `yolo build --bf16` on the conv */
        uint8_t *ok = calloc((size_t)g->n_nodes, 1);
        int n = 0;
        if (!ok)
            exit(1);
        ok[c] = 1;
        if (yolo_opt_bf16(g, ok, &n, NULL) || n != 1)
            exit(1);
        free(ok);
    }
}

int main(void)
{
    HARNESS_INIT(h, "test_conv_add");
    static const char *const names[] = { "add", "swapped", "kept", "old plan" };
    static const char *const precs[] = { "int8", "fp32", "bf16" };
    static const char *const isas[] = { "avx2", "avx512" };
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    int a512 = yolo_isa_select(&cpu, NULL) == YOLO_ISA_AVX512;
    for (int run = 0; run < N_PRECISIONS + 1; run++) {
        enum precision pr = run < 2 ? INT8 : (enum precision)(run - 1);
        int64_t W = run == 1 ? 64 : 40;
        struct yolo_graph g[N_VARIANTS];
        int ok = 1;
        for (int v = 0; v < N_VARIANTS; v++) {
            struct yolo_diag d = { 0 };
            build(&g[v], (enum variant)v, pr, W);
            int rc = yolo_graph_infer(&g[v], 0, &d) == 0 && yolo_plan(&g[v], NULL, &d) == 0;
            CHECK(&h, rc, "%s %s, W %lld: %s", precs[pr], names[v], (long long)W, d.msg);
            ok &= rc;
            if (rc && v == OLD_PLAN) {
                /* z over r: valid for the nodes one by one (the Add reads and writes each
                 * element in place), not for a conv writing z while it may still read r */
                struct yolo_tensor *T = g[v].tensors;
                T[yolo_graph_find_tensor(&g[v], "z")].offset =
                    T[yolo_graph_find_tensor(&g[v], "r")].offset;
            }
        }
        /* bf16 activations: 2^-8 of the sums' terms, a few times the outputs' scale */
        double tol = pr == BF16 ? 0.05 : 1e-5;
        for (int v = 0; v < N_VARIANTS && ok; v++) {
            int64_t n_ref = 0;
            float *ref = qg_run(&g[v], "ref", 1, &n_ref, NULL);
            const char **kn = calloc((size_t)g[v].n_nodes, sizeof *kn);
            for (int k = 0; k < 2; k++) {
                if (k == 1 && !a512)
                    continue;
                /* a bf16 conv without AVX512_BF16 takes the float32 Winograd kernel */
                int can = pr == INT8 ? k == 1 && cpu.avx512vnni : 1;
                for (int threads = 1; threads <= 2; threads++) {
                    int64_t n = 0, nk = 0;
                    float *got = qg_run(&g[v], isas[k], threads, &n, kn);
                    float *kept = qg_run(&g[KEPT], isas[k], threads, &nk, NULL);
                    const char *ak = kn[qg_find_node(&g[v], "add")];
                    int fused = ak && strcmp(ak, "fused") == 0;
                    CHECK(&h, fused == (can && v != KEPT && v != OLD_PLAN), "%s %s, W %lld, %s, "
                          "%d threads: the Add runs %s (the conv %s)", precs[pr], names[v],
                          (long long)W, isas[k], threads, ak, kn[qg_find_node(&g[v], "conv")]);
                    int64_t diff = nk >= n ? qg_bit_diffs(got, kept, n) : -1;
                    CHECK(&h, diff == 0, "%s %s, W %lld, %s, %d threads: %lld of %lld floats "
                          "differ from the Add run on its own", precs[pr], names[v],
                          (long long)W, isas[k], threads, (long long)diff, (long long)n);
                    double worst = n == n_ref ? qg_worst_rel(got, ref, n, 1) : 1;
                    CHECK(&h, worst < tol, "%s %s, W %lld, %s, %d threads: %g from the "
                          "reference kernels", precs[pr], names[v], (long long)W, isas[k],
                          threads, worst);
                    free(kept);
                    free(got);
                }
            }
            free(kn);
            free(ref);
        }
        for (int v = 0; v < N_VARIANTS; v++)
            yolo_graph_release(&g[v]);
    }
    return harness_finish(&h);
}
