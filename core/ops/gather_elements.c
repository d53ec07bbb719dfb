/* ops/gather_elements.c: GatherElements (ONNX opset 11, 13): out has the shape of `indices`
 * (same rank as data; int64 or int32) and out[i0..i(r-1)] = data[i0.., indices[i0..], ..i(r-1)]
 * with the index replacing position `axis`; negative indices count from the end of the axis.
 * As in ONNX Runtime, every non-axis dim of indices must be <= data's. Any data dtype.
 * Out-of-range index values are only known at run time: the kernel never reads out of bounds
 * and writes a zero element for them instead (ONNX makes them an error).
 *
 * params[0] = axis (attribute, default 0, as written); params[1] = axis normalized to [0, r)
 * (resolved by shape_fn) */
#include <string.h>

#include "broadcast.h"
#include "op_params.h"


static int gather_elements_import(struct yolo_graph *g, struct yolo_node *n,
                                  struct yolo_attrs *a, struct yolo_diag *d)
{
    (void)g;
    return yolo_bc_import_axis(n, a, &n->params[YOLO_GE_AXIS], d);
}

static int gather_elements_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int32_t axis;
    int rc = yolo_bc_check_gather(g, n, n->params[YOLO_GE_AXIS], &axis, d);
    if (rc)
        return rc;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *I = &g->tensors[n->in[1]];
    if (I->ndim != X->ndim)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "indices rank %d differs from data rank %d",
                               I->ndim, X->ndim);
    for (int32_t i = 0; i < X->ndim; i++)
        if (i != axis && I->shape[i] > X->shape[i])
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "indices dim %d (%lld) exceeds data's "
                                   "(%lld)", i, (long long)I->shape[i], (long long)X->shape[i]);
    n->params[YOLO_GE_AXIS_N] = axis;
    return yolo_bc_set_out(g, n, 0, X->dtype, I->ndim, I->shape, d);
}

static void gather_elements_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                                int nth)
{
    const struct yolo_tensor *XT = &x->g->tensors[n->in[0]], *IT = &x->g->tensors[n->in[1]];
    const uint8_t *X = yolo_exec_ptr(x, n->in[0]);
    const void *I = yolo_exec_ptr(x, n->in[1]);
    uint8_t *Y = yolo_exec_ptr(x, n->out[0]);
    int i32 = IT->dtype == YOLO_DT_I32;
    size_t es = yolo_dtype_size(XT->dtype);
    int32_t r = IT->ndim, axis = (int32_t)n->params[YOLO_GE_AXIS_N];
    int64_t dim = XT->shape[axis], xs[YOLO_MAX_DIMS], idx[YOLO_MAX_DIMS], s, e;
    yolo_bc_strides(r, XT->shape, xs);
    yolo_bc_split(yolo_tensor_numel(IT), ith, nth, &s, &e);
    if (s >= e)
        return;
    yolo_bc_unravel(r, IT->shape, s, idx);
    for (int64_t i = s; i < e; i++) {
        int64_t v = i32 ? ((const int32_t *)I)[i] : ((const int64_t *)I)[i];
        if (v < 0)
            v += dim;
        if (v < 0 || v >= dim) {
            memset(Y + (size_t)i * es, 0, es);
        } else {
            int64_t off = 0;
            for (int32_t k = 0; k < r; k++)
                off += (k == axis ? v : idx[k]) * xs[k];
            memcpy(Y + (size_t)i * es, X + (size_t)off * es, es);
        }
        for (int32_t k = r - 1; k >= 0; k--) {
            if (++idx[k] < IT->shape[k])
                break;
            idx[k] = 0;
        }
    }
}

const struct yolo_op_impl yolo_op_gather_elements = {
    "GatherElements", "GatherElements", gather_elements_import, gather_elements_shape,
    gather_elements_ref, NULL
};
