/* ops/softmax.c: Softmax (ONNX opsets 1..13): import, shape inference, reference kernel.
 *
 * Opset < 13 coerces the input to 2-D [prod(dims[:axis]), prod(dims[axis:])] and normalizes
 * each row (default axis 1); opset >= 13 normalizes along the one dim `axis` (default -1).
 * Both reduce to: outer slices of n x inner elements, softmax over n at stride inner.
 * params: [0] axis as given  [1] 1 for the opset < 13 (coerce to 2-D) form
 *         [2] outer  [3] n  [4] inner   (set by shape_fn)
 * Input and output f32, same shape.
 */
#include <math.h>
#include <string.h>

#include "op_params.h"


static int softmax_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                          struct yolo_diag *d)
{
    (void)g;
    int bad = 0;
    if (n->n_in != 1 || n->n_out != 1)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects 1 input and 1 output, has %d and %d",
                               n->n_in, n->n_out);
    int legacy = a->opset < 13;
    n->params[YOLO_SM_AXIS] = yolo_attr_int(a, "axis", legacy ? 1 : -1, &bad);
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute 'axis' has the wrong type");
    n->params[YOLO_SM_LEGACY] = legacy;
    return 0;
}

static int softmax_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int64_t *p = n->params;
    if (n->n_in != 1 || n->n_out != 1 || n->in[0] < 0 || n->in[0] >= g->n_tensors ||
        n->out[0] < 0 || n->out[0] >= g->n_tensors)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects 1 input and 1 output");
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    if (X->dtype != YOLO_DT_F32)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "only float32 is supported, not %s",
                               yolo_dtype_name(X->dtype));
    if (X->ndim < 1 || yolo_tensor_numel(X) < 0)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input must have a known rank >= 1");
    int64_t axis = p[YOLO_SM_AXIS], r = X->ndim;
    if (axis < -r || axis >= r || (p[YOLO_SM_LEGACY] != 0 && p[YOLO_SM_LEGACY] != 1))
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "axis %lld out of range for rank %lld",
                               (long long)axis, (long long)r);
    if (axis < 0)
        axis += r;
    int64_t outer = 1, len = 1, inner = 1;
    for (int64_t i = 0; i < r; i++) {
        if (i < axis)
            outer *= X->shape[i];
        else if (i == axis || p[YOLO_SM_LEGACY])
            len *= X->shape[i];
        else
            inner *= X->shape[i];
    }
    p[YOLO_SM_OUTER] = outer;
    p[YOLO_SM_N] = len;
    p[YOLO_SM_INNER] = inner;
    struct yolo_tensor *Y = &g->tensors[n->out[0]];
    Y->dtype = YOLO_DT_F32;
    Y->ndim = X->ndim;
    memcpy(Y->shape, X->shape, sizeof X->shape);
    return 0;
}

/* Max-subtracted exp, then divide by the sum; threads split the (outer, inner) lanes. */
static void softmax_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const int64_t *p = n->params;
    const float *src = yolo_exec_ptr(x, n->in[0]);
    float *dst = yolo_exec_ptr(x, n->out[0]);
    int64_t len = p[YOLO_SM_N], inner = p[YOLO_SM_INNER], lanes = p[YOLO_SM_OUTER] * inner;
    int64_t lo = lanes * ith / nth, hi = lanes * (ith + 1) / nth;
    for (int64_t l = lo; l < hi; l++) {
        int64_t base = (l / inner) * len * inner + l % inner;
        const float *s = src + base;
        float *o = dst + base;
        float mx = -INFINITY, sum = 0.0f;
        for (int64_t i = 0; i < len; i++)
            mx = s[i * inner] > mx ? s[i * inner] : mx;
        for (int64_t i = 0; i < len; i++) {
            o[i * inner] = expf(s[i * inner] - mx);
            sum += o[i * inner];
        }
        for (int64_t i = 0; i < len; i++)
            o[i * inner] /= sum;
    }
}

const struct yolo_op_impl yolo_op_softmax = {
    .onnx_name = "Softmax",
    .display_name = "Softmax",
    .import_fn = softmax_import,
    .shape_fn = softmax_shape,
    .ref_fn = softmax_ref,
};
