/* ops/resize.c: Resize (ONNX opsets 10..19), modes nearest (any rank) and linear (bilinear
 * on the last two dims): import, shape inference, reference kernel.
 *
 * Inputs: opset 10: X, scales. Opset >= 11: X, roi, scales, sizes, where roi may be absent
 * (in[1] = -1; it only matters for tf_crop_and_resize, which is unsupported) and exactly one
 * of scales (f32) and sizes (int64) is given; an empty tensor counts as absent (opset 11/12
 * exporters pass an empty scales next to sizes). Both must be build-time constants.
 * Opset 18 `axes` restricts scales/sizes to those axes; only keep_aspect_ratio_policy
 * "stretch" and antialias 0 are supported.
 * Output dim = floor(scale * in) in float, as ONNX Runtime computes it; with sizes, the
 * scale used for coordinates is out / in. The output coordinate x maps to the input by
 * coordinate_transformation_mode (computed in float, as ONNX Runtime does):
 *   half_pixel           (x + 0.5) / scale - 0.5
 *   asymmetric           x / scale                     (the only mode of opset 10)
 *   pytorch_half_pixel   out > 1 ? (x + 0.5) / scale - 0.5 : 0
 *   tf_half_pixel_for_nearest (x + 0.5) / scale
 *   align_corners        out == 1 ? 0 : x * (in - 1) / (out - 1)
 * nearest then rounds by nearest_mode (round_prefer_floor, round_prefer_ceil, floor, ceil;
 * opset 10: truncate when upsampling, ceil when downsampling) and clamps into [0, in-1]
 * (axes of scale 1 map identically, as in ONNX Runtime);
 * linear clamps the coordinate into [0, in-1] and blends the two neighbours.
 * params: [0] mode (0 nearest, 1 linear)  [1] coordinate transformation mode (0 half_pixel,
 *         1 asymmetric, 2 pytorch_half_pixel, 3 tf_half_pixel_for_nearest, 4 align_corners)
 *         [2] nearest mode (0 round_prefer_floor, 1 round_prefer_ceil, 2 floor, 3 ceil,
 *         4 opset-10 rule)  [3] input slot of scales  [4] input slot of sizes (-1: none)
 *         [5] number of `axes` (0: all)  [6..11] axes
 * fparams: [0..rank) the scale of each dim (set by shape_fn).
 */
#include <math.h>
#include <string.h>

#include "op_params.h"

#define YOLO_RS_DIM_MAX ((int64_t)1 << 40)

/* Index of s in names[0..n), or -1. */
static int lookup(const char *s, const char *const *names, int cnt)
{
    for (int i = 0; i < cnt; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static int resize_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                         struct yolo_diag *d)
{
    (void)g;
    static const char *const modes[] = { "nearest", "linear" };
    static const char *const ctms[] = { "half_pixel", "asymmetric", "pytorch_half_pixel",
                                        "tf_half_pixel_for_nearest", "align_corners" };
    static const char *const nms[] = { "round_prefer_floor", "round_prefer_ceil", "floor", "ceil" };
    int64_t *p = n->params;
    int bad = 0;
    int v10 = a->opset <= 10;
    if (n->n_out != 1 || n->n_in < (v10 ? 2 : 1) || n->n_in > (v10 ? 2 : 4))
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "%d inputs and %d outputs is not a Resize "
                               "of opset %lld", n->n_in, n->n_out, (long long)a->opset);
    const char *mode = yolo_attr_str(a, "mode", "nearest", &bad);
    const char *ctm = yolo_attr_str(a, "coordinate_transformation_mode", "half_pixel", &bad);
    const char *nm = yolo_attr_str(a, "nearest_mode", "round_prefer_floor", &bad);
    const char *keep = yolo_attr_str(a, "keep_aspect_ratio_policy", "stretch", &bad);
    int64_t antialias = yolo_attr_int(a, "antialias", 0, &bad);
    int64_t exclude = yolo_attr_int(a, "exclude_outside", 0, &bad);
    (void)yolo_attr_float(a, "cubic_coeff_a", -0.75f, &bad);        /* cubic only */
    (void)yolo_attr_float(a, "extrapolation_value", 0.0f, &bad);    /* tf_crop_and_resize only */
    int32_t n_axes = 0;
    const int64_t *axes = yolo_attr_ints(a, "axes", &n_axes, &bad);
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "an attribute has the wrong type");
    if ((p[YOLO_RS_MODE] = lookup(mode, modes, 2)) < 0)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "mode '%s' is not supported", mode);
    if (v10) {
        p[YOLO_RS_CTM] = YOLO_CTM_ASYMMETRIC;
        p[YOLO_RS_NEAREST] = YOLO_NM_SIMPLE;
        p[YOLO_RS_SCALES] = 1;
        p[YOLO_RS_SIZES] = -1;
    } else {
        /* "tf_half_pixel_for_nn" is ONNX Runtime's spelling; accept it too */
        if (strcmp(ctm, "tf_half_pixel_for_nn") == 0)
            ctm = ctms[YOLO_CTM_TF_HALF_PIXEL];
        if ((p[YOLO_RS_CTM] = lookup(ctm, ctms, 5)) < 0)
            return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "coordinate_transformation_mode "
                                   "'%s' is not supported", ctm);
        if ((p[YOLO_RS_NEAREST] = lookup(nm, nms, 4)) < 0)
            return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "nearest_mode '%s' is not "
                                   "supported", nm);
        p[YOLO_RS_SCALES] = 2;
        p[YOLO_RS_SIZES] = 3;
    }
    if (strcmp(keep, "stretch") != 0)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "keep_aspect_ratio_policy '%s' is not "
                               "supported", keep);
    if (antialias != 0)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "antialias %lld is not supported",
                               (long long)antialias);
    if (exclude != 0)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "exclude_outside %lld is not supported",
                               (long long)exclude);
    if (n_axes > YOLO_MAX_DIMS)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "%d axes (max %d)", n_axes,
                               YOLO_MAX_DIMS);
    p[YOLO_RS_NAXES] = n_axes;
    for (int32_t i = 0; i < n_axes; i++)
        p[YOLO_RS_AXES + i] = axes[i];
    return 0;
}

