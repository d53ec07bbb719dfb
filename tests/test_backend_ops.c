/* test_backend_ops.c: every op on every backend in this build against the op's reference
 * kernel (ggml's test-backend-ops, ncnn's test_layer). Each case is a one-node graph on odd
 * shapes (sizes 1, 3, 7, 17, channels not a multiple of 8 or 16, odd H/W), random inputs from a
 * fixed, printed seed. The reference outputs come from the op's ref_fn; each backend then runs
 * the same graph through the runtime exactly as a model runs (yolo_net_create_graph: its own
 * supports_node, prepare, buffers from the planner's offsets, tensor_set, run, tensor_get),
 * for every variant it has (the CPU: ref, avx2, avx512 where this CPU has them).
 * Bound: normalized MSE <= 1e-6 for float32 (1e-10 and usually 0 for the data movers),
 * exact for integer outputs (the int8 QConv and Quantize/DequantizeLinear kernels too: their
 * integer sums are exact and their float epilogues the reference's operations). A backend that does not support a node must say so in
 * supports_node; the test then counts it as skipped and prints it. Every op in ops.def must
 * have a case here: a new op fails this test until it gets one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "net.h"
#include "ops/bc_test.h"
#include "ops/op_params.h"
#include "passes.h"
#include "qgraph.h"

#define SEED 20261203u

static struct yolo_attrs attrs_of(struct yolo_attr *v, int32_t n, int64_t opset)
{
    return (struct yolo_attrs){ v, n, opset };
}

static float *randf(uint64_t *s, int64_t n, float lo, float hi)
{
    float *p = malloc(sizeof(float) * (size_t)(n ? n : 1));
    for (int64_t i = 0; p && i < n; i++)
        p[i] = harness_randf(s, lo, hi);
    return p;
}

/* ------------------------------------------------------------------ case builders
 * Each builds one node into t (inputs, consts, outputs) and returns its import status. */
typedef int (*build_fn)(struct bt *t, uint64_t *s, int variant);

static int b_conv(struct bt *t, uint64_t *s, int v)
{
    /* v: 0 3x3 s1 (winograd), 1 3x3 s2 (gemm8 rows), 2 1x1, 3 depthwise 3x3, 4 grouped 5x5 d2 */
    static const int64_t C[] = { 5, 3, 13, 9, 6 }, M[] = { 7, 17, 10, 9, 4 }, K[] = { 3, 3, 1, 3, 5 };
    static const int64_t S[] = { 1, 2, 1, 1, 1 }, G[] = { 1, 1, 1, 9, 2 }, D[] = { 1, 1, 1, 1, 2 };
    int64_t xs[4] = { v == 2 ? 2 : 1, C[v], 11, 17 }, ws[4] = { M[v], C[v] / G[v], K[v], K[v] };
    int32_t in[3];
    in[0] = bt_in(t, "x", YOLO_DT_F32, 4, xs);
    float *w = randf(s, ws[0] * ws[1] * ws[2] * ws[3], -0.5f, 0.5f), *b = randf(s, M[v], -1, 1);
    in[1] = bt_const(t, "w", YOLO_DT_F32, 4, ws, w);
    in[2] = bt_const(t, "b", YOLO_DT_F32, 1, &M[v], b);
    free(w);
    free(b);
    int32_t y = bt_out(t, "y");
    int64_t pad = (K[v] / 2) * D[v], pads[4] = { pad, pad, pad, pad }, st[2] = { S[v], S[v] };
    int64_t dl[2] = { D[v], D[v] };
    struct yolo_attr a[4] = { bt_attr_ints("pads", pads, 4), bt_attr_ints("strides", st, 2),
                              bt_attr_int("group", G[v]), bt_attr_ints("dilations", dl, 2) };
    struct yolo_attrs at = attrs_of(a, 4, 17);
    int rc = bt_node(t, YOLO_OP_CONV, 3, in, 1, &y, &at);
    if (!rc)   /* the fused activations an optimizer pass sets: SiLU, Sigmoid, Relu, none */
        bt_n(t)->params[YOLO_CONV_ACT] = (int64_t[]){ YOLO_ACT_SILU, YOLO_ACT_SIGMOID, YOLO_ACT_RELU,
                                                       YOLO_ACT_NONE, YOLO_ACT_SILU }[v];
    return rc;
}

/* Q/DQ: v 0 per tensor uint8, 1 per axis (axis 1) int8, 2 per tensor without a zero point
 * (uint8 0) on an odd size; DequantizeLinear v 2 is an int32 per-axis bias. Scales put
 * random inputs across saturation and rounding ties. */
static int qdq_common(struct bt *t, uint64_t *s, int v, int quant)
{
    int64_t sh[3][4] = { { 1, 17, 7, 3 }, { 2, 5, 3, 7 }, { 33 } };
    int32_t nd[3] = { 4, 4, 1 };
    enum yolo_dtype qdt = v == 1 ? YOLO_DT_I8 : !quant && v == 2 ? YOLO_DT_I32 : YOLO_DT_U8;
    int64_t nch = v == 1 ? 5 : !quant && v == 2 ? 33 : 1;
    float sc[33];
    uint8_t zb[33];
    int32_t zi[33];
    for (int64_t i = 0; i < nch; i++) {
        sc[i] = harness_randf(s, 0.005f, 0.05f);
        zb[i] = (uint8_t)(v == 1 ? (uint8_t)(int8_t)((int)(harness_rand(s) % 41) - 20)
                                 : (uint8_t)(harness_rand(s) % 256));
        zi[i] = (int32_t)(harness_rand(s) % 2001) - 1000;
    }
    int32_t in[3];
    in[0] = bt_in(t, "x", quant ? YOLO_DT_F32 : qdt, nd[v], sh[v]);
    in[1] = bt_const(t, "s", YOLO_DT_F32, nch > 1 ? 1 : 0, &nch, sc);
    int n_in = 3;
    if (quant && v == 2)
        n_in = 2;
    else
        in[2] = bt_const(t, "z", qdt, nch > 1 ? 1 : 0, &nch, qdt == YOLO_DT_I32 ? (void *)zi : (void *)zb);
    int32_t y = bt_out(t, "y");
    struct yolo_attr a[1] = { bt_attr_int("axis", v == 2 ? 0 : 1) };
    struct yolo_attrs at = attrs_of(a, 1, 19);
    return bt_node(t, quant ? YOLO_OP_QUANTIZE_LINEAR : YOLO_OP_DEQUANTIZE_LINEAR, n_in, in, 1, &y,
                   &at);
}
static int b_quantize(struct bt *t, uint64_t *s, int v) { return qdq_common(t, s, v, 1); }
static int b_dequantize(struct bt *t, uint64_t *s, int v) { return qdq_common(t, s, v, 0); }

