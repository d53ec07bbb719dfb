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

static uint64_t seed;

static int32_t tensor(struct yolo_graph *g, const char *name)
{
    return yolo_graph_add_tensor(g, name, YOLO_DT_UNDEF, -1, NULL, NULL);
}

static int32_t node(struct yolo_graph *g, enum yolo_op op, const char *name, int n_in,
                    const int32_t *in, int32_t out)
{
    int32_t i = yolo_graph_add_node(g, op, name, n_in, in, 1, &out, NULL);
    const struct yolo_op_impl *impl = yolo_op_impl_get(op);
    if (impl->import_fn) {
        struct yolo_attrs none = { NULL, 0, 19 };
        impl->import_fn(g, &g->nodes[i], &none, NULL);
    }
    return i;
}

/* Q (or DQ) of x with a per-tensor uint8 scale s and zero point zp. */
static void qdq(struct yolo_graph *g, enum yolo_op op, const char *name, int32_t x, float s,
                uint8_t zp, int32_t out)
{
    char nm[32];
    snprintf(nm, sizeof nm, "%s_s", name);
    int32_t st = yolo_graph_add_const(g, nm, YOLO_DT_F32, 0, NULL, &s, NULL);
    snprintf(nm, sizeof nm, "%s_z", name);
    int32_t zt = yolo_graph_add_const(g, nm, YOLO_DT_U8, 0, NULL, &zp, NULL);
    node(g, op, name, 3, (int32_t[]){ x, st, zt }, out);
}

static void qconv(struct yolo_graph *g, const char *name, int32_t x, int64_t C, int64_t M,
                  int64_t k, int64_t stride, int64_t act, int32_t out)
{
    int64_t ws[4] = { M, C, k, k }, nw = M * C * k * k;
    int8_t *w = malloc((size_t)nw);
    float *sc = malloc(sizeof(float) * (size_t)M);
    int32_t *b = malloc(sizeof(int32_t) * (size_t)M);
    for (int64_t i = 0; i < nw; i++)
        w[i] = (int8_t)(harness_rand(&seed) % 255 - 127);
    for (int64_t m = 0; m < M; m++) {
        sc[m] = harness_randf(&seed, 0.5f, 2.0f) / (float)(60 * C * k * k);
        b[m] = (int32_t)(harness_rand(&seed) % 20001) - 10000;
    }
    char nm[32];
    int32_t in[5];
    in[0] = x;
    snprintf(nm, sizeof nm, "%s_w", name);
    in[1] = yolo_graph_add_const(g, nm, YOLO_DT_I8, 4, ws, w, NULL);
    snprintf(nm, sizeof nm, "%s_b", name);
    in[2] = yolo_graph_add_const(g, nm, YOLO_DT_I32, 1, &M, b, NULL);
    snprintf(nm, sizeof nm, "%s_ws", name);
    in[3] = yolo_graph_add_const(g, nm, YOLO_DT_F32, 1, &M, sc, NULL);
    in[4] = -1;
    free(w);
    free(sc);
    free(b);
    int64_t *p = g->nodes[node(g, YOLO_OP_QCONV, name, 5, in, out)].params;
    p[YOLO_CONV_KH] = p[YOLO_CONV_KW] = k;
    p[YOLO_CONV_SH] = p[YOLO_CONV_SW] = stride;
    p[YOLO_CONV_DH] = p[YOLO_CONV_DW] = p[YOLO_CONV_GROUP] = 1;
    p[YOLO_CONV_PT] = p[YOLO_CONV_PB] = p[YOLO_CONV_PL] = p[YOLO_CONV_PR] = k / 2;
    p[YOLO_CONV_ACT] = act;
    p[YOLO_QC_XZP] = 117;
    p[YOLO_QC_ODT] = YOLO_DT_F32;
}

static void output(struct yolo_graph *g, int32_t t)
{
    g->tensors[t].flags |= YOLO_TF_OUTPUT;
    g->outputs[g->n_outputs++] = t;
}

static void build_graph(struct yolo_graph *g)
{
    yolo_graph_init(g);
    seed = 0x5eed0011u;
    const int64_t xs[4] = { 1, 6, 9, 40 };
    int32_t x = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 4, xs, NULL);
    g->tensors[x].flags |= YOLO_TF_INPUT;
    g->inputs[g->n_inputs++] = x;
    int32_t xq = tensor(g, "xq"), a = tensor(g, "a"), a1 = tensor(g, "a1"), a2 = tensor(g, "a2");
    int32_t bf = tensor(g, "bf"), b3 = tensor(g, "b3"), c = tensor(g, "c"), c4 = tensor(g, "c4");
    int32_t y0 = tensor(g, "y0"), y1 = tensor(g, "y1"), y2 = tensor(g, "y2"), y3 = tensor(g, "y3");
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
    node(g, YOLO_OP_SIGMOID, "sig", 1, (int32_t[]){ c }, y3);
    output(g, y0);
    output(g, y1);
    output(g, y2);
    output(g, y3);
}

/* Runs g at isa on the seeded input; returns the outputs, concatenated (malloc'd). */
static float *run(const struct yolo_graph *g, const char *isa, int64_t *n_out)
{
    struct yolo_net *net = NULL;
    struct yolo_runner *r = NULL;
    struct yolo_diag d = { 0 };
    struct yolo_net_params np = { .isa = isa };
    if (yolo_net_create_graph(g, &np, &net, &d) || yolo_runner_create(net, NULL, &r, &d)) {
        fprintf(stderr, "run: %s\n", d.msg);
        exit(1);
    }
    float *x = yolo_runner_tensor(r, g->inputs[0]);
    uint64_t s = 42;
    for (int64_t i = 0; i < yolo_tensor_numel(&g->tensors[g->inputs[0]]); i++)
        x[i] = harness_randf(&s, -1, 3);
    yolo_runner_run(r, &d);
    int64_t n = 0;
    for (int i = 0; i < g->n_outputs; i++)
        n += yolo_tensor_numel(&g->tensors[g->outputs[i]]);
    float *out = malloc(sizeof(float) * (size_t)n);
    *n_out = 0;
    for (int i = 0; i < g->n_outputs; i++) {
        const struct yolo_tensor *t = &g->tensors[g->outputs[i]];
        memcpy(out + *n_out, yolo_runner_tensor(r, g->outputs[i]), yolo_tensor_bytes(t));
        *n_out += yolo_tensor_numel(t);
    }
    yolo_runner_free(r);
    yolo_net_free(net);
    return out;
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
        float *want = run(&ref, isas[k], &n_ref), *got = run(&g, isas[k], &n);
        CHECK(&h, n == n_ref && memcmp(want, got, sizeof(float) * (size_t)n) == 0,
              "%s: outputs differ after the pass", isas[k]);
        free(want);
        free(got);
    }
    yolo_graph_release(&g);
    yolo_graph_release(&ref);
    return harness_finish(&h);
}
