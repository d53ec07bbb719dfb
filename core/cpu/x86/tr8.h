/* tr8.h: 8 x 8 float transposes in AVX registers (both x86 builds), for the Transpose kernel
 * (transpose_body.h) and the convolutions writing YOLOv5's head layout (conv_body.h,
 * conv_avx512bf16.c).
 * tr8x8: rows src + i * ss (8 floats each, i < 8) -> rows dst + j * ds. tr8xn: the same with
 * only an < 8 source rows (the others taken as zeros) and an floats of each output row
 * stored. */
#ifndef YOLO_X86_TR8_H
#define YOLO_X86_TR8_H

#include <immintrin.h>
#include <stdint.h>

static inline void tr8x8(const float *src, int64_t ss, float *dst, int64_t ds)
{
    __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + ss);
    __m256 r2 = _mm256_loadu_ps(src + 2 * ss), r3 = _mm256_loadu_ps(src + 3 * ss);
    __m256 r4 = _mm256_loadu_ps(src + 4 * ss), r5 = _mm256_loadu_ps(src + 5 * ss);
    __m256 r6 = _mm256_loadu_ps(src + 6 * ss), r7 = _mm256_loadu_ps(src + 7 * ss);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(dst, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(dst + ds, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(dst + 2 * ds, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(dst + 3 * ds, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(dst + 4 * ds, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(dst + 5 * ds, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(dst + 6 * ds, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(dst + 7 * ds, _mm256_permute2f128_ps(u3, u7, 0x31));
}

/* the an < 8 rows s[0..an) of 8 floats, padded with zero rows, transposed: an floats of
 * each of the 8 output rows stored */
static inline void tr8xn(const float *src, int64_t ss, int an, float *dst, int64_t ds)
{
    __m256 r[8], t[8], u[8];
    for (int i = 0; i < 8; i++)
        r[i] = i < an ? _mm256_loadu_ps(src + i * ss) : _mm256_setzero_ps();
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
#if defined(__AVX512VL__)
    __mmask8 m = (__mmask8)((1u << an) - 1u);
#define TP_STORE(p, v) _mm256_mask_storeu_ps((p), m, (v))
#else
    __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(an), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
#define TP_STORE(p, v) _mm256_maskstore_ps((p), m, (v))
#endif
    for (int j = 0; j < 4; j++) {
        TP_STORE(dst + j * ds, _mm256_permute2f128_ps(u[j], u[j + 4], 0x20));
        TP_STORE(dst + (j + 4) * ds, _mm256_permute2f128_ps(u[j], u[j + 4], 0x31));
    }
#undef TP_STORE
}

/* Rows [m0, m1) x cols columns of a finished tile (row m at ct + (m - m0) * ss) into the
 * transposed layout of cpu/conv_tp_mark.c: output channel m = a * G + c of pixel p lands at
 * tb[(a * P + p) * G + c] (tb: the image's part of the tensor, p0: the tile's first pixel).
 * Runs of up to 8 channels within one group, 8 pixels at a time. Used by the GEMM8 and the
 * bf16 convolutions. */
static inline void tr8_store_groups(const float *ct, int64_t ss, int64_t m0, int64_t m1,
                                    int64_t cols, float *tb, int64_t p0, int64_t P, int64_t G)
{
    for (int64_t m = m0; m < m1;) {
        int64_t c = m % G, rows = m1 - m < 8 ? m1 - m : 8;
        rows = rows < G - c ? rows : G - c;
        const float *s = ct + (m - m0) * ss;
        float *d = tb + ((m / G) * P + p0) * G + c;
        int64_t j = 0;
        for (; j + 8 <= cols; j += 8) {
            if (rows == 8)
                tr8x8(s + j, ss, d + j * G, G);
            else
                tr8xn(s + j, ss, (int)rows, d + j * G, G);
        }
        for (; j < cols; j++)
            for (int64_t i = 0; i < rows; i++)
                d[j * G + i] = s[i * ss + j];
        m += rows;
    }
}

#endif
