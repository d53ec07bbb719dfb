/* test_push_q.c: the push_q pass (core/opt/push_q.c) on a YOLOv8 C2f block as
 * `yolo build --int8` leaves it, then fuse_qconv_q, run before and after on the same random
 * input at every kernel family this CPU has and at 1 and 2 threads: the outputs must be the
 * same bytes (quantizing before or after a Concat or Split moves the same values). Batch 2
 * (the Concat copies, not placed in place), channels multiples of 4 (the c4 layout runs
 * through the Split and the Concat on AVX512_VNNI). The block:
 *
 *   x -> Q -> A (1x1, 8 -> 16, float, SiLU) -> Split [8, 8] -> s0, s1
 *   s1 -> Q1 -> B (3x3, 8 -> 8, float, SiLU) -> b
 *   Concat(s0, s1, b) -> t -> Q2 (= Q1's scale and zero point) -> C (1x1, 24 -> 12, float) -> y0
 * After the passes: A and B write uint8 into the Split and the Concat, one QuantizeLinear
 * is left (x's). A second graph, the same with s0 from a DequantizeLinear, must not move
 * (a QDQ model's float glue: Q(DQ(.)) would only add work). A third has B at stride 2 and a
 * nearest Resize (x2) between it and the Concat, as YOLOv8's neck upsamples: the Q moves
 * over the Resize too, which then moves uint8 (c4 pixels on VNNI). A fourth adds the C2f
 * shortcut (b = s1 + B(s1)): the Add becomes QAdd, whose output must equal, byte for byte,
 * the float graph with each addend quantized to the shared grid first (what QAdd means). */
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "harness.h"
#include "net.h"
#include "ops/op_params.h"
#include "passes.h"
#include "qgraph.h"

static const float QS = 0.037f;   /* Q1 and Q2 */
static const uint8_t QZ = 13;

static int count_op(const struct yolo_graph *g, enum yolo_op op)
{
    int n = 0;
    for (int32_t i = 0; i < g->n_nodes; i++)
        n += g->nodes[i].op == op;
    return n;
}

/* float output with act, input zero point zp */
static void qconv(struct yolo_graph *g, const char *name, int32_t x, int64_t C, int64_t M,
                  int64_t k, int64_t act, int64_t zp, uint64_t *seed, int32_t out)
{
    int32_t ni = qg_qconv(g, name, x, C, M, k, 1, 0, seed, out);   /* g->nodes moves */
    int64_t *p = g->nodes[ni].params;
    p[YOLO_CONV_ACT] = act;
    p[YOLO_QC_XZP] = zp;
    p[YOLO_QC_ODT] = YOLO_DT_F32;
}

/* SHORTCUT: b = s1 + B(s1) before the Concat, the residual Add that becomes QAdd;
 * SHORTCUT_REF: the same with each addend quantized and dequantized first (Q1's grid), what
 * QAdd computes exactly, so the pass's output must equal its bytes */
enum variant { C2F, FROM_DQ, RESIZED, SHORTCUT, SHORTCUT_REF };

