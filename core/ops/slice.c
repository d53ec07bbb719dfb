/* ops/slice.c: Slice (ONNX opsets 1..13), any rank and dtype: import, shape inference,
 * reference kernel.
 *
 * Opset >= 10: inputs data, starts, ends, optional axes, optional steps (build-time int32 or
 * int64 constants). Opset < 10: attributes starts, ends, optional axes, step 1.
 * Per the spec, for each sliced axis (negative axes count from the back, each at most once):
 * a negative start/end gets dim added; then for step > 0 start and end are clamped to
 * [0, dim], for step < 0 start to [0, dim-1] and end to [-1, dim-1]; the length is
 * ceil((end - start) / step), at least 0. Ends like INT64_MAX ("to the end") fall out of the
 * clamping. Step 0 is an error.
 * params (shape_fn resolves them; the kernel reads only [0..11]):
 *   [0..5]   start per dim after clamping  [6..11] step per dim (1 for dims not sliced)
 *   [12]     1 when the slice comes from attributes (opset < 10)
 *   [13]     number of attribute axes  [14..19] starts  [20..25] ends  [26..31] axes
 */
#include <string.h>

#include "op_params.h"
#include "yolo_core.h"


static int slice_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                        struct yolo_diag *d)
{
    (void)g;
    if (n->n_out != 1)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects 1 output, has %d", n->n_out);
    if (a->opset >= 10) {
        if (n->n_in < 3 || n->n_in > 5)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects 3 to 5 inputs, has %d", n->n_in);
        return 0;
    }
    if (n->n_in != 1)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects 1 input before opset 10, has %d",
                               n->n_in);
    int bad = 0;
    int32_t ns = 0, ne = 0, na = 0;
    const int64_t *st = yolo_attr_ints(a, "starts", &ns, &bad);
    const int64_t *en = yolo_attr_ints(a, "ends", &ne, &bad);
    const int64_t *ax = yolo_attr_ints(a, "axes", &na, &bad);
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attributes starts/ends/axes must be ints");
    if (!st || !en || ns != ne || (ax && na != ns) || ns > YOLO_MAX_DIMS)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "starts, ends and axes must have the same "
                               "length (at most %d)", YOLO_MAX_DIMS);
    n->params[YOLO_SL_ATTR] = 1;
    n->params[YOLO_SL_NATTR] = ns;
    for (int32_t i = 0; i < ns; i++) {
        n->params[YOLO_SL_ASTARTS + i] = st[i];
        n->params[YOLO_SL_AENDS + i] = en[i];
        n->params[YOLO_SL_AAXES + i] = ax ? ax[i] : i;
    }
    return 0;
}

/* Reads constant input slot i (int32 or int64, 1-D) into v; *cnt = its length. 0 if absent. */
static int read_ints(struct yolo_graph *g, struct yolo_node *n, int i, const char *what,
                     int64_t *v, int *cnt, struct yolo_diag *d)
{
    *cnt = -1;
    if (i >= n->n_in || n->in[i] < 0)
        return 0;
    if (n->in[i] >= g->n_tensors)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "invalid input '%s'", what);
    const struct yolo_tensor *T = &g->tensors[n->in[i]];
    const void *data = yolo_graph_const_data(g, n->in[i]);
    if (!data)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "input '%s' must be a constant", what);
    if ((T->dtype != YOLO_DT_I64 && T->dtype != YOLO_DT_I32) || T->ndim != 1 ||
        T->shape[0] > YOLO_MAX_DIMS)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input '%s' must be int32/int64 with at most "
                               "%d values", what, YOLO_MAX_DIMS);
    *cnt = (int)T->shape[0];
    for (int k = 0; k < *cnt; k++)
        v[k] = T->dtype == YOLO_DT_I64 ? ((const int64_t *)data)[k] : ((const int32_t *)data)[k];
    return 0;
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

