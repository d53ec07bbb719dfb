/* ops/topk.c: TopK (ONNX opset 10, 11): the K largest (largest = 1) or smallest elements of X
 * along `axis`, as Values (X's dtype: float32 or int64) and Indices (int64). K is a constant
 * int64 input of one value, 0 <= K <= dim (K > dim is a shape error).
 *
 * params[0] = axis (attribute, default -1), params[1] = largest (default 1),
 * params[2] = sorted (default 1)                                        (from import_fn)
 * params[3] = K, params[4] = axis in [0, r), params[5] = outer = prod(shape[:axis]),
 * params[6] = dim = shape[axis], params[7] = inner = prod(shape[axis+1:])  (shape_fn)
 *
 * Order: best first; equal values keep the lower index first (as ONNX Runtime). sorted = 0
 * lets any order through per the spec; we return the sorted order anyway. NaN counts as
 * greater than every number (first for largest, last for smallest).
 * Kernel: per slice, an insertion into the K output slots (binary search for the place,
 * then a shift); an element not better than the current K-th is skipped at once. No
 * scratch. Slices (outer * inner) are split over threads. */
#include <math.h>

#include "broadcast.h"
#include "op_params.h"


static int topk_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                       struct yolo_diag *d)
{
    (void)g;
    int bad = 0;
    n->params[YOLO_TK_AXIS] = yolo_attr_int(a, "axis", -1, &bad);
    n->params[YOLO_TK_LARGEST] = yolo_attr_int(a, "largest", 1, &bad);
    n->params[YOLO_TK_SORTED] = yolo_attr_int(a, "sorted", 1, &bad);
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attributes axis, largest, sorted must be "
                               "ints");
    if (yolo_attr_int(a, "k", -1, &bad) != -1 || bad)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "TopK-1 (k attribute) is not "
                               "supported; K must be an input");
    return 0;
}

static int topk_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 2, 2, 2, d);
    if (rc)
        return rc;
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    if (X->dtype != YOLO_DT_F32 && X->dtype != YOLO_DT_I64)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "input '%s' is %s; float32 or int64 "
                               "expected", X->name, yolo_dtype_name(X->dtype));
    for (int k = YOLO_TK_LARGEST; k <= YOLO_TK_SORTED; k++)
        if (n->params[k] != 0 && n->params[k] != 1)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "%s must be 0 or 1",
                                   k == YOLO_TK_LARGEST ? "largest" : "sorted");
    int32_t axis = yolo_bc_axis(n->params[YOLO_TK_AXIS], X->ndim);
    if (axis < 0)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "axis %lld out of range for rank %d",
                               (long long)n->params[YOLO_TK_AXIS], X->ndim);
    int64_t kv[1];
    int32_t cnt;
    rc = yolo_bc_const_i64(g, n, 1, "K", 1, kv, &cnt, d);
    if (rc)
        return rc;
    if (cnt != 1)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "K must hold one value");
    int64_t dim = X->shape[axis];
    if (kv[0] < 0 || kv[0] > dim)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "K = %lld is outside [0, %lld] (axis %d "
                               "of '%s')", (long long)kv[0], (long long)dim, axis, X->name);
    int64_t out[YOLO_MAX_DIMS], outer = 1, inner = 1;
    for (int32_t i = 0; i < X->ndim; i++) {
        out[i] = i == axis ? kv[0] : X->shape[i];
        if (i < axis)
            outer *= X->shape[i];
        if (i > axis)
            inner *= X->shape[i];
    }
    rc = yolo_bc_set_out(g, n, 0, X->dtype, X->ndim, out, d);
    if (!rc)
        rc = yolo_bc_set_out(g, n, 1, YOLO_DT_I64, X->ndim, out, d);
    if (rc)
        return rc;
    n->params[YOLO_TK_K] = kv[0];
    n->params[YOLO_TK_AXIS_N] = axis;
    n->params[YOLO_TK_OUTER] = outer;
    n->params[YOLO_TK_DIM] = dim;
    n->params[YOLO_TK_INNER] = inner;
    return 0;
}

