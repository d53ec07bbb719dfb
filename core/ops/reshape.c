/* ops/reshape.c: Reshape (ONNX opset 5, 13, 14, 19). The target shape must be a constant
 * int64 1-D input. Per the spec a 0 copies the input's dim at the same index (unless
 * allowzero = 1, where 0 is a real zero-size dim and may not be combined with -1), and one -1
 * is inferred from the element count, which must match.
 *
 * params[0] = allowzero (attribute, 0 or 1)
 * params[1] = output rank, params[2 .. 2+rank) = output shape  (resolved by shape_fn)
 *
 * The kernel copies bytes (memmove-safe; nothing to do when a planner aliases output and
 * input). Any dtype. */
#include "broadcast.h"

enum { RS_ALLOWZERO, RS_RANK, RS_SHAPE };

static int reshape_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                          struct yolo_diag *d)
{
    (void)g;
    int bad = 0;
    int64_t allowzero = yolo_attr_int(a, "allowzero", 0, &bad);
    if (bad || (allowzero != 0 && allowzero != 1))
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute 'allowzero' must be the int 0 "
                               "or 1");
    n->params[RS_ALLOWZERO] = allowzero;
    return 0;
}

static int reshape_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 2, 2, 1, d);
    if (rc)
        return rc;
    int64_t allowzero = n->params[RS_ALLOWZERO];
    if (allowzero != 0 && allowzero != 1)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "allowzero %lld is not 0 or 1",
                               (long long)allowzero);
    int64_t v[YOLO_MAX_DIMS], out[YOLO_MAX_DIMS];
    int32_t r;
    rc = yolo_bc_const_i64(g, n, 1, "shape", YOLO_MAX_DIMS, v, &r, d);
    if (rc)
        return rc;
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    int64_t numel = yolo_tensor_numel(X), known = 1;
    int32_t infer = -1, zeros = 0;
    for (int32_t i = 0; i < r; i++) {
        if (v[i] == -1) {
            if (infer >= 0)
                return yolo_node_error(d, YOLO_ERR_FORMAT, n, "shape has more than one -1");
            infer = i;
            continue;
        }
        if (v[i] < -1)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "shape[%d] = %lld is invalid", i,
                                   (long long)v[i]);
        out[i] = v[i];
        if (v[i] == 0 && !allowzero) {
            if (i >= X->ndim)
                return yolo_node_error(d, YOLO_ERR_FORMAT, n, "shape[%d] = 0 copies a dim input "
                                       "'%s' (rank %d) does not have", i, X->name, X->ndim);
            out[i] = X->shape[i];
        }
        if (out[i] == 0)
            zeros++;
        if (__builtin_mul_overflow(known, out[i], &known))
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "shape is too large");
    }
    if (infer >= 0) {
        if (allowzero && zeros)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "shape has both -1 and 0 with "
                                   "allowzero=1");
        if (known == 0 || numel % known != 0)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "cannot infer the -1 dim: %lld "
                                   "elements into a known product %lld", (long long)numel,
                                   (long long)known);
        out[infer] = numel / known;
    } else if (known != numel) {
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "shape holds %lld elements, input '%s' has "
                               "%lld", (long long)known, X->name, (long long)numel);
    }
    rc = yolo_bc_set_out(g, n, 0, X->dtype, r, out, d);
    if (rc)
        return rc;
    n->params[RS_RANK] = r;
    for (int32_t i = 0; i < YOLO_MAX_DIMS; i++)
        n->params[RS_SHAPE + i] = i < r ? out[i] : 0;
    return 0;
}

const struct yolo_op_impl yolo_op_reshape = {
    "Reshape", "Reshape", reshape_import, reshape_shape, yolo_bc_view_kernel, NULL
};
