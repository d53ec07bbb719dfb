/* conv_body.h: the project's convolution kernels, written once for AVX-512 and AVX2
 * (included by conv_avx512.c and conv_avx2.c, which define ISA_FN(name) to add the suffix).
 * All of them read and write plain NCHW tensors and take the packed weights of
 * kernels/conv_pack.h; bias and the fused activation are applied while the results are in
 * registers.
 *
 * GEMM8 (any group-1 conv that is not Winograd): Y_b [M][P] = A [M][K] . B [K][P], B the
 * (implicit) im2col matrix of X_b. Work unit = one NR-column panel (NR = 3 vectors: 48
 * columns on AVX-512, 24 on AVX2) x a range of output channels. Per unit and K block of KC
 * rows (KC*NR floats = 216 KiB, L2), the B panel is packed from X straight away (each vector
 * of columns gathered per output row it spans, with masked loads for the padding and a
 * deinterleave for stride 2): no im2col matrix is ever built. A 1x1 conv's B is X itself: a
 * whole panel is read where it lies (ldb = H*W; measured 3-22% faster per layer than copying
 * it first, most on few channels: 32 -> 16 at 160x160 0.28 -> 0.22 ms), only a ragged last
 * panel is copied (the micro-kernel loads whole vectors). Then every 8-row A panel (L2)
 * runs the micro-kernel over it.
 *
 * WINO43 (3x3, stride 1, dilation 1): Winograd F(4x4, 3x3). The output is cut into 4x4 tiles
 * numbered in raster order; a work unit is a block of tb consecutive tiles. Per block:
 *   1. input transform V[xi][c][t] = (B^T d B)[xi] of each 6x6 input patch d, VL tiles at a
 *      time: the six 6-float rows of VL horizontally adjacent tiles come from five masked
 *      vector loads and a 4-way deinterleave; a vector that crosses a tile row is assembled
 *      from one such load per row ("parts"), merged under lane masks;
 *   2. 36 GEMMs Y[xi] [Mp][tb] = U[xi] [Mp][C] . V[xi] [C][tb] with the micro-kernel;
 *   3. output transform A^T Y A per 16 tiles, + bias, activation, re-interleaved into output
 *      rows with masked stores.
 * 36 multiplies per 16 outputs instead of 144: 4x fewer, at the price of the transforms and
 * a slightly larger rounding error (tests/ops/test_conv_fast.c measures it).
 *
 * GEMM8 by rows (conv_pack.h's rows path: non-1x1 convs whose output rows fill vectors,
 * with a short K, i.e. few input channels like the stem, or of stride 2): for a band of
 * output rows the needed input rows are copied once, each
 * split into its SW column phases (stride 2: one load and deinterleave per 2*VL floats) (x = j*SW + px -> segment px, element j) between zero
 * margins. Then for output row oy and k = (c, kh, kw) the im2col row is contiguous: segment
 * (kw*DW - PL) mod SW of input row oy*SH - PT + kh*DH, from element floor((kw*DW - PL) / SW)
 * on (a zero segment for rows in the padding). The micro-kernel reads B through a table of
 * these K row pointers, so nothing is packed per k; the band (L2) is reused by all output
 * channels of all its rows.
 *
 * Depthwise (group == C == M, stride 1, <= 64 taps): direct, vectorized along output columns.
 * Each input plane is first copied with its zero padding made explicit (per-thread scratch),
 * so no load needs a mask; the 3x3 case runs its nine taps unrolled.
 */
#include <string.h>

#include "gemm_body.h"
#include "tr8.h"
#include "wino_body.h"
#include "cpu/conv_pack.h"


/* ------------------------------------------------------------------ GEMM8 */

/* A run of lanes [lo, hi) of one column vector that lies in one output row. */
struct col_part { int32_t q, lo, hi; int64_t oy, oxv; };   /* oxv: output x of lane 0 */