/* The constant input at slot `slot` when present and non-empty, else NULL (*err on a bad
 * index or a non-constant tensor). */
static const struct yolo_tensor *const_input(struct yolo_graph *g, struct yolo_node *n,
                                             int64_t slot, const void **data, int *err)
{
    *data = NULL;
    if (slot < 0 || slot >= n->n_in || n->in[slot] < 0)
        return NULL;
    if (n->in[slot] >= g->n_tensors) {
        *err = YOLO_ERR_FORMAT;
        return NULL;
    }
    const struct yolo_tensor *T = &g->tensors[n->in[slot]];
    if (yolo_tensor_numel(T) == 0)
        return NULL;
    *data = yolo_graph_const_data(g, n->in[slot]);
    if (!*data)
        *err = YOLO_ERR_UNSUPPORTED;
    return T;
}

static int resize_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int64_t *p = n->params;
    if (n->n_in < 1 || n->n_in > 4 || n->n_out != 1 || n->in[0] < 0 || n->in[0] >= g->n_tensors ||
        n->out[0] < 0 || n->out[0] >= g->n_tensors)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects input X and 1 output");
    if (p[YOLO_RS_MODE] < 0 || p[YOLO_RS_MODE] > 1 || p[YOLO_RS_CTM] < 0 || p[YOLO_RS_CTM] > YOLO_CTM_ALIGN ||
        p[YOLO_RS_NEAREST] < 0 || p[YOLO_RS_NEAREST] > YOLO_NM_SIMPLE)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "bad mode params");
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    int r = X->ndim;
    /* nearest only moves elements, so quantized tensors take it too (core/opt/push_q.c) */
    int byte_ok = p[YOLO_RS_MODE] == 0 && (X->dtype == YOLO_DT_U8 || X->dtype == YOLO_DT_I8);
    if (X->dtype != YOLO_DT_F32 && !byte_ok)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "only float32 is supported%s, not %s",
                               p[YOLO_RS_MODE] == 0 ? " (and int8/uint8 in nearest mode)" : "",
                               yolo_dtype_name(X->dtype));
    if (r < 1 || yolo_tensor_numel(X) <= 0)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "X must be non-empty with rank >= 1");
    /* which dims the scales/sizes values apply to */
    int64_t axes[YOLO_MAX_DIMS];
    int na = (int)p[YOLO_RS_NAXES];
    if (na < 0 || na > r)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "%d axes for rank %d", na, r);
    int seen[YOLO_MAX_DIMS] = { 0 };
    for (int i = 0; i < (na ? na : r); i++) {
        int64_t ax = na ? p[YOLO_RS_AXES + i] : i;
        if (ax < -r || ax >= r || seen[ax < 0 ? ax + r : ax]++)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "bad or repeated axis %lld",
                                   (long long)ax);
        axes[i] = ax < 0 ? ax + r : ax;
    }
    int cnt = na ? na : r, err = 0;
    const void *sd, *zd;
    const struct yolo_tensor *S = const_input(g, n, p[YOLO_RS_SCALES], &sd, &err);
    if (err)
        return yolo_node_error(d, err, n, "input 'scales' must be a constant");
    const struct yolo_tensor *Z = const_input(g, n, p[YOLO_RS_SIZES], &zd, &err);
    if (err)
        return yolo_node_error(d, err, n, "input 'sizes' must be a constant");
    if (!S == !Z)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "exactly one of 'scales' and 'sizes' must "
                               "be given");
    if (S && (S->dtype != YOLO_DT_F32 || S->ndim != 1 || S->shape[0] != cnt))
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "'scales' must be float32 [%d]", cnt);
    if (Z && (Z->dtype != YOLO_DT_I64 || Z->ndim != 1 || Z->shape[0] != cnt))
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "'sizes' must be int64 [%d]", cnt);
    int64_t out[YOLO_MAX_DIMS];
    for (int k = 0; k < r; k++) {
        out[k] = X->shape[k];
        n->fparams[k] = 1.0f;
    }
    for (int i = 0; i < cnt; i++) {
        int64_t ax = axes[i], in = X->shape[ax];
        if (S) {
            float sc = ((const float *)sd)[i], o = sc * (float)in;
            if (!(sc > 0.0f) || !(o < (float)YOLO_RS_DIM_MAX))   /* also rejects NaN and inf */
                return yolo_node_error(d, YOLO_ERR_FORMAT, n, "scale %g on axis %lld is out of "
                                       "range", (double)sc, (long long)ax);
            out[ax] = (int64_t)o;
            n->fparams[ax] = sc;
        } else {
            int64_t o = ((const int64_t *)zd)[i];
            if (o < 1 || o > YOLO_RS_DIM_MAX)
                return yolo_node_error(d, YOLO_ERR_FORMAT, n, "size %lld on axis %lld is out of "
                                       "range", (long long)o, (long long)ax);
            out[ax] = o;
            n->fparams[ax] = (float)o / (float)in;
        }
        if (out[ax] < 1)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "axis %lld would have size 0",
                                   (long long)ax);
    }
    if (p[YOLO_RS_MODE] == 1) {
        if (r < 2)
            return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "linear mode needs rank >= 2");
        for (int k = 0; k < r - 2; k++)
            if (n->fparams[k] != 1.0f || out[k] != X->shape[k])
                return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "linear mode resizes only the "
                                       "last two dims (dim %d has scale %g)", k,
                                       (double)n->fparams[k]);
    }
    struct yolo_tensor *Y = &g->tensors[n->out[0]];
    Y->dtype = X->dtype;
    Y->ndim = r;
    memcpy(Y->shape, out, sizeof(int64_t) * (size_t)r);
    if (yolo_tensor_bytes(Y) == 0)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "output too large");
    return 0;
}

