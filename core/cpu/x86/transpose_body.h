/* transpose_body.h: Transpose of 4-byte elements when the input's contiguous dim is not the
 * output's (ops/transpose.c params: [8..8+rank) the resolved perm). Output dim a (the last)
 * and output dim b (whose input dim is the input's last) are walked in 8 x 8 tiles: eight
 * 8-float rows read along b, an in-register 8x8 transpose (AVX, in both builds), eight rows
 * written along a. A ragged edge along a (YOLOv5's head: 85 = 10 x 8 + 5 channels) takes
 * the same transpose on its rows padded with zeros, stored through a lane mask; one along b
 * goes element by element. Units: (other dims, a block of TP_BLOCK along b); in a unit the
 * a tiles are the outer loop, so each input row is read TP_BLOCK floats (whole cache lines)
 * at a time, not 8, and the unit's output rows (TP_BLOCK x a floats) stay in L1 meanwhile. */
#include <immintrin.h>

#include "cpu/fast_ops.h"

#ifndef TP_BLOCK
#define TP_BLOCK 64
#endif

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

void ISA_FN(yolo_transpose)(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &x->g->tensors[n->in[0]], *Y = &x->g->tensors[n->out[0]];
    const float *src = yolo_exec_ptr(x, n->in[0]);
    float *dst = yolo_exec_ptr(x, n->out[0]);
    int r = X->ndim, a = r - 1, b = 0;
    int64_t in_stride[8], st[8], ost[8];
    in_stride[r - 1] = ost[r - 1] = 1;
    for (int i = r - 2; i >= 0; i--) {
        in_stride[i] = in_stride[i + 1] * X->shape[i + 1];
        ost[i] = ost[i + 1] * Y->shape[i + 1];
    }
    for (int i = 0; i < r; i++) {
        st[i] = in_stride[p[8 + i]];
        if (p[8 + i] == r - 1)
            b = i;
    }
    int64_t outer = 1;
    for (int i = 0; i < r; i++)
        if (i != a && i != b)
            outer *= Y->shape[i];
    int64_t YA = Y->shape[a], YB = Y->shape[b], nb = (YB + TP_BLOCK - 1) / TP_BLOCK;
    int64_t units = outer * nb, sa = st[a], ob = ost[b];
    for (int64_t u = units * ith / nth, u1 = units * (ith + 1) / nth; u < u1; u++) {
        int64_t rem = u / nb, ib = 0, oo = 0;
        for (int i = r - 1; i >= 0; i--) {
            if (i == a || i == b)
                continue;
            int64_t k = rem % Y->shape[i];
            rem /= Y->shape[i];
            ib += k * st[i];
            oo += k * ost[i];
        }
        int64_t bs = (u % nb) * TP_BLOCK, be = YB - bs < TP_BLOCK ? YB : bs + TP_BLOCK;
        /* input (a, b) at ib + a*sa + b; output at oo + b*ob + a */
        for (int64_t a0 = 0; a0 < YA; a0 += 8) {
            int64_t an = YA - a0 < 8 ? YA - a0 : 8;
            for (int64_t b0 = bs; b0 < be; b0 += 8) {
                int64_t bn = be - b0 < 8 ? be - b0 : 8;
                const float *s0 = src + ib + a0 * sa + b0;
                float *d0 = dst + oo + b0 * ob + a0;
                if (bn == 8 && an == 8)
                    tr8x8(s0, sa, d0, ob);
                else if (bn == 8)
                    tr8xn(s0, sa, (int)an, d0, ob);
                else
                    for (int64_t j = 0; j < bn; j++)
                        for (int64_t i = 0; i < an; i++)
                            d0[j * ob + i] = s0[i * sa + j];
            }
        }
    }
}