/* better(a, b): a goes strictly before b. NaN is above every number. */
static inline int f32_above(float a, float b)
{
    return a > b || (isnan(a) && !isnan(b));
}
#define BETTER_F32_LARGEST(a, b) f32_above(a, b)
#define BETTER_F32_SMALLEST(a, b) f32_above(b, a)
#define BETTER_I64_LARGEST(a, b) ((a) > (b))
#define BETTER_I64_SMALLEST(a, b) ((a) < (b))

/* One slice: x[j * st] for j < dim into vals/idxs[k * st] for k < K. */
#define TOPK_SLICE(name, T, BETTER)                                                          \
    static void name(const T *x, int64_t dim, int64_t st, int64_t K, T *vals, int64_t *idxs) \
    {                                                                                        \
        int64_t count = 0;                                                                   \
        for (int64_t j = 0; j < dim; j++) {                                                  \
            T v = x[j * st];                                                                 \
            if (count == K && (K == 0 || !BETTER(v, vals[(K - 1) * st])))                    \
                continue;                                                                    \
            int64_t lo = 0, hi = count; /* first slot v beats; ties stay ahead of v */       \
            while (lo < hi) {                                                                \
                int64_t mid = lo + (hi - lo) / 2;                                            \
                if (BETTER(v, vals[mid * st]))                                               \
                    hi = mid;                                                                \
                else                                                                         \
                    lo = mid + 1;                                                            \
            }                                                                                \
            int64_t end = count < K ? count : K - 1;                                         \
            for (int64_t k = end; k > lo; k--) {                                             \
                vals[k * st] = vals[(k - 1) * st];                                           \
                idxs[k * st] = idxs[(k - 1) * st];                                           \
            }                                                                                \
            vals[lo * st] = v;                                                               \
            idxs[lo * st] = j;                                                               \
            if (count < K)                                                                   \
                count++;                                                                     \
        }                                                                                    \
    }

TOPK_SLICE(topk_f32_largest, float, BETTER_F32_LARGEST)
TOPK_SLICE(topk_f32_smallest, float, BETTER_F32_SMALLEST)
TOPK_SLICE(topk_i64_largest, int64_t, BETTER_I64_LARGEST)
TOPK_SLICE(topk_i64_smallest, int64_t, BETTER_I64_SMALLEST)

static void topk_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    int f32 = x->g->tensors[n->in[0]].dtype == YOLO_DT_F32, largest = n->params[YOLO_TK_LARGEST] != 0;
    int64_t K = n->params[YOLO_TK_K], dim = n->params[YOLO_TK_DIM], inner = n->params[YOLO_TK_INNER];
    const uint8_t *X = yolo_exec_ptr(x, n->in[0]);
    uint8_t *V = yolo_exec_ptr(x, n->out[0]);
    int64_t *I = yolo_exec_ptr(x, n->out[1]);
    int64_t s, e;
    yolo_bc_split(n->params[YOLO_TK_OUTER] * inner, ith, nth, &s, &e);
    for (int64_t sl = s; sl < e; sl++) {
        int64_t o = sl / inner, i = sl % inner;
        size_t xo = (size_t)(o * dim * inner + i), yo = (size_t)(o * K * inner + i);
        if (f32 && largest)
            topk_f32_largest((const float *)(const void *)X + xo, dim, inner, K,
                             (float *)(void *)V + yo, I + yo);
        else if (f32)
            topk_f32_smallest((const float *)(const void *)X + xo, dim, inner, K,
                              (float *)(void *)V + yo, I + yo);
        else if (largest)
            topk_i64_largest((const int64_t *)(const void *)X + xo, dim, inner, K,
                             (int64_t *)(void *)V + yo, I + yo);
        else
            topk_i64_smallest((const int64_t *)(const void *)X + xo, dim, inner, K,
                              (int64_t *)(void *)V + yo, I + yo);
    }
}

const struct yolo_op_impl yolo_op_topk = {
    "TopK", "TopK", topk_import, topk_shape, topk_ref, NULL
};