/* Input coordinate of output coordinate x (float math, as ONNX Runtime). */
static float src_coord(int64_t ctm, float x, float scale, float out_len, float in_len)
{
    switch (ctm) {
    case YOLO_CTM_ASYMMETRIC:         return x / scale;
    case YOLO_CTM_PYTORCH_HALF_PIXEL: return out_len > 1.0f ? (x + 0.5f) / scale - 0.5f : 0.0f;
    case YOLO_CTM_TF_HALF_PIXEL:      return (x + 0.5f) / scale;
    case YOLO_CTM_ALIGN:
        return out_len == 1.0f ? 0.0f : x * (in_len - 1.0f) / (out_len - 1.0f);
    default:                     return (x + 0.5f) / scale - 0.5f;
    }
}

int64_t yolo_resize_nearest_index(const int64_t *p, int64_t o, float scale, int64_t out_len,
                                  int64_t in_len)
{
    if (scale == 1.0f && out_len == in_len)
        return o;                    /* no resizing on this axis: identity, as ONNX Runtime */
    float x = src_coord(p[YOLO_RS_CTM], (float)o, scale, (float)out_len, (float)in_len);
    x = fmaxf(x, -1.0f);             /* keeps the float -> int conversions defined; the */
    x = fminf(x, (float)in_len);     /* final clamp gives the same index */
    int64_t i;
    switch (p[YOLO_RS_NEAREST]) {
    case YOLO_NM_ROUND_CEIL: i = (int64_t)roundf(x); break;
    case YOLO_NM_FLOOR:      i = (int64_t)floorf(x); break;
    case YOLO_NM_CEIL:       i = (int64_t)ceilf(x); break;
    case YOLO_NM_SIMPLE:     i = scale < 1.0f ? (int64_t)ceilf(x) : (int64_t)x; break;
    default:            /* round_prefer_floor: halves go down */
        i = x == (float)(int64_t)x + 0.5f ? (int64_t)floorf(x) : (int64_t)roundf(x);
        break;
    }
    return i < 0 ? 0 : i >= in_len ? in_len - 1 : i;
}