static void build(struct yolo_graph *g, enum variant v)
{
    uint64_t seed = 0x9e5b0c2fu;
    yolo_graph_init(g);
    const int64_t xs[4] = { 2, 8, v == RESIZED ? 12 : 11, 40 };
    int32_t x = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 4, xs, NULL);
    qg_input(g, x);
    int32_t xq = qg_tensor(g, "xq"), a = qg_tensor(g, "a"), s0 = qg_tensor(g, "s0");
    int32_t s1 = qg_tensor(g, "s1"), s1q = qg_tensor(g, "s1q"), b = qg_tensor(g, "b");
    int32_t t = qg_tensor(g, "t"), tq = qg_tensor(g, "tq"), y0 = qg_tensor(g, "y0");
    qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Q", x, 0.02f, YOLO_DT_U8, 117, xq);
    qconv(g, "A", xq, 8, 16, 1, YOLO_ACT_SILU, 117, &seed, a);
    int32_t sp = qg_node(g, YOLO_OP_SPLIT, "Split", 1, (int32_t[]){ a }, s0);
    struct yolo_node *n = &g->nodes[sp];
    n->n_out = 2;
    n->out[1] = s1;
    n->params[YOLO_SP_AXIS] = 1;
    n->params[YOLO_SP_MODE] = YOLO_SP_NUM_OUTPUTS;
    n->params[YOLO_SP_NUM] = 2;
    int32_t c0 = s0;
    if (v == FROM_DQ) {   /* s0 -> Q -> DQ -> the Concat */
        int32_t s0q = qg_tensor(g, "s0q");
        c0 = qg_tensor(g, "s0dq");
        qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Q0", s0, QS, YOLO_DT_U8, QZ, s0q);
        qg_qdq(g, YOLO_OP_DEQUANTIZE_LINEAR, "DQ0", s0q, QS, YOLO_DT_U8, QZ, c0);
    }
    qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Q1", s1, QS, YOLO_DT_U8, QZ, s1q);
    int32_t c2 = b;
    if (v == RESIZED) {   /* B at stride 2, then nearest x2 back to the block's size */
        int32_t bi = qg_qconv(g, "B", s1q, 8, 8, 3, 2, 0, &seed, b);
        int64_t *p = g->nodes[bi].params;
        p[YOLO_CONV_ACT] = YOLO_ACT_SILU;
        p[YOLO_QC_XZP] = QZ;
        p[YOLO_QC_ODT] = YOLO_DT_F32;
        const float sc[4] = { 1, 1, 2, 2 };
        const int64_t four = 4;
        int32_t st = yolo_graph_add_const(g, "scales", YOLO_DT_F32, 1, &four, sc, NULL);
        c2 = qg_tensor(g, "br");
        qg_node(g, YOLO_OP_RESIZE, "Resize", 3, (int32_t[]){ b, -1, st }, c2);
    } else {
        qconv(g, "B", s1q, 8, 8, 3, YOLO_ACT_SILU, QZ, &seed, b);
    }
    if (v == SHORTCUT || v == SHORTCUT_REF) {
        int32_t u = s1, w = b;
        if (v == SHORTCUT_REF) {
            int32_t uq = qg_tensor(g, "uq"), wq = qg_tensor(g, "wq");
            u = qg_tensor(g, "u"), w = qg_tensor(g, "w");
            qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Qu", s1, QS, YOLO_DT_U8, QZ, uq);
            qg_qdq(g, YOLO_OP_DEQUANTIZE_LINEAR, "DQu", uq, QS, YOLO_DT_U8, QZ, u);
            qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Qw", b, QS, YOLO_DT_U8, QZ, wq);
            qg_qdq(g, YOLO_OP_DEQUANTIZE_LINEAR, "DQw", wq, QS, YOLO_DT_U8, QZ, w);
        }
        c2 = qg_tensor(g, "sum");
        qg_node(g, YOLO_OP_ADD, "Add", 2, (int32_t[]){ u, w }, c2);
    }
    int32_t cc = qg_node(g, YOLO_OP_CONCAT, "Concat", 3, (int32_t[]){ c0, s1, c2 }, t);
    g->nodes[cc].params[YOLO_CC_AXIS] = 1;
    qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Q2", t, QS, YOLO_DT_U8, QZ, tq);
    qconv(g, "C", tq, 24, 12, 1, YOLO_ACT_NONE, QZ, &seed, y0);
    qg_output(g, y0);
}

/* push_q then fuse_qconv_q on g, as `yolo build --int8` runs them; the number moved */
static int passes(struct harness *h, struct yolo_graph *g)
{
    struct yolo_diag d = { 0 };
    int moved = -1, fused = -1;
    CHECK(h, yolo_graph_infer(g, 0, &d) == 0, "infer: %s", d.msg);
    CHECK(h, yolo_opt_push_q(g, &moved, &d) == 0, "push_q: %s", d.msg);
    CHECK(h, yolo_graph_infer(g, 0, &d) == 0 && yolo_opt_fuse_qconv_q(g, &fused, &d) == 0 &&
             yolo_opt_dce(g, NULL, &d) == 0 && yolo_graph_infer(g, 0, &d) == 0 &&
             yolo_graph_compact(g, &d) == 0 && yolo_plan(g, NULL, &d) == 0,
          "after push_q: %s", d.msg);
    return moved;
}

/* g's outputs against ref's, every ISA and 1-2 threads; kn: the kernels of the last run */
static void same_outputs(struct harness *h, const struct yolo_graph *ref,
                         const struct yolo_graph *g, const char *what, const char **kn)
{
    static const char *isas[] = { "ref", "avx2", "avx512" };
    for (int k = 0; k < 3; k++)
        for (int threads = 1; threads <= 2; threads++) {
            int64_t n_ref = 0, n = 0;
            float *want = qg_run(ref, isas[k], threads, &n_ref, NULL);
            float *got = qg_run(g, isas[k], threads, &n, kn);
            CHECK(h, n == n_ref && memcmp(want, got, sizeof(float) * (size_t)n) == 0,
                  "%s, %s, %d threads: outputs differ after the passes", what, isas[k], threads);
            free(want);
            free(got);
        }
}

