/* conv_cdir_avx512.c: the channel-direct convolution (YOLO_CONV_PACK_CDIR32), AVX-512 only.
 *
 * The GEMM8 kernels put output pixels in the vector lanes, so a stride-2 conv must gather
 * every other input pixel into a packed panel (or a phase-split band) before the
 * micro-kernel can load it: measured 22-39% of those layers. Here the lanes hold output
 * channels instead: a tile is 8 output pixels of one row x 32 channels (16 zmm
 * accumulators; 10 pixels and 20 zmm where that fills rows 20 or 30 wide that 8 would not),
 * and for each k = (c, kh, kw) the kernel loads 32 weights (two vectors of the packed
 * [M/32][K][32] block) and broadcasts the tile's input pixels straight from the NCHW input,
 * whatever the stride. Nothing is packed per call. 8 broadcasts + 2 loads per 16 FMAs:
 * FMA-bound.
 *
 * Padding: rows outside the input are skipped (the kh range of the tile is cut); a tile
 * whose columns leave the input reads from a small zero-padded copy of its input columns
 * (C x KH rows of 32 floats, per-thread scratch; conv_pack.c admits only kernels with
 * SW * 9 + KW <= 32, so a tile's columns fit) instead, built once per tile and M block.
 *
 * Epilogue: bias and activation on the accumulators (channels in lanes, so the bias is one
 * vector load), then an in-register 8 x 16 transpose per vector, and each channel's 8
 * pixels stored as one 256-bit store into its NCHW row (a 10-pixel tile's last two as one
 * 64-bit store).
 *
 * Order of work: the output rows are cut into bands whose input rows fit L2 beside one
 * weight block (K x 32 floats); a work unit is (image, band, M block), so a band's input is
 * read from L2 by all M blocks in turn and a weight block is read once per band. */
#include "simd.h"
#include "cpu/conv_pack.h"

#define CD_MB 32   /* output channels per block: two vectors */
#define CD_PXMAX 10   /* output pixels per tile: 8, or 10 for rows of 10k but not 8k pixels */
#define CD_PW 32   /* floats per row of the padded copy: at least SW * 9 + KW, two vectors */

static int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

/* acc[p][v] += sum over k of W[k][16v..16v+15] * x[k's pixel p], for the nkh kernel rows that
 * lie inside the input. x: the tile's first input pixel of its first such row (channel stride
 * cs, row stride rs, pixel stride S); w: the block's weights of that kernel row in channel 0
 * (KH * KW * 32 floats per channel). */
static inline __attribute__((always_inline)) void
cdir_tile(const int PX, const int S, const int KW, const float *x, int64_t cs, int64_t rs,
          int64_t C, int64_t KH, int64_t nkh, const float *w, vf acc[CD_PXMAX][2])
{
    vf a[CD_PXMAX][2];   /* a local copy: vf may alias the float loads, acc[] would be spilled */
#pragma GCC unroll 10
    for (int p = 0; p < PX; p++)
        a[p][0] = acc[p][0], a[p][1] = acc[p][1];
    for (int64_t c = 0; c < C; c++) {
        const float *xc = x + c * cs;
        const float *wc = w + c * KH * KW * CD_MB;
        for (int64_t kh = 0; kh < nkh; kh++) {
            const float *r = xc + kh * rs, *wk = wc + kh * KW * CD_MB;
#pragma GCC unroll 7
            for (int kw = 0; kw < KW; kw++) {
                vf w0 = vload(wk + kw * CD_MB), w1 = vload(wk + kw * CD_MB + 16);
#pragma GCC unroll 10
                for (int p = 0; p < PX; p++) {
                    vf b = vbcast(r + kw + S * p);
                    a[p][0] = vfma(b, w0, a[p][0]);
                    a[p][1] = vfma(b, w1, a[p][1]);
                }
            }
        }
    }
#pragma GCC unroll 10
    for (int p = 0; p < PX; p++)
        acc[p][0] = a[p][0], acc[p][1] = a[p][1];
}

/* The tile with its width, KW and S known at compile time for YOLO's 3x3 stride-2 convs. */
static void cdir_run(int px, int64_t S, int64_t KW, const float *x, int64_t cs, int64_t rs,
                     int64_t C, int64_t KH, int64_t nkh, const float *w, vf acc[CD_PXMAX][2])
{
    if (px == 8 && S == 2 && KW == 3)
        cdir_tile(8, 2, 3, x, cs, rs, C, KH, nkh, w, acc);
    else if (px == 10 && S == 2 && KW == 3)
        cdir_tile(10, 2, 3, x, cs, rs, C, KH, nkh, w, acc);
    else if (px == 8)
        cdir_tile(8, (int)S, (int)KW, x, cs, rs, C, KH, nkh, w, acc);
    else
        cdir_tile(10, (int)S, (int)KW, x, cs, rs, C, KH, nkh, w, acc);
}

