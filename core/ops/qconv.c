/* ops/qconv.c: QConv, a project-internal op: 2-D convolution on 8-bit activations and
 * weights with int32 accumulation, as ONNX Runtime's QLinearConv computes a QDQ model's
 * DequantizeLinear -> Conv -> QuantizeLinear. Made by the fuse_qdq pass (core/opt/), never
 * imported.
 *
 * Inputs (enum YOLO_QC_IN_* in op_params.h):
 *   X   [N, C, H, W] uint8 or int8, zero point params[YOLO_QC_XZP]
 *   W   [M, C/group, KH, KW] int8 const, symmetric (zero point 0)
 *   B   [M] int32 const or absent (-1): the bias in accumulator units
 *   WS  [M] float32 const: the value of one accumulator unit in output units,
 *       x_scale * w_scale[m] / y_scale (quantized Y) or x_scale * w_scale[m] (float Y)
 *   LUT [256] uint8 const or absent: applied to each quantized output byte (a fused
 *       DequantizeLinear -> SiLU -> QuantizeLinear, the table made by the pass)
 * Output Y [N, M, OH, OW]: uint8 or int8 with zero point params[YOLO_QC_YZP], or float32
 * (then params[YOLO_CONV_ACT] applies, no LUT). fparams[YOLO_QC_FP_OSC] > 0 (a fused
 * QuantizeLinear, core/opt/fuse_qconv_q.c): a quantized output made from the float one,
 * q = sat(round_half_even(act(v) / osc) + y_zp) with WS in float units; no LUT.
 * fparams[YOLO_QC_FP_DQS] > 0 on a float output (a fused QuantizeLinear -> DequantizeLinear
 * pair, core/opt/fuse_qdq.c): v is first rounded to the params[YOLO_QC_GDT] grid as the
 * quantized output would be, then dequantized as DequantizeLinear does: act((float)(q - y_zp)
 * * dqs), WS in the grid's units. A QDQ model's float glue (SiLU, Split, Add, Concat) then
 * reads the convolution's output with no pass of its own between.
 * params: Conv's layout (enum yolo_conv_param), then YOLO_QC_*.
 *
 * Per output value: acc = sum (x - x_zp) * w over the window (pads contribute 0, i.e. they
 * hold x_zp); v = (float)(acc + B[m]) * WS[m]; quantized: q = sat(round_half_even(v) +
 * y_zp), then LUT[q]; float: act(v); with osc: QuantizeLinear's sat(rint(act(v) / osc) +
 * y_zp), the same IEEE division. This is ONNX Runtime's QLinearConv requantization (bias
 * added in int32, one float multiplier per channel), so a QDQ model computes what it
 * computes there. Every backend's kernel computes exactly this (the accumulation is exact in
 * int32, the epilogue the same float operations), so kernels match the reference bit for
 * bit, except for an activation in params: simd.h's is within 3e-7 relative of expf's (and
 * the CPU kernels fold SiLU's division and osc's into one), so an activated output,
 * quantized with osc, may land one step away where act(v) / osc is that close to a
 * rounding tie. int32 cannot overflow: |acc| <= 255 * 128 * K < 2^30 with
 * shape_fn's bound on K = C/group * KH * KW, and shape_fn bounds |B| by 2^30. */
#include "broadcast.h"
#include "op_params.h"
#include "quant.h"

#define QCONV_K_MAX 32768
#define QCONV_B_MAX (1 << 30)

