/* x86/bf16_block.h: the bfloat16 micro-kernel (AVX512_BF16 vdpbf16ps) shared by the direct
 * bf16 convolution (conv_avx512bf16.c) and the bf16 Winograd one (conv_wino_avx512bf16.c):
 * 8 output channels x up to 48 columns in 24 float32 accumulators, the weights one 32-bit
 * pair per channel broadcast (conv_bf16.h's panel layout), the columns 16 pairs per vector.
 * Include after simd.h in a file built with -mavx512bf16. */
#ifndef YOLO_X86_BF16_BLOCK_H
#define YOLO_X86_BF16_BLOCK_H

#include <immintrin.h>
#include <stdint.h>

#include "cpu/x86/simd.h"

/* One 8-channel x (16 * NV)-column block: acc over the K2 pairs (pair kp's 16 * NV columns
 * at bp + kp * ldb, or rows[kp] + off, as bfloat16 pairs), then bias (none if NULL) + act
 * and store rows m < M (columns masked to `cols`). */
static inline __attribute__((always_inline)) void
bf16_block_core(int NV, const uint32_t *wp, const uint16_t *bp, int64_t ldb,
                const uint16_t *const *rows, int64_t off, int64_t K2, const float *bias,
      int64_t m0, int64_t M, int act, float *y, int64_t P, int64_t cols)
{
    __m512 acc[8][3];
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++)
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++)
            acc[r][v] = _mm512_setzero_ps();
    for (int64_t kp = 0; kp < K2; kp++) {
        const uint16_t *b = rows ? rows[kp] + off : bp + kp * ldb;
        __m512bh bv[3];
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++)
            bv[v] = (__m512bh)_mm512_loadu_si512(b + v * 32);
        const uint32_t *w = wp + kp * 8;
#pragma GCC unroll 8
        for (int r = 0; r < 8; r++) {
            __m512bh wr = (__m512bh)_mm512_set1_epi32((int)w[r]);
#pragma GCC unroll 3
            for (int v = 0; v < NV; v++)
                acc[r][v] = _mm512_dpbf16_ps(acc[r][v], wr, bv[v]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++) {
        if (m0 + r >= M)
            break;
        __m512 bb = _mm512_set1_ps(bias ? bias[m0 + r] : 0.0f);
        float *yr = y + (m0 + r) * P;
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++)
            _mm512_mask_storeu_ps(yr + v * 16, vm_n((int)(cols - v * 16)),
                                  vact(_mm512_add_ps(acc[r][v], bb), act));
    }
}

static inline __attribute__((always_inline)) void
bf16_block(int NV, const uint32_t *wp, const uint16_t *bp, int64_t ldb, int64_t K2,
           const float *bias, int64_t m0, int64_t M, int act, float *y, int64_t P, int64_t cols)
{
    bf16_block_core(NV, wp, bp, ldb, NULL, 0, K2, bias, m0, M, act, y, P, cols);
}

/* The same with pair kp's columns at rows[kp] + off (bfloat16 elements). */
static inline __attribute__((always_inline)) void
bf16_block_rows(int NV, const uint32_t *wp, const uint16_t *const *rows, int64_t off, int64_t K2,
                const float *bias, int64_t m0, int64_t M, int act, float *y, int64_t P,
                int64_t cols)
{
    bf16_block_core(NV, wp, NULL, 0, rows, off, K2, bias, m0, M, act, y, P, cols);
}

#endif