static inline void store8(float *p, __m256 v, int npx)
{
    if (npx >= 8)
        _mm256_storeu_ps(p, v);
    else
        _mm256_mask_storeu_ps(p, (__mmask8)((1u << npx) - 1), v);
}

/* r[p] = channels 0..15 of pixel p -> channel j's pixels 0..npx-1 at y + j * ldy, j < nch.
 * Within 128-bit lanes two unpack and two shuffle steps give, per channel 4L + i, pixels 0-3
 * (u[i]) and 4-7 (u[4 + i]) in lane L; one two-source permute per pair joins them. */
static void store_tposed(const vf r[8], float *y, int64_t ldy, int npx, int nch)
{
    vf t[8], u[8];
    for (int h = 0; h < 2; h++) {
        const vf *q = r + 4 * h;
        t[4 * h + 0] = _mm512_unpacklo_ps(q[0], q[1]);
        t[4 * h + 1] = _mm512_unpackhi_ps(q[0], q[1]);
        t[4 * h + 2] = _mm512_unpacklo_ps(q[2], q[3]);
        t[4 * h + 3] = _mm512_unpackhi_ps(q[2], q[3]);
        u[4 * h + 0] = _mm512_shuffle_ps(t[4 * h + 0], t[4 * h + 2], 0x44);
        u[4 * h + 1] = _mm512_shuffle_ps(t[4 * h + 0], t[4 * h + 2], 0xee);
        u[4 * h + 2] = _mm512_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
        u[4 * h + 3] = _mm512_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xee);
    }
    const __m512i lo = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
    const __m512i hi = _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29,
                                         30, 31);
    for (int i = 0; i < 4; i++) {
        vf a = _mm512_permutex2var_ps(u[i], lo, u[4 + i]);   /* channels i, 4 + i */
        vf b = _mm512_permutex2var_ps(u[i], hi, u[4 + i]);   /* channels 8 + i, 12 + i */
        if (i < nch)
            store8(y + i * ldy, _mm512_castps512_ps256(a), npx);
        if (4 + i < nch)
            store8(y + (4 + i) * ldy, _mm512_extractf32x8_ps(a, 1), npx);
        if (8 + i < nch)
            store8(y + (8 + i) * ldy, _mm512_castps512_ps256(b), npx);
        if (12 + i < nch)
            store8(y + (12 + i) * ldy, _mm512_extractf32x8_ps(b, 1), npx);
    }
}

/* Pixels 8 and 9 (r[0], r[1]) of channels 0..nch-1 at y + j * ldy + 8 (10-pixel tiles are
 * only used where they fill the row, so both pixels are always stored). */
static void store_tail2(const vf r[2], float *y, int64_t ldy, int nch)
{
    vf pr[2] = { _mm512_unpacklo_ps(r[0], r[1]),    /* lane L: channels 4L, 4L + 1 */
                 _mm512_unpackhi_ps(r[0], r[1]) };  /* lane L: channels 4L + 2, 4L + 3 */
    for (int j = 0; j < nch; j++) {
        vf q = pr[(j >> 1) & 1];
        __m128 l;
        switch (j >> 2) {   /* the lane index must be a constant */
        case 0: l = _mm512_extractf32x4_ps(q, 0); break;
        case 1: l = _mm512_extractf32x4_ps(q, 1); break;
        case 2: l = _mm512_extractf32x4_ps(q, 2); break;
        default: l = _mm512_extractf32x4_ps(q, 3); break;
        }
        if (j & 1)
            l = _mm_movehl_ps(l, l);
        _mm_storel_pi((__m64 *)(void *)(y + j * ldy + 8), l);
    }
}

/* The tile's input columns ix0 .. ix0 + 31 of its nkh rows from iy, every channel, with zeros
 * outside the input: patch[(c * nkh + kh) * CD_PW + e] = x(c, iy + kh, ix0 + e). */