/* QConv (int8 convolution; ops/qconv.c), odd shapes:
 *   0 3x3 s1 uint8 -> uint8 with bias and table     1 3x3 s2 int8 -> int8, no bias, no table
 *   2 1x1 uint8 -> float32 + SiLU, batch 2            3 5x5 dilation 2, M 9 (not a multiple of 8)
 *   4 grouped (2): the reference path                 5 3x3 s2 wide (W 141), asymmetric pads
 * Flat bands (stride 1, rows narrower than their tiles; 0, 2 and 3 are flat too):
 *   6 3x3 W 40 uint8 -> uint8 + table, batch 2, M 19  7 1x1 W 3: 16-lane vectors over 5 rows
 *   8 3x3 W 80 C 3 int8 -> int8, no bias              9 5x5 W 1: one pixel of each 5-wide row
 * A fused QuantizeLinear (fparams[YOLO_QC_FP_OSC], core/opt/fuse_qconv_q.c):
 *  10 3x3 W 40 uint8 -> SiLU -> uint8 (flat)         11 3x3 s2 W 23 int8 -> Relu -> int8
 *  12 1x1 W 9 uint8 -> uint8, no activation (flat)
 * Stride 2 goes flat too (qconv_pack.h: row-phase planes): 1, 5 and 11 above, and
 *  13 3x3 s2 dilation 2 W 47, batch 2, uint8 -> float32 + SiLU
 * and 14, 3x3 s2 W 141 uint8 -> SiLU -> uint8 with scales 60 times 10's, so the SiLU's input
 * reaches +-200: its tails, where 2^(-x log2 e) leaves float's exponent range.
 * A float output on a grid (fparams[YOLO_QC_FP_DQS], core/opt/fuse_qdq.c: Q -> DQ fused):
 *  15 3x3 W 40 uint8 -> uint8 grid -> float + SiLU (flat)  16 3x3 s2 W 23 int8 -> int8 grid -> float
 * Bound: exact, except 10 and 14: within one step (simd.h's SiLU is within 3e-7 of expf's, so a
 * value that close to a rounding tie may round the other way; counted and printed).
 * (the ops run single-threaded here: each band is independent of the thread count) */
