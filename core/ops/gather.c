/* ops/gather.c: Gather (ONNX opset 1, 11, 13): out = data taken along `axis` at `indices`
 * (int64 or int32, any rank, negative values count from the end of the axis). Output shape
 * data.shape[:axis] + indices.shape + data.shape[axis+1:]. Any data dtype.
 * An index outside [-dim, dim) is an error in ONNX; values are only known at run time, so the
 * kernel never reads out of bounds and writes zeros for such an index instead.
 *
 * params[0] = axis (attribute, default 0, as written)
 * params[1] = outer = prod(data.shape[:axis]), params[2] = dim = data.shape[axis],
 * params[3] = inner = prod(data.shape[axis+1:]), params[4] = number of indices
 *                                                                  (resolved by shape_fn) */
#include <string.h>

#include "broadcast.h"
#include "op_params.h"


static int gather_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                         struct yolo_diag *d)
{
    (void)g;
    return yolo_bc_import_axis(n, a, &n->params[YOLO_GA_AXIS], d);
}

static int gather_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int32_t axis;
    int rc = yolo_bc_check_gather(g, n, n->params[YOLO_GA_AXIS], &axis, d);
    if (rc)
        return rc;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *I = &g->tensors[n->in[1]];
    int32_t r = X->ndim - 1 + I->ndim;
    if (r > YOLO_MAX_DIMS)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "output rank %d exceeds %d", r,
                               YOLO_MAX_DIMS);
    int64_t out[YOLO_MAX_DIMS], outer = 1, inner = 1;
    int32_t k = 0;
    for (int32_t i = 0; i < axis; i++) {
        out[k++] = X->shape[i];
        outer *= X->shape[i];
    }
    for (int32_t i = 0; i < I->ndim; i++)
        out[k++] = I->shape[i];
    for (int32_t i = axis + 1; i < X->ndim; i++) {
        out[k++] = X->shape[i];
        inner *= X->shape[i];
    }
    rc = yolo_bc_set_out(g, n, 0, X->dtype, r, out, d);
    if (rc)
        return rc;
    n->params[YOLO_GA_OUTER] = outer;
    n->params[YOLO_GA_DIM] = X->shape[axis];
    n->params[YOLO_GA_INNER] = inner;
    n->params[YOLO_GA_NIDX] = yolo_tensor_numel(I);
    return 0;
}

static void gather_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const uint8_t *X = yolo_exec_ptr(x, n->in[0]);
    const void *I = yolo_exec_ptr(x, n->in[1]);
    uint8_t *Y = yolo_exec_ptr(x, n->out[0]);
    int i32 = x->g->tensors[n->in[1]].dtype == YOLO_DT_I32;
    size_t es = yolo_dtype_size(x->g->tensors[n->in[0]].dtype);
    int64_t dim = n->params[YOLO_GA_DIM], nidx = n->params[YOLO_GA_NIDX];
    size_t row = (size_t)n->params[YOLO_GA_INNER] * es;
    int64_t s, e;
    yolo_bc_split(n->params[YOLO_GA_OUTER] * nidx, ith, nth, &s, &e);
    for (int64_t r = s; r < e; r++) {
        int64_t o = r / nidx, j = r % nidx;
        int64_t idx = i32 ? ((const int32_t *)I)[j] : ((const int64_t *)I)[j];
        if (idx < 0)
            idx += dim;
        if (idx < 0 || idx >= dim)
            memset(Y + (size_t)r * row, 0, row);
        else
            memcpy(Y + (size_t)r * row, X + (size_t)(o * dim + idx) * row, row);
    }
}

const struct yolo_op_impl yolo_op_gather = {
    "Gather", "Gather", gather_import, gather_shape, gather_ref, NULL
};