static void build_patch(const float *xb, int64_t C, int64_t H, int64_t W, int64_t iy, int64_t nkh,
                        int64_t ix0, float *patch)
{
    int64_t lo = ix0 < 0 ? -ix0 : 0, hi = W - ix0 < CD_PW ? W - ix0 : CD_PW;
    vmask m0 = vm_range((int)(lo < 16 ? lo : 16), (int)(hi < 0 ? 0 : hi < 16 ? hi : 16));
    vmask m1 = vm_range((int)(lo < 16 ? 0 : lo - 16), (int)(hi < 16 ? 0 : hi - 16));
    for (int64_t c = 0; c < C; c++)
        for (int64_t kh = 0; kh < nkh; kh++) {
            const float *row = xb + (c * H + iy + kh) * W + ix0;   /* masked: never read outside */
            float *d = patch + (c * nkh + kh) * CD_PW;
            vstore(d, vloadm(row, m0));
            vstore(d + 16, vloadm(row + 16, m1));
        }
}

void yolo_conv_cdir_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_conv_packed *pk = yolo_exec_node_data(x, n);
    struct yolo_conv_geom g;
    yolo_conv_geom_make(x->g, n, pk->kind, nth, &g);
    const float *X = yolo_exec_ptr(x, n->in[0]);
    const float *bias = n->n_in > 2 && n->in[2] >= 0 ? yolo_exec_ptr(x, n->in[2]) : NULL;
    float *Y = yolo_exec_ptr(x, n->out[0]);
    float *patch = (float *)(x->scratch + (uint64_t)ith * x->scratch_bytes);
    int64_t nmb = g.Mp / CD_MB, units = g.N * g.nband * nmb;
    int64_t u0 = units * ith / nth, u1 = units * (ith + 1) / nth;
    int px = g.OW % 8 && g.OW % 10 == 0 ? 10 : 8;   /* 20 wide: two tiles of 10, not 8 + 8 + 4 */
    for (int64_t u = u0; u < u1; u++) {
        int64_t mb = u % nmb, band = (u / nmb) % g.nband, b = u / (nmb * g.nband);
        int64_t m0 = mb * CD_MB, nch = imin(CD_MB, g.M - m0);
        const float *w = pk->w + mb * g.K * CD_MB;
        vf bv[2];   /* vm_n clamps: no lanes past the block's nch channels */
        for (int v = 0; v < 2; v++)
            bv[v] = bias ? vloadm(bias + m0 + 16 * v, vm_n((int)(nch - 16 * v))) : vzero();
        const float *xb = X + b * g.C * g.H * g.W;
        float *yb = Y + (b * g.M + m0) * g.P;
        for (int64_t oy = band * g.br, oy1 = imin(oy + g.br, g.OH); oy < oy1; oy++) {
            int64_t iy = oy * g.SH - g.PT;
            int64_t kh0 = iy < 0 ? -iy : 0, kh1 = imin(g.KH, g.H - iy), nkh = kh1 - kh0;
            const float *wk = w + kh0 * g.KW * CD_MB;
            for (int64_t ox = 0; ox < g.OW; ox += px) {
                int npx = (int)imin(px, g.OW - ox);
                int64_t ix0 = ox * g.SW - g.PL;
                vf acc[CD_PXMAX][2];
                for (int p = 0; p < CD_PXMAX; p++)
                    acc[p][0] = acc[p][1] = vzero();
                if (nkh > 0) {
                    if (ix0 >= 0 && ix0 + g.SW * (px - 1) + g.KW <= g.W)
                        cdir_run(px, g.SW, g.KW, xb + (iy + kh0) * g.W + ix0, g.H * g.W, g.W,
                                 g.C, g.KH, nkh, wk, acc);
                    else {
                        build_patch(xb, g.C, g.H, g.W, iy + kh0, nkh, ix0, patch);
                        cdir_run(px, g.SW, g.KW, patch, nkh * CD_PW, CD_PW, g.C, g.KH, nkh, wk,
                                 acc);
                    }
                }
                for (int v = 0; v < 2 && 16 * v < nch; v++) {
                    vf r[CD_PXMAX];
                    for (int p = 0; p < px; p++)
                        r[p] = vact(vadd(acc[p][v], bv[v]), (int)g.act);
                    float *y = yb + 16 * v * g.P + oy * g.OW + ox;
                    int nc = (int)imin(16, nch - 16 * v);
                    store_tposed(r, y, g.P, npx, nc);
                    if (npx > 8)
                        store_tail2(r + 8, y, g.P, nc);
                }
            }
        }
    }
}