static int slice_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int64_t *p = n->params;
    int64_t starts[YOLO_MAX_DIMS], ends[YOLO_MAX_DIMS], axes[YOLO_MAX_DIMS], steps[YOLO_MAX_DIMS];
    int ns, ne, na = -1, nst = -1, rc;
    if (n->n_in < 1 || n->n_in > 5 || n->n_out != 1 || n->in[0] < 0 || n->in[0] >= g->n_tensors ||
        n->out[0] < 0 || n->out[0] >= g->n_tensors)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects a data input and 1 output");
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    int r = X->ndim;
    if (r < 1 || yolo_tensor_numel(X) < 0 || yolo_dtype_size(X->dtype) == 0)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input must have a known dtype and "
                               "rank >= 1");
    if (p[YOLO_SL_ATTR]) {
        ns = ne = na = (int)p[YOLO_SL_NATTR];
        if (ns < 0 || ns > YOLO_MAX_DIMS)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "bad attribute count %d", ns);
        for (int i = 0; i < ns; i++) {
            starts[i] = p[YOLO_SL_ASTARTS + i];
            ends[i] = p[YOLO_SL_AENDS + i];
            axes[i] = p[YOLO_SL_AAXES + i];
        }
    } else {
        if (n->n_in < 3)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects inputs starts and ends");
        if ((rc = read_ints(g, n, 1, "starts", starts, &ns, d)) ||
            (rc = read_ints(g, n, 2, "ends", ends, &ne, d)) ||
            (rc = read_ints(g, n, 3, "axes", axes, &na, d)) ||
            (rc = read_ints(g, n, 4, "steps", steps, &nst, d)))
            return rc;
        if (ns < 0 || ne < 0)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "inputs starts and ends are required");
    }
    if (ne != ns || (na >= 0 && na != ns) || (nst >= 0 && nst != ns) || ns > r)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "starts, ends, axes and steps must have the "
                               "same length, at most the rank %d", r);
    int64_t shape[YOLO_MAX_DIMS];
    int seen[YOLO_MAX_DIMS] = { 0 };
    for (int k = 0; k < r; k++) {
        p[YOLO_SL_START + k] = 0;
        p[YOLO_SL_STEP + k] = 1;
        shape[k] = X->shape[k];
    }
    for (int i = 0; i < ns; i++) {
        int64_t ax = na >= 0 ? axes[i] : i, step = nst >= 0 ? steps[i] : 1;
        if (ax < -r || ax >= r)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "axis %lld out of range for rank %d",
                                   (long long)ax, r);
        if (ax < 0)
            ax += r;
        if (seen[ax]++)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "axis %lld repeated", (long long)ax);
        if (step == 0)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "step 0 on axis %lld", (long long)ax);
        int64_t dim = X->shape[ax], s = starts[i], e = ends[i], len;
        s = s < 0 ? s + dim : s;     /* no overflow: dim >= 0 is added only to negatives */
        e = e < 0 ? e + dim : e;
        if (dim == 0) {
            s = 0;
            len = 0;
        } else if (step > 0) {
            s = clamp(s, 0, dim);
            e = clamp(e, 0, dim);
            len = e > s ? (e - s - 1) / step + 1 : 0;
        } else {
            s = clamp(s, 0, dim - 1);
            e = clamp(e, -1, dim - 1);
            /* -step overflows for INT64_MIN; any step <= -dim takes one element anyway */
            len = s > e ? (s - e - 1) / (step < -dim ? dim + 1 : -step) + 1 : 0;
        }
        p[YOLO_SL_START + ax] = s;
        p[YOLO_SL_STEP + ax] = step < -dim - 1 ? -dim - 1 : step > dim + 1 ? dim + 1 : step;
        shape[ax] = len;
    }
    struct yolo_tensor *Y = &g->tensors[n->out[0]];
    Y->dtype = X->dtype;
    Y->ndim = r;
    memcpy(Y->shape, shape, sizeof(int64_t) * (size_t)r);
    return 0;
}

/* Walks the output rows (last dim); input offset = sum (start + i * step) * stride. Threads
 * split the rows. */
static void slice_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &x->g->tensors[n->in[0]], *Y = &x->g->tensors[n->out[0]];
    const uint8_t *src = yolo_exec_ptr(x, n->in[0]);
    uint8_t *dst = yolo_exec_ptr(x, n->out[0]);
    size_t es = yolo_dtype_size(X->dtype);
    int r = X->ndim;
    int64_t stride[YOLO_MAX_DIMS], numel = yolo_tensor_numel(Y), len = Y->shape[r - 1];
    if (numel == 0)
        return;
    stride[r - 1] = 1;
    for (int k = r - 2; k >= 0; k--)
        stride[k] = stride[k + 1] * X->shape[k + 1];
    int64_t rows = numel / len, lo = rows * ith / nth, hi = rows * (ith + 1) / nth;
    int64_t s_last = p[YOLO_SL_STEP + r - 1];
    for (int64_t row = lo; row < hi; row++) {
        int64_t rem = row, off = p[YOLO_SL_START + r - 1];
        for (int k = r - 2; k >= 0; k--) {
            int64_t i = rem % Y->shape[k];
            rem /= Y->shape[k];
            off += (p[YOLO_SL_START + k] + i * p[YOLO_SL_STEP + k]) * stride[k];
        }
        uint8_t *o = dst + (size_t)(row * len) * es;
        if (s_last == 1) {
            memcpy(o, src + (size_t)off * es, (size_t)len * es);
            continue;
        }
        for (int64_t j = 0; j < len; j++)
            memcpy(o + (size_t)j * es, src + (size_t)(off + j * s_last) * es, es);
    }
}

const struct yolo_op_impl yolo_op_slice = {
    .onnx_name = "Slice",
    .display_name = "Slice",
    .import_fn = slice_import,
    .shape_fn = slice_shape,
    .ref_fn = slice_ref,
};
