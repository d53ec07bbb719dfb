/* test_concat_q.c: a QDQ model's Concat -> QuantizeLinear as one pass on the CPU (passes.h,
 * struct yolo_concat_q; cpu/concat_q_mark.c, x86/concat_q_avx512.c). The graph joins every
 * kind of part, at batch 2 with rows of 38 pixels (ragged vectors) and 10 rows:
 *
 *   x [2, 4, 10, 38] -> Q (uint8) -> qx;   x -> Q (int8) -> qx2
 *   a = x + x                                  float part
 *   b = DQ(qx)                                 dequantized, read by the Concat only
 *   e = DQ(qx2), also read by an Add (graph output e + a): the DequantizeLinear still runs
 *   h = QConv(qx, 4 -> 8, 1x1, stride 2, float) [2, 8, 5, 19]
 *   c = Resize x2 (nearest) of DQ(Q(h))        an upsampled dequantized part
 *   d = Resize x2 of h                         an upsampled float part
 *   Concat(a, b, c, d, e) [2, 28, 10, 38] -> Q (uint8) -> then
 *     PLAIN: DequantizeLinear (the bytes in NCHW)
 *     C4:    QConv 28 -> 4, 1x1, float output (the bytes in the c4 layout on VNNI)
 *   and the same two with the Concat's output kept (a graph output too), where nothing fuses.
 * Every operation here is exact in every kernel family, so at avx512 on a CPU with
 * AVX512_VBMI the QuantizeLinear must run "concat-q" / "concat-q-c4", the Concat, both
 * Resizes and the DequantizeLinears read by the join only "fused", e's still run, and the
 * outputs must be the same floats as the kept graph's and as the reference kernels', on 1 and
 * 2 threads. Without VBMI, or at avx2, the nodes run one by one (the same floats). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "harness.h"
#include "ops/op_params.h"
#include "passes.h"
#include "qgraph.h"

enum variant { PLAIN, C4, PLAIN_KEPT, C4_KEPT, N_VARIANTS };

static void build(struct yolo_graph *g, enum variant v)
{
    uint64_t seed = 0xc0ca7u;
    yolo_graph_init(g);
    const int64_t xs[4] = { 2, 4, 10, 38 };
    int32_t x = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 4, xs, NULL);
    qg_input(g, x);
    int32_t qx = qg_tensor(g, "qx"), qx2 = qg_tensor(g, "qx2"), a = qg_tensor(g, "a");
    int32_t b = qg_tensor(g, "b"), e = qg_tensor(g, "e"), ea = qg_tensor(g, "ea");
    int32_t h = qg_tensor(g, "h"), hq = qg_tensor(g, "hq"), hd = qg_tensor(g, "hd");
    int32_t cat = qg_tensor(g, "cat"), cq = qg_tensor(g, "cq"), y = qg_tensor(g, "y");
    qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Qx", x, 0.02f, YOLO_DT_U8, 50, qx);
    qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Qx2", x, 0.03f, YOLO_DT_I8, -3, qx2);
    qg_node(g, YOLO_OP_ADD, "A", 2, (int32_t[]){ x, x }, a);
    qg_qdq(g, YOLO_OP_DEQUANTIZE_LINEAR, "DQb", qx, 0.02f, YOLO_DT_U8, 50, b);
    qg_qdq(g, YOLO_OP_DEQUANTIZE_LINEAR, "DQe", qx2, 0.03f, YOLO_DT_I8, -3, e);
    qg_node(g, YOLO_OP_ADD, "Ae", 2, (int32_t[]){ e, a }, ea);
    int32_t hi = qg_qconv(g, "H", qx, 4, 8, 1, 2, 0, &seed, h);
    g->nodes[hi].params[YOLO_QC_XZP] = 50;
    g->nodes[hi].params[YOLO_QC_ODT] = YOLO_DT_F32;
    qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Qh", h, 0.05f, YOLO_DT_U8, 128, hq);
    qg_qdq(g, YOLO_OP_DEQUANTIZE_LINEAR, "DQh", hq, 0.05f, YOLO_DT_U8, 128, hd);
    int32_t c = qg_resize2x(g, "Rc", hd), d = qg_resize2x(g, "Rd", h);
    int32_t ci = qg_node(g, YOLO_OP_CONCAT, "Concat", 5, (int32_t[]){ a, b, c, d, e }, cat);
    g->nodes[ci].params[YOLO_CC_AXIS] = 1;
    qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Qcat", cat, 0.04f, YOLO_DT_U8, 20, cq);
    if (v == PLAIN || v == PLAIN_KEPT) {
        qg_qdq(g, YOLO_OP_DEQUANTIZE_LINEAR, "DQy", cq, 0.04f, YOLO_DT_U8, 20, y);
    } else {
        int32_t yi = qg_qconv(g, "Y", cq, 28, 4, 1, 1, 0, &seed, y);
        g->nodes[yi].params[YOLO_QC_XZP] = 20;
        g->nodes[yi].params[YOLO_QC_ODT] = YOLO_DT_F32;
    }
    qg_output(g, y);
    qg_output(g, ea);
    if (v == PLAIN_KEPT || v == C4_KEPT)
        qg_output(g, cat);
}

/* The kernel of node `name` is `want` (NULL: not fused, i.e. anything but "fused" and no
 * concat-q). */
