/* test_fuse_qconv_q.c: the fuse_qconv_q pass (core/opt/fuse_qconv_q.c) on the pattern
 * `yolo build --int8` leaves, run before and after on the same random input at every kernel
 * family this CPU has: the outputs must be the same bytes (the fused epilogue divides and
 * rounds exactly as QuantizeLinear did). The graph:
 *
 *   x -> Q -> QConv A (3x3, float, SiLU) -> Q1 -> QConv B (1x1, float, Relu) -> Q3 -> DQ -> y0
 *                                        \-> Q2 (same scale) -> DQ -> y1
 *                       QConv C (3x3 s2, float, SiLU; also read by a Sigmoid) -> Q4 -> DQ -> y2
 *                                                                    \-> Sigmoid -> y3
 * A and B fuse (A's two readers agree; Q2's readers move to Q1's output); C does not (a float
 * reader). Widths 40 (A, B: flat bands) and 20 (C). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "net.h"
#include "ops/op_params.h"
#include "passes.h"
#include "qgraph.h"

static uint64_t seed;

static void qdq(struct yolo_graph *g, enum yolo_op op, const char *name, int32_t x, float s,
                uint8_t zp, int32_t out)
{
    qg_qdq(g, op, name, x, s, YOLO_DT_U8, zp, out);
}

/* float output with act, input zero point 117 */
static void qconv(struct yolo_graph *g, const char *name, int32_t x, int64_t C, int64_t M,
                  int64_t k, int64_t stride, int64_t act, int32_t out)
{
    int32_t ni = qg_qconv(g, name, x, C, M, k, stride, 0, &seed, out);   /* g->nodes moves */
    int64_t *p = g->nodes[ni].params;
    p[YOLO_CONV_ACT] = act;
    p[YOLO_QC_XZP] = 117;
    p[YOLO_QC_ODT] = YOLO_DT_F32;
}

static void build_graph(struct yolo_graph *g)
{
    yolo_graph_init(g);
    seed = 0x5eed0011u;
    const int64_t xs[4] = { 1, 6, 9, 40 };
    int32_t x = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 4, xs, NULL);
    qg_input(g, x);
    int32_t xq = qg_tensor(g, "xq"), a = qg_tensor(g, "a"), a1 = qg_tensor(g, "a1");
    int32_t a2 = qg_tensor(g, "a2"), bf = qg_tensor(g, "bf"), b3 = qg_tensor(g, "b3");
    int32_t c = qg_tensor(g, "c"), c4 = qg_tensor(g, "c4"), y0 = qg_tensor(g, "y0");
    int32_t y1 = qg_tensor(g, "y1"), y2 = qg_tensor(g, "y2"), y3 = qg_tensor(g, "y3");
    qdq(g, YOLO_OP_QUANTIZE_LINEAR, "qx", x, 0.02f, 117, xq);
    qconv(g, "A", xq, 6, 11, 3, 1, YOLO_ACT_SILU, a);
    qdq(g, YOLO_OP_QUANTIZE_LINEAR, "q1", a, 0.043f, 9, a1);
    qdq(g, YOLO_OP_QUANTIZE_LINEAR, "q2", a, 0.043f, 9, a2);
    qconv(g, "B", a1, 11, 10, 1, 1, YOLO_ACT_RELU, bf);
    qdq(g, YOLO_OP_QUANTIZE_LINEAR, "q3", bf, 0.031f, 0, b3);
    qdq(g, YOLO_OP_DEQUANTIZE_LINEAR, "dq0", b3, 0.031f, 0, y0);
    qdq(g, YOLO_OP_DEQUANTIZE_LINEAR, "dq1", a2, 0.043f, 9, y1);
    qconv(g, "C", xq, 6, 9, 3, 2, YOLO_ACT_SILU, c);
    qdq(g, YOLO_OP_QUANTIZE_LINEAR, "q4", c, 0.05f, 20, c4);
    qdq(g, YOLO_OP_DEQUANTIZE_LINEAR, "dq2", c4, 0.05f, 20, y2);
    qg_node(g, YOLO_OP_SIGMOID, "sig", 1, (int32_t[]){ c }, y3);
    qg_output(g, y0);
    qg_output(g, y1);
    qg_output(g, y2);
    qg_output(g, y3);
}

static int count_op(const struct yolo_graph *g, enum yolo_op op)
{
    int n = 0;
    for (int32_t i = 0; i < g->n_nodes; i++)
        n += g->nodes[i].op == op;
    return n;
}

int main(void)
{
    HARNESS_INIT(h, "test_fuse_qconv_q");
    printf("test_fuse_qconv_q: seed 0x5eed0011, input seed 42\n");
    struct yolo_diag d = { 0 };
    struct yolo_graph ref, g;
    build_graph(&ref);
    build_graph(&g);
    CHECK(&h, yolo_graph_infer(&ref, 0, &d) == 0 && yolo_plan(&ref, NULL, &d) == 0, "ref: %s", d.msg);
    int changed = -1;
    CHECK(&h, yolo_graph_infer(&g, 0, &d) == 0, "infer: %s", d.msg);
    CHECK(&h, yolo_opt_fuse_qconv_q(&g, &changed, &d) == 0, "pass: %s", d.msg);
    CHECK(&h, changed == 2, "fused %d QConvs, want 2 (A, B)", changed);
    CHECK(&h, count_op(&g, YOLO_OP_QUANTIZE_LINEAR) == 2, "%d QuantizeLinear left, want 2 (x, C's)",
          count_op(&g, YOLO_OP_QUANTIZE_LINEAR));
    for (int32_t i = 0; i < g.n_nodes; i++) {
        const struct yolo_node *n = &g.nodes[i];
        if (n->op == YOLO_OP_QCONV)
            CHECK(&h, (n->fparams[YOLO_QC_FP_OSC] != 0) == (strcmp(n->name, "C") != 0) &&
                      (n->params[YOLO_QC_ODT] == YOLO_DT_F32) == (strcmp(n->name, "C") == 0),
                  "QConv %s: osc %g, dtype %lld", n->name, (double)n->fparams[YOLO_QC_FP_OSC],
                  (long long)n->params[YOLO_QC_ODT]);
    }
    CHECK(&h, yolo_graph_infer(&g, 0, &d) == 0 && yolo_graph_compact(&g, &d) == 0 &&
              yolo_plan(&g, NULL, &d) == 0, "after: %s", d.msg);
    static const char *isas[] = { "ref", "avx2", "avx512" };
    for (int k = 0; k < 3; k++) {
        int64_t n_ref, n;
        float *want = qg_run(&ref, isas[k], 1, &n_ref, NULL), *got = qg_run(&g, isas[k], 1, &n, NULL);
        CHECK(&h, n == n_ref && memcmp(want, got, sizeof(float) * (size_t)n) == 0,
              "%s: outputs differ after the pass", isas[k]);
        free(want);
        free(got);
    }
    yolo_graph_release(&g);
    yolo_graph_release(&ref);
    return harness_finish(&h);
}
