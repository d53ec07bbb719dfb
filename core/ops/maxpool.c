/* ops/maxpool.c: MaxPool (ONNX opsets 1..22), 2-D (4-D tensors) only, no Indices output:
 * import, shape inference, reference kernel.
 *
 * X [N, C, H, W] f32 -> Y [N, C, OH, OW]. Pads take no part in the max (ONNX: "maximum
 * number of elements exclude pad"); a window that holds no input element gives -FLT_MAX.
 * Output length per axis: floor((in + pad_begin + pad_end - ((k-1)*d + 1)) / s) + 1, ceil
 * instead of floor with ceil_mode, in which case a last window starting inside the end pad
 * is dropped (as PyTorch does and the ONNX reference implementation follows).
 * auto_pad SAME_UPPER/SAME_LOWER: out = ceil(in / s), pads (out-1)*s + (k-1)*d + 1 - in split
 * with the odd one at the end (UPPER) or begin (LOWER); VALID: no pads.
 * params: [0] KH [1] KW [2] SH [3] SW [4] PT [5] PL [6] PB [7] PR [8] DH [9] DW [10] ceil_mode
 *         [11] auto_pad (0 NOTSET, 1 SAME_UPPER, 2 SAME_LOWER, 3 VALID; pads fixed by shape_fn)
 */
#include <float.h>
#include <string.h>

#include "op_params.h"

#define YOLO_MP_PARAM_MAX ((int64_t)1 << 20)

static int read_ints(struct yolo_attrs *a, struct yolo_node *n, const char *name, int32_t want,
                     int64_t def, int64_t *dst, int required, struct yolo_diag *d)
{
    int bad = 0;
    int32_t cnt = 0;
    const int64_t *v = yolo_attr_ints(a, name, &cnt, &bad);
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute '%s' has the wrong type", name);
    if (!v && required)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute '%s' is required", name);
    if (v && cnt != want)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "attribute '%s' has %d values; only "
                               "2-D pooling (%d values) is supported", name, cnt, want);
    for (int32_t i = 0; i < want; i++)
        dst[i] = v ? v[i] : def;
    return 0;
}

static int maxpool_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                          struct yolo_diag *d)
{
    (void)g;
    int bad = 0, rc;
    int64_t *p = n->params;
    if (n->n_in != 1)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects 1 input, has %d", n->n_in);
    if (n->n_out != 1)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "the Indices output is not supported");
    const char *ap = yolo_attr_str(a, "auto_pad", "NOTSET", &bad);
    int64_t ceil_mode = yolo_attr_int(a, "ceil_mode", 0, &bad);
    (void)yolo_attr_int(a, "storage_order", 0, &bad);     /* only affects Indices */
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "an attribute has the wrong type");
    if (strcmp(ap, "NOTSET") == 0)
        p[YOLO_MP_AUTO_PAD] = 0;
    else if (strcmp(ap, "SAME_UPPER") == 0)
        p[YOLO_MP_AUTO_PAD] = 1;
    else if (strcmp(ap, "SAME_LOWER") == 0)
        p[YOLO_MP_AUTO_PAD] = 2;
    else if (strcmp(ap, "VALID") == 0)
        p[YOLO_MP_AUTO_PAD] = 3;
    else
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "auto_pad '%s' is not supported", ap);
    if ((rc = read_ints(a, n, "kernel_shape", 2, 0, &p[YOLO_MP_KH], 1, d)) ||
        (rc = read_ints(a, n, "strides", 2, 1, &p[YOLO_MP_SH], 0, d)) ||
        (rc = read_ints(a, n, "pads", 4, 0, &p[YOLO_MP_PT], 0, d)) ||
        (rc = read_ints(a, n, "dilations", 2, 1, &p[YOLO_MP_DH], 0, d)))
        return rc;
    if (p[YOLO_MP_AUTO_PAD] && (p[YOLO_MP_PT] || p[YOLO_MP_PL] || p[YOLO_MP_PB] || p[YOLO_MP_PR]))
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "explicit pads together with auto_pad '%s'",
                               ap);
    p[YOLO_MP_CEIL] = ceil_mode;
    return 0;
}

/* Output length of one axis (fixes the pads for auto_pad); < 1 when nothing fits. */
static int64_t out_len(int64_t in, int64_t k, int64_t s, int64_t dil, int64_t auto_pad,
                       int64_t ceil_mode, int64_t *lo, int64_t *hi)
{
    int64_t ek = (k - 1) * dil + 1;
    if (auto_pad == 1 || auto_pad == 2) {
        int64_t out = (in + s - 1) / s, total = (out - 1) * s + ek - in;
        total = total < 0 ? 0 : total;
        *lo = auto_pad == 1 ? total / 2 : total - total / 2;
        *hi = total - *lo;
        return out;
    }
    if (auto_pad == 3)
        *lo = *hi = 0;
    int64_t span = in + *lo + *hi - ek;
    if (span < 0)
        return 0;
    int64_t out = (ceil_mode ? span + s - 1 : span) / s + 1;
    if (ceil_mode && (out - 1) * s >= in + *lo)      /* would start inside the end pad */
        out--;
    return out;
}

