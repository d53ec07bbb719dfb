/* test_conv_add.c: a residual Add written by the int8 convolution before it (passes.h,
 * struct yolo_conv_add; cpu/conv_add_mark.c): a QDQ C2f shortcut,
 *
 *   x [2, 8, 9, W] -> Q (uint8) -> qx;  r = DQ(qx);  y = QConv(qx, 8 -> 8, 3x3, SiLU, float)
 *   z = Add(r, y)   (SWAPPED: Add(y, r))   -> output
 *
 * at W = 40 (the kernel's flat bands) and W = 64 (row tiles), and KEPT, where y is a graph
 * output too, so the Add runs on its own. At avx512 on a CPU with AVX512_VNNI the Add must
 * be "fused" but in KEPT, and z must be the same floats as KEPT's (the same convolution, the
 * same float sum), on 1 and 2 threads; everywhere within 1e-5 of the reference kernels (the
 * SiLU's vector form). */
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "harness.h"
#include "ops/op_params.h"
#include "qgraph.h"

enum variant { ADD, SWAPPED, KEPT, N_VARIANTS };

static void build(struct yolo_graph *g, enum variant v, int64_t W)
{
    uint64_t seed = 0xadd5u;
    yolo_graph_init(g);
    const int64_t xs[4] = { 2, 8, 9, W };
    int32_t x = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 4, xs, NULL);
    qg_input(g, x);
    int32_t qx = qg_tensor(g, "qx"), r = qg_tensor(g, "r"), y = qg_tensor(g, "y");
    int32_t z = qg_tensor(g, "z");
    qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Q", x, 0.02f, YOLO_DT_U8, 40, qx);
    qg_qdq(g, YOLO_OP_DEQUANTIZE_LINEAR, "DQ", qx, 0.02f, YOLO_DT_U8, 40, r);
    int32_t c = qg_qconv(g, "conv", qx, 8, 8, 3, 1, 0, &seed, y);
    int64_t *p = g->nodes[c].params;
    p[YOLO_QC_XZP] = 40;
    p[YOLO_QC_ODT] = YOLO_DT_F32;
    p[YOLO_CONV_ACT] = YOLO_ACT_SILU;
    qg_node(g, YOLO_OP_ADD, "add", 2, v == SWAPPED ? (int32_t[]){ y, r } : (int32_t[]){ r, y }, z);
    qg_output(g, z);
    if (v == KEPT)
        qg_output(g, y);
}

int main(void)
{
    HARNESS_INIT(h, "test_conv_add");
    static const char *const names[] = { "add", "swapped", "kept" };
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    int vnni = cpu.avx512vnni && yolo_isa_select(&cpu, NULL) == YOLO_ISA_AVX512;
    for (int wi = 0; wi < 2; wi++) {
        int64_t W = wi ? 64 : 40;
        struct yolo_graph g[N_VARIANTS];
        int ok = 1;
        for (int v = 0; v < N_VARIANTS; v++) {
            struct yolo_diag d = { 0 };
            build(&g[v], (enum variant)v, W);
            int rc = yolo_graph_infer(&g[v], 0, &d) == 0 && yolo_plan(&g[v], NULL, &d) == 0;
            CHECK(&h, rc, "%s, W %lld: %s", names[v], (long long)W, d.msg);
            ok &= rc;
        }
        for (int v = 0; v < N_VARIANTS && ok; v++) {
            int64_t n_ref = 0;
            float *ref = qg_run(&g[v], "ref", 1, &n_ref, NULL);
            const char **kn = calloc((size_t)g[v].n_nodes, sizeof *kn);
            for (int threads = 1; threads <= 2; threads++) {
                int64_t n = 0, nk = 0;
                float *got = qg_run(&g[v], "avx512", threads, &n, kn);
                float *kept = qg_run(&g[KEPT], "avx512", threads, &nk, NULL);
                const char *ak = kn[qg_find_node(&g[v], "add")];
                int fused = ak && strcmp(ak, "fused") == 0;
                CHECK(&h, fused == (vnni && v != KEPT), "%s, W %lld, %d threads: the Add runs %s",
                      names[v], (long long)W, threads, ak);
                int64_t diff = nk >= n ? qg_bit_diffs(got, kept, n) : -1;
                CHECK(&h, diff == 0, "%s, W %lld, %d threads: %lld of %lld floats differ from "
                      "the Add run on its own", names[v], (long long)W, threads, (long long)diff,
                      (long long)n);
                double worst = n == n_ref ? qg_worst_rel(got, ref, n, 1) : 1;
                CHECK(&h, worst < 1e-5, "%s, W %lld, %d threads: %g from the reference kernels",
                      names[v], (long long)W, threads, worst);
                free(kept);
                free(got);
            }
            free(kn);
            free(ref);
        }
        for (int v = 0; v < N_VARIANTS; v++)
            yolo_graph_release(&g[v]);
    }
    return harness_finish(&h);
}
