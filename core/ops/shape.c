/* ops/shape.c: Shape (ONNX opset 1, 13, 15, 19, 21): the input's shape as a 1-D int64 tensor.
 * From opset 15, start/end pick a slice: negative values count from the end (+ rank), then
 * both are clamped to [0, rank]; end <= start gives an empty tensor. Any input dtype.
 *
 * params[0] = start (attribute, default 0), params[1] = end (attribute, default INT64_MAX =
 * "to the end")                                                        (from import_fn)
 * params[2] = clamped start, params[3] = output length                 (shape_fn) */
#include "broadcast.h"

enum { SH_START, SH_END, SH_FIRST, SH_LEN };

static int shape_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                        struct yolo_diag *d)
{
    (void)g;
    int bad = 0;
    n->params[SH_START] = yolo_attr_int(a, "start", 0, &bad);
    n->params[SH_END] = yolo_attr_int(a, "end", INT64_MAX, &bad);
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attributes start and end must be ints");
    return 0;
}

static int64_t shape_clamp(int64_t v, int32_t r)
{
    if (v < 0)
        v = v < -(int64_t)r ? 0 : v + r;
    return v > r ? r : v;
}

static int shape_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 1, 1, 1, d);
    if (rc)
        return rc;
    int32_t r = g->tensors[n->in[0]].ndim;
    int64_t start = shape_clamp(n->params[SH_START], r), end = shape_clamp(n->params[SH_END], r);
    int64_t len = end > start ? end - start : 0;
    rc = yolo_bc_set_out(g, n, 0, YOLO_DT_I64, 1, &len, d);
    if (rc)
        return rc;
    n->params[SH_FIRST] = start;
    n->params[SH_LEN] = len;
    return 0;
}

static void shape_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    (void)nth;
    if (ith != 0)
        return;
    const struct yolo_tensor *X = &x->g->tensors[n->in[0]];
    int64_t *Y = yolo_exec_ptr(x, n->out[0]);
    for (int64_t i = 0; i < n->params[SH_LEN]; i++)
        Y[i] = X->shape[n->params[SH_FIRST] + i];
}

const struct yolo_op_impl yolo_op_shape = {
    "Shape", "Shape", shape_import, shape_shape, shape_ref, NULL
};
