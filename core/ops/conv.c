/* ops/conv.c: Conv (ONNX opsets 1..22), 2-D (4-D tensors) only: import, shape inference,
 * reference kernel; faster kernels are the backends' (see Kernels below).
 *
 * Inputs X [N, C, H, W] f32, W [M, C/group, KH, KW] f32, optional B [M] f32 (in[2] = -1 or
 * n_in = 2 when absent). Output Y [N, M, OH, OW] f32.
 * params (enum yolo_conv_param in yolo_core.h):
 *   KH KW        kernel size; 0 after import when kernel_shape is absent: shape_fn takes it
 *                from W
 *   SH SW DH DW  strides, dilations (>= 1)
 *   PT PL PB PR  pads top, left, bottom, right (ONNX order is [x1_begin, x2_begin, x1_end,
 *                x2_end]); recomputed by shape_fn from the input size when AUTO_PAD != 0
 *   GROUP        groups (C and M divisible by it; depthwise is GROUP == C)
 *   ACT          enum yolo_act, fused by an optimizer pass; applied after the bias
 *   AUTO_PAD     0 NOTSET, 1 SAME_UPPER, 2 SAME_LOWER, 3 VALID
 *   PREC         enum yolo_conv_prec, set by the bf16 pass (core/opt/bf16.c); the reference
 *                kernel computes in float32 whatever it says
 * Kernels: ref (here); the CPU backend's (core/cpu/select.c: Winograd F(4x4,3x3) and GEMM8
 * on weights it packs at load, a direct depthwise kernel, im2col + OpenBLAS).
 * shape_fn also guarantees what the GEMM kernel passes to cblas as int: M, K = C/group*KH*KW
 * and OH*OW all fit in int32.
 */
#include <stdint.h>
#include <string.h>

#include "op_params.h"

#define CONV_PARAM_MAX ((int64_t)1 << 20) /* bound on kernel/stride/dilation/pad values */

static int attr_bad(struct yolo_diag *d, const struct yolo_node *n, const char *name)
{
    return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute '%s' has the wrong type", name);
}

/* Reads an ints attribute of exactly `want` values (or absent: `def` everywhere). */
static int attr_pair(struct yolo_attrs *a, struct yolo_node *n, const char *name, int32_t want,
                     int64_t def, int64_t *dst, struct yolo_diag *d)
{
    int bad = 0;
    int32_t cnt = 0;
    const int64_t *v = yolo_attr_ints(a, name, &cnt, &bad);
    if (bad)
        return attr_bad(d, n, name);
    if (!v) {
        for (int32_t i = 0; i < want; i++)
            dst[i] = def;
        return 0;
    }
    if (cnt != want)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "attribute '%s' has %d values; only "
                               "2-D convolution (%d values) is supported", name, cnt, want);
    memcpy(dst, v, sizeof *dst * (size_t)want);
    return 0;
}