static int panel_parts(int64_t p0, int64_t cols, int64_t OW, struct col_part *pt)
{
    int np = 0;
    for (int64_t q = 0; q * VL < cols; q++)
        for (int64_t p = p0 + q * VL, end = p0 + imin(cols, (q + 1) * VL); p < end;) {
            int64_t oy = p / OW, ox = p % OW, n = imin(OW - ox, end - p);
            int lo = (int)(p - p0 - q * VL);
            pt[np++] = (struct col_part){ (int32_t)q, lo, lo + (int32_t)n, oy, ox - lo };
            p += n;
        }
    return np;
}

/* pack_im2col for stride 1 or 2 and kernels up to 8x8: everything that depends only on
 * (part, kw) or (part, kh) -- masks, x offsets, row offsets -- is worked out once per call,
 * so a k row costs one or two masked loads (and a deinterleave) per part. */
#define PK_MAX 8
/* pack_im2col_fast prefetches the rows of the channel this many ahead: each k row comes from
 * another input plane, a pattern the hardware prefetcher does not follow, and the input of a
 * stride-2 conv is L3-sized (128 -> 128 at 80x80 in yolo11n: 2.8-3.5 ms -> 2.7-2.9 ms, the
 * larger gain while the other core is busy). */
#define PF_CH 8
struct part_pre {
    vmask m0[PK_MAX], m1[PK_MAX], lm;
    int64_t xoff[PK_MAX], roff[PK_MAX];   /* roff -1: the row is in the padding */
    int q, full;
};

static void pack_im2col_fast(const struct yolo_conv_geom *g, const float *xb, int64_t k0,
                             int64_t kc, const struct col_part *pt, int np, int nq, float *bp,
                             struct part_pre *pre)
{
    for (int i = 0; i < np; i++) {
        const struct col_part *p = &pt[i];
        struct part_pre *r = &pre[i];
        r->q = p->q;
        r->full = p->lo == 0 && p->hi == VL;
        r->lm = vm_range(p->lo, p->hi);
        for (int64_t kh = 0; kh < g->KH; kh++) {
            int64_t iy = p->oy * g->SH - g->PT + kh * g->DH;
            r->roff[kh] = iy < 0 || iy >= g->H ? -1 : iy * g->W;
        }
        for (int64_t kw = 0; kw < g->KW; kw++) {
            int64_t xb0 = p->oxv * g->SW - g->PL + kw * g->DW;   /* x of lane 0 */
            r->xoff[kw] = xb0;
            if (g->SW == 1) {
                r->m0[kw] = vm_range(lane_clamp(imax(p->lo, -xb0)), lane_clamp(imin(p->hi, g->W - xb0)));
                r->m1[kw] = r->m0[kw];
            } else {
                /* element e of the 2*VL floats from xb0 is x = xb0 + e; lane l is e = 2l */
                int64_t elo = imax(2 * p->lo, -xb0), ehi = imin(2 * p->hi - 1, g->W - xb0);
                r->m0[kw] = vm_range(lane_clamp(elo), lane_clamp(ehi));
                r->m1[kw] = vm_range(lane_clamp(elo - VL), lane_clamp(ehi - VL));
            }
        }
    }
    int64_t kw = k0 % g->KW, kh = (k0 / g->KW) % g->KH, c = k0 / (g->KW * g->KH);
    for (int64_t kk = 0; kk < kc; kk++) {
        if (kk && ++kw == g->KW) {   /* next (c, kh, kw) without dividing */
            kw = 0;
            if (++kh == g->KH) {
                kh = 0;
                c++;
            }
        }
        const float *xc = xb + c * g->H * g->W;
        if (kw == 0 && c + PF_CH < g->C) {   /* 3 lines: 2*VL floats, unaligned */
            const float *xf = xc + PF_CH * g->H * g->W;
            for (int i = 0; i < np; i++)
                if (pre[i].roff[kh] >= 0) {
                    const char *s = (const char *)(xf + pre[i].roff[kh] + pre[i].xoff[0]);
                    __builtin_prefetch(s);
                    __builtin_prefetch(s + 64);
                    __builtin_prefetch(s + 128);
                }
        }
        vf acc[NV_MAX];
        for (int q = 0; q < nq; q++)
            acc[q] = vzero();
        for (int i = 0; i < np; i++) {
            const struct part_pre *r = &pre[i];
            if (r->roff[kh] < 0)
                continue;
            const float *src = xc + r->roff[kh] + r->xoff[kw];
            vf v = g->SW == 1 ? vloadm(src, r->m0[kw])
                              : veven(vloadm(src, r->m0[kw]), vloadm(src + VL, r->m1[kw]));
            acc[r->q] = r->full ? v : vblend(r->lm, acc[r->q], v);
        }
        for (int q = 0; q < nq; q++)
            vstore(bp + kk * NR + q * VL, acc[q]);
    }
}