static int qconv_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    const int64_t *p = n->params;
    if (n->n_in != YOLO_QC_N_IN || n->in[YOLO_QC_IN_X] < 0 || n->in[YOLO_QC_IN_X] >= g->n_tensors)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects %d inputs", YOLO_QC_N_IN);
    for (int k = 0; k < n->n_in; k++)
        if (n->in[k] >= g->n_tensors || (n->in[k] < 0 && k != YOLO_QC_IN_B && k != YOLO_QC_IN_LUT))
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input %d missing or invalid", k);
    enum yolo_dtype xdt = g->tensors[n->in[YOLO_QC_IN_X]].dtype;
    int64_t odt = p[YOLO_QC_ODT];
    if (xdt != YOLO_DT_U8 && xdt != YOLO_DT_I8)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "X is %s, must be uint8 or int8",
                               yolo_dtype_name(xdt));
    if (odt != YOLO_DT_U8 && odt != YOLO_DT_I8 && odt != YOLO_DT_F32)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "output dtype %lld is not uint8, int8 or "
                               "float32", (long long)odt);
    float xlo, xhi, ylo = 0, yhi = 0, dqs = n->fparams[YOLO_QC_FP_DQS];
    int64_t gdt = p[YOLO_QC_GDT];
    if (dqs != 0 && (odt != YOLO_DT_F32 || !isnormal(dqs) || dqs < 0 ||
                     (gdt != YOLO_DT_U8 && gdt != YOLO_DT_I8)))
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "dequantize scale %g: must be 0, or a positive "
                               "normal float on a float output with a uint8 or int8 grid",
                               (double)dqs);
    if (dqs == 0 && gdt != 0)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "an output grid without a dequantize scale");
    yolo_quant_range(xdt, &xlo, &xhi);
    if (odt != YOLO_DT_F32 || dqs != 0)
        yolo_quant_range((enum yolo_dtype)(dqs != 0 ? gdt : odt), &ylo, &yhi);
    if (p[YOLO_QC_XZP] < xlo || p[YOLO_QC_XZP] > xhi || p[YOLO_QC_YZP] < ylo || p[YOLO_QC_YZP] > yhi)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "zero point out of its dtype's range");
    int32_t bt = n->in[YOLO_QC_IN_B];
    n->in[YOLO_QC_IN_B] = -1;     /* Conv's checks want a float bias: the int32 one is ours */
    int rc = yolo_conv_check(g, n, YOLO_QC_N_IN, xdt, YOLO_DT_I8, (enum yolo_dtype)odt, d);
    n->in[YOLO_QC_IN_B] = bt;
    if (rc)
        return rc;
    const struct yolo_tensor *W = &g->tensors[n->in[YOLO_QC_IN_W]];
    const struct yolo_tensor *WS = &g->tensors[n->in[YOLO_QC_IN_WS]];
    int64_t M = W->shape[0], K = W->shape[1] * W->shape[2] * W->shape[3];
    if (K > QCONV_K_MAX)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "%lld inputs per output exceed the "
                               "int32 accumulator's bound %d", (long long)K, QCONV_K_MAX);
    if (!(W->flags & YOLO_TF_CONST) || !(WS->flags & YOLO_TF_CONST) || WS->dtype != YOLO_DT_F32 ||
        WS->ndim != 1 || WS->shape[0] != M)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "weights and their scales must be constants, "
                               "scales float32 [%lld]", (long long)M);
    const float *ws = yolo_graph_const_data(g, n->in[YOLO_QC_IN_WS]);
    for (int64_t m = 0; m < M; m++)
        if (!isfinite(ws[m]))
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "weight scale %lld is not finite",
                                   (long long)m);
    if (bt >= 0) {
        const struct yolo_tensor *B = &g->tensors[bt];
        if (!(B->flags & YOLO_TF_CONST) || B->dtype != YOLO_DT_I32 || B->ndim != 1 ||
            B->shape[0] != M)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "bias must be an int32 [%lld] constant",
                                   (long long)M);
        const int32_t *b = yolo_graph_const_data(g, bt);
        for (int64_t m = 0; m < M; m++)
            if (b[m] > QCONV_B_MAX || b[m] < -QCONV_B_MAX)
                return yolo_node_error(d, YOLO_ERR_FORMAT, n, "bias %lld = %d is out of range",
                                       (long long)m, b[m]);
    }
    int32_t lt = n->in[YOLO_QC_IN_LUT];
    if (lt >= 0) {
        const struct yolo_tensor *L = &g->tensors[lt];
        if (!(L->flags & YOLO_TF_CONST) || L->dtype != YOLO_DT_U8 || yolo_tensor_numel(L) != 256 ||
            odt == YOLO_DT_F32)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "the output table must be a uint8 [256] "
                                   "constant on a quantized output");
    }
    float osc = n->fparams[YOLO_QC_FP_OSC];
    if (osc != 0 && (odt == YOLO_DT_F32 || lt >= 0 || !isnormal(osc) || osc < 0))
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "output scale %g: must be 0, or a positive "
                               "normal float on a quantized output without a table", (double)osc);
    if (odt != YOLO_DT_F32 && osc == 0 && p[YOLO_CONV_ACT] != YOLO_ACT_NONE)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "a quantized output takes its activation "
                               "from the table, not params");
    return 0;
}

