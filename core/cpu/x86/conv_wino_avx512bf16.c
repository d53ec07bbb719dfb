/* x86/conv_wino_avx512bf16.c: Winograd F(4x4, 3x3) with its 36 GEMMs in bfloat16 (vdpbf16ps),
 * for the 3x3 stride-1 convs of `yolo build --bf16` engines. Built with -mavx512bf16; picked
 * only where CPUID reports AVX512_BF16 (cpu/select.c).
 *
 * The flow is the float32 kernel's (conv_body.h): per block of tiles, the input transform
 * (wino_body.h, float32), 36 GEMMs, the output transform + bias + activation (float32). What
 * differs is the middle: the transformed input V is stored as bfloat16 channel pairs,
 * V[xi][c2][t] = (V[xi][2 c2][t], V[xi][2 c2 + 1][t]) in one 32-bit word, rounded to nearest
 * even by vcvtne2ps2bf16, and multiplied by U (conv_pack.h's WINO43_BF16 panels) with float32
 * accumulation. bf16's multiply rate is twice float32's and V takes half the bytes, so the
 * GEMMs that are most of the float32 kernel's time take about half.
 *
 * Error: each product's two factors are rounded (2^-9 relative each), so each of the 36
 * transformed outputs is off by up to about 2^-8 of sum_c |U_c V_c| at that position, and the
 * output transform (coefficients up to 8 in magnitude) adds those up; the direct bf16
 * kernel's bound scaled by the transforms' magnitudes (tests/ops/test_conv_bf16.c states
 * and checks the bound). */
#include <immintrin.h>

#include "cpu/conv_pack.h"
#include "cpu/x86/bf16_block.h"
#include "cpu/x86/simd.h"
#include "cpu/x86/wino_body.h"

/* the bf16 points (conv_pack.h: half the float32 points' rounding error) */
#define PA ((float)YOLO_WINO_BF16_A)
#define PB ((float)YOLO_WINO_BF16_B)

/* The input transform of channels 2 c2 and 2 c2 + 1 (zero if c1 is NULL) for one chunk of
 * tiles, stored as bfloat16 pairs: v = &V[0][c2][tc - t0], vs words between matrices. */
static void wino_in_pair(const struct yolo_conv_geom *g, const float *c0, const float *c1,
                         const struct tile_part *pt, int np, uint32_t *v, int64_t vs)
{
    static const uint16_t inter_idx[32] = { 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
                                            8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30,
                                            15, 31 };
    float a[36 * VL] __attribute__((aligned(64))), b[36 * VL] __attribute__((aligned(64)));
    wino_in(g, c0, pt, np, a, VL, PA, PB);
    if (c1)
        wino_in(g, c1, pt, np, b, VL, PA, PB);
    const __m512i inter = _mm512_loadu_si512(inter_idx);
    for (int xi = 0; xi < 36; xi++) {
        __m512 hi = c1 ? _mm512_load_ps(b + xi * VL) : _mm512_setzero_ps();
        __m512i w = (__m512i)_mm512_cvtne2ps_pbh(hi, _mm512_load_ps(a + xi * VL));
        _mm512_storeu_si512(v + xi * vs, _mm512_permutexvar_epi16(inter, w));
    }
}

void yolo_conv_wino_bf16_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                                int nth)
{
    const struct yolo_conv_packed *pk = yolo_exec_node_data(x, n);
    struct yolo_conv_geom g;
    yolo_conv_geom_make(x->g, n, pk->kind, nth, &g);
    const uint32_t *U = (const uint32_t *)pk->w;
    const float *X = yolo_exec_ptr(x, n->in[0]);
    const float *bias = n->n_in > 2 && n->in[2] >= 0 ? yolo_exec_ptr(x, n->in[2]) : NULL;
    float *Y = yolo_exec_ptr(x, n->out[0]);
    const float *R = NULL;
    if (pk->add_on) {   /* a residual Add's sum (cpu/conv_add_mark.c) */
        Y = yolo_exec_ptr(x, pk->add_out);
        R = yolo_exec_ptr(x, pk->add_res);
    }
    uint32_t *V = (uint32_t *)(x->scratch + (uint64_t)ith * x->scratch_bytes);
    int64_t C = g.C, C2 = (C + 1) / 2, Mp = g.Mp, tbp = g.tbp, vs = g.wino_vs, ys = g.wino_ys;
    int64_t HW = g.H * g.W;
    float *Yw = (float *)(V + 36 * vs);
    int64_t units = g.N * g.nblk;
    int64_t u0 = units * ith / nth, u1 = units * (ith + 1) / nth;
    struct tile_part pt[VL];
    for (int64_t u = u0; u < u1; u++) {
        int64_t b = u / g.nblk, t0 = (u % g.nblk) * g.tb, t1 = imin(t0 + g.tb, g.T);
        int64_t ncols = (t1 - t0 + VL - 1) / VL * VL;
        const float *xb = X + b * C * HW;
        float *yb = Y + b * g.M * g.P;
        const float *rb = R ? R + b * g.M * g.P : NULL;
        for (int64_t tc = t0; tc < t1; tc += VL) {
            int np = chunk_parts(tc, imin(tc + VL, t1), g.TW, pt);
            for (int64_t c2 = 0; c2 < C2; c2++)
                wino_in_pair(&g, xb + 2 * c2 * HW, 2 * c2 + 1 < C ? xb + (2 * c2 + 1) * HW : NULL,
                             pt, np, V + c2 * tbp + (tc - t0), vs);
        }
        for (int64_t xi = 0; xi < 36; xi++) {
            const uint16_t *vx = (const uint16_t *)(V + xi * vs);
            for (int64_t q = 0; q < Mp / 8; q++) {
                const uint32_t *wp = U + (xi * (Mp / 8) + q) * C2 * 8;
                float *yq = Yw + xi * ys + q * 8 * tbp;
                /* 48-column blocks; a 64-column rest as 32 + 32, since the 16-column block
                 * spends one broadcast per multiply */
                int64_t col = 0;
                for (; col + 48 <= ncols && ncols - col != 64; col += 48)
                    bf16_block(3, wp, vx + 2 * col, 2 * tbp, C2, NULL, 0, 8, 0, yq + col, tbp, 48);
                for (; col + 32 <= ncols; col += 32)
                    bf16_block(2, wp, vx + 2 * col, 2 * tbp, C2, NULL, 0, 8, 0, yq + col, tbp, 32);
                if (col < ncols)
                    bf16_block(1, wp, vx + 2 * col, 2 * tbp, C2, NULL, 0, 8, 0, yq + col, tbp, 16);
            }
        }
        for (int64_t tc = t0; tc < t1; tc += VL) {
            int64_t tend = imin(tc + VL, t1);
            int np = chunk_parts(tc, tend, g.TW, pt);
            for (int64_t m = 0; m < g.M; m++)
                wino_out(&g, Yw + m * tbp + (tc - t0), ys, (int)(tend - tc), pt, np,
                         bias ? bias[m] : 0.0f, yb + m * g.P, rb ? rb + m * g.P : NULL, PA, PB);
        }
    }
}
