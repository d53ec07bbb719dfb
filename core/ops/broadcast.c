/* broadcast.c: see broadcast.h. */
#include <string.h>

#include "broadcast.h"

/* Dims >= 0 whose product, with zeros counted as 1, is at most YOLO_MAX_TENSOR_BYTES: then
 * no product of any subset of them (strides, row counts) can overflow, even for an empty
 * tensor such as [0, 2^40, 2^40]. */
static int extent_ok(int32_t ndim, const int64_t *shape)
{
    int64_t p = 1;
    for (int32_t i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return 0;
        if (shape[i] > 1 && __builtin_mul_overflow(p, shape[i], &p))
            return 0;
        if (p > (int64_t)YOLO_MAX_TENSOR_BYTES)
            return 0;
    }
    return 1;
}

int yolo_bc_check_tensor(const struct yolo_graph *g, const struct yolo_node *n, int32_t t,
                         const char *role, int k, struct yolo_diag *d)
{
    if (t < 0 || t >= g->n_tensors)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "%s %d: tensor index %d out of range",
                               role, k, t);
    const struct yolo_tensor *T = &g->tensors[t];
    if (T->ndim < 0)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "%s '%s': shape unknown", role,
                               T->name);
    if (T->ndim > YOLO_MAX_DIMS)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "%s '%s': rank %d exceeds %d", role,
                               T->name, T->ndim, YOLO_MAX_DIMS);
    if (yolo_dtype_size(T->dtype) == 0)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "%s '%s': unsupported dtype %d",
                               role, T->name, (int)T->dtype);
    if (!extent_ok(T->ndim, T->shape))
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "%s '%s': invalid or too large shape",
                               role, T->name);
    return 0;
}

int yolo_bc_check_io(const struct yolo_graph *g, const struct yolo_node *n, int min_in,
                     int max_in, int n_out, struct yolo_diag *d)
{
    if (n->n_in < min_in || n->n_in > max_in || n->n_in > YOLO_MAX_IN) {
        if (min_in == max_in)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects %d input(s), has %d", min_in,
                                   n->n_in);
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects %d to %d inputs, has %d", min_in,
                               max_in, n->n_in);
    }
    if (n->n_out != n_out)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects %d output(s), has %d", n_out,
                               n->n_out);
    for (int k = 0; k < n->n_in; k++) {
        if (k >= min_in && n->in[k] < 0)
            continue;
        int rc = yolo_bc_check_tensor(g, n, n->in[k], "input", k, d);
        if (rc)
            return rc;
    }
    for (int k = 0; k < n_out; k++) {
        int32_t t = n->out[k];
        if (t < 0 || t >= g->n_tensors)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "output %d: tensor index %d out of "
                                   "range", k, t);
        for (int j = 0; j < n->n_in; j++)
            if (n->in[j] == t)
                return yolo_node_error(d, YOLO_ERR_FORMAT, n, "tensor '%s' is both input and "
                                       "output", g->tensors[t].name);
        for (int j = 0; j < k; j++)
            if (n->out[j] == t)
                return yolo_node_error(d, YOLO_ERR_FORMAT, n, "tensor '%s' is two outputs",
                                       g->tensors[t].name);
    }
    return 0;
}

int yolo_bc_set_out(struct yolo_graph *g, const struct yolo_node *n, int k, enum yolo_dtype dt,
                    int32_t ndim, const int64_t *shape, struct yolo_diag *d)
{
    struct yolo_tensor *T = &g->tensors[n->out[k]];
    if (ndim < 0 || ndim > YOLO_MAX_DIMS)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "output '%s': rank %d exceeds %d",
                               T->name, ndim, YOLO_MAX_DIMS);
    for (int32_t i = 0; i < ndim; i++)
        if (shape[i] < 0)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "output '%s': negative dim %lld",
                                   T->name, (long long)shape[i]);
    struct yolo_tensor tmp = *T;
    tmp.dtype = dt;
    tmp.ndim = ndim;
    for (int32_t i = 0; i < YOLO_MAX_DIMS; i++)
        tmp.shape[i] = i < ndim ? shape[i] : 0;
    int64_t numel = yolo_tensor_numel(&tmp);
    if (yolo_dtype_size(dt) == 0 || !extent_ok(ndim, shape) || numel < 0 ||
        (numel > 0 && yolo_tensor_bytes(&tmp) == 0))
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "output '%s': too large or invalid "
                               "(dtype %s)", T->name, yolo_dtype_name(dt));
    T->dtype = tmp.dtype;
    T->ndim = tmp.ndim;
    memcpy(T->shape, tmp.shape, sizeof T->shape);
    return 0;
}