int yolo_resize_is_2x(const struct yolo_graph *g, const struct yolo_node *n)
{
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Y = &g->tensors[n->out[0]];
    if (n->params[YOLO_RS_MODE] != 0 || X->dtype != YOLO_DT_F32 || X->ndim != 4 ||
        Y->ndim != 4 || yolo_tensor_numel(Y) <= 0)
        return 0;
    for (int k = 0; k < 4; k++) {
        int64_t f = k < 2 ? 1 : 2;
        if (Y->shape[k] != f * X->shape[k])
            return 0;
        for (int64_t j = 0; j < Y->shape[k]; j++)
            if (yolo_resize_nearest_index(n->params, j, n->fparams[k], Y->shape[k], X->shape[k]) != j / f)
                return 0;
    }
    return 1;
}

/* Any rank and element size: per output row, the input offset of the outer dims, then the
 * last dim. */
static void resize_nearest(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &x->g->tensors[n->in[0]], *Y = &x->g->tensors[n->out[0]];
    const uint8_t *src = yolo_exec_ptr(x, n->in[0]);
    uint8_t *dst = yolo_exec_ptr(x, n->out[0]);
    size_t es = yolo_dtype_size(X->dtype);
    int r = X->ndim;
    int64_t stride[YOLO_MAX_DIMS], len = Y->shape[r - 1], rows = yolo_tensor_numel(Y) / len;
    stride[r - 1] = 1;
    for (int k = r - 2; k >= 0; k--)
        stride[k] = stride[k + 1] * X->shape[k + 1];
    int64_t lo = rows * ith / nth, hi = rows * (ith + 1) / nth;
    for (int64_t row = lo; row < hi; row++) {
        int64_t rem = row, off = 0;
        for (int k = r - 2; k >= 0; k--) {
            int64_t o = rem % Y->shape[k];
            rem /= Y->shape[k];
            off += yolo_resize_nearest_index(p, o, n->fparams[k], Y->shape[k], X->shape[k]) * stride[k];
        }
        for (int64_t j = 0; j < len; j++) {
            int64_t i = off + yolo_resize_nearest_index(p, j, n->fparams[r - 1], len, X->shape[r - 1]);
            memcpy(dst + (size_t)(row * len + j) * es, src + (size_t)i * es, es);
        }
    }
}

/* Neighbours i0, i1 and weight of i1 for output coordinate o along one axis. */
static void linear_taps(const int64_t *p, int64_t o, float scale, int64_t out_len, int64_t in_len,
                        int64_t *i0, int64_t *i1, float *w)
{
    float c = src_coord(p[YOLO_RS_CTM], (float)o, scale, (float)out_len, (float)in_len);
    c = fmaxf(c, 0.0f);
    c = fminf(c, (float)(in_len - 1));
    *i0 = (int64_t)c;
    *i1 = *i0 + 1 < in_len ? *i0 + 1 : in_len - 1;
    *w = c - (float)*i0;
}

/* Bilinear on the last two dims; threads split the output rows of all planes. */
static void resize_linear(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &x->g->tensors[n->in[0]], *Y = &x->g->tensors[n->out[0]];
    const float *src = yolo_exec_ptr(x, n->in[0]);
    float *dst = yolo_exec_ptr(x, n->out[0]);
    int r = X->ndim;
    int64_t H = X->shape[r - 2], W = X->shape[r - 1], OH = Y->shape[r - 2], OW = Y->shape[r - 1];
    int64_t rows = yolo_tensor_numel(Y) / OW, lo = rows * ith / nth, hi = rows * (ith + 1) / nth;
    for (int64_t row = lo; row < hi; row++) {
        int64_t plane = row / OH, oy = row % OH, y0, y1, x0, x1;
        float wy, wx;
        linear_taps(p, oy, n->fparams[r - 2], OH, H, &y0, &y1, &wy);
        const float *r0 = src + (plane * H + y0) * W, *r1 = src + (plane * H + y1) * W;
        for (int64_t ox = 0; ox < OW; ox++) {
            linear_taps(p, ox, n->fparams[r - 1], OW, W, &x0, &x1, &wx);
            float top = r0[x0] + (r0[x1] - r0[x0]) * wx, bot = r1[x0] + (r1[x1] - r1[x0]) * wx;
            dst[row * OW + ox] = top + (bot - top) * wy;
        }
    }
}

static void resize_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    if (n->params[YOLO_RS_MODE] == 1)
        resize_linear(x, n, ith, nth);
    else
        resize_nearest(x, n, ith, nth);
}

const struct yolo_op_impl yolo_op_resize = {
    .onnx_name = "Resize",
    .display_name = "Resize",
    .import_fn = resize_import,
    .shape_fn = resize_shape,
    .ref_fn = resize_ref,
};