/* Packs rows k0..k0+kc of the im2col matrix, columns of the parts, into bp [kc][NR]. */
static void pack_im2col(const struct yolo_conv_geom *g, const float *xb, int64_t k0, int64_t kc,
                        const struct col_part *pt, int np, int nq, float *bp)
{
    int64_t kw = k0 % g->KW, kh = (k0 / g->KW) % g->KH, c = k0 / (g->KW * g->KH);
    for (int64_t kk = 0; kk < kc; kk++) {
        if (kk) {              /* next (c, kh, kw) without dividing */
            if (++kw == g->KW) {
                kw = 0;
                if (++kh == g->KH) {
                    kh = 0;
                    c++;
                }
            }
        }
        const float *xc = xb + c * g->H * g->W;
        float *dst = bp + kk * NR;
        vf acc[NV_MAX];
        for (int q = 0; q < nq; q++)
            acc[q] = vzero();
        for (int i = 0; i < np; i++) {
            const struct col_part *p = &pt[i];
            int64_t iy = p->oy * g->SH - g->PT + kh * g->DH;
            if (iy < 0 || iy >= g->H)
                continue;
            const float *row = xc + iy * g->W;
            int64_t xb0 = p->oxv * g->SW - g->PL + kw * g->DW;   /* x of lane 0 */
            vf v;
            if (g->SW == 1) {
                vmask m = vm_range(lane_clamp(imax(p->lo, -xb0)), lane_clamp(imin(p->hi, g->W - xb0)));
                if (vm_none(m))
                    continue;
                v = vloadm(row + xb0, m);
            } else if (g->SW == 2) {
                /* element e of the 2*VL floats from xb0 is x = xb0 + e; lane l is e = 2l */
                int64_t elo = imax(2 * p->lo, -xb0), ehi = imin(2 * p->hi - 1, g->W - xb0);
                vmask m0 = vm_range(lane_clamp(elo), lane_clamp(ehi));
                vmask m1 = vm_range(lane_clamp(elo - VL), lane_clamp(ehi - VL));
                v = veven(vloadm(row + xb0, m0), vloadm(row + xb0 + VL, m1));
            } else {
                float tmp[VL] = { 0 };
                for (int l = p->lo; l < p->hi; l++) {
                    int64_t x = xb0 + l * g->SW;
                    tmp[l] = x >= 0 && x < g->W ? row[x] : 0.0f;
                }
                v = vload(tmp);
            }
            acc[p->q] = vblend(vm_range(p->lo, p->hi), acc[p->q], v);
        }
        for (int q = 0; q < nq; q++)
            vstore(dst + q * VL, acc[q]);
    }
}

static void pack_rows(const float *src, int64_t ld, int64_t kc, int64_t cols, int nq, float *bp)
{
    for (int64_t kk = 0; kk < kc; kk++) {
        const float *s = src + kk * ld;
        float *d = bp + kk * NR;
        for (int q = 0; q < nq; q++) {
            int64_t left = cols - q * VL;
            vstore(d + q * VL, left >= VL ? vload(s + q * VL) : vloadm(s + q * VL, vm_n((int)left)));
        }
    }
}