/* the C2f block, plain or resized: the Qs move, A and B write uint8, the outputs stay */
static void pushed(struct harness *h, enum variant v)
{
    struct yolo_diag d = { 0 };
    struct yolo_graph ref, g;
    const char *what = v == RESIZED ? "C2f block with a Resize"
                     : v == SHORTCUT ? "C2f block with a shortcut" : "C2f block";
    build(&ref, v == SHORTCUT ? SHORTCUT_REF : v);
    build(&g, v);
    CHECK(h, yolo_graph_infer(&ref, 0, &d) == 0 && yolo_plan(&ref, NULL, &d) == 0, "ref: %s",
          d.msg);
    int moved = passes(h, &g), want = v == C2F ? 2 : 3;
    if (h->failed)
        return;
    CHECK(h, moved == want, "%s: moved %d Qs, want %d (over the Concat, then the Split%s)", what,
          moved, want, v == RESIZED ? " and the Resize" : v == SHORTCUT ? " and the Add" : "");
    int32_t add = qg_find_node(&g, "Add");
    CHECK(h, (add >= 0 && g.nodes[add].op == YOLO_OP_QADD) == (v == SHORTCUT),
          "%s: the Add is%s a QAdd", what, v == SHORTCUT ? " not" : "");
    CHECK(h, count_op(&g, YOLO_OP_QUANTIZE_LINEAR) == 1, "%s: %d QuantizeLinear left, want 1 "
          "(x's)", what, count_op(&g, YOLO_OP_QUANTIZE_LINEAR));
    static const char *const writers[] = { "A", "B" };
    for (int i = 0; i < 2; i++) {
        const struct yolo_node *n = &g.nodes[qg_find_node(&g, writers[i])];
        CHECK(h, n->params[YOLO_QC_ODT] == YOLO_DT_U8 && n->fparams[YOLO_QC_FP_OSC] == QS &&
                  n->params[YOLO_QC_YZP] == QZ,
              "%s writes dtype %lld, scale %g, zero point %lld; want uint8, %g, %d", writers[i],
              (long long)n->params[YOLO_QC_ODT], (double)n->fparams[YOLO_QC_FP_OSC],
              (long long)n->params[YOLO_QC_YZP], (double)QS, QZ);
    }
    const char **kn = calloc((size_t)g.n_nodes, sizeof *kn);
    same_outputs(h, &ref, &g, what, kn);
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    int vnni = yolo_isa_select(&cpu, NULL) >= YOLO_ISA_AVX512 && cpu.avx512vnni;
    printf("test_push_q: %s: AVX512_VNNI %s\n", what,
           vnni ? "yes: c4 through the glue" : "no");
    static const char *const c4[] = { "A", "B", "C", "Resize" };
    for (size_t i = 0; vnni && i < sizeof c4 / sizeof c4[0]; i++) {
        int32_t at = qg_find_node(&g, c4[i]);
        if (at < 0 && v != RESIZED)
            continue;
        const char *name = at >= 0 ? kn[at] : NULL;
        CHECK(h, name && strstr(name, "-c4"), "%s: %s runs %s, not a c4 kernel", what, c4[i],
              name ? name : "?");
    }
    free(kn);
    yolo_graph_release(&g);
    yolo_graph_release(&ref);
}

int main(void)
{
    HARNESS_INIT(h, "test_push_q");
    struct yolo_diag d = { 0 };
    struct yolo_graph ref, g;
    pushed(&h, C2F);
    pushed(&h, RESIZED);
    pushed(&h, SHORTCUT);
    build(&ref, FROM_DQ);
    build(&g, FROM_DQ);
    CHECK(&h, yolo_graph_infer(&ref, 0, &d) == 0 && yolo_plan(&ref, NULL, &d) == 0, "ref: %s",
          d.msg);
    int moved = passes(&h, &g);
    CHECK(&h, moved == 0, "moved %d Qs over a Concat fed by DequantizeLinear, want 0", moved);
    if (!h.failed)
        same_outputs(&h, &ref, &g, "Concat after DequantizeLinear", NULL);
    yolo_graph_release(&g);
    yolo_graph_release(&ref);
    return harness_finish(&h);
}
