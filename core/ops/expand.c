/* ops/expand.c: Expand (ONNX opset 8, 13): broadcasts the input to the numpy broadcast of its
 * shape and `shape` (a constant int64 1-D input; dims >= 0). As the spec says, a 1 in `shape`
 * keeps the input's dim, so the output may be larger than `shape`. Any dtype.
 *
 * params[0] = output rank, params[1 .. 1+rank) = output shape (resolved by shape_fn) */
#include <string.h>

#include "broadcast.h"

enum { EX_RANK, EX_SHAPE };

static int expand_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 2, 2, 1, d);
    if (rc)
        return rc;
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    int64_t shape[YOLO_MAX_DIMS], out[YOLO_MAX_DIMS];
    int32_t cnt, r;
    rc = yolo_bc_const_i64(g, n, 1, "shape", YOLO_MAX_DIMS, shape, &cnt, d);
    if (rc)
        return rc;
    for (int32_t i = 0; i < cnt; i++)
        if (shape[i] < 0)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "shape[%d] = %lld is negative", i,
                                   (long long)shape[i]);
    if (yolo_bc_shape(X->ndim, X->shape, cnt, shape, &r, out))
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input '%s' (rank %d) does not broadcast "
                               "to the shape (rank %d)", X->name, X->ndim, cnt);
    rc = yolo_bc_set_out(g, n, 0, X->dtype, r, out, d);
    if (rc)
        return rc;
    n->params[EX_RANK] = r;
    for (int32_t i = 0; i < YOLO_MAX_DIMS; i++)
        n->params[EX_SHAPE + i] = i < r ? out[i] : 0;
    return 0;
}

/* y[0..n) = a's run: a copy when a advances, else one element repeated. ctx: element size. */
static void expand_run(const void *ctx, const uint8_t *a, int64_t sa, const uint8_t *b,
                       int64_t sb, uint8_t *y, int64_t n)
{
    size_t es = *(const size_t *)ctx;
    (void)b;
    (void)sb;
    if (sa) {
        memcpy(y, a, (size_t)n * es);
        return;
    }
    for (int64_t i = 0; i < n; i++)
        memcpy(y + (size_t)i * es, a, es);
}

static void expand_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_tensor *XT = &x->g->tensors[n->in[0]], *YT = &x->g->tensors[n->out[0]];
    const void *X = yolo_exec_ptr(x, n->in[0]);
    size_t es = yolo_dtype_size(XT->dtype);
    struct yolo_bc_plan p;
    int64_t s, e;
    yolo_bc_plan_make(&p, YT->ndim, YT->shape, XT->ndim, XT->shape, XT->ndim, XT->shape);
    yolo_bc_split(p.numel, ith, nth, &s, &e);
    yolo_bc_apply(&p, X, es, X, es, yolo_exec_ptr(x, n->out[0]), es, s, e, expand_run, &es);
}

const struct yolo_op_impl yolo_op_expand = {
    "Expand", "Expand", NULL, expand_shape, expand_ref, NULL
};
