/* transpose_body.h: Transpose of 4-byte elements when the input's contiguous dim is not the
 * output's (ops/transpose.c params: [8..8+rank) the resolved perm). Output dim a (the last)
 * and output dim b (whose input dim is the input's last) are walked in 8 x 8 tiles: eight
 * 8-float rows read along b, an in-register 8x8 transpose (AVX, in both builds), eight rows
 * written along a. Ragged tile edges go element by element. Units: (other dims, b-tile). */
#include <immintrin.h>

#include "cpu/fast_ops.h"

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
    int64_t YA = Y->shape[a], YB = Y->shape[b], nb = (YB + 7) / 8, units = outer * nb;
    int64_t sa = st[a], ob = ost[b];
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
        int64_t b0 = (u % nb) * 8, bn = YB - b0 < 8 ? YB - b0 : 8;
        /* input (a, b) at ib + a*sa + b; output at oo + b*ob + a */
        for (int64_t a0 = 0; a0 < YA; a0 += 8) {
            int64_t an = YA - a0 < 8 ? YA - a0 : 8;
            const float *s0 = src + ib + a0 * sa + b0;
            float *d0 = dst + oo + b0 * ob + a0;
            if (an == 8 && bn == 8) {
                tr8x8(s0, sa, d0, ob);
                continue;
            }
            for (int64_t j = 0; j < bn; j++)
                for (int64_t i = 0; i < an; i++)
                    d0[j * ob + i] = s0[i * sa + j];
        }
    }
}
