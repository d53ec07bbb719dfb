/* ops/matmul.c: MatMul (ONNX opsets 1..13) with numpy semantics: import, shape inference, a
 * reference kernel and a kernel doing one cblas_sgemm per batch slice (row block).
 *
 * Inputs A [..., M, K], B [..., K, N] f32. A 1-D A is [1, K] with M dropped from the output;
 * a 1-D B is [K, 1] with N dropped. The batch dims (all but the last two) broadcast numpy
 * style. params (set by shape_fn):
 *   [0] M  [1] K  [2] N  [3] number of batch slices of the output  [4] nb, batch dims (<= 4)
 *   [5..8]   the output's batch dims
 *   [9..12]  A's stride per output batch dim, in M*K matrices (0 where A broadcasts)
 *   [13..16] B's stride per output batch dim, in K*N matrices (0 where B broadcasts)
 * M, K and N fit in int32 (cblas takes int).
 */
#include <string.h>

#include "op_params.h"


static int matmul_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                         struct yolo_diag *d)
{
    (void)g;
    (void)a;
    if (n->n_in != 2 || n->n_out != 1)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects 2 inputs and 1 output, has %d "
                               "and %d", n->n_in, n->n_out);
    return 0;
}

static int matmul_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int64_t *p = n->params;
    if (n->n_in != 2 || n->n_out != 1)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects 2 inputs and 1 output");
    for (int i = 0; i < 2; i++)
        if (n->in[i] < 0 || n->in[i] >= g->n_tensors)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "missing or invalid input %d", i);
    if (n->out[0] < 0 || n->out[0] >= g->n_tensors)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "invalid output");
    const struct yolo_tensor *A = &g->tensors[n->in[0]], *B = &g->tensors[n->in[1]];
    if (A->dtype != YOLO_DT_F32 || B->dtype != YOLO_DT_F32)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "only float32 inputs are supported");
    if (A->ndim < 1 || B->ndim < 1 || yolo_tensor_numel(A) < 0 || yolo_tensor_numel(B) < 0)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "inputs must have known rank >= 1");
    int ar = A->ndim, br = B->ndim;
    int64_t M = ar >= 2 ? A->shape[ar - 2] : 1, K = A->shape[ar - 1];
    int64_t K2 = br >= 2 ? B->shape[br - 2] : B->shape[0], N = br >= 2 ? B->shape[br - 1] : 1;
    if (K != K2)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "inner dimensions differ: A has %lld, B %lld",
                               (long long)K, (long long)K2);
    if (M > INT32_MAX || K > INT32_MAX || N > INT32_MAX)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "matrix too large");
    int an = ar >= 2 ? ar - 2 : 0, bn = br >= 2 ? br - 2 : 0, nb = an > bn ? an : bn;
    if (nb > YOLO_MM_MAX_BATCH_DIMS)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "%d batch dims (max %d)", nb,
                               YOLO_MM_MAX_BATCH_DIMS);
    int64_t out[YOLO_MAX_DIMS], astr = 1, bstr = 1, total = 1;
    memset(p, 0, sizeof n->params);
    /* right-aligned broadcast, walking from the innermost batch dim outwards */
    for (int i = nb - 1; i >= 0; i--) {
        int ai = i - (nb - an), bi = i - (nb - bn);
        int64_t da = ai >= 0 ? A->shape[ai] : 1, db = bi >= 0 ? B->shape[bi] : 1;
        if (da != db && da != 1 && db != 1)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "batch dims %lld and %lld do not "
                                   "broadcast", (long long)da, (long long)db);
        int64_t dim = da == 1 ? db : da;
        p[YOLO_MM_DIM + i] = dim;
        p[YOLO_MM_ASTR + i] = da == 1 ? 0 : astr;
        p[YOLO_MM_BSTR + i] = db == 1 ? 0 : bstr;
        astr *= da;
        bstr *= db;
        total *= dim;
        out[i] = dim;
    }
    int r = nb;
    if (ar >= 2)
        out[r++] = M;
    if (br >= 2)
        out[r++] = N;
    p[YOLO_MM_M] = M;
    p[YOLO_MM_K] = K;
    p[YOLO_MM_N] = N;
    p[YOLO_MM_BATCH] = total;
    p[YOLO_MM_NB] = nb;
    struct yolo_tensor *Y = &g->tensors[n->out[0]];
    Y->dtype = YOLO_DT_F32;
    Y->ndim = r;
    memcpy(Y->shape, out, sizeof(int64_t) * (size_t)r);
    if (yolo_tensor_numel(Y) < 0 || (yolo_tensor_numel(Y) > 0 && yolo_tensor_bytes(Y) == 0))
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "output too large");
    return 0;
}

/* Matrix offsets (in matrices) of A and B for output batch slice bi. */
static void batch_offsets(const int64_t *p, int64_t bi, int64_t *ao, int64_t *bo);

void yolo_matmul_batch_offsets(const int64_t *params, int64_t s, int64_t *ao, int64_t *bo)
{
    batch_offsets(params, s, ao, bo);
}

static void batch_offsets(const int64_t *p, int64_t bi, int64_t *ao, int64_t *bo)
{
    *ao = *bo = 0;
    for (int64_t i = p[YOLO_MM_NB] - 1; i >= 0; i--) {
        int64_t idx = bi % p[YOLO_MM_DIM + i];
        bi /= p[YOLO_MM_DIM + i];
        *ao += idx * p[YOLO_MM_ASTR + i];
        *bo += idx * p[YOLO_MM_BSTR + i];
    }
}

/* Direct loops; threads split the batch slices. */
static void matmul_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const int64_t *p = n->params;
    const float *a = yolo_exec_ptr(x, n->in[0]), *b = yolo_exec_ptr(x, n->in[1]);
    float *y = yolo_exec_ptr(x, n->out[0]);
    int64_t M = p[YOLO_MM_M], K = p[YOLO_MM_K], N = p[YOLO_MM_N];
    int64_t lo = p[YOLO_MM_BATCH] * ith / nth, hi = p[YOLO_MM_BATCH] * (ith + 1) / nth;
    for (int64_t s = lo; s < hi; s++) {
        int64_t ao, bo;
        batch_offsets(p, s, &ao, &bo);
        const float *as = a + ao * M * K, *bs = b + bo * K * N;
        float *ys = y + s * M * N;
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                float acc = 0.0f;
                for (int64_t k = 0; k < K; k++)
                    acc += as[i * K + k] * bs[k * N + j];
                ys[i * N + j] = acc;
            }
    }
}

static double matmul_flops(const struct yolo_graph *g, const struct yolo_node *n)
{
    (void)g;
    const int64_t *p = n->params;
    return (double)p[YOLO_MM_BATCH] * (double)p[YOLO_MM_M] * (double)p[YOLO_MM_N] * (double)p[YOLO_MM_K];
}

const struct yolo_op_impl yolo_op_matmul = {
    .onnx_name = "MatMul",
    .display_name = "MatMul",
    .import_fn = matmul_import,
    .shape_fn = matmul_shape,
    .ref_fn = matmul_ref,
    .flops_fn = matmul_flops,
};