int yolo_bc_const_i64(const struct yolo_graph *g, const struct yolo_node *n, int slot,
                      const char *what, int32_t max_len, int64_t *vals, int32_t *len,
                      struct yolo_diag *d)
{
    int32_t t = slot < n->n_in ? n->in[slot] : -1;
    if (t < 0 || t >= g->n_tensors)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input '%s' is missing", what);
    const struct yolo_tensor *T = &g->tensors[t];
    const int64_t *p = yolo_graph_const_data(g, t);
    /* an empty const may have no bytes at all (NULL when the blob is still empty) */
    if (!(T->flags & YOLO_TF_CONST))
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "input '%s' ('%s') must be a constant",
                               what, T->name);
    if (T->dtype != YOLO_DT_I64)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "input '%s' must be int64, not %s",
                               what, yolo_dtype_name(T->dtype));
    int64_t numel = yolo_tensor_numel(T);
    if (T->ndim > 1 || numel < 0 || numel > max_len)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "input '%s' must be 1-D with at most "
                               "%d values", what, max_len);
    if (numel > 0 && !p)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input '%s' has no data", what);
    if (numel > 0)
        memcpy(vals, p, (size_t)numel * sizeof *vals);
    *len = (int32_t)numel;
    return 0;
}

int yolo_bc_axes_import(struct yolo_node *n, struct yolo_attrs *a, const char *name, int base,
                        struct yolo_diag *d)
{
    int bad = 0;
    int32_t count = 0;
    const int64_t *v = yolo_attr_ints(a, name, &count, &bad);
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute '%s' must be a list of ints",
                               name);
    if (!v) {
        n->params[base] = 1;
        n->params[base + 1] = 0;
        return 0;
    }
    if (count > YOLO_MAX_DIMS)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "attribute '%s' has %d values; at "
                               "most %d are supported", name, count, YOLO_MAX_DIMS);
    n->params[base] = 0;
    n->params[base + 1] = count;
    for (int32_t i = 0; i < count; i++)
        n->params[base + 2 + i] = v[i];
    return 0;
}

int yolo_bc_axes_get(const struct yolo_graph *g, struct yolo_node *n, int base, int slot,
                     int64_t *axes, int32_t *count, int *present, struct yolo_diag *d)
{
    int64_t src = n->params[base];
    *present = 1;
    if (src == 1) {
        if (slot >= n->n_in || n->in[slot] < 0) {
            *present = 0;
            *count = 0;
        } else {
            int rc = yolo_bc_const_i64(g, n, slot, "axes", YOLO_MAX_DIMS, axes, count, d);
            if (rc)
                return rc;
        }
        n->params[base + 1] = *count;
        for (int32_t i = 0; i < *count; i++)
            n->params[base + 2 + i] = axes[i];
        return 0;
    }
    if (src != 0 || n->params[base + 1] < 0 || n->params[base + 1] > YOLO_MAX_DIMS)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "invalid axes params");
    if (slot < n->n_in && n->in[slot] >= 0)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "axes given both as attribute and input");
    *count = (int32_t)n->params[base + 1];
    for (int32_t i = 0; i < *count; i++)
        axes[i] = n->params[base + 2 + i];
    return 0;
}

int yolo_bc_axes_norm(const struct yolo_node *n, int64_t *axes, int32_t count, int32_t r,
                      uint32_t *mask, struct yolo_diag *d)
{
    *mask = 0;
    for (int32_t i = 0; i < count; i++) {
        int32_t ax = yolo_bc_axis(axes[i], r);
        if (ax < 0)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "axis %lld out of range for rank %d",
                                   (long long)axes[i], r);
        if (*mask & (1u << ax))
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "axis %lld repeated",
                                   (long long)axes[i]);
        *mask |= 1u << ax;
        axes[i] = ax;
    }
    return 0;
}