static int conv_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                       struct yolo_diag *d)
{
    (void)g;
    int bad = 0;
    int64_t ks[2], st[2], dl[2], pd[4];
    if (n->n_in < 2 || n->n_in > 3 || n->n_out != 1)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects 2 or 3 inputs and 1 output, has "
                               "%d and %d", n->n_in, n->n_out);
    const char *ap = yolo_attr_str(a, "auto_pad", "NOTSET", &bad);
    if (bad)
        return attr_bad(d, n, "auto_pad");
    int64_t auto_pad;
    if (strcmp(ap, "NOTSET") == 0)
        auto_pad = 0;
    else if (strcmp(ap, "SAME_UPPER") == 0)
        auto_pad = 1;
    else if (strcmp(ap, "SAME_LOWER") == 0)
        auto_pad = 2;
    else if (strcmp(ap, "VALID") == 0)
        auto_pad = 3;
    else
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "auto_pad '%s' is not supported", ap);
    int rc;
    if ((rc = attr_pair(a, n, "kernel_shape", 2, 0, ks, d)) ||
        (rc = attr_pair(a, n, "strides", 2, 1, st, d)) ||
        (rc = attr_pair(a, n, "dilations", 2, 1, dl, d)) ||
        (rc = attr_pair(a, n, "pads", 4, 0, pd, d)))
        return rc;
    int64_t group = yolo_attr_int(a, "group", 1, &bad);
    if (bad)
        return attr_bad(d, n, "group");
    /* ONNX: "pads ... cannot be used simultaneously with auto_pad"; exporters do write zero
     * pads next to VALID, which is harmless. */
    if (auto_pad && (pd[0] || pd[1] || pd[2] || pd[3]))
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "explicit pads together with auto_pad '%s'",
                               ap);
    n->params[YOLO_CONV_KH] = ks[0];
    n->params[YOLO_CONV_KW] = ks[1];
    n->params[YOLO_CONV_SH] = st[0];
    n->params[YOLO_CONV_SW] = st[1];
    n->params[YOLO_CONV_DH] = dl[0];
    n->params[YOLO_CONV_DW] = dl[1];
    n->params[YOLO_CONV_PT] = pd[0];
    n->params[YOLO_CONV_PL] = pd[1];
    n->params[YOLO_CONV_PB] = pd[2];
    n->params[YOLO_CONV_PR] = pd[3];
    n->params[YOLO_CONV_GROUP] = group;
    n->params[YOLO_CONV_ACT] = YOLO_ACT_NONE;
    n->params[YOLO_CONV_AUTO_PAD] = auto_pad;
    return 0;
}

/* Input slot i as a tensor: NULL when absent; *err set when the index is corrupt. */
static const struct yolo_tensor *input(const struct yolo_graph *g, const struct yolo_node *n,
                                       int i, int *err)
{
    if (i >= n->n_in || n->in[i] < 0)
        return NULL;
    if (n->in[i] >= g->n_tensors) {
        *err = 1;
        return NULL;
    }
    return &g->tensors[n->in[i]];
}

/* Output length of one spatial axis; fixes the pads for auto_pad. -1 if not positive. */
static int64_t out_len(int64_t in, int64_t k, int64_t s, int64_t dil, int64_t auto_pad,
                       int64_t *pad_lo, int64_t *pad_hi)
{
    int64_t ek = (k - 1) * dil + 1;
    if (auto_pad == 1 || auto_pad == 2) {
        /* ONNX: SAME_* gives out = ceil(in / s); an odd total pad puts the extra one at the
         * end for SAME_UPPER, at the beginning for SAME_LOWER */
        int64_t out = (in + s - 1) / s;
        int64_t total = (out - 1) * s + ek - in;
        if (total < 0)
            total = 0;
        *pad_lo = auto_pad == 1 ? total / 2 : total - total / 2;
        *pad_hi = total - *pad_lo;
        return out;
    }
    if (auto_pad == 3)
        *pad_lo = *pad_hi = 0;
    int64_t span = in + *pad_lo + *pad_hi;
    if (span < ek)
        return -1;
    return (span - ek) / s + 1;
}

