/* cpu/matmul_blas.c: MatMul on OpenBLAS sgemm, for products too deep for the own kernel. */
#include <cblas.h>
#include <string.h>

#include "cpu/fast_ops.h"

/* cblas_sgemm per (batch slice, row block); row blocks only when there are fewer slices
 * than threads. OpenBLAS is assumed single-threaded: the pool supplies the threads. */
void yolo_matmul_blas(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const int64_t *p = n->params;
    const float *a = yolo_exec_ptr(x, n->in[0]), *b = yolo_exec_ptr(x, n->in[1]);
    float *y = yolo_exec_ptr(x, n->out[0]);
    int64_t M = p[YOLO_MM_M], K = p[YOLO_MM_K], N = p[YOLO_MM_N], batch = p[YOLO_MM_BATCH];
    if (M == 0 || N == 0 || batch == 0)
        return;
    int64_t blocks = batch >= nth ? 1 : (nth + batch - 1) / batch;
    if (blocks > M)
        blocks = M;
    int64_t units = batch * blocks, u0 = units * ith / nth, u1 = units * (ith + 1) / nth;
    for (int64_t u = u0; u < u1; u++) {
        int64_t s = u / blocks, blk = u % blocks;
        int64_t r0 = M * blk / blocks, r1 = M * (blk + 1) / blocks, ao, bo;
        yolo_matmul_batch_offsets(p, s, &ao, &bo);
        float *ys = y + (s * M + r0) * N;
        if (K == 0) {      /* an empty sum; BLAS rejects lda = 0 */
            memset(ys, 0, sizeof(float) * (size_t)((r1 - r0) * N));
            continue;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(r1 - r0), (int)N, (int)K,
                    1.0f, a + ao * M * K + r0 * K, (int)K, b + bo * K * N, (int)N, 0.0f, ys,
                    (int)N);
    }
}