int yolo_bc_shape(int32_t na, const int64_t *a, int32_t nb, const int64_t *b, int32_t *nout,
                  int64_t out[YOLO_MAX_DIMS])
{
    int32_t r = na > nb ? na : nb;
    if (na < 0 || nb < 0 || r > YOLO_MAX_DIMS)
        return -1;
    for (int32_t i = 0; i < r; i++) {
        /* i counts from the right */
        int64_t da = i < na ? a[na - 1 - i] : 1;
        int64_t db = i < nb ? b[nb - 1 - i] : 1;
        int64_t o;
        if (da == db || db == 1)
            o = da;
        else if (da == 1)
            o = db;
        else
            return -1;
        out[r - 1 - i] = o;
    }
    *nout = r;
    return 0;
}

void yolo_bc_plan_make(struct yolo_bc_plan *p, int32_t nout, const int64_t *out, int32_t na,
                       const int64_t *a, int32_t nb, const int64_t *b)
{
    int64_t sa[YOLO_MAX_DIMS], sb[YOLO_MAX_DIMS];
    int32_t ins_n[2] = { na, nb };
    const int64_t *ins[2] = { a, b };
    int64_t *st[2] = { sa, sb };
    p->numel = 1;
    for (int32_t i = 0; i < nout; i++)
        p->numel *= out[i];
    /* right-align each input on the output; stride 0 where it has size 1 */
    for (int k = 0; k < 2; k++) {
        int64_t s = 1;
        for (int32_t i = nout - 1; i >= 0; i--) {
            int32_t j = ins_n[k] - (nout - i);
            int64_t dim = j >= 0 ? ins[k][j] : 1;
            st[k][i] = dim == 1 ? 0 : s;
            s *= dim;
        }
    }
    /* drop output dims of size 1, then merge an outer dim into the next inner one when both
     * inputs walk them as one contiguous (or entirely broadcast) range */
    int32_t nd = 0;
    for (int32_t i = 0; i < nout; i++) {
        if (out[i] == 1)
            continue;
        if (nd > 0 && sa[i] * out[i] == p->stride[0][nd - 1] &&
            sb[i] * out[i] == p->stride[1][nd - 1]) {
            p->shape[nd - 1] *= out[i];
            p->stride[0][nd - 1] = sa[i];
            p->stride[1][nd - 1] = sb[i];
            continue;
        }
        p->shape[nd] = out[i];
        p->stride[0][nd] = sa[i];
        p->stride[1][nd] = sb[i];
        nd++;
    }
    if (nd == 0) {
        p->shape[0] = 1;
        p->stride[0][0] = p->stride[1][0] = 0;
        nd = 1;
    }
    p->ndim = nd;
}

void yolo_bc_apply(const struct yolo_bc_plan *p, const void *a, size_t ea, const void *b,
                   size_t eb, void *y, size_t ey, int64_t start, int64_t end, yolo_bc_run_fn run,
                   const void *ctx)
{
    if (end > p->numel)
        end = p->numel;
    if (start >= end)
        return;
    const uint8_t *A = a, *B = b;
    uint8_t *Y = y;
    int32_t nd = p->ndim, last = nd - 1;
    int64_t idx[YOLO_MAX_DIMS], oa = 0, ob = 0;
    yolo_bc_unravel(nd, p->shape, start, idx);
    for (int32_t i = 0; i < nd; i++) {
        oa += idx[i] * p->stride[0][i];
        ob += idx[i] * p->stride[1][i];
    }
    int64_t inner = p->shape[last], sa = p->stride[0][last], sb = p->stride[1][last];
    int64_t pos = start;
    while (pos < end) {
        int64_t len = inner - idx[last];
        if (len > end - pos)
            len = end - pos;
        run(ctx, A + (size_t)oa * ea, sa, B + (size_t)ob * eb, sb, Y + (size_t)pos * ey, len);
        pos += len;
        idx[last] += len;
        oa += len * sa;
        ob += len * sb;
        if (idx[last] < inner || pos >= end)
            continue;
        /* carry into the outer dims */
        oa -= inner * sa;
        ob -= inner * sb;
        idx[last] = 0;
        for (int32_t i = last - 1; i >= 0; i--) {
            idx[i]++;
            oa += p->stride[0][i];
            ob += p->stride[1][i];
            if (idx[i] < p->shape[i])
                break;
            oa -= p->shape[i] * p->stride[0][i];
            ob -= p->shape[i] * p->stride[1][i];
            idx[i] = 0;
        }
    }
}