/* Direct loops, as ops/conv.c; threads split the (batch, output channel) planes. */
static void qconv_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_graph *g = x->g;
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &g->tensors[n->in[YOLO_QC_IN_X]];
    const struct yolo_tensor *Wt = &g->tensors[n->in[YOLO_QC_IN_W]];
    const struct yolo_tensor *Y = &g->tensors[n->out[0]];
    const uint8_t *xd = yolo_exec_ptr(x, n->in[YOLO_QC_IN_X]);
    const int8_t *wd = yolo_exec_ptr(x, n->in[YOLO_QC_IN_W]);
    const float *ws = yolo_exec_ptr(x, n->in[YOLO_QC_IN_WS]);
    const int32_t *bd = n->in[YOLO_QC_IN_B] >= 0 ? yolo_exec_ptr(x, n->in[YOLO_QC_IN_B]) : NULL;
    const uint8_t *lut = n->in[YOLO_QC_IN_LUT] >= 0 ? yolo_exec_ptr(x, n->in[YOLO_QC_IN_LUT]) : NULL;
    uint8_t *yq = yolo_exec_ptr(x, n->out[0]);
    float *yf = (float *)(void *)yq;
    int sx = X->dtype == YOLO_DT_I8;
    int64_t odt = p[YOLO_QC_ODT];
    float lo = 0, hi = 0, yzp = (float)p[YOLO_QC_YZP], dqs = n->fparams[YOLO_QC_FP_DQS];
    if (odt != YOLO_DT_F32 || dqs != 0)
        yolo_quant_range((enum yolo_dtype)(dqs != 0 ? p[YOLO_QC_GDT] : odt), &lo, &hi);
    int32_t xzp = (int32_t)p[YOLO_QC_XZP];
    float osc = n->fparams[YOLO_QC_FP_OSC];
    int64_t N = X->shape[0], C = X->shape[1], H = X->shape[2], W = X->shape[3];
    int64_t M = Y->shape[1], OH = Y->shape[2], OW = Y->shape[3];
    int64_t KH = p[YOLO_CONV_KH], KW = p[YOLO_CONV_KW], G = p[YOLO_CONV_GROUP];
    int64_t SH = p[YOLO_CONV_SH], SW = p[YOLO_CONV_SW], DH = p[YOLO_CONV_DH], DW = p[YOLO_CONV_DW];
    int64_t PT = p[YOLO_CONV_PT], PL = p[YOLO_CONV_PL];
    int64_t Cg = Wt->shape[1], Mg = M / G;
    int64_t planes = N * M, plo = planes * ith / nth, phi = planes * (ith + 1) / nth;
    for (int64_t pl = plo; pl < phi; pl++) {
        int64_t b = pl / M, m = pl % M, grp = m / Mg;
        const uint8_t *xg = xd + (b * C + grp * Cg) * H * W;
        const int8_t *wm = wd + m * Cg * KH * KW;
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++) {
                int32_t acc = 0;
                for (int64_t c = 0; c < Cg; c++)
                    for (int64_t ky = 0; ky < KH; ky++) {
                        int64_t iy = oy * SH - PT + ky * DH;
                        if (iy < 0 || iy >= H)
                            continue;
                        for (int64_t kx = 0; kx < KW; kx++) {
                            int64_t ix = ox * SW - PL + kx * DW;
                            if (ix < 0 || ix >= W)
                                continue;
                            uint8_t raw = xg[(c * H + iy) * W + ix];
                            int32_t xv = sx ? (int32_t)(int8_t)raw : (int32_t)raw;
                            acc += (xv - xzp) * wm[(c * KH + ky) * KW + kx];
                        }
                    }
                float v = (float)(acc + (bd ? bd[m] : 0)) * ws[m];
                int64_t o = pl * OH * OW + oy * OW + ox;
                if (odt == YOLO_DT_F32 && dqs != 0) {
                    /* QuantizeLinear, then DequantizeLinear's (float)(q - zp) * scale */
                    int32_t q = (int32_t)yolo_quant_value(v, yzp, lo, hi);
                    yf[o] = yolo_act_apply((float)(q - (int32_t)yzp) * dqs, p[YOLO_CONV_ACT]);
                } else if (odt == YOLO_DT_F32) {
                    yf[o] = yolo_act_apply(v, p[YOLO_CONV_ACT]);
                } else if (osc != 0) {
                    float a = yolo_act_apply(v, p[YOLO_CONV_ACT]);
                    yq[o] = (uint8_t)yolo_quant_value(a / osc, yzp, lo, hi);
                } else {
                    uint8_t q = (uint8_t)yolo_quant_value(v, yzp, lo, hi);
                    yq[o] = lut ? lut[q] : q;
                }
            }
    }
}

static double qconv_flops(const struct yolo_graph *g, const struct yolo_node *n)
{
    const struct yolo_tensor *W = &g->tensors[n->in[1]], *Y = &g->tensors[n->out[0]];
    return (double)yolo_tensor_numel(Y) * (double)(W->shape[1] * W->shape[2] * W->shape[3]);
}

const struct yolo_op_impl yolo_op_qconv = {
    NULL, "QConv", NULL, qconv_shape, qconv_ref, qconv_flops
};
