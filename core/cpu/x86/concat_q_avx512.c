/* x86/concat_q_avx512.c: a QDQ model's Concat -> QuantizeLinear as one pass at the
 * QuantizeLinear (cpu/concat_q_mark.c, node data struct yolo_cpu_concat_q). Each output row
 * of one channel (NCHW) or of one group of 4 channels (c4, cpu/qconv_pack.h) is made from its
 * part's source: a float part quantized as QuantizeLinear's kernel does (quant16.h), a
 * dequantized part's bytes looked up in its 256-byte table (two vpermi2b and a blend); a 2x
 * upsampled part's source is read row by row, each value stored twice (vpermb, vpermd).
 * Bit-identical to the nodes one by one. Needs AVX512_VBMI (the mark checks CPUID). */
#include <immintrin.h>

#include "cpu/cpu.h"
#include "cpu/fast_ops.h"
#include "cpu/x86/c4_pack.h"
#include "cpu/x86/quant16.h"
#include "ops/broadcast.h"

#define VBMI __attribute__((target("avx512vbmi")))

struct qparams {
    __m512 vs, big;
    __m512i vz, vlo, vhi;
    /* vpermb indices. c4: byte 4p + ch of the output takes byte 16 ch + p (16 ch + p / 2
     * upsampled) of the four channels' loaded bytes; plain upsampled: byte i takes i / 2.
     * vpermd: lanes 0-7 (lo) or 8-15 (hi), each twice */
    __m512i c4, c4_up, up, dlo, dhi;
};

/* t[b] for each byte b of q: the table's two halves by bit 7 */
VBMI static inline __m512i lut64(const __m512i t[4], __m512i q)
{
    __m512i lo = _mm512_permutex2var_epi8(t[0], q, t[1]);
    __m512i hi = _mm512_permutex2var_epi8(t[2], q, t[3]);
    return _mm512_mask_blend_epi8(_mm512_movepi8_mask(q), lo, hi);
}

static inline __mmask16 mask16(int64_t left)
{
    return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
}

static inline __mmask64 mask64(int64_t left)
{
    return left >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << left) - 1);
}

static inline __m512i q16(const struct qparams *qp, const float *f, __mmask16 k)
{
    return quant16v(_mm512_maskz_loadu_ps(k, f), qp->vs, qp->big, qp->vz, qp->vlo, qp->vhi);
}

/* c4 output: n pixels of 4 channels at y, from x, the part's source at the first of them (a
 * plane apart per channel: `plane` elements). Upsampled kinds: one output row, from a source
 * row of n / 2 values. */
VBMI static void run_c4(int kind, const __m512i t[4], const struct qparams *qp, const void *x,
                        int64_t plane, int64_t n, uint8_t *y)
{
    if (kind == YOLO_CQ_FLOAT || kind == YOLO_CQ_RESIZE) {
        const float *f = x;
        int up = kind == YOLO_CQ_RESIZE;
        for (int64_t p = 0; p < n; p += up ? 32 : 16) {
            int64_t sp = up ? p / 2 : p;
            __mmask16 k = mask16(up ? n / 2 - sp : n - p);
            __m512i v[4];
            for (int ch = 0; ch < 4; ch++)
                v[ch] = q16(qp, f + ch * plane + sp, k);
            if (!up) {
                _mm512_mask_storeu_epi32(y + 4 * p, k, yolo_c4_pack(v[0], v[1], v[2], v[3]));
                continue;
            }
            for (int h = 0; h < 2 && p + 16 * h < n; h++) {
                __m512i d = h ? qp->dhi : qp->dlo;
                __m512i w = yolo_c4_pack(_mm512_permutexvar_epi32(d, v[0]), _mm512_permutexvar_epi32(d, v[1]),
                                         _mm512_permutexvar_epi32(d, v[2]), _mm512_permutexvar_epi32(d, v[3]));
                _mm512_mask_storeu_epi32(y + 4 * (p + 16 * h), mask16(n - p - 16 * h), w);
            }
        }
        return;
    }
    const uint8_t *b = x;
    int up = kind == YOLO_CQ_RESIZE_DQ;
    const __m512i perm = up ? qp->c4_up : qp->c4;
    for (int64_t p = 0; p < n; p += 16) {
        int64_t sp = up ? p / 2 : p;
        __mmask16 kl = mask16(up ? (n / 2 - sp < 8 ? n / 2 - sp : 8) : n - p);
        __m512i v = _mm512_castsi128_si512(_mm_maskz_loadu_epi8(kl, b + sp));
        v = _mm512_inserti32x4(v, _mm_maskz_loadu_epi8(kl, b + plane + sp), 1);
        v = _mm512_inserti32x4(v, _mm_maskz_loadu_epi8(kl, b + 2 * plane + sp), 2);
        v = _mm512_inserti32x4(v, _mm_maskz_loadu_epi8(kl, b + 3 * plane + sp), 3);
        v = lut64(t, _mm512_permutexvar_epi8(perm, v));
        _mm512_mask_storeu_epi32(y + 4 * p, mask16(n - p), v);
    }
}

