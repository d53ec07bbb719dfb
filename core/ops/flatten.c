/* ops/flatten.c: Flatten (ONNX opset 1, 9, 11, 13, 21): input of rank r to the 2-D
 * [d0 * ... * d(axis-1), d(axis) * ... * d(r-1)]; axis in [-r, r] (negative counts from the
 * end; axis 0 gives [1, numel]). Any dtype.
 *
 * params[0] = axis (attribute, default 1, as written; shape_fn checks it against the rank)
 *
 * The kernel copies bytes (memmove-safe; nothing to do when output and input alias). */
#include "broadcast.h"

enum { FL_AXIS };

static int flatten_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                          struct yolo_diag *d)
{
    (void)g;
    int bad = 0;
    n->params[FL_AXIS] = yolo_attr_int(a, "axis", 1, &bad);
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute 'axis' must be an int");
    return 0;
}

static int flatten_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 1, 1, 1, d);
    if (rc)
        return rc;
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    int64_t axis = n->params[FL_AXIS];
    if (axis < -(int64_t)X->ndim || axis > X->ndim)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "axis %lld out of range for rank %d",
                               (long long)axis, X->ndim);
    if (axis < 0)
        axis += X->ndim;
    int64_t out[2] = { 1, 1 };
    for (int32_t i = 0; i < X->ndim; i++)
        out[i < axis ? 0 : 1] *= X->shape[i];
    return yolo_bc_set_out(g, n, 0, X->dtype, 2, out, d);
}

const struct yolo_op_impl yolo_op_flatten = {
    "Flatten", "Flatten", flatten_import, flatten_shape, yolo_bc_view_kernel, NULL
};