int yolo_conv_check(struct yolo_graph *g, struct yolo_node *n, int max_in, enum yolo_dtype xdt,
                    enum yolo_dtype wdt, enum yolo_dtype ydt, struct yolo_diag *d)
{
    int64_t *p = n->params;
    int err = 0;
    if (n->n_in < 2 || n->n_in > max_in || n->n_out != 1 || n->out[0] < 0 ||
        n->out[0] >= g->n_tensors)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects 2 to %d inputs and 1 output", max_in);
    const struct yolo_tensor *X = input(g, n, 0, &err), *W = input(g, n, 1, &err);
    const struct yolo_tensor *B = input(g, n, 2, &err);
    if (err || !X || !W)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "missing or invalid input X or W");
    if (X->dtype != xdt || W->dtype != wdt || (B && B->dtype != YOLO_DT_F32))
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "inputs are %s, %s%s; supported: %s, "
                               "%s, float32 bias", yolo_dtype_name(X->dtype),
                               yolo_dtype_name(W->dtype), B ? ", bias" : "",
                               yolo_dtype_name(xdt), yolo_dtype_name(wdt));
    if (X->ndim != 4 || W->ndim != 4)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "only 2-D convolution is supported "
                               "(X rank %d, W rank %d, both must be 4)", X->ndim, W->ndim);
    if (yolo_tensor_numel(X) <= 0 || yolo_tensor_numel(W) <= 0)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "empty or invalid X or W shape");
    if (p[YOLO_CONV_KH] == 0)
        p[YOLO_CONV_KH] = W->shape[2];
    if (p[YOLO_CONV_KW] == 0)
        p[YOLO_CONV_KW] = W->shape[3];
    static const int ranged[] = { YOLO_CONV_KH, YOLO_CONV_KW, YOLO_CONV_SH, YOLO_CONV_SW,
                                  YOLO_CONV_DH, YOLO_CONV_DW };
    for (size_t i = 0; i < sizeof ranged / sizeof ranged[0]; i++)
        if (p[ranged[i]] < 1 || p[ranged[i]] > CONV_PARAM_MAX)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "kernel, stride or dilation value %lld "
                                   "out of range", (long long)p[ranged[i]]);
    for (int i = YOLO_CONV_PT; i <= YOLO_CONV_PR && p[YOLO_CONV_AUTO_PAD] == 0; i++)
        if (p[i] < 0 || p[i] > CONV_PARAM_MAX)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "pad %lld out of range", (long long)p[i]);
    if (p[YOLO_CONV_ACT] < YOLO_ACT_NONE || p[YOLO_CONV_ACT] > YOLO_ACT_SILU)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "unknown fused activation %lld",
                               (long long)p[YOLO_CONV_ACT]);
    if (p[YOLO_CONV_AUTO_PAD] < 0 || p[YOLO_CONV_AUTO_PAD] > 3)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "unknown auto_pad %lld",
                               (long long)p[YOLO_CONV_AUTO_PAD]);
    if (p[YOLO_CONV_PREC] != YOLO_CONV_PREC_FP32 && p[YOLO_CONV_PREC] != YOLO_CONV_PREC_BF16)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "unknown precision %lld",
                               (long long)p[YOLO_CONV_PREC]);
    int64_t N = X->shape[0], C = X->shape[1], H = X->shape[2], Wd = X->shape[3];
    int64_t M = W->shape[0], group = p[YOLO_CONV_GROUP];
    if (group < 1 || C % group != 0 || M % group != 0)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "group %lld does not divide input channels "
                               "%lld and output channels %lld", (long long)group, (long long)C,
                               (long long)M);
    if (W->shape[1] != C / group)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "W has %lld input channels per group, X has "
                               "%lld channels in %lld groups", (long long)W->shape[1],
                               (long long)C, (long long)group);
    if (W->shape[2] != p[YOLO_CONV_KH] || W->shape[3] != p[YOLO_CONV_KW])
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "kernel_shape %lldx%lld does not match W "
                               "%lldx%lld", (long long)p[YOLO_CONV_KH], (long long)p[YOLO_CONV_KW],
                               (long long)W->shape[2], (long long)W->shape[3]);
    if (B && (B->ndim != 1 || B->shape[0] != M))
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "bias must have shape [%lld]", (long long)M);
    int64_t ap = p[YOLO_CONV_AUTO_PAD];
    int64_t oh = out_len(H, p[YOLO_CONV_KH], p[YOLO_CONV_SH], p[YOLO_CONV_DH], ap,
                         &p[YOLO_CONV_PT], &p[YOLO_CONV_PB]);
    int64_t ow = out_len(Wd, p[YOLO_CONV_KW], p[YOLO_CONV_SW], p[YOLO_CONV_DW], ap,
                         &p[YOLO_CONV_PL], &p[YOLO_CONV_PR]);
    if (oh < 1 || ow < 1)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input %lldx%lld is smaller than the "
                               "dilated kernel", (long long)H, (long long)Wd);
    /* cblas takes int dimensions */
    if (M > INT32_MAX || oh * ow > INT32_MAX || W->shape[1] * W->shape[2] * W->shape[3] > INT32_MAX)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "convolution too large");
    struct yolo_tensor *Y = &g->tensors[n->out[0]];
    Y->dtype = ydt;
    Y->ndim = 4;
    Y->shape[0] = N;
    Y->shape[1] = M;
    Y->shape[2] = oh;
    Y->shape[3] = ow;
    if (yolo_tensor_bytes(Y) == 0)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "output too large");
    return 0;
}

