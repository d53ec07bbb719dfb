/* test_qconv_c4.c: the c4 layout of int8 activations between VNNI convolutions
 * (cpu/qconv_pack.h, cpu/qconv_c4.c). A chain where every kind of writer and reader meets
 * the layout runs on the AVX-512 kernels (the layout on) and on the reference and AVX2 ones
 * (NCHW throughout), at 1 and 2 threads: the outputs must be the same floats, since the
 * layout only moves bytes. Batch 2, and C a multiple of 4 everywhere but the tail:
 *
 *   x -> Q0 (uint8) -> A (3x3 s1, 96 wide: row tiles; uint8 + table) -> B (3x3 s2, 48 wide:
 *   flat stride-2 bands; int8 out, no bias) -> C (1x1, 48 wide: flat; int8 in, uint8 out
 *   through a fused output scale) -> D (3x3 s2 to 24 wide; int8 out) -> DQ -> y0
 *                                     A -> E (1x1, 12 -> 8; uint8 out) -> DQ -> y1
 *                                     C -> F (3x3 s1; 20 -> 6, float + Relu) -> y2
 *                                     C -> G (1x1, 20 -> 12; uint8 out) -> DQ -> y3
 * Q0, A, B and C write the layout; A to G read it (E's, D's and G's outputs feed
 * DequantizeLinear, F's is float: those stay NCHW). E and G read their uint8 input in place
 * (1x1, stride 1): E in row tiles of its 96-wide rows, G in flat bands of 48-wide rows whose
 * last tile runs past the band (the copied tail: 7 rows of 48 at 1 thread, 4 + 3 at 2). On a
 * CPU without AVX512_VNNI it checks only that the kernels agree (nothing takes the layout). */
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "harness.h"
#include "ops/op_params.h"
#include "passes.h"
#include "qgraph.h"

static void build(struct yolo_graph *g)
{
    uint64_t seed = 0xc4c4c4u;
    yolo_graph_init(g);
    const int64_t xs[4] = { 2, 8, 13, 96 };
    int32_t x = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 4, xs, NULL);
    qg_input(g, x);
    int32_t x0 = qg_tensor(g, "x0"), a = qg_tensor(g, "a"), b = qg_tensor(g, "b");
    int32_t c = qg_tensor(g, "c"), dq = qg_tensor(g, "dq"), e = qg_tensor(g, "e");
    int32_t y0 = qg_tensor(g, "y0"), y1 = qg_tensor(g, "y1"), y2 = qg_tensor(g, "y2");
    int32_t y3 = qg_tensor(g, "y3"), gq = qg_tensor(g, "g");
    qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Q0", x, 0.02f, YOLO_DT_U8, 117, x0);

    int32_t ni = qg_qconv(g, "A", x0, 8, 12, 3, 1, 0, &seed, a);   /* indices: g->nodes moves */
    int64_t *p = g->nodes[ni].params;
    p[YOLO_QC_XZP] = 117, p[YOLO_QC_YZP] = 31, p[YOLO_QC_ODT] = YOLO_DT_U8;
    uint8_t lut[256];
    for (int i = 0; i < 256; i++)
        lut[i] = (uint8_t)harness_rand(&seed);
    int64_t lsh = 256;
    int32_t lt = yolo_graph_add_const(g, "A_lut", YOLO_DT_U8, 1, &lsh, lut, NULL);
    g->nodes[ni].in[YOLO_QC_IN_LUT] = lt;

    ni = qg_qconv(g, "B", a, 12, 16, 3, 2, 1, &seed, b);
    p = g->nodes[ni].params;
    p[YOLO_QC_XZP] = 31, p[YOLO_QC_YZP] = 5, p[YOLO_QC_ODT] = YOLO_DT_I8;

    ni = qg_qconv(g, "C", b, 16, 20, 1, 1, 0, &seed, c);
    p = g->nodes[ni].params;
    p[YOLO_QC_XZP] = 5, p[YOLO_QC_YZP] = 20, p[YOLO_QC_ODT] = YOLO_DT_U8;
    g->nodes[ni].fparams[YOLO_QC_FP_OSC] = 1.3f;

    ni = qg_qconv(g, "D", c, 20, 8, 3, 2, 0, &seed, dq);
    p = g->nodes[ni].params;
    p[YOLO_QC_XZP] = 20, p[YOLO_QC_YZP] = -3, p[YOLO_QC_ODT] = YOLO_DT_I8;
    qg_qdq(g, YOLO_OP_DEQUANTIZE_LINEAR, "DQ0", dq, 0.05f, YOLO_DT_I8, -3, y0);

    ni = qg_qconv(g, "E", a, 12, 8, 1, 1, 0, &seed, e);
    p = g->nodes[ni].params;
    p[YOLO_QC_XZP] = 31, p[YOLO_QC_YZP] = 9, p[YOLO_QC_ODT] = YOLO_DT_U8;
    qg_qdq(g, YOLO_OP_DEQUANTIZE_LINEAR, "DQ1", e, 0.07f, YOLO_DT_U8, 9, y1);

    ni = qg_qconv(g, "F", c, 20, 6, 3, 1, 0, &seed, y2);
    p = g->nodes[ni].params;
    p[YOLO_QC_XZP] = 20, p[YOLO_QC_ODT] = YOLO_DT_F32, p[YOLO_CONV_ACT] = YOLO_ACT_RELU;

    ni = qg_qconv(g, "G", c, 20, 12, 1, 1, 0, &seed, gq);
    p = g->nodes[ni].params;
    p[YOLO_QC_XZP] = 20, p[YOLO_QC_YZP] = 11, p[YOLO_QC_ODT] = YOLO_DT_U8;

    qg_qdq(g, YOLO_OP_DEQUANTIZE_LINEAR, "DQ2", gq, 0.04f, YOLO_DT_U8, 11, y3);

    qg_output(g, y0);
    qg_output(g, y1);
    qg_output(g, y2);
    qg_output(g, y3);
}

