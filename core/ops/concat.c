/* ops/concat.c: Concat (ONNX opsets 4..13), any rank, negative axis, any dtype (f32, int64,
 * bool, ...): import, shape inference, reference kernel.
 *
 * All inputs share dtype, rank and every dim but `axis`; the output's axis dim is the sum.
 * params: [0] axis as given  [1] axis normalized to [0, rank) by shape_fn
 */
#include <string.h>

#include "op_params.h"
#include "yolo_core.h"


static int concat_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                         struct yolo_diag *d)
{
    (void)g;
    int bad = 0;
    if (n->n_in < 1 || n->n_out != 1)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects at least 1 input and 1 output, has "
                               "%d and %d", n->n_in, n->n_out);
    n->params[YOLO_CC_AXIS] = yolo_attr_int(a, "axis", INT64_MIN, &bad);
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute 'axis' has the wrong type");
    if (n->params[YOLO_CC_AXIS] == INT64_MIN)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute 'axis' is required");
    return 0;
}

static int concat_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int64_t *p = n->params;
    if (n->n_in < 1 || n->n_in > YOLO_MAX_IN || n->n_out != 1 || n->out[0] < 0 ||
        n->out[0] >= g->n_tensors)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects at least 1 input and 1 output");
    for (int i = 0; i < n->n_in; i++)
        if (n->in[i] < 0 || n->in[i] >= g->n_tensors)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "missing or invalid input %d", i);
    const struct yolo_tensor *X0 = &g->tensors[n->in[0]];
    int r = X0->ndim;
    if (r < 1 || yolo_dtype_size(X0->dtype) == 0)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input 0 must have a known dtype and rank "
                               ">= 1");
    int64_t axis = p[YOLO_CC_AXIS];
    if (axis < -r || axis >= r)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "axis %lld out of range for rank %d",
                               (long long)axis, r);
    if (axis < 0)
        axis += r;
    p[YOLO_CC_AXIS_RES] = axis;
    int64_t shape[YOLO_MAX_DIMS];
    memcpy(shape, X0->shape, sizeof shape);
    shape[axis] = 0;
    for (int i = 0; i < n->n_in; i++) {
        const struct yolo_tensor *X = &g->tensors[n->in[i]];
        if (X->dtype != X0->dtype || X->ndim != r || yolo_tensor_numel(X) < 0)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input %d ('%s') differs from input 0 "
                                   "in dtype or rank", i, X->name);
        for (int k = 0; k < r; k++)
            if (k != axis && X->shape[k] != X0->shape[k])
                return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input %d ('%s') has dim %d = %lld, "
                                       "input 0 has %lld", i, X->name, k, (long long)X->shape[k],
                                       (long long)X0->shape[k]);
        shape[axis] += X->shape[axis];   /* each <= 2^34: no overflow for <= 16 inputs */
    }
    struct yolo_tensor *Y = &g->tensors[n->out[0]];
    Y->dtype = X0->dtype;
    Y->ndim = r;
    memcpy(Y->shape, shape, sizeof(int64_t) * (size_t)r);
    if (yolo_tensor_numel(Y) < 0 || (yolo_tensor_numel(Y) > 0 && yolo_tensor_bytes(Y) == 0))
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "output too large");
    return 0;
}

/* One memcpy per (outer index, input); threads split those units. An input the planner
 * placed inside the output (core/plan.c, "in place") is already there: no copy. */
static void concat_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_tensor *Y = &x->g->tensors[n->out[0]];
    int64_t axis = n->params[YOLO_CC_AXIS_RES], outer = 1, inner = yolo_dtype_size(Y->dtype);
    for (int k = 0; k < axis; k++)
        outer *= Y->shape[k];
    for (int k = (int)axis + 1; k < Y->ndim; k++)
        inner *= Y->shape[k];
    int64_t row = Y->shape[axis] * inner;             /* bytes of one output slice */
    int64_t units = outer * n->n_in, u0 = units * ith / nth, u1 = units * (ith + 1) / nth;
    uint8_t *dst = yolo_exec_ptr(x, n->out[0]);
    int64_t off = 0;                                  /* byte offset of input i in a slice */
    for (int64_t u = u0; u < u1; u++) {
        int64_t o = u / n->n_in;
        int i = (int)(u % n->n_in);
        if (i == 0)
            off = 0;
        else if (u == u0)
            for (int k = 0; k < i; k++)
                off += x->g->tensors[n->in[k]].shape[axis] * inner;
        int64_t bytes = x->g->tensors[n->in[i]].shape[axis] * inner;
        const uint8_t *src = yolo_exec_ptr(x, n->in[i]);
        /* memmove: a crafted engine may overlap them other than exactly in place */
        if (bytes && dst + o * row + off != src + o * bytes)
            memmove(dst + o * row + off, src + o * bytes, (size_t)bytes);
        off += bytes;
    }
}

const struct yolo_op_impl yolo_op_concat = {
    .onnx_name = "Concat",
    .display_name = "Concat",
    .import_fn = concat_import,
    .shape_fn = concat_shape,
    .ref_fn = concat_ref,
};
