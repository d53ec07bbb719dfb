/* ops/squeeze.c: Squeeze and Unsqueeze (ONNX opset 1, 11, 13, 21): remove or insert size-1
 * dims; one file because they are the same op read both ways. The axes are an attribute
 * before opset 13 and a constant int64 input from 13; negative axes count from the end (for
 * Unsqueeze, of the OUTPUT: rank r + len(axes)); repeats are an error. Squeeze: a listed dim
 * that is not 1 is an error; no axes, or an empty list, removes every size-1 dim (as ONNX
 * Runtime does). Unsqueeze: axes are required. Any dtype.
 *
 * params[0 .. YOLO_BC_AXES_PARAMS): axes (see yolo_bc_axes_import in broadcast.h; shape_fn
 * copies a const axes input there, as written).
 *
 * The kernel copies bytes (memmove-safe; nothing to do when output and input alias). */
#include "broadcast.h"

static int axes_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                       struct yolo_diag *d)
{
    (void)g;
    return yolo_bc_axes_import(n, a, "axes", 0, d);
}

/* The part both shape functions share: one data input (+ optional axes), one output. */
static int axes_operands(struct yolo_graph *g, struct yolo_node *n, int64_t *axes, int32_t *count,
                         int *present, struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 1, 2, 1, d);
    if (rc)
        return rc;
    return yolo_bc_axes_get(g, n, 0, 1, axes, count, present, d);
}

static int squeeze_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int64_t axes[YOLO_MAX_DIMS], out[YOLO_MAX_DIMS];
    int32_t count;
    int present;
    int rc = axes_operands(g, n, axes, &count, &present, d);
    if (rc)
        return rc;
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    uint32_t mask = 0;
    if (present && count > 0) {
        rc = yolo_bc_axes_norm(n, axes, count, X->ndim, &mask, d);
        if (rc)
            return rc;
        for (int32_t i = 0; i < X->ndim; i++)
            if ((mask & (1u << i)) && X->shape[i] != 1)
                return yolo_node_error(d, YOLO_ERR_FORMAT, n, "cannot squeeze axis %d of '%s': "
                                       "its size is %lld, not 1", i, X->name,
                                       (long long)X->shape[i]);
    } else {
        for (int32_t i = 0; i < X->ndim; i++)
            if (X->shape[i] == 1)
                mask |= 1u << i;
    }
    int32_t r = 0;
    for (int32_t i = 0; i < X->ndim; i++)
        if (!(mask & (1u << i)))
            out[r++] = X->shape[i];
    return yolo_bc_set_out(g, n, 0, X->dtype, r, out, d);
}

static int unsqueeze_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int64_t axes[YOLO_MAX_DIMS], out[YOLO_MAX_DIMS];
    int32_t count;
    int present;
    int rc = axes_operands(g, n, axes, &count, &present, d);
    if (rc)
        return rc;
    if (!present)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "axes are required");
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    int32_t r = X->ndim + count;
    if (r > YOLO_MAX_DIMS)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "output rank %d exceeds %d", r,
                               YOLO_MAX_DIMS);
    uint32_t mask;
    rc = yolo_bc_axes_norm(n, axes, count, r, &mask, d);
    if (rc)
        return rc;
    for (int32_t i = 0, j = 0; i < r; i++)
        out[i] = (mask & (1u << i)) ? 1 : X->shape[j++];
    return yolo_bc_set_out(g, n, 0, X->dtype, r, out, d);
}

const struct yolo_op_impl yolo_op_squeeze = {
    "Squeeze", "Squeeze", axes_import, squeeze_shape, yolo_bc_view_kernel, NULL
};

const struct yolo_op_impl yolo_op_unsqueeze = {
    "Unsqueeze", "Unsqueeze", axes_import, unsqueeze_shape, yolo_bc_view_kernel, NULL
};