int main(void)
{
    HARNESS_INIT(h, "test_qconv_c4");
    struct yolo_diag d = { 0 };
    struct yolo_graph g;
    build(&g);
    CHECK(&h, yolo_graph_infer(&g, 0, &d) == 0 && yolo_plan(&g, NULL, &d) == 0, "graph: %s", d.msg);
    if (h.failed)
        return harness_finish(&h);
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    int vnni = yolo_isa_select(&cpu, NULL) >= YOLO_ISA_AVX512 && cpu.avx512vnni;
    printf("test_qconv_c4: AVX512_VNNI %s\n", vnni ? "yes: the layout runs" : "no: NCHW only");
    int64_t n_ref = 0;
    float *want = qg_run(&g, "ref", 1, &n_ref, NULL);
    const char **kn = calloc((size_t)g.n_nodes, sizeof *kn);
    static const char *isas[] = { "avx2", "avx512" };
    for (int k = 0; k < 2; k++)
        for (int threads = 1; threads <= 2; threads++) {
            int64_t n = 0;
            float *got = qg_run(&g, isas[k], threads, &n, kn);
            int64_t diff = 0;
            for (int64_t i = 0; n == n_ref && i < n; i++)
                diff += memcmp(&got[i], &want[i], sizeof(float)) != 0;
            CHECK(&h, n == n_ref && diff == 0, "%s, %d threads: %lld of %lld outputs differ from "
                  "the reference kernels'", isas[k], threads, (long long)diff, (long long)n);
            free(got);
        }
    /* which kernels took the layout (the last run: avx512, 2 threads) */
    static const char *const c4[] = { "Q0", "A", "B", "C", "D", "E", "F", "G" };
    for (size_t i = 0; vnni && i < sizeof c4 / sizeof c4[0]; i++) {
        const char *name = kn[qg_find_node(&g, c4[i])];
        CHECK(&h, name && strstr(name, "-c4"), "%s runs %s, not a c4 kernel", c4[i],
              name ? name : "?");
    }
    const char *dq = kn[qg_find_node(&g, "DQ0")];
    CHECK(&h, !dq || !strstr(dq, "-c4"), "DequantizeLinear runs %s", dq);
    free(kn);
    free(want);
    yolo_graph_release(&g);
    return harness_finish(&h);
}