int yolo_bc_binary_shape(struct yolo_graph *g, struct yolo_node *n, enum yolo_dtype out_dt,
                         struct yolo_diag *d)
{
    const struct yolo_tensor *A = &g->tensors[n->in[0]], *B = &g->tensors[n->in[1]];
    int32_t r;
    int64_t shape[YOLO_MAX_DIMS];
    if (yolo_bc_shape(A->ndim, A->shape, B->ndim, B->shape, &r, shape))
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "shapes of '%s' (rank %d) and '%s' (rank "
                               "%d) do not broadcast", A->name, A->ndim, B->name, B->ndim);
    return yolo_bc_set_out(g, n, 0, out_dt, r, shape, d);
}

int yolo_bc_arith_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 2, 2, 1, d);
    if (rc)
        return rc;
    const struct yolo_tensor *A = &g->tensors[n->in[0]], *B = &g->tensors[n->in[1]];
    if (A->dtype != B->dtype || (A->dtype != YOLO_DT_F32 && A->dtype != YOLO_DT_I64))
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "inputs are %s and %s; supported: "
                               "both float32 or both int64", yolo_dtype_name(A->dtype),
                               yolo_dtype_name(B->dtype));
    return yolo_bc_binary_shape(g, n, A->dtype, d);
}

void yolo_bc_binary_kernel(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                           int nth, yolo_bc_run_fn run, const void *ctx)
{
    const struct yolo_tensor *A = &x->g->tensors[n->in[0]], *B = &x->g->tensors[n->in[1]];
    const struct yolo_tensor *Y = &x->g->tensors[n->out[0]];
    struct yolo_bc_plan p;
    int64_t s, e;
    yolo_bc_plan_make(&p, Y->ndim, Y->shape, A->ndim, A->shape, B->ndim, B->shape);
    yolo_bc_split(p.numel, ith, nth, &s, &e);
    yolo_bc_apply(&p, yolo_exec_ptr(x, n->in[0]), yolo_dtype_size(A->dtype),
                  yolo_exec_ptr(x, n->in[1]), yolo_dtype_size(B->dtype),
                  yolo_exec_ptr(x, n->out[0]), yolo_dtype_size(Y->dtype), s, e, run, ctx);
}

int yolo_bc_unary_shape(struct yolo_graph *g, struct yolo_node *n, enum yolo_dtype dt,
                        struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 1, 1, 1, d);
    if (rc)
        return rc;
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    if (X->dtype != dt)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "input '%s' is %s; only %s is "
                               "supported", X->name, yolo_dtype_name(X->dtype),
                               yolo_dtype_name(dt));
    return yolo_bc_set_out(g, n, 0, dt, X->ndim, X->shape, d);
}

void yolo_bc_copy(void *dst, const void *src, uint64_t bytes, int ith, int nth)
{
    if (dst == src || bytes == 0)
        return;
    const uint8_t *s8 = src;
    uint8_t *d8 = dst;
    if (d8 < s8 + bytes && s8 < d8 + bytes) {
        if (ith == 0)
            memmove(d8, s8, bytes);
        return;
    }
    int64_t s, e;
    yolo_bc_split((int64_t)bytes, ith, nth, &s, &e);
    if (e > s)
        memcpy(d8 + s, s8 + s, (size_t)(e - s));
}

void yolo_bc_view_kernel(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    yolo_bc_copy(yolo_exec_ptr(x, n->out[0]), yolo_exec_ptr(x, n->in[0]),
                 yolo_tensor_bytes(&x->g->tensors[n->in[0]]), ith, nth);
}

int yolo_bc_import_axis(struct yolo_node *n, struct yolo_attrs *a, int64_t *axis_param,
                        struct yolo_diag *d)
{
    int bad = 0;
    *axis_param = yolo_attr_int(a, "axis", 0, &bad);
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute 'axis' must be an int");
    return 0;
}

int yolo_bc_check_gather(struct yolo_graph *g, struct yolo_node *n, int64_t axis_param,
                         int32_t *axis, struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 2, 2, 1, d);
    if (rc)
        return rc;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *I = &g->tensors[n->in[1]];
    if (I->dtype != YOLO_DT_I64 && I->dtype != YOLO_DT_I32)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "indices '%s' are %s; int64 or int32 "
                               "expected", I->name, yolo_dtype_name(I->dtype));
    *axis = yolo_bc_axis(axis_param, X->ndim);
    if (*axis < 0)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "axis %lld out of range for rank %d",
                               (long long)axis_param, X->ndim);
    return 0;
}
