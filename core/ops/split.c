/* ops/split.c: Split (ONNX opsets 2..18), any rank and dtype: import, shape inference,
 * reference kernel.
 *
 * The sizes come from, in this order: the `split` attribute (opset < 13), the optional 2nd
 * input `split` (opset >= 13, must be a build-time constant), the `num_outputs` attribute
 * (opset 18: ceil(dim / n) each, the last one smaller), else an equal split that must
 * divide the dim.
 * params: [0] axis as given  [1] size source: 0 equal, 1 attribute, 2 input, 3 num_outputs
 *         [2] axis normalized by shape_fn  [3] num_outputs
 *         [4..4+n_out) sizes (from the attribute at import, resolved by shape_fn otherwise)
 */
#include <string.h>

#include "op_params.h"
#include "yolo_core.h"


static int split_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                        struct yolo_diag *d)
{
    (void)g;
    int bad = 0;
    int32_t cnt = 0;
    if (n->n_in < 1 || n->n_in > 2 || n->n_out < 1 || n->n_out > YOLO_MAX_OUT)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects 1 or 2 inputs and 1..%d outputs, "
                               "has %d and %d", YOLO_MAX_OUT, n->n_in, n->n_out);
    n->params[YOLO_SP_AXIS] = yolo_attr_int(a, "axis", 0, &bad);
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute 'axis' has the wrong type");
    const int64_t *sizes = yolo_attr_ints(a, "split", &cnt, &bad);
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute 'split' has the wrong type");
    int64_t num = yolo_attr_int(a, "num_outputs", 0, &bad);
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute 'num_outputs' has the wrong type");
    n->params[YOLO_SP_NUM] = num;
    if (sizes) {
        if (cnt != n->n_out)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "'split' has %d sizes for %d outputs",
                                   cnt, n->n_out);
        n->params[YOLO_SP_MODE] = YOLO_SP_ATTR;
        memcpy(&n->params[YOLO_SP_SIZES], sizes, sizeof(int64_t) * (size_t)cnt);
    } else if (n->n_in == 2 && n->in[1] >= 0) {
        n->params[YOLO_SP_MODE] = YOLO_SP_INPUT;
    } else if (num) {
        if (num != n->n_out)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "num_outputs %lld but %d outputs",
                                   (long long)num, n->n_out);
        n->params[YOLO_SP_MODE] = YOLO_SP_NUM_OUTPUTS;
    } else {
        n->params[YOLO_SP_MODE] = YOLO_SP_EQUAL;
    }
    return 0;
}

static int split_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int64_t *p = n->params;
    int no = n->n_out;
    if (n->n_in < 1 || n->n_in > 2 || no < 1 || no > YOLO_MAX_OUT || n->in[0] < 0 ||
        n->in[0] >= g->n_tensors)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects 1 or 2 inputs and 1..%d outputs",
                               YOLO_MAX_OUT);
    for (int k = 0; k < no; k++)
        if (n->out[k] < 0 || n->out[k] >= g->n_tensors)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "missing or invalid output %d", k);
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    int r = X->ndim;
    if (r < 1 || yolo_tensor_numel(X) < 0 || yolo_dtype_size(X->dtype) == 0)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input must have a known dtype and "
                               "rank >= 1");
    int64_t axis = p[YOLO_SP_AXIS];
    if (axis < -r || axis >= r)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "axis %lld out of range for rank %d",
                               (long long)axis, r);
    if (axis < 0)
        axis += r;
    p[YOLO_SP_AXIS_RES] = axis;
    int64_t dim = X->shape[axis], *sz = &p[YOLO_SP_SIZES];
    switch (p[YOLO_SP_MODE]) {
    case YOLO_SP_EQUAL:
        if (dim % no != 0)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "dim %lld does not split equally into %d",
                                   (long long)dim, no);
        for (int k = 0; k < no; k++)
            sz[k] = dim / no;
        break;
    case YOLO_SP_NUM_OUTPUTS: {
        /* ONNX 18: "If the tensor is not evenly splittable the last chunk will be smaller." */
        int64_t chunk = (dim + no - 1) / no;
        if (p[YOLO_SP_NUM] != no || dim - chunk * (no - 1) < 0)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "dim %lld cannot be split into %lld "
                                   "outputs", (long long)dim, (long long)p[YOLO_SP_NUM]);
        for (int k = 0; k < no; k++)
            sz[k] = k < no - 1 ? chunk : dim - chunk * (no - 1);
        break;
    }
    case YOLO_SP_INPUT: {
        if (n->n_in != 2 || n->in[1] < 0 || n->in[1] >= g->n_tensors)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "missing input 'split'");
        const struct yolo_tensor *S = &g->tensors[n->in[1]];
        const int64_t *v = yolo_graph_const_data(g, n->in[1]);
        if (!v)
            return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "input 'split' must be a constant");
        if (S->dtype != YOLO_DT_I64 || S->ndim != 1 || S->shape[0] != no)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input 'split' must be int64 [%d]", no);
        memcpy(sz, v, sizeof(int64_t) * (size_t)no);
        break;
    }
    case YOLO_SP_ATTR:
        break;
    default:
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "bad size source %lld",
                               (long long)p[YOLO_SP_MODE]);
    }
    int64_t sum = 0;
    for (int k = 0; k < no; k++) {
        if (sz[k] < 0 || sz[k] > dim)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "split size %lld out of range",
                                   (long long)sz[k]);
        sum += sz[k];
    }
    if (sum != dim)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "split sizes sum to %lld, dim %d is %lld",
                               (long long)sum, (int)axis, (long long)dim);
    for (int k = 0; k < no; k++) {
        struct yolo_tensor *Y = &g->tensors[n->out[k]];
        Y->dtype = X->dtype;
        Y->ndim = r;
        memcpy(Y->shape, X->shape, sizeof X->shape);
        Y->shape[axis] = sz[k];
    }
    return 0;
}

/* One memcpy per (outer index, output); threads split those units. An output the planner
 * placed inside the input (core/plan.c, "in place") is already there: no copy. */
static void split_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &x->g->tensors[n->in[0]];
    int64_t axis = p[YOLO_SP_AXIS_RES], outer = 1, inner = yolo_dtype_size(X->dtype);
    for (int k = 0; k < axis; k++)
        outer *= X->shape[k];
    for (int k = (int)axis + 1; k < X->ndim; k++)
        inner *= X->shape[k];
    int64_t row = X->shape[axis] * inner;              /* bytes of one input slice */
    int64_t units = outer * n->n_out, u0 = units * ith / nth, u1 = units * (ith + 1) / nth;
    const uint8_t *src = yolo_exec_ptr(x, n->in[0]);
    int64_t off = 0;                                   /* byte offset of output k in a slice */
    for (int64_t u = u0; u < u1; u++) {
        int64_t o = u / n->n_out;
        int k = (int)(u % n->n_out);
        if (k == 0)
            off = 0;
        else if (u == u0)
            for (int j = 0; j < k; j++)
                off += p[YOLO_SP_SIZES + j] * inner;
        int64_t bytes = p[YOLO_SP_SIZES + k] * inner;
        uint8_t *dst = yolo_exec_ptr(x, n->out[k]);
        /* memmove: a crafted engine may overlap them other than exactly in place */
        if (bytes && dst + o * bytes != src + o * row + off)
            memmove(dst + o * bytes, src + o * row + off, (size_t)bytes);
        off += bytes;
    }
}

const struct yolo_op_impl yolo_op_split = {
    .onnx_name = "Split",
    .display_name = "Split",
    .import_fn = split_import,
    .shape_fn = split_shape,
    .ref_fn = split_ref,
};