static inline void gemm_rows_ptr(const float *A, int64_t K, int64_t k0, int64_t kc, int64_t M,
                                 const float *const *bp, int64_t col, float *c, int64_t ldc,
                                 int64_t cols, int accum, const float *bias, int act)
{
    ukrp_fn f = cols > 2 * VL ? ukrp3 : cols > VL ? ukrp2 : ukrp1;
    for (int64_t m = 0; m < M; m += MRU) {
        int64_t rows = M - m < MRU ? M - m : MRU;
        const float *a = A + (m / 8) * 8 * K + k0 * 8 + (m % 8);
        f(kc, a, bp, col, c + m * ldc, ldc, (int)rows, (int)cols, accum, bias ? bias + m : NULL, act);
    }
}

/* Zeros d[lo, hi) by vector stores: the spans are short and there is one per phase of every
 * band row, so a libc call each cost more than the stores. */
static void zero_span(float *d, int64_t lo, int64_t hi)
{
    for (int64_t j = lo; j < hi; j += VL)
        vstorem(d + j, vzero(), vm_n((int)imin(VL, hi - j)));
}

/* Stride 2: each 2*VL floats of the row are loaded once and deinterleaved into both phase
 * segments (even x -> segment 0, odd x -> segment 1). The last, partial chunk is loaded
 * masked and stored whole: its zero lanes land in the right margin, which seg leaves room for
 * (at least 16 floats past the data). */
static void split_row2(const float *row, int64_t W, int64_t ml, int64_t seg, float *dst)
{
    float *d0 = dst + ml, *d1 = dst + seg + ml;
    int64_t j = 0;
    for (; 2 * j + 2 * VL <= W; j += VL) {
        vf e, o;
        vdeint2(vload(row + 2 * j), vload(row + 2 * j + VL), &e, &o);
        vstore(d0 + j, e);
        vstore(d1 + j, o);
    }
    if (2 * j < W) {
        int left = (int)(W - 2 * j);
        vf e, o;
        vdeint2(vloadm(row + 2 * j, vm_n(left)), vloadm(row + 2 * j + VL, vm_n(left - VL)), &e, &o);
        vstore(d0 + j, e);
        vstore(d1 + j, o);
        j += VL;
    }
    zero_span(dst, 0, ml);
    zero_span(dst + seg, 0, ml);
    zero_span(d0, j, seg - ml);
    zero_span(d1, j, seg - ml);
}

/* Input row `row` (W floats) into SW phase segments of seg floats with ml zeros in front. */
static void split_row(const float *row, int64_t W, int64_t S, int64_t ml, int64_t seg, float *dst)
{
    if (S == 2) {
        split_row2(row, W, ml, seg, dst);
        return;
    }
    for (int64_t px = 0; px < S; px++) {
        float *d = dst + px * seg;
        int64_t nph = px < W ? (W - px + S - 1) / S : 0, j = 0;
        zero_span(d, 0, ml);
        if (S == 1) {
            memcpy(d + ml, row, sizeof(float) * (size_t)W);
            j = W;
        } else {
            for (; j < nph; j++)
                d[ml + j] = row[j * S + px];
        }
        zero_span(d, ml + j, seg);
    }
}

