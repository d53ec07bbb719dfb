/* ops/transpose.c: Transpose (ONNX opsets 1..21), any rank up to YOLO_MAX_DIMS, any dtype of
 * 1, 2, 4 or 8 bytes: import, shape inference, reference kernel.
 *
 * Output dim i is input dim perm[i]; perm defaults to the reversed dims.
 * params: [0] number of perm values given (0: default)  [1..6] perm as given
 *         [8..13] perm resolved by shape_fn (the kernel reads only these)
 */
#include <string.h>

#include "op_params.h"


static int transpose_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                            struct yolo_diag *d)
{
    (void)g;
    int bad = 0;
    int32_t cnt = 0;
    if (n->n_in != 1 || n->n_out != 1)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects 1 input and 1 output, has %d and %d",
                               n->n_in, n->n_out);
    const int64_t *perm = yolo_attr_ints(a, "perm", &cnt, &bad);
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute 'perm' has the wrong type");
    if (cnt > YOLO_MAX_DIMS)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "perm has %d values (max rank %d)", cnt,
                               YOLO_MAX_DIMS);
    n->params[YOLO_TP_N] = cnt;
    for (int32_t i = 0; i < cnt; i++)
        n->params[YOLO_TP_PERM + i] = perm[i];
    return 0;
}

static int transpose_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int64_t *p = n->params;
    if (n->n_in != 1 || n->n_out != 1 || n->in[0] < 0 || n->in[0] >= g->n_tensors ||
        n->out[0] < 0 || n->out[0] >= g->n_tensors)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects 1 input and 1 output");
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    size_t es = yolo_dtype_size(X->dtype);
    if (es != 1 && es != 2 && es != 4 && es != 8)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "dtype %s is not supported",
                               yolo_dtype_name(X->dtype));
    if (X->ndim < 0 || yolo_tensor_numel(X) < 0)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input shape unknown");
    int r = X->ndim;
    if (p[YOLO_TP_N] != 0 && p[YOLO_TP_N] != r)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "perm has %lld values for rank %d",
                               (long long)p[YOLO_TP_N], r);
    int seen[YOLO_MAX_DIMS] = { 0 };
    for (int i = 0; i < r; i++) {
        int64_t v = p[YOLO_TP_N] ? p[YOLO_TP_PERM + i] : r - 1 - i;
        if (v < 0 || v >= r || seen[v])
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "perm is not a permutation of 0..%d",
                                   r - 1);
        seen[v] = 1;
        p[YOLO_TP_RES + i] = v;
    }
    struct yolo_tensor *Y = &g->tensors[n->out[0]];
    int64_t shape[YOLO_MAX_DIMS];
    for (int i = 0; i < r; i++)
        shape[i] = X->shape[p[YOLO_TP_RES + i]];
    Y->dtype = X->dtype;
    Y->ndim = r;
    memcpy(Y->shape, shape, sizeof(int64_t) * (size_t)r);
    return 0;
}

/* Walks the output in order, one row (last output dim) at a time; threads split the rows. */
static void transpose_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &x->g->tensors[n->in[0]], *Y = &x->g->tensors[n->out[0]];
    const uint8_t *src = yolo_exec_ptr(x, n->in[0]);
    uint8_t *dst = yolo_exec_ptr(x, n->out[0]);
    size_t es = yolo_dtype_size(X->dtype);
    int r = X->ndim;
    if (r == 0) {
        if (ith == 0)
            memcpy(dst, src, es);
        return;
    }
    int64_t in_stride[YOLO_MAX_DIMS], st[YOLO_MAX_DIMS], idx[YOLO_MAX_DIMS];
    in_stride[r - 1] = 1;
    for (int i = r - 2; i >= 0; i--)
        in_stride[i] = in_stride[i + 1] * X->shape[i + 1];
    for (int i = 0; i < r; i++)
        st[i] = in_stride[p[YOLO_TP_RES + i]];          /* input stride of output dim i */
    int64_t len = Y->shape[r - 1], numel = yolo_tensor_numel(Y);
    if (len == 0 || numel == 0)
        return;
    int64_t rows = numel / len, lo = rows * ith / nth, hi = rows * (ith + 1) / nth;
    int64_t off = 0, rem = lo;
    for (int i = r - 2; i >= 0; i--) {
        idx[i] = rem % Y->shape[i];
        rem /= Y->shape[i];
        off += idx[i] * st[i];
    }
    int64_t s = st[r - 1];
    for (int64_t row = lo; row < hi; row++) {
        uint8_t *o = dst + (size_t)(row * len) * es;
        switch (es) {
        case 1:
            for (int64_t j = 0; j < len; j++)
                o[j] = src[off + j * s];
            break;
        case 2:
            for (int64_t j = 0; j < len; j++)
                ((uint16_t *)o)[j] = ((const uint16_t *)src)[off + j * s];
            break;
        case 4:
            for (int64_t j = 0; j < len; j++)
                ((uint32_t *)o)[j] = ((const uint32_t *)src)[off + j * s];
            break;
        default:
            for (int64_t j = 0; j < len; j++)
                ((uint64_t *)o)[j] = ((const uint64_t *)src)[off + j * s];
            break;
        }
        for (int i = r - 2; i >= 0; i--) {   /* next row: odometer over the outer dims */
            off += st[i];
            if (++idx[i] < Y->shape[i])
                break;
            off -= st[i] * idx[i];
            idx[i] = 0;
        }
    }
}

const struct yolo_op_impl yolo_op_transpose = {
    .onnx_name = "Transpose",
    .display_name = "Transpose",
    .import_fn = transpose_import,
    .shape_fn = transpose_shape,
    .ref_fn = transpose_ref,
};
