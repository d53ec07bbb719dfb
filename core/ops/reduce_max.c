/* ops/reduce_max.c: ReduceMax (ONNX opset 1, 11, 12, 13, 18, 20) over float32 or int64.
 * The axes are an attribute before opset 18 and an optional constant int64 input from 18.
 * No axes (or an empty list) reduces every dim, unless noop_with_empty_axes = 1, which makes
 * the op an identity. keepdims = 1 keeps reduced dims as size 1.
 * Per opset 18, the max of an empty set is -inf (int64: INT64_MIN). A NaN in the reduced
 * set gives NaN.
 *
 * params[0] = keepdims (default 1), params[1] = noop_with_empty_axes (default 0)
 * params[2 .. 2+YOLO_BC_AXES_PARAMS): axes (see yolo_bc_axes_import in broadcast.h)
 * params[10] = bit mask of the reduced input dims (resolved by shape_fn) */
#include <math.h>

#include "broadcast.h"
#include "op_params.h"


static int reduce_max_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                             struct yolo_diag *d)
{
    (void)g;
    int bad = 0;
    n->params[YOLO_RM_KEEPDIMS] = yolo_attr_int(a, "keepdims", 1, &bad);
    n->params[YOLO_RM_NOOP] = yolo_attr_int(a, "noop_with_empty_axes", 0, &bad);
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attributes keepdims and "
                               "noop_with_empty_axes must be ints");
    return yolo_bc_axes_import(n, a, "axes", YOLO_RM_AXES, d);
}

static int reduce_max_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 1, 2, 1, d);
    if (rc)
        return rc;
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    if (X->dtype != YOLO_DT_F32 && X->dtype != YOLO_DT_I64)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "input '%s' is %s; float32 or int64 "
                               "expected", X->name, yolo_dtype_name(X->dtype));
    for (int k = YOLO_RM_KEEPDIMS; k <= YOLO_RM_NOOP; k++)
        if (n->params[k] != 0 && n->params[k] != 1)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "%s must be 0 or 1",
                                   k == YOLO_RM_KEEPDIMS ? "keepdims" : "noop_with_empty_axes");
    int64_t axes[YOLO_MAX_DIMS], out[YOLO_MAX_DIMS];
    int32_t count;
    int present;
    rc = yolo_bc_axes_get(g, n, YOLO_RM_AXES, 1, axes, &count, &present, d);
    if (rc)
        return rc;
    uint32_t mask = 0;
    if (count > 0) {
        rc = yolo_bc_axes_norm(n, axes, count, X->ndim, &mask, d);
        if (rc)
            return rc;
    } else if (!n->params[YOLO_RM_NOOP]) {
        mask = (1u << X->ndim) - 1;
    }
    int32_t r = 0;
    for (int32_t i = 0; i < X->ndim; i++) {
        if (!(mask & (1u << i)))
            out[r++] = X->shape[i];
        else if (n->params[YOLO_RM_KEEPDIMS])
            out[r++] = 1;
    }
    rc = yolo_bc_set_out(g, n, 0, X->dtype, r, out, d);
    if (rc)
        return rc;
    n->params[YOLO_RM_MASK] = mask;
    return 0;
}

static void reduce_max_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                           int nth)
{
    const struct yolo_tensor *XT = &x->g->tensors[n->in[0]];
    int f32 = XT->dtype == YOLO_DT_F32;
    const float *Xf = yolo_exec_ptr(x, n->in[0]);
    const int64_t *Xi = yolo_exec_ptr(x, n->in[0]);
    float *Yf = yolo_exec_ptr(x, n->out[0]);
    int64_t *Yi = yolo_exec_ptr(x, n->out[0]);
    uint32_t mask = (uint32_t)n->params[YOLO_RM_MASK];
    int64_t xs[YOLO_MAX_DIMS];
    yolo_bc_strides(XT->ndim, XT->shape, xs);
    /* kept dims walk the output, reduced dims the set each output element covers */
    int64_t ks[YOLO_MAX_DIMS], kst[YOLO_MAX_DIMS], rs[YOLO_MAX_DIMS], rst[YOLO_MAX_DIMS];
    int32_t nk = 0, nr = 0;
    int64_t n_out = 1, n_red = 1;
    for (int32_t i = 0; i < XT->ndim; i++) {
        if (mask & (1u << i)) {
            rs[nr] = XT->shape[i];
            rst[nr++] = xs[i];
            n_red *= XT->shape[i];
        } else {
            ks[nk] = XT->shape[i];
            kst[nk++] = xs[i];
            n_out *= XT->shape[i];
        }
    }
    int64_t s, e, idx[YOLO_MAX_DIMS];
    yolo_bc_split(n_out, ith, nth, &s, &e);
    for (int64_t o = s; o < e; o++) {
        yolo_bc_unravel(nk, ks, o, idx);
        int64_t base = 0;
        for (int32_t k = 0; k < nk; k++)
            base += idx[k] * kst[k];
        float mf = -INFINITY;
        int64_t mi = INT64_MIN;
        int64_t ridx[YOLO_MAX_DIMS] = { 0 }, off = base;
        for (int64_t j = 0; j < n_red; j++) {
            if (f32) {
                float v = Xf[off];
                if (v > mf || isnan(v))
                    mf = isnan(mf) ? mf : v;
            } else if (Xi[off] > mi) {
                mi = Xi[off];
            }
            for (int32_t k = nr - 1; k >= 0; k--) {
                off += rst[k];
                if (++ridx[k] < rs[k])
                    break;
                off -= rs[k] * rst[k];
                ridx[k] = 0;
            }
        }
        if (f32)
            Yf[o] = mf;
        else
            Yi[o] = mi;
    }
}

const struct yolo_op_impl yolo_op_reduce_max = {
    "ReduceMax", "ReduceMax", reduce_max_import, reduce_max_shape, reduce_max_ref, NULL
};