static int runs(const struct yolo_graph *g, const char **kn, const char *name, const char *want)
{
    const char *k = kn[qg_find_node(g, name)];
    if (!k)
        return 0;
    if (want)
        return strcmp(k, want) == 0;
    return strcmp(k, "fused") != 0 && strncmp(k, "concat-q", 8) != 0;
}

int main(void)
{
    HARNESS_INIT(h, "test_concat_q");
    static const char *const names[] = { "plain", "c4", "plain kept", "c4 kept" };
    static const char *const isas[] = { "avx2", "avx512" };
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    int can_fuse = cpu.avx512vbmi && yolo_isa_select(&cpu, NULL) == YOLO_ISA_AVX512;
    int c4 = can_fuse && cpu.avx512vnni;   /* the QConv reads c4 bytes on VNNI only */
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
        int kept = v >= PLAIN_KEPT;
        int64_t n_ref = 0;
        float *ref = qg_run(&g, "ref", 1, &n_ref, NULL);
        const char **kn = calloc((size_t)g.n_nodes, sizeof *kn);
        for (int k = 0; k < 2; k++)
            for (int threads = 1; threads <= 2; threads++) {
                int64_t n = 0;
                float *got = qg_run(&g, isas[k], threads, &n, kn);
                int fused = k == 1 && can_fuse && !kept;
                const char *want = !fused ? NULL : v == C4 && c4 ? "concat-q-c4" : "concat-q";
                CHECK(&h, runs(&g, kn, "Qcat", want), "%s, %s, %d threads: the QuantizeLinear "
                      "runs %s", names[v], isas[k], threads, kn[qg_find_node(&g, "Qcat")]);
                static const char *const joined[] = { "Concat", "DQb", "Rc", "DQh", "Rd" };
                for (size_t j = 0; j < sizeof joined / sizeof joined[0]; j++)
                    CHECK(&h, runs(&g, kn, joined[j], fused ? "fused" : NULL), "%s, %s, %d "
                          "threads: %s runs %s", names[v], isas[k], threads, joined[j],
                          kn[qg_find_node(&g, joined[j])]);
                CHECK(&h, runs(&g, kn, "DQe", NULL), "%s: DQe, read by the Add too, runs %s",
                      names[v], kn[qg_find_node(&g, "DQe")]);
                int64_t diff = n == n_ref && ref ? qg_bit_diffs(got, ref, n) : -1;
                CHECK(&h, diff == 0, "%s, %s, %d threads: %lld of %lld floats differ from the "
                      "reference kernels", names[v], isas[k], threads, (long long)diff,
                      (long long)n);
                free(got);
            }
        free(kn);
        free(ref);
        yolo_graph_release(&g);
    }
    return harness_finish(&h);
}