static void conv_rows(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth,
                      const struct yolo_conv_geom *g)
{
    const float *X = yolo_exec_ptr(x, n->in[0]), *A = g->w;
    const float *bias = n->in[2] >= 0 ? yolo_exec_ptr(x, n->in[2]) : NULL;
    float *Y = yolo_exec_ptr(x, n->out[0]);
    float *band = (float *)(x->scratch + (uint64_t)ith * x->scratch_bytes);
    float *zero = band + g->band_floats;
    const float **bp = (const float **)(zero + g->seg);
    int64_t S = g->SW, seg = g->seg, rowf = S * seg;
    memset(zero, 0, sizeof(float) * (size_t)seg);
    int64_t units = g->N * g->nband, u0 = units * ith / nth, u1 = units * (ith + 1) / nth;
    int64_t kcmax = YOLO_CONV_PANEL_FLOATS / NR, nkb = (g->K + kcmax - 1) / kcmax;
    int64_t kcs = (g->K + nkb - 1) / nkb;
    for (int64_t u = u0; u < u1; u++) {
        int64_t b = u / g->nband, oy0 = (u % g->nband) * g->br, oy1 = imin(oy0 + g->br, g->OH);
        int64_t iy0 = oy0 * g->SH - g->PT;
        int64_t nrows = (oy1 - oy0 - 1) * g->SH + (g->KH - 1) * g->DH + 1;
        const float *xb = X + b * g->C * g->H * g->W;
        for (int64_t c = 0; c < g->C; c++)
            for (int64_t rr = 0; rr < nrows; rr++) {
                int64_t iy = iy0 + rr;
                if (iy >= 0 && iy < g->H)
                    split_row(xb + (c * g->H + iy) * g->W, g->W, S, g->ml, seg,
                              band + (c * g->in_rows + rr) * rowf);
            }
        for (int64_t oy = oy0; oy < oy1; oy++) {
            /* k = (c*KH + kh)*KW + kw, walked in order (no divisions per k) */
            int64_t k = 0;
            for (int64_t c = 0; c < g->C; c++)
                for (int64_t kh = 0; kh < g->KH; kh++) {
                    int64_t iy = oy * g->SH - g->PT + kh * g->DH;
                    int valid = iy >= 0 && iy < g->H;
                    const float *row = valid ? band + (c * g->in_rows + (iy - iy0)) * rowf : zero;
                    for (int64_t kw = 0; kw < g->KW; kw++, k++) {
                        int64_t xo = kw * g->DW - g->PL;
                        int64_t px = ((xo % S) + S) % S, q = (xo - px) / S;
                        bp[k] = (valid ? row + px * seg : row) + g->ml + q;
                    }
                }
            float *yr = Y + b * g->M * g->P + oy * g->OW;
            for (int64_t col = 0; col < g->OW; col += NR) {
                int64_t cols = imin(NR, g->OW - col);
                for (int64_t k0 = 0; k0 < g->K; k0 += kcs) {
                    int64_t kc = imin(kcs, g->K - k0);
                    int last = k0 + kc >= g->K;
                    gemm_rows_ptr(A, g->K, k0, kc, g->M, bp + k0, col, yr + col, g->P, cols,
                                  k0 > 0, last ? bias : NULL, last ? (int)g->act : 0);
                }
            }
        }
    }
}

