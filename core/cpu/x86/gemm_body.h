/* gemm_body.h: the register-blocked micro-kernel behind the project's convolutions,
 * written once for AVX-512 and AVX2 (see simd.h; included by conv_body.h).
 *
 * C[r][j] (r < rows, j < cols) = act(A[r] . B[., j] (+ C if accum) + bias[r])
 *   A: a GEMM8 panel (conv_pack.h): float a[k*8 + r], k < K, i.e. 8 rows stored k-major;
 *      the micro-kernel uses MRU of its rows (8 on AVX-512, 4 on AVX2: the caller offsets a)
 *   B: rows k of NV*VL floats at b + k*ldb (a packed panel, or any row-major matrix)
 *   C: rows r at c + r*ldc, NV*VL columns of which `cols` are stored
 * Register tile: MRU x NV vectors of accumulators (AVX-512: 8 x 3 zmm = 24, AVX2: 4 x 3 ymm =
 * 12) + NV loads of B + one broadcast of A per row and k, so each k costs NV loads, MRU
 * broadcasts and MRU*NV FMAs: FMA-bound on both ISAs. The epilogue (bias, activation, masked
 * store of a ragged right edge) runs on the accumulators while they are in registers.
 */
#ifndef YOLO_X86_GEMM_BODY_H
#define YOLO_X86_GEMM_BODY_H

#include "simd.h"

#if VL == 16
#define MRU 8
#else
#define MRU 4
#endif
#define NV_MAX 3
#define NR (NV_MAX * VL)

/* B row k is read at b + k*ldb, or, when bp is given, at bp[k] + col (an implicit im2col:
 * each row pointer points into a copy of one input row, see conv_body.h's conv_rows). The
 * wrappers below pass a constant NULL for the form they do not use, so after inlining each
 * is a kernel of its own with no test in the loop. */
static inline __attribute__((always_inline)) void
ukr_nv(const int NV, int64_t K, const float *a, const float *b, int64_t ldb, const float *const *bp,
       int64_t col, float *c, int64_t ldc, int rows, int cols, int accum, const float *bias, int act)
{
    vf acc[MRU][NV_MAX];
#pragma GCC unroll 8
    for (int r = 0; r < MRU; r++)
#pragma GCC unroll 3
        for (int v = 0; v < NV_MAX; v++)
            acc[r][v] = vzero();
    for (int64_t k = 0; k < K; k++) {
        const float *bk = bp ? bp[k] + col : b + k * ldb;
        vf b0 = vload(bk);
        vf b1 = NV > 1 ? vload(bk + VL) : b0;
        vf b2 = NV > 2 ? vload(bk + 2 * VL) : b0;
        const float *ak = a + k * 8;
#pragma GCC unroll 8
        for (int r = 0; r < MRU; r++) {
            vf ar = vbcast(ak + r);
            acc[r][0] = vfma(ar, b0, acc[r][0]);
            if (NV > 1)
                acc[r][1] = vfma(ar, b1, acc[r][1]);
            if (NV > 2)
                acc[r][2] = vfma(ar, b2, acc[r][2]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < MRU; r++) {
        if (r >= rows)
            break;
        float *cr = c + r * ldc;
        vf bv = bias ? vbcast(bias + r) : vzero();
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++) {
            vf s = acc[r][v];
            if (cols - v * VL >= VL) {   /* whole, also in a ragged tile: a plain store */
                if (accum)
                    s = vadd(s, vload(cr + v * VL));
                vstore(cr + v * VL, vact(vadd(s, bv), act));
            } else {
                vmask m = vm_n(cols - v * VL);
                if (accum)
                    s = vadd(s, vloadm(cr + v * VL, m));
                vstorem(cr + v * VL, vact(vadd(s, bv), act), m);
            }
        }
    }
}

#define UKR_WRAPPERS(NV)                                                                        \
    static inline void ukr##NV(int64_t K, const float *a, const float *b, int64_t ldb, float *c,  \
                               int64_t ldc, int rows, int cols, int accum, const float *bias,     \
                               int act)                                                           \
    {                                                                                             \
        ukr_nv(NV, K, a, b, ldb, NULL, 0, c, ldc, rows, cols, accum, bias, act);                 \
    }                                                                                             \
    static inline void ukrp##NV(int64_t K, const float *a, const float *const *bp, int64_t col,   \
                                float *c, int64_t ldc, int rows, int cols, int accum,             \
                                const float *bias, int act)                                       \
    {                                                                                             \
        ukr_nv(NV, K, a, NULL, 0, bp, col, c, ldc, rows, cols, accum, bias, act);                \
    }
UKR_WRAPPERS(1)
UKR_WRAPPERS(2)
UKR_WRAPPERS(3)
#undef UKR_WRAPPERS

typedef void (*ukrp_fn)(int64_t K, const float *a, const float *const *bp, int64_t col, float *c,
                        int64_t ldc, int rows, int cols, int accum, const float *bias, int act);
typedef void (*ukr_fn)(int64_t K, const float *a, const float *b, int64_t ldb, float *c,
                       int64_t ldc, int rows, int cols, int accum, const float *bias, int act);

/* The micro-kernel for a panel of `cols` columns (1..NR): the narrowest that covers it. */
static inline ukr_fn ukr_for(int64_t cols)
{
    return cols > 2 * VL ? ukr3 : cols > VL ? ukr2 : ukr1;
}

/* C[0..M) x [0..cols) for all row panels of a packed A ([Mp/8][K][8], K floats per row,
 * rows from m0 to m1) against one B panel (ldb floats per k). The B panel stays in L1
 * while the A panels stream from L2. */
static inline void gemm_rows(const float *A, int64_t K, int64_t k0, int64_t kc, int64_t m0,
                             int64_t m1, int64_t M, const float *b, int64_t ldb, float *c,
                             int64_t ldc, int64_t cols, int accum, const float *bias, int act)
{
    ukr_fn f = ukr_for(cols);
    for (int64_t m = m0; m < m1; m += MRU) {
        int64_t rows = M - m < MRU ? M - m : MRU;
        if (rows <= 0)
            break;
        const float *a = A + (m / 8) * 8 * K + k0 * 8 + (m % 8);
        f(kc, a, b, ldb, c + m * ldc, ldc, (int)rows, (int)cols, accum,
          bias ? bias + m : NULL, act);
    }
}

#endif