static int conv_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    return yolo_conv_check(g, n, 3, YOLO_DT_F32, YOLO_DT_F32, YOLO_DT_F32, d);
}

/* Direct loops; threads split the (batch, output channel) planes. */
static void conv_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_graph *g = x->g;
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Wt = &g->tensors[n->in[1]];
    const struct yolo_tensor *Y = &g->tensors[n->out[0]];
    const float *xd = yolo_exec_ptr(x, n->in[0]), *wd = yolo_exec_ptr(x, n->in[1]);
    const float *bd = (n->n_in > 2 && n->in[2] >= 0) ? yolo_exec_ptr(x, n->in[2]) : NULL;
    float *yd = yolo_exec_ptr(x, n->out[0]);
    int64_t N = X->shape[0], C = X->shape[1], H = X->shape[2], W = X->shape[3];
    int64_t M = Y->shape[1], OH = Y->shape[2], OW = Y->shape[3];
    int64_t KH = p[YOLO_CONV_KH], KW = p[YOLO_CONV_KW], G = p[YOLO_CONV_GROUP];
    int64_t SH = p[YOLO_CONV_SH], SW = p[YOLO_CONV_SW], DH = p[YOLO_CONV_DH], DW = p[YOLO_CONV_DW];
    int64_t PT = p[YOLO_CONV_PT], PL = p[YOLO_CONV_PL];
    int64_t Cg = Wt->shape[1], Mg = M / G;
    int64_t planes = N * M, lo = planes * ith / nth, hi = planes * (ith + 1) / nth;
    for (int64_t pl = lo; pl < hi; pl++) {
        int64_t b = pl / M, m = pl % M, grp = m / Mg;
        const float *xg = xd + (b * C + grp * Cg) * H * W;
        const float *wm = wd + m * Cg * KH * KW;
        float *ym = yd + pl * OH * OW;
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++) {
                float acc = bd ? bd[m] : 0.0f;
                for (int64_t c = 0; c < Cg; c++)
                    for (int64_t ky = 0; ky < KH; ky++) {
                        int64_t iy = oy * SH - PT + ky * DH;
                        if (iy < 0 || iy >= H)
                            continue;
                        for (int64_t kx = 0; kx < KW; kx++) {
                            int64_t ix = ox * SW - PL + kx * DW;
                            if (ix < 0 || ix >= W)
                                continue;
                            acc += xg[(c * H + iy) * W + ix] * wm[(c * KH + ky) * KW + kx];
                        }
                    }
                ym[oy * OW + ox] = yolo_act_apply(acc, p[YOLO_CONV_ACT]);
            }
    }
}

static double conv_flops(const struct yolo_graph *g, const struct yolo_node *n)
{
    const struct yolo_tensor *W = &g->tensors[n->in[1]], *Y = &g->tensors[n->out[0]];
    return (double)yolo_tensor_numel(Y) * (double)(W->shape[1] * W->shape[2] * W->shape[3]);
}

const struct yolo_op_impl yolo_op_conv = {
    .onnx_name = "Conv",
    .display_name = "Conv",
    .import_fn = conv_import,
    .shape_fn = conv_shape,
    .ref_fn = conv_ref,
    .flops_fn = conv_flops,
};
