/* matmul_body.h: MatMul (ops/matmul.c params: [0] M [1] K [2] N [3] batch slices, batch
 * offsets through yolo_matmul_batch_offsets) on the conv micro-kernel of gemm_body.h.
 * Work unit = (batch slice, block of MB rows of A): the block is packed once into the GEMM8
 * panel layout ([MB/8][K][8], zero rows past M), then for every NR-column panel of B, K block
 * by K block (KC*NR floats, L2), the panel is copied out of B and every 8-row panel of the
 * block runs the micro-kernel into C. MB is 64, or 32 when that leaves too few units. */
#include <string.h>

#include "gemm_body.h"
#include "cpu/conv_pack.h"
#include "cpu/fast_ops.h"

static int64_t mm_min(int64_t a, int64_t b) { return a < b ? a : b; }

void ISA_FN(yolo_matmul)(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const int64_t *p = n->params;
    const float *a = yolo_exec_ptr(x, n->in[0]), *b = yolo_exec_ptr(x, n->in[1]);
    float *y = yolo_exec_ptr(x, n->out[0]);
    int64_t M = p[0], K = p[1], N = p[2], batch = p[3];
    if (M == 0 || N == 0 || batch == 0)
        return;
    int64_t mb = yolo_matmul_fast_mb(n, nth), nmb = (M + mb - 1) / mb;
    float *ap = (float *)(x->scratch + (uint64_t)ith * x->scratch_bytes);
    float *bp = ap + mb * (K > 0 ? K : 1);
    int64_t kcmax = YOLO_CONV_PANEL_FLOATS / NR, nkb = (K + kcmax - 1) / kcmax;
    int64_t kcs = nkb ? (K + nkb - 1) / nkb : 0;
    int64_t units = batch * nmb;
    for (int64_t u = units * ith / nth, u1 = units * (ith + 1) / nth; u < u1; u++) {
        int64_t s = u / nmb, m0 = (u % nmb) * mb, rows = mm_min(mb, M - m0), ao, bo;
        yolo_matmul_batch_offsets(p, s, &ao, &bo);
        const float *as = a + ao * M * K + m0 * K, *bs = b + bo * K * N;
        float *ys = y + (s * M + m0) * N;
        if (K == 0) {
            memset(ys, 0, sizeof(float) * (size_t)(rows * N));
            continue;
        }
        int64_t rp = (rows + 7) / 8 * 8;
        for (int64_t r = 0; r < rp; r++)
            for (int64_t k = 0; k < K; k++)
                ap[((r / 8) * K + k) * 8 + r % 8] = r < rows ? as[r * K + k] : 0.0f;
        for (int64_t col = 0; col < N; col += NR) {
            int64_t cols = mm_min(NR, N - col);
            int nq = (int)((cols + VL - 1) / VL);
            for (int64_t k0 = 0; k0 < K; k0 += kcs) {
                int64_t kc = mm_min(kcs, K - k0);
                for (int64_t kk = 0; kk < kc; kk++) {
                    const float *src = bs + (k0 + kk) * N + col;
                    for (int q = 0; q < nq; q++) {
                        int64_t left = cols - q * VL;
                        vstore(bp + kk * NR + q * VL,
                               left >= VL ? vload(src + q * VL) : vloadm(src + q * VL, vm_n((int)left)));
                    }
                }
                gemm_rows(ap, K, k0, kc, 0, rows, rows, bp, NR, ys + col, N, cols, k0 > 0, NULL, 0);
            }
        }
    }
}