static int maxpool_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int64_t *p = n->params;
    if (n->n_in != 1 || n->n_out != 1 || n->in[0] < 0 || n->in[0] >= g->n_tensors ||
        n->out[0] < 0 || n->out[0] >= g->n_tensors)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects 1 input and 1 output");
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    if (X->dtype != YOLO_DT_F32)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "only float32 is supported");
    if (X->ndim != 4 || yolo_tensor_numel(X) < 0)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "only 2-D pooling of 4-D input is "
                               "supported (rank %d)", X->ndim);
    static const int ranged[] = { YOLO_MP_KH, YOLO_MP_KW, YOLO_MP_SH, YOLO_MP_SW, YOLO_MP_DH, YOLO_MP_DW };
    for (size_t i = 0; i < sizeof ranged / sizeof ranged[0]; i++)
        if (p[ranged[i]] < 1 || p[ranged[i]] > YOLO_MP_PARAM_MAX)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "kernel, stride or dilation value %lld "
                                   "out of range", (long long)p[ranged[i]]);
    if (p[YOLO_MP_AUTO_PAD] < 0 || p[YOLO_MP_AUTO_PAD] > 3 || p[YOLO_MP_CEIL] < 0 || p[YOLO_MP_CEIL] > 1)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "bad auto_pad or ceil_mode");
    for (int i = YOLO_MP_PT; i <= YOLO_MP_PR && p[YOLO_MP_AUTO_PAD] == 0; i++)
        if (p[i] < 0 || p[i] > YOLO_MP_PARAM_MAX)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "pad %lld out of range", (long long)p[i]);
    int64_t oh = out_len(X->shape[2], p[YOLO_MP_KH], p[YOLO_MP_SH], p[YOLO_MP_DH], p[YOLO_MP_AUTO_PAD], p[YOLO_MP_CEIL],
                         &p[YOLO_MP_PT], &p[YOLO_MP_PB]);
    int64_t ow = out_len(X->shape[3], p[YOLO_MP_KW], p[YOLO_MP_SW], p[YOLO_MP_DW], p[YOLO_MP_AUTO_PAD], p[YOLO_MP_CEIL],
                         &p[YOLO_MP_PL], &p[YOLO_MP_PR]);
    if (oh < 1 || ow < 1)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input %lldx%lld is smaller than the "
                               "dilated kernel", (long long)X->shape[2], (long long)X->shape[3]);
    struct yolo_tensor *Y = &g->tensors[n->out[0]];
    Y->dtype = YOLO_DT_F32;
    Y->ndim = 4;
    Y->shape[0] = X->shape[0];
    Y->shape[1] = X->shape[1];
    Y->shape[2] = oh;
    Y->shape[3] = ow;
    if (yolo_tensor_numel(Y) > 0 && yolo_tensor_bytes(Y) == 0)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "output too large");
    return 0;
}

/* Direct loops; threads split the (n, c) planes. */
static void maxpool_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &x->g->tensors[n->in[0]], *Y = &x->g->tensors[n->out[0]];
    const float *src = yolo_exec_ptr(x, n->in[0]);
    float *dst = yolo_exec_ptr(x, n->out[0]);
    int64_t H = X->shape[2], W = X->shape[3], OH = Y->shape[2], OW = Y->shape[3];
    int64_t planes = X->shape[0] * X->shape[1];
    int64_t lo = planes * ith / nth, hi = planes * (ith + 1) / nth;
    for (int64_t pl = lo; pl < hi; pl++) {
        const float *xs = src + pl * H * W;
        float *ys = dst + pl * OH * OW;
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++) {
                float m = -FLT_MAX;
                for (int64_t ky = 0; ky < p[YOLO_MP_KH]; ky++) {
                    int64_t iy = oy * p[YOLO_MP_SH] - p[YOLO_MP_PT] + ky * p[YOLO_MP_DH];
                    if (iy < 0 || iy >= H)
                        continue;
                    for (int64_t kx = 0; kx < p[YOLO_MP_KW]; kx++) {
                        int64_t ix = ox * p[YOLO_MP_SW] - p[YOLO_MP_PL] + kx * p[YOLO_MP_DW];
                        if (ix >= 0 && ix < W && xs[iy * W + ix] > m)
                            m = xs[iy * W + ix];
                    }
                }
                ys[oy * OW + ox] = m;
            }
    }
}

const struct yolo_op_impl yolo_op_maxpool = {
    .onnx_name = "MaxPool",
    .display_name = "MaxPool",
    .import_fn = maxpool_import,
    .shape_fn = maxpool_shape,
    .ref_fn = maxpool_ref,
};