static void conv_gemm8(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth,
                       const struct yolo_conv_geom *g)
{
    if (g->rows) {
        conv_rows(x, n, ith, nth, g);
        return;
    }
    const float *X = yolo_exec_ptr(x, n->in[0]), *A = g->w;
    const float *bias = n->in[2] >= 0 ? yolo_exec_ptr(x, n->in[2]) : NULL;
    float *Y = yolo_exec_ptr(x, n->out[0]);
    float *bp = (float *)(x->scratch + (uint64_t)ith * x->scratch_bytes);
    int direct = g->KH == 1 && g->KW == 1 && g->SH == 1 && g->SW == 1 && g->PT == 0 &&
                 g->PL == 0 && g->OH == g->H && g->OW == g->W;
    /* writing a Transpose's layout (cpu/conv_tp_mark.c: direct convs only): each unit's
     * tile is finished in ct, after the panel buffer, then stored transposed */
    const struct yolo_conv_packed *pk = yolo_exec_node_data(x, n);
    float *T = pk->tp_group ? yolo_exec_ptr(x, pk->tp_out) : NULL;
    /* rows written into a joined tensor at its pitch (cpu/conv_cat_mark.c: direct convs) */
    int64_t ldy = pk->cat_cs ? pk->cat_cs : g->P, iy = pk->cat_cs ? pk->cat_is : g->M * g->P;
    if (pk->cat_cs)
        Y = (float *)yolo_exec_ptr(x, pk->cat_out) + pk->cat_base;
    float *ct = bp + YOLO_CONV_PANEL_FLOATS + 64;
    int act = T && pk->tp_act ? (int)pk->tp_act : pk->cat_act ? (int)pk->cat_act : (int)g->act;
    int64_t panels = (g->P + NR - 1) / NR;
    /* split the channels too when there are too few column panels to share out evenly
     * (e.g. 9 panels of a 20x20 map on 2 threads: 18 half-panels instead of 5 + 4) */
    int64_t mblocks = g->Mp / MRU, msplit = 1, pu = g->N * panels;
    if (nth > 1 && pu < 8 * (int64_t)nth && pu % nth)
        msplit = imin(mblocks, (8 * (int64_t)nth + pu - 1) / pu);
    int64_t units = g->N * panels * msplit;
    int64_t u0 = units * ith / nth, u1 = units * (ith + 1) / nth;
    int64_t kcmax = YOLO_CONV_PANEL_FLOATS / NR, nkb = (g->K + kcmax - 1) / kcmax;
    int64_t kcs = (g->K + nkb - 1) / nkb;
    struct col_part pt[NR];
    struct part_pre pre[NR];
    for (int64_t u = u0; u < u1; u++) {
        int64_t ms = u % msplit, panel = (u / msplit) % panels, b = u / (msplit * panels);
        int64_t m0 = mblocks * ms / msplit * MRU, m1 = mblocks * (ms + 1) / msplit * MRU;
        int64_t p0 = panel * NR, cols = imin(NR, g->P - p0);
        int nq = (int)((cols + VL - 1) / VL);
        const float *xb = X + b * g->C * g->H * g->W;
        float *yb = Y + b * iy + p0;
        int np = direct ? 0 : panel_parts(p0, cols, g->OW, pt);
        for (int64_t k0 = 0; k0 < g->K; k0 += kcs) {
            int64_t kc = imin(kcs, g->K - k0);
            int last = k0 + kc >= g->K;
            const float *bsrc = bp;
            int64_t ldb = NR;
            if (direct && cols == NR) {   /* B is X's rows as they lie (see the header) */
                bsrc = xb + k0 * g->P + p0;
                ldb = g->P;
            } else if (direct)
                pack_rows(xb + k0 * g->P + p0, g->P, kc, cols, nq, bp);
            else if ((g->SW == 1 || g->SW == 2) && g->KH <= PK_MAX && g->KW <= PK_MAX)
                pack_im2col_fast(g, xb, k0, kc, pt, np, nq, bp, pre);
            else
                pack_im2col(g, xb, k0, kc, pt, np, nq, bp);
            if (T && k0 == 0 && last) {
                /* one K block: each row block stored as soon as it is done, from L1 (whole
                 * groups of G rows at a time measured slower: the tile outgrew L1) */
                ukr_fn f = ukr_for(cols);
                for (int64_t m = m0; m < imin(m1, g->M); m += MRU) {
                    int rows = (int)imin(MRU, g->M - m);
                    f(kc, A + (m / 8) * 8 * g->K + (m % 8), bsrc, ldb, ct, NR, rows, (int)cols,
                      0, bias ? bias + m : NULL, act);
                    tr8_store_groups(ct, NR, m, m + rows, cols, T + b * g->M * g->P, p0, g->P,
                                     pk->tp_group);
                }
                continue;
            }
            gemm_rows(A, g->K, k0, kc, m0, imin(m1, g->M), g->M, bsrc, ldb, T ? ct : yb,
                      T ? NR : ldy, cols, k0 > 0, last ? bias : NULL, last ? act : 0);
        }
        if (T && kcs < g->K)   /* several K blocks: the whole tile (row m at ct + m * NR) */
            tr8_store_groups(ct + m0 * NR, NR, m0, imin(m1, g->M), cols, T + b * g->M * g->P, p0,
                             g->P, pk->tp_group);
    }
}