/* NCHW output: n bytes of one channel at y, from x (as run_c4's). */
VBMI static void run_plain(int kind, const __m512i t[4], const struct qparams *qp, const void *x,
                           int64_t n, uint8_t *y)
{
    if (kind == YOLO_CQ_FLOAT || kind == YOLO_CQ_RESIZE) {
        const float *f = x;
        int up = kind == YOLO_CQ_RESIZE;
        for (int64_t p = 0; p < n; p += up ? 32 : 16) {
            int64_t sp = up ? p / 2 : p;
            __m512i v = q16(qp, f + sp, mask16(up ? n / 2 - sp : n - p));
            if (!up) {
                _mm512_mask_cvtepi32_storeu_epi8(y + p, mask16(n - p), v);
                continue;
            }
            _mm512_mask_cvtepi32_storeu_epi8(y + p, mask16(n - p), _mm512_permutexvar_epi32(qp->dlo, v));
            if (p + 16 < n)
                _mm512_mask_cvtepi32_storeu_epi8(y + p + 16, mask16(n - p - 16),
                                                 _mm512_permutexvar_epi32(qp->dhi, v));
        }
        return;
    }
    const uint8_t *b = x;
    for (int64_t p = 0; p < n; p += 64) {
        __m512i v;
        if (kind == YOLO_CQ_RESIZE_DQ) {
            int64_t sp = p / 2, left = n / 2 - sp;
            v = _mm512_permutexvar_epi8(qp->up, _mm512_maskz_loadu_epi8(mask64(left < 32 ? left : 32), b + sp));
        } else {
            v = _mm512_maskz_loadu_epi8(mask64(n - p), b + p);
        }
        _mm512_mask_storeu_epi8(y + p, mask64(n - p), lut64(t, v));
    }
}

VBMI void yolo_concat_q_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                               int nth)
{
    const struct yolo_cpu_concat_q *c = yolo_exec_node_data(x, n);
    const struct yolo_graph *g = x->g;
    const struct yolo_tensor *Y = &g->tensors[n->out[0]];
    int64_t N = Y->shape[0], C = Y->shape[1], H = Y->shape[2], W = Y->shape[3];
    int64_t gsz = c->y_c4 ? 4 : 1, G = C / gsz, b, e;
    uint8_t *y = yolo_exec_ptr(x, n->out[0]);
    uint8_t idx[3][64];
    int32_t dl[2][16];
    for (int i = 0; i < 64; i++) {
        idx[0][i] = (uint8_t)(16 * (i % 4) + i / 4);
        idx[1][i] = (uint8_t)(16 * (i % 4) + i / 8);
        idx[2][i] = (uint8_t)(i / 2);
    }
    for (int i = 0; i < 16; i++)
        dl[0][i] = i / 2, dl[1][i] = 8 + i / 2;
    struct qparams qp = { _mm512_set1_ps(c->scale), _mm512_set1_ps(1073741824.0f),
                          _mm512_set1_epi32(c->zp), _mm512_set1_epi32(c->lo),
                          _mm512_set1_epi32(c->hi), _mm512_loadu_si512(idx[0]),
                          _mm512_loadu_si512(idx[1]), _mm512_loadu_si512(idx[2]),
                          _mm512_loadu_si512(dl[0]), _mm512_loadu_si512(dl[1]) };
    /* threads take ranges of (image, channel group, row); a range's rows of one group are one
     * run of pixels, or row by row where the part is upsampled */
    yolo_bc_split(N * G * H, ith, nth, &b, &e);
    int part = -1;
    __m512i t[4];
    for (int64_t u = b; u < e;) {
        int64_t r0 = u % H, gi = (u / H) % G, img = u / (H * G), ch = gi * gsz;
        int64_t r1 = H - r0 < e - u ? H : r0 + (e - u);
        u += r1 - r0;
        if (part < 0 || ch < c->c0[part] || ch >= c->c0[part + 1]) {
            for (part = 0; ch >= c->c0[part + 1]; part++)
                ;
            for (int k = 0; k < 4; k++)
                t[k] = _mm512_loadu_si512(c->lut[part] + 64 * k);
        }
        const struct yolo_cq_part *p = &c->cq.part[part];
        int64_t ci = c->c0[part + 1] - c->c0[part], cl = ch - c->c0[part];
        /* a float part on a convolution's grid (or its upsampling) is read as its bytes
         * (cpu/qconv_grid_mark.c): element e of the source at byte e of the convolution's
         * output */
        int kind = c->grid[part] < 0 ? p->kind
                   : p->kind == YOLO_CQ_RESIZE ? YOLO_CQ_RESIZE_DQ : YOLO_CQ_DQ;
        int up = kind == YOLO_CQ_RESIZE_DQ || kind == YOLO_CQ_RESIZE;
        int64_t sh = up ? H / 2 : H, sw = up ? W / 2 : W, plane = sh * sw;
        size_t es = kind == YOLO_CQ_FLOAT || kind == YOLO_CQ_RESIZE ? sizeof(float) : 1;
        const uint8_t *src = yolo_exec_ptr(x, p->src);
        if (c->grid[part] >= 0) {
            const uint8_t *t = yolo_exec_ptr(x, c->grid[part]);
            src = t + (src - t) / (ptrdiff_t)sizeof(float);
        }
        src += (size_t)((img * ci + cl) * plane) * es;
        uint8_t *yg = c->y_c4 ? y + (img * G + gi) * H * W * 4 : y + (img * C + ch) * H * W;
        for (int64_t r = r0; r < r1; r = up ? r + 1 : r1) {
            int64_t len = up ? W : (r1 - r0) * W;
            const void *xs = src + (size_t)((up ? r / 2 : r) * sw) * es;
            if (c->y_c4)
                run_c4(kind, t, &qp, xs, plane, len, yg + r * W * 4);
            else
                run_plain(kind, t, &qp, xs, len, yg + r * W);
        }
    }
}