static int b_qconv(struct bt *t, uint64_t *s, int v)
{
    static const int64_t C[] = { 5, 13, 6, 9, 6, 20, 21, 7, 3, 4, 19, 10, 6, 11, 8, 19, 10 };
    static const int64_t M[] = { 7, 17, 10, 9, 4, 33, 19, 11, 8, 16, 23, 9, 10, 12, 12, 23, 9 };
    static const int64_t K[] = { 3, 3, 1, 5, 3, 3, 3, 1, 3, 5, 3, 3, 1, 3, 3, 3, 3 };
    static const int64_t S[] = { 1, 2, 1, 1, 1, 2, 1, 1, 1, 1, 1, 2, 1, 2, 2, 1, 2 };
    static const int64_t D[] = { 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1 };
    static const int64_t G[] = { 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
    static const int64_t Wd[] = { 17, 17, 9, 19, 11, 141, 40, 3, 80, 1, 40, 23, 9, 47, 141, 40, 23 };
    static const int64_t Hd[] = { 11, 11, 11, 11, 11, 11, 9, 5, 7, 6, 7, 9, 11, 13, 9, 7, 9 };
    int64_t xs[4] = { v == 2 || v == 6 || v == 13 ? 2 : 1, C[v], Hd[v], Wd[v] };
    int64_t ws[4] = { M[v], C[v] / G[v], K[v], K[v] };
    int i8 = v == 1 || v == 8 || v == 11 || v == 16;
    enum yolo_dtype xdt = i8 ? YOLO_DT_I8 : YOLO_DT_U8;
    int64_t odt = v == 2 || v == 7 || v == 9 || (v >= 13 && v != 14) ? YOLO_DT_F32
                : i8 ? YOLO_DT_I8 : YOLO_DT_U8;
    int64_t nw = ws[0] * ws[1] * ws[2] * ws[3];
    int8_t *w = malloc((size_t)nw);
    float *sc = malloc(sizeof(float) * (size_t)M[v]);
    int32_t *b = malloc(sizeof(int32_t) * (size_t)M[v]);
    uint8_t lut[256];
    for (int64_t i = 0; i < nw; i++)
        w[i] = (int8_t)(harness_rand(s) % 255 - 127);
    for (int64_t m = 0; m < M[v]; m++) {
        /* about 3 output steps per accumulator standard deviation, so outputs spread and
         * saturate at both ends */
        sc[m] = harness_randf(s, 0.5f, 2.0f) / (float)(60 * ws[1] * ws[2] * ws[3]) *
                (v == 14 ? 60.0f : 1.0f);
        b[m] = (int32_t)(harness_rand(s) % 20001) - 10000;
    }
    for (int i = 0; i < 256; i++)
        lut[i] = (uint8_t)harness_rand(s);
    int32_t in[5];
    int64_t lsh = 256;
    in[0] = bt_in(t, "x", xdt, 4, xs);
    in[1] = bt_const(t, "w", YOLO_DT_I8, 4, ws, w);
    in[2] = v == 1 || v == 8 || v == 11 || v == 16 ? -1 : bt_const(t, "b", YOLO_DT_I32, 1, &M[v], b);
    in[3] = bt_const(t, "ws", YOLO_DT_F32, 1, &M[v], sc);
    in[4] = v == 0 || v == 6 ? bt_const(t, "lut", YOLO_DT_U8, 1, &lsh, lut) : -1;
    free(w);
    free(sc);
    free(b);
    int32_t y = bt_out(t, "y");
    int rc = bt_node(t, YOLO_OP_QCONV, 5, in, 1, &y, NULL);
    if (rc)
        return rc;
    int64_t *p = bt_n(t)->params, pad = (K[v] / 2) * D[v];
    p[YOLO_CONV_KH] = p[YOLO_CONV_KW] = K[v];
    p[YOLO_CONV_SH] = p[YOLO_CONV_SW] = S[v];
    p[YOLO_CONV_DH] = p[YOLO_CONV_DW] = D[v];
    p[YOLO_CONV_PT] = p[YOLO_CONV_PB] = pad;
    p[YOLO_CONV_PL] = v == 5 ? 0 : pad;
    p[YOLO_CONV_PR] = v == 5 ? 2 : pad;
    p[YOLO_CONV_GROUP] = G[v];
    p[YOLO_CONV_ACT] = v == 2 || v == 9 || v == 10 || v == 13 || v == 14 || v == 15 ? YOLO_ACT_SILU
                       : v == 7 || v == 11        ? YOLO_ACT_RELU : YOLO_ACT_NONE;
    p[YOLO_QC_XZP] = i8 ? -3 : 117;
    p[YOLO_QC_YZP] = i8 ? 5 : odt == YOLO_DT_F32 && v < 15 ? 0 : 31;
    if (v >= 10 && v < 15)   /* the quantized output's scale: outputs spread over the bytes */
        bt_n(t)->fparams[YOLO_QC_FP_OSC] = v == 10 ? 0.37f : v == 11 ? 0.61f : v == 12 ? 1.3f
                                         : v == 14 ? 0.37f * 60.0f : 0.0f;
    if (v >= 15) {   /* a float output on a grid (a fused QuantizeLinear -> DequantizeLinear) */
        bt_n(t)->fparams[YOLO_QC_FP_DQS] = v == 15 ? 0.37f : 0.61f;
        p[YOLO_QC_GDT] = i8 ? YOLO_DT_I8 : YOLO_DT_U8;
    }
    p[YOLO_QC_ODT] = odt;
    return 0;
}

static int unary(struct bt *t, enum yolo_op op, int v)
{
    int64_t sh[3][4] = { { 1, 17, 7, 3 }, { 3, 1, 33 }, { 2, 5 } };
    int32_t nd[3] = { 4, 3, 2 };
    int32_t x = bt_in(t, "x", YOLO_DT_F32, nd[v % 3], sh[v % 3]), y = bt_out(t, "y");
    return bt_node(t, op, 1, &x, 1, &y, NULL);
}
static int b_sigmoid(struct bt *t, uint64_t *s, int v) { (void)s; return unary(t, YOLO_OP_SIGMOID, v); }
static int b_silu(struct bt *t, uint64_t *s, int v) { (void)s; return unary(t, YOLO_OP_SILU, v); }
static int b_relu(struct bt *t, uint64_t *s, int v) { (void)s; return unary(t, YOLO_OP_RELU, v); }
static int b_identity(struct bt *t, uint64_t *s, int v) { (void)s; return unary(t, YOLO_OP_IDENTITY, v); }

/* v 0: same shapes (the vector kernels), 1: broadcasting, 2: int64 */
static int binary(struct bt *t, enum yolo_op op, int v)
{
    int64_t a[4] = { 1, 7, 5, 17 }, b0[4] = { 1, 7, 5, 17 }, b1[3] = { 7, 1, 17 };
    enum yolo_dtype dt = v == 2 ? YOLO_DT_I64 : YOLO_DT_F32;
    int32_t in[2] = { bt_in(t, "a", dt, 4, a), v == 1 ? bt_in(t, "b", dt, 3, b1) : bt_in(t, "b", dt, 4, b0) };
    int32_t y = bt_out(t, "y");
    return bt_node(t, op, 2, in, 1, &y, NULL);
}
static int b_add(struct bt *t, uint64_t *s, int v) { (void)s; return binary(t, YOLO_OP_ADD, v); }
static int b_sub(struct bt *t, uint64_t *s, int v) { (void)s; return binary(t, YOLO_OP_SUB, v); }
static int b_mul(struct bt *t, uint64_t *s, int v) { (void)s; return binary(t, YOLO_OP_MUL, v); }
static int b_div(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    return binary(t, YOLO_OP_DIV, v == 2 ? 1 : v);   /* int64 division by random 0 is not a case */
}
static int b_pow(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    int64_t a[3] = { 3, 5, 7 }, e[1] = { 1 };
    int32_t in[2] = { bt_in(t, "a", YOLO_DT_F32, 3, a), 0 }, y = bt_out(t, "y");
    float two = v ? 0.5f : 2.0f;
    in[1] = bt_const(t, "e", YOLO_DT_F32, 1, e, &two);
    return bt_node(t, YOLO_OP_POW, 2, in, 1, &y, NULL);
}
static int b_mod(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    int64_t a[2] = { 3, 17 }, one[1] = { 1 }, m = 3;
    int32_t in[2] = { bt_in(t, "a", YOLO_DT_I64, 2, a), bt_const(t, "m", YOLO_DT_I64, 1, one, &m) };
    int32_t y = bt_out(t, "y");
    struct yolo_attr at[1] = { bt_attr_int("fmod", 0) };
    struct yolo_attrs aa = attrs_of(at, 1, 17);
    (void)v;
    return bt_node(t, YOLO_OP_MOD, 2, in, 1, &y, &aa);
}

static int b_concat(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    /* v 0: axis 1 (in place when planned), 1: the last axis (a copy), 2: YOLOv5's head
     * (the last axis of [1, 3, 6, 5, 2 + 2 + 81]: per-row copies on the CPU) */
    if (v == 2) {
        int64_t p0[5] = { 1, 3, 6, 5, 2 }, p2[5] = { 1, 3, 6, 5, 81 };
        int32_t in[3] = { bt_in(t, "a", YOLO_DT_F32, 5, p0), bt_in(t, "b", YOLO_DT_F32, 5, p0),
                          bt_in(t, "c", YOLO_DT_F32, 5, p2) };
        int32_t y = bt_out(t, "y");
        struct yolo_attr at[1] = { bt_attr_int("axis", -1) };
        struct yolo_attrs aa = attrs_of(at, 1, 17);
        return bt_node(t, YOLO_OP_CONCAT, 3, in, 1, &y, &aa);
    }
    int64_t a[4] = { 1, 3, 5, 7 }, b[4] = { 1, v ? 3 : 17, 5, v ? 11 : 7 };
    int32_t in[2] = { bt_in(t, "a", YOLO_DT_F32, 4, a), bt_in(t, "b", YOLO_DT_F32, 4, b) };
    int32_t y = bt_out(t, "y");
    struct yolo_attr at[1] = { bt_attr_int("axis", v ? 3 : 1) };
    struct yolo_attrs aa = attrs_of(at, 1, 17);
    return bt_node(t, YOLO_OP_CONCAT, 2, in, 1, &y, &aa);
}

static int b_split(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    if (v == 2) {   /* YOLOv5's head: the last axis of [1, 3, 6, 5, 85] into 2 + 2 + 81 */
        int64_t x[5] = { 1, 3, 6, 5, 85 }, sizes[3] = { 2, 2, 81 };
        int32_t in[2] = { bt_in(t, "x", YOLO_DT_F32, 5, x), bt_const_i64(t, "s", 3, sizes) };
        int32_t out[3] = { bt_out(t, "y0"), bt_out(t, "y1"), bt_out(t, "y2") };
        struct yolo_attr at[1] = { bt_attr_int("axis", 4) };
        struct yolo_attrs aa = attrs_of(at, 1, 17);
        return bt_node(t, YOLO_OP_SPLIT, 2, in, 3, out, &aa);
    }
    int64_t x[4] = { 1, 20, 3, 7 }, sizes[2] = { 3, 4 }, sizes1[2] = { 13, 7 };
    int32_t in[2] = { bt_in(t, "x", YOLO_DT_F32, 4, x), bt_const_i64(t, "s", 2, v ? sizes : sizes1) };
    int32_t out[2] = { bt_out(t, "y0"), bt_out(t, "y1") };
    struct yolo_attr at[1] = { bt_attr_int("axis", v ? 3 : 1) };
    struct yolo_attrs aa = attrs_of(at, 1, 17);
    return bt_node(t, YOLO_OP_SPLIT, 2, in, 2, out, &aa);
}

static int b_slice(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    int64_t x[3] = { 3, 17, 9 }, st[2] = { 1, v ? -2 : 0 }, en[2] = { 15, v ? 0 : 9 };
    int64_t ax[2] = { 1, 2 }, sp[2] = { 3, v ? -1 : 2 };
    int32_t in[5] = { bt_in(t, "x", YOLO_DT_F32, 3, x), bt_const_i64(t, "st", 2, st),
                      bt_const_i64(t, "en", 2, en), bt_const_i64(t, "ax", 2, ax),
                      bt_const_i64(t, "sp", 2, sp) };
    int32_t y = bt_out(t, "y");
    return bt_node(t, YOLO_OP_SLICE, 5, in, 1, &y, NULL);
}

static int b_reshape(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    int64_t x[3] = { 3, 7, 5 }, to[2] = { v ? -1 : 21, 5 };
    int32_t in[2] = { bt_in(t, "x", YOLO_DT_F32, 3, x), bt_const_i64(t, "to", 2, to) };
    int32_t y = bt_out(t, "y");
    return bt_node(t, YOLO_OP_RESHAPE, 2, in, 1, &y, NULL);
}

static int b_transpose(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    int64_t x[4] = { 2, 17, 7, 33 }, p0[4] = { 0, 3, 1, 2 }, p1[4] = { 0, 2, 1, 3 };
    int32_t in = bt_in(t, "x", YOLO_DT_F32, 4, x), y = bt_out(t, "y");
    struct yolo_attr at[1] = { bt_attr_ints("perm", v ? p1 : p0, 4) };
    struct yolo_attrs aa = attrs_of(at, 1, 17);
    return bt_node(t, YOLO_OP_TRANSPOSE, 1, &in, 1, &y, &aa);
}

static int b_flatten(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    int64_t x[4] = { 2, 3, 5, 7 };
    int32_t in = bt_in(t, "x", YOLO_DT_F32, 4, x), y = bt_out(t, "y");
    struct yolo_attr at[1] = { bt_attr_int("axis", v ? 2 : 1) };
    struct yolo_attrs aa = attrs_of(at, 1, 17);
    return bt_node(t, YOLO_OP_FLATTEN, 1, &in, 1, &y, &aa);
}

static int b_softmax(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    /* YOLO's DFL: softmax over 16 bins, here 17 (v 0), or over 33 contiguous values (v 1);
     * YOLO11's attention, 400 keys per query (v 2); rows longer than the CUDA row kernel
     * holds in registers (v 3: 700) */
    int64_t x[4][4] = { { 1, 4, 17, 33 }, { 1, 4, 17, 33 }, { 1, 2, 20, 400 }, { 1, 1, 3, 700 } };
    int32_t in = bt_in(t, "x", YOLO_DT_F32, 4, x[v]), y = bt_out(t, "y");
    struct yolo_attr at[1] = { bt_attr_int("axis", v ? 3 : 2) };
    struct yolo_attrs aa = attrs_of(at, 1, 17);
    return bt_node(t, YOLO_OP_SOFTMAX, 1, &in, 1, &y, &aa);
}

static int b_maxpool(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    int64_t x[4] = { 1, 5, 13, 19 }, k[2] = { 5, 5 }, st[2] = { v ? 2 : 1, v ? 2 : 1 };
    int64_t pads[4] = { 2, 2, 2, 2 };
    int32_t in = bt_in(t, "x", YOLO_DT_F32, 4, x), y = bt_out(t, "y");
    struct yolo_attr at[3] = { bt_attr_ints("kernel_shape", k, 2), bt_attr_ints("strides", st, 2),
                               bt_attr_ints("pads", pads, 4) };
    struct yolo_attrs aa = attrs_of(at, 3, 17);
    return bt_node(t, YOLO_OP_MAXPOOL, 1, &in, 1, &y, &aa);
}

static int b_resize(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    /* v 2: an exact 2x of an even width over 2 images (the CUDA backend's vector path) */
    int64_t x[4] = { v == 2 ? 2 : 1, 3, 7, v == 2 ? 10 : 9 }, four[1] = { 4 };
    float sc[4] = { 1, 1, 2, v == 1 ? 1.5f : 2 };
    int32_t in[3] = { bt_in(t, "x", YOLO_DT_F32, 4, x), -1, bt_const(t, "sc", YOLO_DT_F32, 1, four, sc) };
    int32_t y = bt_out(t, "y");
    struct yolo_attr at[1] = { bt_attr_int("mode", 0) };
    at[0].type = YOLO_ATTR_STRING;
    at[0].s = v == 1 ? "linear" : "nearest";
    struct yolo_attrs aa = attrs_of(at, 1, 13);
    return bt_node(t, YOLO_OP_RESIZE, 3, in, 1, &y, &aa);
}

static int b_matmul(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    /* YOLO11's attention: batched [B, H, N, d] x [B, H, d, N]; v 1: broadcast B, K 3 */
    int64_t a[4] = { 1, 2, 17, v ? 3 : 33 }, b0[4] = { 1, 2, 33, 19 }, b1[2] = { 3, 19 };
    int32_t in[2] = { bt_in(t, "a", YOLO_DT_F32, 4, a),
                      v ? bt_in(t, "b", YOLO_DT_F32, 2, b1) : bt_in(t, "b", YOLO_DT_F32, 4, b0) };
    int32_t y = bt_out(t, "y");
    return bt_node(t, YOLO_OP_MATMUL, 2, in, 1, &y, NULL);
}

static int b_constant(struct bt *t, uint64_t *s, int v)
{
    (void)v;
    int64_t sh[2] = { 3, 7 };
    float *val = randf(s, 21, -1, 1);
    int32_t c = bt_const(t, "val", YOLO_DT_F32, 2, sh, val);
    free(val);
    int32_t y = bt_out(t, "y");
    struct yolo_attr at[1] = { bt_attr_tensor("value", c) };
    struct yolo_attrs aa = attrs_of(at, 1, 17);
    return bt_node(t, YOLO_OP_CONSTANT, 0, NULL, 1, &y, &aa);
}

static int b_cast(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    int64_t x[2] = { 5, 7 };
    int32_t in = bt_in(t, "x", v ? YOLO_DT_I64 : YOLO_DT_F32, 2, x), y = bt_out(t, "y");
    struct yolo_attr at[1] = { bt_attr_int("to", v ? YOLO_DT_F32 : YOLO_DT_I64) };
    struct yolo_attrs aa = attrs_of(at, 1, 17);
    return bt_node(t, YOLO_OP_CAST, 1, &in, 1, &y, &aa);
}

static int b_gather(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    int64_t x[3] = { 3, 17, 5 }, idx[4] = { 16, 0, -1, 7 };
    int32_t in[2] = { bt_in(t, "x", YOLO_DT_F32, 3, x), bt_const_i64(t, "i", v ? 1 : 4, idx) };
    int32_t y = bt_out(t, "y");
    struct yolo_attr at[1] = { bt_attr_int("axis", 1) };
    struct yolo_attrs aa = attrs_of(at, 1, 17);
    return bt_node(t, YOLO_OP_GATHER, 2, in, 1, &y, &aa);
}

static int b_gather_elements(struct bt *t, uint64_t *s, int v)
{
    int64_t x[2] = { 3, 17 }, ish[2] = { 3, 5 }, idx[15];
    for (int i = 0; i < 15; i++)
        idx[i] = (int64_t)(harness_rand(s) % 17) - (v ? 17 : 0);
    int32_t in[2] = { bt_in(t, "x", YOLO_DT_F32, 2, x), bt_const(t, "i", YOLO_DT_I64, 2, ish, idx) };
    int32_t y = bt_out(t, "y");
    struct yolo_attr at[1] = { bt_attr_int("axis", 1) };
    struct yolo_attrs aa = attrs_of(at, 1, 17);
    return bt_node(t, YOLO_OP_GATHER_ELEMENTS, 2, in, 1, &y, &aa);
}

static int b_squeeze(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    int64_t x[4] = { 1, 7, 1, 3 }, ax[2] = { 0, -2 };
    int32_t in[2] = { bt_in(t, "x", YOLO_DT_F32, 4, x), bt_const_i64(t, "ax", v ? 1 : 2, ax) };
    int32_t y = bt_out(t, "y");
    return bt_node(t, YOLO_OP_SQUEEZE, 2, in, 1, &y, NULL);
}

static int b_unsqueeze(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    int64_t x[2] = { 7, 3 }, ax[2] = { 0, -1 };
    int32_t in[2] = { bt_in(t, "x", YOLO_DT_F32, 2, x), bt_const_i64(t, "ax", v ? 1 : 2, ax) };
    int32_t y = bt_out(t, "y");
    return bt_node(t, YOLO_OP_UNSQUEEZE, 2, in, 1, &y, NULL);
}

static int b_tile(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    int64_t x[3] = { 1, 3, 7 }, rep[3] = { 2, v ? 1 : 3, 2 };
    int32_t in[2] = { bt_in(t, "x", YOLO_DT_F32, 3, x), bt_const_i64(t, "r", 3, rep) };
    int32_t y = bt_out(t, "y");
    return bt_node(t, YOLO_OP_TILE, 2, in, 1, &y, NULL);
}

static int b_topk(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    int64_t x[2] = { 3, 33 }, k = v ? 1 : 7;
    int32_t in[2] = { bt_in(t, "x", YOLO_DT_F32, 2, x), bt_const_i64(t, "k", 1, &k) };
    int32_t out[2] = { bt_out(t, "v"), bt_out(t, "i") };
    struct yolo_attr at[1] = { bt_attr_int("axis", -1) };
    struct yolo_attrs aa = attrs_of(at, 1, 17);
    return bt_node(t, YOLO_OP_TOPK, 2, in, 2, out, &aa);
}

static int b_reduce_max(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    int64_t x[3] = { 3, 17, 5 }, ax[1] = { v ? 2 : 1 };
    int32_t in = bt_in(t, "x", YOLO_DT_F32, 3, x), y = bt_out(t, "y");
    struct yolo_attr at[2] = { bt_attr_ints("axes", ax, 1), bt_attr_int("keepdims", v) };
    struct yolo_attrs aa = attrs_of(at, 2, 13);
    return bt_node(t, YOLO_OP_REDUCE_MAX, 1, &in, 1, &y, &aa);
}

static int b_shape(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    int64_t x[3] = { 3, 17, 5 };
    int32_t in = bt_in(t, "x", YOLO_DT_F32, 3, x), y = bt_out(t, "y");
    struct yolo_attr at[1] = { bt_attr_int("start", v ? 1 : 0) };
    struct yolo_attrs aa = attrs_of(at, 1, 17);
    return bt_node(t, YOLO_OP_SHAPE, 1, &in, 1, &y, &aa);
}

static int b_constant_of_shape(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    int64_t sh[3] = { 3, 1, 7 }, one[1] = { 1 };
    float val = v ? -2.5f : 0.0f;
    int32_t in = bt_const_i64(t, "sh", 3, sh), y = bt_out(t, "y");
    int32_t c = bt_const(t, "val", YOLO_DT_F32, 1, one, &val);
    struct yolo_attr at[1] = { bt_attr_tensor("value", c) };
    struct yolo_attrs aa = attrs_of(at, 1, 17);
    return bt_node(t, YOLO_OP_CONSTANT_OF_SHAPE, 1, &in, 1, &y, &aa);
}

static int b_batch_norm(struct bt *t, uint64_t *s, int v)
{
    (void)v;
    int64_t x[4] = { 2, 7, 3, 5 }, c[1] = { 7 };
    float *sc = randf(s, 7, 0.5f, 2), *bi = randf(s, 7, -1, 1), *mu = randf(s, 7, -1, 1);
    float *va = randf(s, 7, 0.1f, 2);
    int32_t in[5] = { bt_in(t, "x", YOLO_DT_F32, 4, x), bt_const(t, "s", YOLO_DT_F32, 1, c, sc),
                      bt_const(t, "b", YOLO_DT_F32, 1, c, bi), bt_const(t, "m", YOLO_DT_F32, 1, c, mu),
                      bt_const(t, "v", YOLO_DT_F32, 1, c, va) };
    free(sc);
    free(bi);
    free(mu);
    free(va);
    int32_t y = bt_out(t, "y");
    return bt_node(t, YOLO_OP_BATCH_NORM, 5, in, 1, &y, NULL);
}

/* QAdd (ops/qadd.c; made by core/opt/push_q.c): v 0 uint8 on an odd size (a vector tail),
 * v 1 int8, batch 2; random codes and zero point, so sums saturate at both ends. Exact. */
static int b_qadd(struct bt *t, uint64_t *s, int v)
{
    int64_t sh[2][4] = { { 1, 17, 7, 3 }, { 2, 8, 5, 33 } };
    enum yolo_dtype dt = v ? YOLO_DT_I8 : YOLO_DT_U8;
    int32_t in[2] = { bt_in(t, "a", dt, 4, sh[v]), bt_in(t, "b", dt, 4, sh[v]) };
    int32_t y = bt_out(t, "y");
    int rc = bt_node(t, YOLO_OP_QADD, 2, in, 1, &y, NULL);
    if (!rc)
        bt_n(t)->params[YOLO_QA_ZP] = v ? (int64_t)(harness_rand(s) % 41) - 20
                                        : (int64_t)(harness_rand(s) % 256);
    return rc;
}

/* SpaceToDepth (ops/space_to_depth.c; made by core/opt/stem_s2d.c): v 0 float32 blocksize 2
 * with an odd output width (a vector tail), v 1 uint8 blocksize 3, batch 2. Exact. */
static int b_space_to_depth(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    int64_t sh[2][4] = { { 1, 3, 10, 46 }, { 2, 5, 6, 9 } };
    int32_t x = bt_in(t, "x", v ? YOLO_DT_U8 : YOLO_DT_F32, 4, sh[v]), y = bt_out(t, "y");
    struct yolo_attr a[1] = { bt_attr_int("blocksize", v ? 3 : 2) };
    struct yolo_attrs aa = attrs_of(a, 1, 13);
    return bt_node(t, YOLO_OP_SPACE_TO_DEPTH, 1, &x, 1, &y, &aa);
}

static int b_expand(struct bt *t, uint64_t *s, int v)
{
    (void)s;
    int64_t x[3] = { 3, 1, 7 }, to[3] = { 3, v ? 5 : 1, 7 };
    int32_t in[2] = { bt_in(t, "x", YOLO_DT_F32, 3, x), bt_const_i64(t, "to", 3, to) };
    int32_t y = bt_out(t, "y");
    return bt_node(t, YOLO_OP_EXPAND, 2, in, 1, &y, NULL);
}

struct op_case { enum yolo_op op; build_fn build; int n_variants; };
static const struct op_case cases[] = {
    { YOLO_OP_CONV, b_conv, 5 },           { YOLO_OP_SIGMOID, b_sigmoid, 3 },
    { YOLO_OP_MUL, b_mul, 3 },             { YOLO_OP_ADD, b_add, 3 },
    { YOLO_OP_SUB, b_sub, 3 },             { YOLO_OP_DIV, b_div, 2 },
    { YOLO_OP_POW, b_pow, 2 },             { YOLO_OP_CONCAT, b_concat, 3 },
    { YOLO_OP_SPLIT, b_split, 3 },         { YOLO_OP_SLICE, b_slice, 2 },
    { YOLO_OP_RESHAPE, b_reshape, 2 },     { YOLO_OP_TRANSPOSE, b_transpose, 2 },
    { YOLO_OP_FLATTEN, b_flatten, 2 },     { YOLO_OP_SOFTMAX, b_softmax, 4 },
    { YOLO_OP_MAXPOOL, b_maxpool, 2 },     { YOLO_OP_RESIZE, b_resize, 3 },
    { YOLO_OP_MATMUL, b_matmul, 2 },       { YOLO_OP_CONSTANT, b_constant, 1 },
    { YOLO_OP_CAST, b_cast, 2 },           { YOLO_OP_GATHER, b_gather, 2 },
    { YOLO_OP_GATHER_ELEMENTS, b_gather_elements, 2 }, { YOLO_OP_UNSQUEEZE, b_unsqueeze, 2 },
    { YOLO_OP_TILE, b_tile, 2 },           { YOLO_OP_TOPK, b_topk, 2 },
    { YOLO_OP_MOD, b_mod, 1 },             { YOLO_OP_REDUCE_MAX, b_reduce_max, 2 },
    { YOLO_OP_SHAPE, b_shape, 2 },         { YOLO_OP_CONSTANT_OF_SHAPE, b_constant_of_shape, 2 },
    { YOLO_OP_IDENTITY, b_identity, 2 },   { YOLO_OP_SQUEEZE, b_squeeze, 2 },
    { YOLO_OP_BATCH_NORM, b_batch_norm, 1 }, { YOLO_OP_EXPAND, b_expand, 2 },
    { YOLO_OP_RELU, b_relu, 3 },           { YOLO_OP_SILU, b_silu, 3 },
    { YOLO_OP_QUANTIZE_LINEAR, b_quantize, 3 }, { YOLO_OP_DEQUANTIZE_LINEAR, b_dequantize, 3 },
    { YOLO_OP_QCONV, b_qconv, 17 },       { YOLO_OP_QADD, b_qadd, 2 },
    { YOLO_OP_SPACE_TO_DEPTH, b_space_to_depth, 2 },
};

/* The variants of a backend to run: the CPU's kernel families this CPU has; CUDA's two
 * precisions (passed as yolo_net_params.precision); others: one. */
static int variants_of(const struct yolo_backend *b, const char **names)
{
    if (strcmp(b->name, "cuda") == 0) {
        names[0] = "fp32";
        names[1] = "fp16";
        return 2;
    }
    if (strcmp(b->name, "cpu"))
        return names[0] = NULL, 1;
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    enum yolo_isa best = yolo_isa_select(&cpu, NULL);
    int n = 0;
    names[n++] = "ref";
    if (best >= YOLO_ISA_AVX2) {
        names[n++] = "avx2";
        /* avx2 with $YOLO_AVXVNNI=0: the int8 kernel's vpmaddwd form even on an AVX-VNNI CPU */
        names[n++] = "avx2-madd";
    }
    if (best >= YOLO_ISA_AVX512) {
        names[n++] = "avx512";
        /* avx512 with $YOLO_VBMI=0: the int8 table by gather even on an AVX512_VBMI CPU */
        if (cpu.avx512vbmi)
            names[n++] = "avx512-gather";
    }
    return n;
}

static int n_run, n_skipped, n_qconv_avx2, n_qconv_avxvnni, n_qconv_flat, n_qconv_vbmi;

static int cpu_avxvnni(void)
{
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    return cpu.avxvnni;
}

static void run_case(struct harness *h, const struct op_case *c, int v, uint64_t seed)
{
    struct bt t;
    bt_init(&t);
    uint64_t s = seed;
    const char *opn = yolo_op_name(c->op);
    int rc = c->build(&t, &s, v);
    rc = rc ? rc : bt_prepare(&t, seed);
    CHECK(h, rc == 0, "%s #%d: build: %s", opn, v, t.d.msg);
    if (rc) {
        bt_free(&t);
        return;
    }
    struct yolo_graph *g = &t.g;
    /* the reference: the op's ref_fn on op_check's unplanned buffers */
    op_check_run(&t.oc, 1);
    const struct yolo_node *n = &g->nodes[0];
    void *ins[YOLO_MAX_IN] = { 0 }, *refs[YOLO_MAX_OUT] = { 0 };
    g->n_inputs = g->n_outputs = 0;
    for (int k = 0; k < n->n_in; k++) {
        int32_t ti = n->in[k];
        if (ti < 0 || (g->tensors[ti].flags & YOLO_TF_CONST))
            continue;
        uint64_t b = yolo_tensor_bytes(&g->tensors[ti]);
        ins[k] = malloc(b ? b : 1);
        memcpy(ins[k], op_check_ptr(&t.oc, ti), b);
        g->tensors[ti].flags |= YOLO_TF_INPUT;
        g->inputs[g->n_inputs++] = ti;
    }
    for (int k = 0; k < n->n_out; k++) {
        int32_t to = n->out[k];
        uint64_t b = yolo_tensor_bytes(&g->tensors[to]);
        refs[k] = malloc(b ? b : 1);
        memcpy(refs[k], op_check_ptr(&t.oc, to), b);
        g->tensors[to].flags |= YOLO_TF_OUTPUT;
        g->outputs[g->n_outputs++] = to;
    }
    struct yolo_diag d = { 0 };
    CHECK(h, yolo_plan(g, NULL, &d) == 0, "%s #%d: plan: %s", opn, v, d.msg);
    for (int32_t bi = 0; bi < yolo_backend_count(); bi++) {
        const struct yolo_backend *b = yolo_backend_at(bi);
        if (b->device_count() == 0)
            continue;                    /* no such device here: reported once in main */
        if (!b->supports_node(g, n)) {
            printf("  skipped: %s #%d on %s (not supported)\n", opn, v, b->name);
            n_skipped++;
            continue;
        }
        const char *vn[5];
        int nv = variants_of(b, vn);
        for (int vi = 0; vi < nv; vi++) {
            int is_cuda = strcmp(b->name, "cuda") == 0;
            int madd = !is_cuda && vn[vi] && strcmp(vn[vi], "avx2-madd") == 0;
            int gather = !is_cuda && vn[vi] && strcmp(vn[vi], "avx512-gather") == 0;
            struct yolo_net_params np = { .isa = is_cuda ? NULL : madd ? "avx2" : gather ? "avx512" : vn[vi],
                                          .backend = b->name, .precision = is_cuda ? vn[vi] : NULL };
            if (madd)
                setenv("YOLO_AVXVNNI", "0", 1);
            if (gather)
                setenv("YOLO_VBMI", "0", 1);
            /* FP16 rounds inputs and weights to 11 bits (FP32 accumulation) */
            double bound = is_cuda && strcmp(vn[vi], "fp16") == 0 ? 1e-4 : 1e-6;
            struct yolo_net *net = NULL;
            struct yolo_runner *r = NULL;
            int e = yolo_net_create_graph(g, &np, &net, &d);
            if (madd)
                unsetenv("YOLO_AVXVNNI");
            if (gather)
                unsetenv("YOLO_VBMI");
            e = e ? e : yolo_runner_create(net, NULL, &r, &d);
            /* int8 at avx2 takes an AVX2 kernel (group 1), never the reference */
            if (!e && c->op == YOLO_OP_QCONV && !is_cuda && n->params[YOLO_CONV_GROUP] == 1 &&
                vn[vi] && !strncmp(vn[vi], "avx2", 4)) {
                const char *kn = yolo_net_kernel_name(net, 0);
                CHECK(h, !strcmp(kn, madd ? "avx2-int8" : cpu_avxvnni() ? "avxvnni-int8" : "avx2-int8"),
                      "QConv #%d at %s: kernel %s", v, vn[vi], kn);
                n_qconv_avx2 += !strcmp(kn, "avx2-int8");
                n_qconv_avxvnni += !strcmp(kn, "avxvnni-int8");
            }
            /* stride-1 and -2 group-1 QConvs narrower than their tiles take flat bands at avx512;
             * a table goes through vpermi2b where the CPU has AVX512_VBMI, unless told not to */
            if (!e && c->op == YOLO_OP_QCONV && !is_cuda && vn[vi] && !strncmp(vn[vi], "avx512", 6)) {
                const char *kn = yolo_net_kernel_name(net, 0);
                n_qconv_flat += !strncmp(kn, "vnni-int8-flat", 14);
                n_qconv_vbmi += strstr(kn, "-vbmi") != NULL;
                CHECK(h, !gather || !strstr(kn, "-vbmi"), "QConv #%d: %s despite YOLO_VBMI=0", v, kn);
            }
            CHECK(h, e == 0, "%s #%d on %s/%s: %s", opn, v, b->name, vn[vi] ? vn[vi] : "-", d.msg);
            for (int k = 0; !e && k < n->n_in; k++)
                if (ins[k])
                    e = yolo_runner_tensor_set(r, n->in[k], ins[k],
                                               yolo_tensor_bytes(&g->tensors[n->in[k]]));
            e = e ? e : yolo_runner_run(r, &d);
            for (int k = 0; !e && k < n->n_out; k++) {
                const struct yolo_tensor *T = &g->tensors[n->out[k]];
                uint64_t bytes = yolo_tensor_bytes(T);
                void *got = malloc(bytes ? bytes : 1);
                e = yolo_runner_tensor_get(r, n->out[k], got, bytes);
                const char *kn = yolo_net_kernel_name(net, 0);
                if (!e && T->dtype == YOLO_DT_F32) {
                    double err = op_check_nmse(got, refs[k], yolo_tensor_numel(T));
                    CHECK(h, err <= bound, "%s #%d output %d on %s/%s (kernel %s): nmse %g, seed %llu",
                          opn, v, k, b->name, vn[vi] ? vn[vi] : "-", kn, err,
                          (unsigned long long)seed);
                    if (c->op == YOLO_OP_QCONV && n->fparams[YOLO_QC_FP_DQS] != 0) {
                        /* on the grid: each value the reference's, but for simd.h's
                         * activation (3e-7; a value off the grid is up to half a step off;
                         * a NaN fails the nmse check above) */
                        double worst = qg_worst_rel(got, refs[k], yolo_tensor_numel(T), 1e-3);
                        CHECK(h, worst <= 1e-6, "%s #%d on %s/%s (kernel %s): a grid value "
                              "%g off (relative), seed %llu", opn, v, b->name,
                              vn[vi] ? vn[vi] : "-", kn, worst, (unsigned long long)seed);
                    }
                } else if (!e && c->op == YOLO_OP_QCONV && n->fparams[YOLO_QC_FP_OSC] != 0 &&
                           (n->params[YOLO_CONV_ACT] == YOLO_ACT_SILU ||
                            n->params[YOLO_CONV_ACT] == YOLO_ACT_SIGMOID)) {
                    /* an activation before the quantization: within one step (b_qconv) */
                    int64_t off = 0, worst = 0;
                    for (uint64_t i = 0; i < bytes; i++) {
                        int gi = T->dtype == YOLO_DT_I8 ? ((int8_t *)got)[i] : ((uint8_t *)got)[i];
                        int ri = T->dtype == YOLO_DT_I8 ? ((int8_t *)refs[k])[i]
                                                        : ((uint8_t *)refs[k])[i];
                        off += gi != ri;
                        worst = abs(gi - ri) > worst ? abs(gi - ri) : worst;
                    }
                    if (off)
                        printf("  QConv #%d on %s: %lld of %llu outputs one step off\n", v,
                               vn[vi] ? vn[vi] : "-", (long long)off, (unsigned long long)bytes);
                    CHECK(h, worst <= 1, "%s #%d output %d on %s/%s (kernel %s): %lld off, worst %lld "
                          "steps, seed %llu", opn, v, k, b->name, vn[vi] ? vn[vi] : "-", kn,
                          (long long)off, (long long)worst, (unsigned long long)seed);
                } else if (!e) {
                    CHECK(h, memcmp(got, refs[k], bytes) == 0, "%s #%d output %d on %s/%s (kernel "
                          "%s): not identical, seed %llu", opn, v, k, b->name,
                          vn[vi] ? vn[vi] : "-", kn, (unsigned long long)seed);
                }
                free(got);
            }
            CHECK(h, e == 0, "%s #%d on %s: run: status %d %s", opn, v, b->name, e, d.msg);
            n_run++;
            yolo_runner_free(r);
            yolo_net_free(net);
        }
    }
    for (int k = 0; k < YOLO_MAX_IN; k++)
        free(ins[k]);
    for (int k = 0; k < YOLO_MAX_OUT; k++)
        free(refs[k]);
    bt_free(&t);
}

int main(void)
{
    HARNESS_INIT(h, "test_backend_ops");
    printf("test_backend_ops: seed %u, backends:", SEED);
    const char *req = getenv("YOLO_TEST_REQUIRE_CUDA");
    int need_cuda = req && strcmp(req, "1") == 0, have_cuda = 0;
    for (int32_t i = 0; i < yolo_backend_count(); i++) {
        const struct yolo_backend *b = yolo_backend_at(i);
        int32_t nd = b->device_count();
        printf(" %s%s", b->name, nd ? "" : " (no device here: skipped)");
        have_cuda |= strcmp(b->name, "cuda") == 0 && nd > 0;
    }
    printf("\n");
    /* make test-cuda sets it: on the GPU machine a missing device is a failure, not a skip */
    CHECK(&h, !need_cuda || have_cuda, "YOLO_TEST_REQUIRE_CUDA=1 but no CUDA backend with a device");
    int covered[YOLO_OP_COUNT] = { 0 };
    uint64_t seed = SEED;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        covered[cases[i].op] = 1;
        for (int v = 0; v < cases[i].n_variants; v++)
            run_case(&h, &cases[i], v, seed++);
    }
    for (int op = 0; op < YOLO_OP_COUNT; op++)
        CHECK(&h, covered[op], "op %s has no case here: add one", yolo_op_name((enum yolo_op)op));
    printf("test_backend_ops: %d op runs on backends, %d skipped\n", n_run, n_skipped);
    printf("test_backend_ops: QConv on the AVX2 int8 kernels: %d vpmaddwd, %d AVX-VNNI\n",
           n_qconv_avx2, n_qconv_avxvnni);
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    if (yolo_isa_select(&cpu, NULL) >= YOLO_ISA_AVX2)
        CHECK(&h, n_qconv_avx2 > 0 && (!cpu.avxvnni || n_qconv_avxvnni > 0),
              "the AVX2 int8 kernels never ran");
    printf("test_backend_ops: QConv on flat bands (VNNI): %d, table by vpermi2b: %d\n",
           n_qconv_flat, n_qconv_vbmi);
    if (yolo_isa_select(&cpu, NULL) >= YOLO_ISA_AVX512 && cpu.avx512vnni) {
        int nv = cpu.avx512vbmi ? 2 : 1;   /* avx512, and avx512-gather */
        CHECK(&h, n_qconv_flat == 16 * nv, "flat-band QConvs: %d ran, %d expected (all but 4, "
              "the grouped one)", n_qconv_flat, 16 * nv);
        CHECK(&h, n_qconv_vbmi == (cpu.avx512vbmi ? 2 : 0), "vpermi2b table QConvs: %d ran, %d "
              "expected (0 6)", n_qconv_vbmi, cpu.avx512vbmi ? 2 : 0);
    }
    return harness_finish(&h);
}