/* ------------------------------------------------------------------ WINO43 */

static void conv_wino(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth,
                      const struct yolo_conv_geom *g)
{
    const float *X = yolo_exec_ptr(x, n->in[0]), *U = g->w;
    const float *bias = n->in[2] >= 0 ? yolo_exec_ptr(x, n->in[2]) : NULL;
    float *Y = yolo_exec_ptr(x, n->out[0]);
    const struct yolo_conv_packed *pk = yolo_exec_node_data(x, n);
    const float *R = NULL;
    if (pk->add_on) {   /* a residual Add's sum (cpu/conv_add_mark.c) */
        Y = yolo_exec_ptr(x, pk->add_out);
        R = yolo_exec_ptr(x, pk->add_res);
    }
    float *V = (float *)(x->scratch + (uint64_t)ith * x->scratch_bytes);
    int64_t C = g->C, Mp = g->Mp, tbp = g->tbp, vs = g->wino_vs, ys = g->wino_ys;
    float *Yw = V + 36 * vs;
    int64_t units = g->N * g->nblk;
    int64_t u0 = units * ith / nth, u1 = units * (ith + 1) / nth;
    struct tile_part pt[VL];
    for (int64_t u = u0; u < u1; u++) {
        int64_t b = u / g->nblk, t0 = (u % g->nblk) * g->tb, t1 = imin(t0 + g->tb, g->T);
        int64_t ncols = (t1 - t0 + VL - 1) / VL * VL;
        const float *xb = X + b * C * g->H * g->W;
        float *yb = Y + b * g->M * g->P;
        const float *rb = R ? R + b * g->M * g->P : NULL;
        for (int64_t tc = t0; tc < t1; tc += VL) {
            int np = chunk_parts(tc, imin(tc + VL, t1), g->TW, pt);
            for (int64_t c = 0; c < C; c++)
                wino_in(g, xb + c * g->H * g->W, pt, np, V + c * tbp + (tc - t0), vs,
                        (float)YOLO_WINO_F32_A, (float)YOLO_WINO_F32_B);
        }
        for (int64_t xi = 0; xi < 36; xi++)
            for (int64_t col = 0; col < ncols; col += NR)
                gemm_rows(U + xi * Mp * C, C, 0, C, 0, Mp, Mp, V + xi * vs + col, tbp,
                          Yw + xi * ys + col, tbp, imin(NR, ncols - col), 0, NULL, 0);
        for (int64_t tc = t0; tc < t1; tc += VL) {
            int64_t tend = imin(tc + VL, t1);
            int np = chunk_parts(tc, tend, g->TW, pt);
            for (int64_t m = 0; m < g->M; m++)
                wino_out(g, Yw + m * tbp + (tc - t0), ys, (int)(tend - tc), pt, np,
                         bias ? bias[m] : 0.0f, yb + m * g->P, rb ? rb + m * g->P : NULL,
                         (float)YOLO_WINO_F32_A, (float)YOLO_WINO_F32_B);
        }
    }
}

void ISA_FN(yolo_conv_pack)(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_conv_packed *pk = yolo_exec_node_data(x, n);
    struct yolo_conv_geom g;
    yolo_conv_geom_make(x->g, n, pk->kind, nth, &g);
    g.w = pk->w;
    if (g.kind == YOLO_CONV_PACK_WINO43)
        conv_wino(x, n, ith, nth, &g);
    else
        conv_gemm8(x, n, ith, nth, &g);
}

/* ------------------------------------------------------------------ depthwise */

void ISA_FN(yolo_conv_dw)(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_graph *gr = x->g;
    const int64_t *p = n->params;
    const struct yolo_tensor *Xt = &gr->tensors[n->in[0]], *Yt = &gr->tensors[n->out[0]];
    const float *X = yolo_exec_ptr(x, n->in[0]), *Wd = yolo_exec_ptr(x, n->in[1]);
    const float *bias = n->n_in > 2 && n->in[2] >= 0 ? yolo_exec_ptr(x, n->in[2]) : NULL;
    float *Y = yolo_exec_ptr(x, n->out[0]);
    float *pad = (float *)(x->scratch + (uint64_t)ith * x->scratch_bytes);
    int64_t N = Xt->shape[0], C = Xt->shape[1], H = Xt->shape[2], W = Xt->shape[3];
    int64_t OH = Yt->shape[2], OW = Yt->shape[3];
    int64_t KH = p[YOLO_CONV_KH], KW = p[YOLO_CONV_KW], SH = p[YOLO_CONV_SH];
    int64_t DH = p[YOLO_CONV_DH], DW = p[YOLO_CONV_DW], PT = p[YOLO_CONV_PT], PL = p[YOLO_CONV_PL];
    int64_t Hp, Wp;
    yolo_conv_dw_padded(gr, n, &Hp, &Wp);
    int act = (int)p[YOLO_CONV_ACT];
    int unrolled = KH == 3 && KW == 3 && DW == 1;
    int64_t planes = N * C, lo = planes * ith / nth, hi = planes * (ith + 1) / nth;
    for (int64_t pl = lo; pl < hi; pl++) {
        int64_t c = pl % C;
        const float *xc = X + pl * H * W, *wc = Wd + c * KH * KW;
        float *yc = Y + pl * OH * OW;
        /* the plane with its padding made explicit: padded row r, column j is input
         * (r - PT, j - PL), zero outside; Wp leaves room for the last vector's overrun */
        for (int64_t r = 0; r < Hp; r++) {
            /* vector stores, not libc calls: rows are short and there are many of them */
            float *d = pad + r * Wp;
            int64_t iy = r - PT, left = PL < Wp ? PL : Wp;
            int64_t cnt = iy < 0 || iy >= H ? 0 : imin(W, Wp - left);
            for (int64_t j = 0; j < Wp; j += VL)        /* Wp is a multiple of 16 */
                vstore(d + j, vzero());
            vcopy(d + left, cnt ? xc + iy * W : xc, cnt);
        }
        vf bv = vset1(bias ? bias[c] : 0.0f), wv[64];
        for (int64_t t = 0; t < KH * KW; t++)
            wv[t] = vset1(wc[t]);
        for (int64_t oy = 0; oy < OH; oy++) {
            const float *r0 = pad + oy * SH * Wp;
            float *yr = yc + oy * OW;
            for (int64_t ox = 0; ox < OW; ox += VL) {
                vf acc;
                if (unrolled) {   /* YOLO's 3x3: nine taps, three chains */
                    const float *r1 = r0 + DH * Wp, *r2 = r1 + DH * Wp;
                    vf a0 = vfma(wv[0], vload(r0 + ox), bv);
                    vf a1 = vmul(wv[1], vload(r0 + ox + 1));
                    vf a2 = vmul(wv[2], vload(r0 + ox + 2));
                    a0 = vfma(wv[3], vload(r1 + ox), a0);
                    a1 = vfma(wv[4], vload(r1 + ox + 1), a1);
                    a2 = vfma(wv[5], vload(r1 + ox + 2), a2);
                    a0 = vfma(wv[6], vload(r2 + ox), a0);
                    a1 = vfma(wv[7], vload(r2 + ox + 1), a1);
                    a2 = vfma(wv[8], vload(r2 + ox + 2), a2);
                    acc = vadd(vadd(a0, a1), a2);
                } else {
                    acc = bv;
                    for (int64_t ky = 0; ky < KH; ky++)
                        for (int64_t kx = 0; kx < KW; kx++)
                            acc = vfma(wv[ky * KW + kx], vload(r0 + ky * DH * Wp + ox + kx * DW), acc);
                }
                acc = vact(acc, act);
                if (OW - ox >= VL)
                    vstore(yr + ox, acc);
                else
                    vstorem(yr + ox, acc, vm_n((int)(OW - ox)));
            }
        }
    }
}
