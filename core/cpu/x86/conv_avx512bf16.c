/* x86/conv_avx512bf16.c: bfloat16 convolution with vdpbf16ps (layouts, tiles and why in
 * cpu/conv_bf16.h). Built with -mavx512bf16; picked only where CPUID reports AVX512_BF16.
 *
 * A unit is (image, column tile, chunk of 8-channel panels). Its im2col columns are packed
 * once: for each k pair the two float rows are gathered (the 1x1 stride-1 unpadded case reads
 * the input plane in place), converted together by vcvtne2ps2bf16 (round to nearest even)
 * and interleaved by vpermw so each 32-bit lane holds (x[2p], x[2p+1]) of one column. Then,
 * channel panel by panel (its 8 x K2 weight words stay in L1 while the panel streams from
 * L2), each 48-column block (the tail: 32 or 16) accumulates in 24 float32 registers;
 * the epilogue adds the bias and applies the activation in float32 (simd.h) and stores the
 * NCHW rows masked at the tile's end. */
#include <immintrin.h>
#include <string.h>

#include "cpu/conv_bf16.h"
#include "cpu/conv_pack.h"
#include "cpu/x86/simd.h"
#include "cpu/x86/bf16_block.h"
#include "cpu/x86/tr8.h"

/* n floats from s to d, and zeros: inline masked vectors, since the segments are short
 * (an output row: 20 to 160 columns) and a libc call per segment cost more than the copy. */
static inline void copy_floats(float *d, const float *s, int64_t n)
{
    for (int64_t t = 0; t < n; t += 16) {
        __mmask16 m = vm_n((int)(n - t));
        _mm512_mask_storeu_ps(d + t, m, _mm512_maskz_loadu_ps(m, s + t));
    }
}
static inline void zero_floats(float *d, int64_t n)
{
    for (int64_t t = 0; t < n; t += 16)
        _mm512_mask_storeu_ps(d + t, vm_n((int)(n - t)), _mm512_setzero_ps());
}

/* Output columns [p0, p0 + cols) of im2col row k (c, kh, kw) into dst, zero outside the
 * input (the padding) and up to twp. */
static void gather_row(const struct yolo_conv_bf16_plan *pl, const float *xb, int64_t k,
                       int64_t p0, int64_t cols, int64_t twp, float *dst)
{
    int64_t kw = k % pl->KW, kh = (k / pl->KW) % pl->KH, c = k / (pl->KW * pl->KH);
    const float *xc = xb + c * pl->H * pl->W;
    int64_t SW = pl->SW, base = kw * pl->DW - pl->PL;   /* input column ix = ox*SW + base */
    int64_t ox_lo = base >= 0 ? 0 : (-base + SW - 1) / SW;
    int64_t ox_hi = pl->W - 1 - base < 0 ? 0 : (pl->W - 1 - base) / SW + 1;
    int64_t oy = p0 / pl->OW, ox = p0 % pl->OW;
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (int64_t j = 0; j < cols;) {
        int64_t seg = pl->OW - ox < cols - j ? pl->OW - ox : cols - j;
        int64_t iy = oy * pl->SH - pl->PT + kh * pl->DH;
        float *d = dst + j;
        if (iy < 0 || iy >= pl->H) {
            zero_floats(d, seg);
        } else {
            const float *xr = xc + iy * pl->W;
            int64_t t_lo = ox_lo - ox, t_hi = ox_hi - ox;
            t_lo = t_lo < 0 ? 0 : t_lo > seg ? seg : t_lo;
            t_hi = t_hi < t_lo ? t_lo : t_hi > seg ? seg : t_hi;
            zero_floats(d, t_lo);
            if (SW == 1) {
                copy_floats(d + t_lo, xr + ox + t_lo + base, t_hi - t_lo);
            } else if (SW == 2) {
                /* the even floats of each 32 read (masked: never past the row's last input) */
                const float *s = xr + (ox + t_lo) * 2 + base;
                for (int64_t t = t_lo; t < t_hi; t += 16) {
                    int64_t r = t_hi - t < 16 ? t_hi - t : 16, avail = 2 * r - 1;
                    __m512 a = _mm512_maskz_loadu_ps(vm_n((int)avail), s);
                    __m512 b = _mm512_maskz_loadu_ps(vm_n((int)(avail - 16)), s + 16);
                    _mm512_mask_storeu_ps(d + t, vm_n((int)r), _mm512_permutex2var_ps(a, even, b));
                    s += 32;
                }
            } else {
                for (int64_t t = t_lo; t < t_hi; t++)
                    d[t] = xr[(ox + t) * SW + base];
            }
            zero_floats(d + t_hi, seg - t_hi);
        }
        j += seg;
        ox = 0;
        oy++;
    }
    zero_floats(dst + cols, twp - cols);
}

/* Packs k pairs [0, K2) of columns [p0, p0 + cols) into bp as blocks of 48 columns (the
 * last one 16 or 32), each [K2][48][2] bfloat16, so the micro-kernel streams one block
 * contiguously. */
static void pack_columns(const struct yolo_conv_bf16_plan *pl, const float *xb, int64_t p0,
                         int64_t cols, int64_t twp, uint16_t *bp, float *r0, float *r1)
{
    static const uint16_t inter_idx[32] = { 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
                                            8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30,
                                            15, 31 };
    const __m512i inter = _mm512_loadu_si512(inter_idx);
    int direct = pl->KH == 1 && pl->KW == 1 && pl->SH == 1 && pl->SW == 1 && pl->PT == 0 &&
                 pl->PL == 0 && pl->OH == pl->H && pl->OW == pl->W;
    for (int64_t kp = 0; kp < pl->K2; kp++) {
        int64_t k0 = 2 * kp, k1 = k0 + 1;
        const float *a, *b;
        if (direct) {   /* row k is input plane k: read in place, masked at the tile's end */
            a = xb + k0 * pl->P + p0;
            b = k1 < pl->K ? xb + k1 * pl->P + p0 : NULL;
        } else {
            gather_row(pl, xb, k0, p0, cols, twp, r0);
            a = r0;
            b = NULL;
            if (k1 < pl->K) {
                gather_row(pl, xb, k1, p0, cols, twp, r1);
                b = r1;
            }
        }
        /* in place, the rows of pair kp + 2 (other planes, short segments the hardware
         * prefetcher picks up late) are fetched ahead; a prefetch never faults */
        const float *pa = direct ? a + 4 * pl->P : NULL;
        for (int64_t j = 0; j < twp; j += 16) {
            __mmask16 m = vm_n((int)(cols - j));
            if (pa) {
                _mm_prefetch((const char *)(pa + j), _MM_HINT_T0);
                _mm_prefetch((const char *)(pa + pl->P + j), _MM_HINT_T0);
            }
            __m512 lo = _mm512_maskz_loadu_ps(m, a + j);
            __m512 hi = b ? _mm512_maskz_loadu_ps(m, b + j) : _mm512_setzero_ps();
            __m512i v = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
            int64_t jb = j / 48, nb = twp - jb * 48 < 48 ? twp - jb * 48 : 48;
            uint16_t *o = bp + (jb * 48 * pl->K2 + kp * nb + j % 48) * 2;
            _mm512_storeu_si512(o, _mm512_permutexvar_epi16(inter, v));
        }
    }
}

/* What both kernels start from: the plan, the packed weights, input, bias (NULL if none),
 * output and this thread's scratch (returned). */
static uint8_t *node_io(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth,
                        int rows, struct yolo_conv_bf16_plan *pl, const uint32_t **w,
                        const float **xd, const float **bd, float **yd)
{
    yolo_conv_bf16_plan_make(x->g, n, nth, rows, pl);
    *w = (const uint32_t *)((const struct yolo_conv_packed *)yolo_exec_node_data(x, n))->w;
    *xd = yolo_exec_ptr(x, n->in[0]);
    *bd = (n->n_in > 2 && n->in[2] >= 0) ? yolo_exec_ptr(x, n->in[2]) : NULL;
    *yd = yolo_exec_ptr(x, n->out[0]);
    return x->scratch + (uint64_t)ith * x->scratch_bytes;
}

void yolo_conv_bf16_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    struct yolo_conv_bf16_plan pl;
    const uint32_t *wpack;
    const float *xd, *bd;
    float *yd;
    uint8_t *scr = node_io(x, n, ith, nth, 0, &pl, &wpack, &xd, &bd, &yd);
    /* writing a Transpose's layout (cpu/conv_tp_mark.c: 1x1 direct convs only) */
    const struct yolo_conv_packed *pk = yolo_exec_node_data(x, n);
    float *T = pk->tp_group ? yolo_exec_ptr(x, pk->tp_out) : NULL;
    int tact = pk->tp_act ? (int)pk->tp_act : (int)pl.act;
    float *ct = (float *)(scr + (yolo_conv_bf16_scratch(x->g, n, nth, 0) + 63) / 64 * 64);
    uint16_t *bp = (uint16_t *)scr;
    float *r0 = (float *)(scr + (uint64_t)pl.K2 * (uint64_t)pl.tw * 4), *r1 = r0 + pl.tw;
    int64_t n_panels = pl.Mp / 8;
    int64_t u0 = pl.units * ith / nth, u1 = pl.units * (ith + 1) / nth;
    for (int64_t u = u0; u < u1; u++) {
        int64_t chunk = u % pl.n_msplit, t = u / pl.n_msplit;
        int64_t tile = t % pl.n_tiles, b = t / pl.n_tiles;
        int64_t p0 = tile * pl.tw, cols = pl.P - p0 < pl.tw ? pl.P - p0 : pl.tw;
        int64_t twp = (cols + 15) / 16 * 16;
        const float *xb = xd + b * pl.C * pl.H * pl.W;
        float *yb = yd + b * pl.M * pl.P + p0;
        pack_columns(&pl, xb, p0, cols, twp, bp, r0, r1);
        int64_t q0 = n_panels * chunk / pl.n_msplit, q1 = n_panels * (chunk + 1) / pl.n_msplit;
        for (int64_t q = q0; q < q1; q++) {
            const uint32_t *wp = wpack + q * pl.K2 * 8;
            if (T) {   /* each 8 x 48 block through ct, then stored transposed */
                int64_t m1 = q * 8 + 8 < pl.M ? q * 8 + 8 : pl.M;
                for (int64_t j = 0; j < twp; j += 48) {
                    int nv = twp - j >= 48 ? 3 : twp - j == 32 ? 2 : 1;
                    const uint16_t *bj = bp + j * 2 * pl.K2;
                    const float *bq = bd ? bd + q * 8 : NULL;
                    if (nv == 3)
                        bf16_block(3, wp, bj, 96, pl.K2, bq, 0, m1 - q * 8, tact, ct, 48, 48);
                    else if (nv == 2)
                        bf16_block(2, wp, bj, 64, pl.K2, bq, 0, m1 - q * 8, tact, ct, 48, 32);
                    else
                        bf16_block(1, wp, bj, 32, pl.K2, bq, 0, m1 - q * 8, tact, ct, 48, 16);
                    int64_t cols_j = cols - j < 16 * nv ? cols - j : 16 * nv;
                    tr8_store_groups(ct, 48, q * 8, m1, cols_j, T + b * pl.M * pl.P, p0 + j, pl.P,
                                     pk->tp_group);
                }
                continue;
            }
            int64_t j = 0;
            for (; j + 48 <= twp; j += 48)
                bf16_block(3, wp, bp + j * 2 * pl.K2, 3 * 32, pl.K2, bd, q * 8, pl.M,
                           (int)pl.act, yb + j, pl.P, cols - j);
            if (twp - j == 32)
                bf16_block(2, wp, bp + j * 2 * pl.K2, 2 * 32, pl.K2, bd, q * 8, pl.M,
                           (int)pl.act, yb + j, pl.P, cols - j);
            else if (twp - j == 16)
                bf16_block(1, wp, bp + j * 2 * pl.K2, 1 * 32, pl.K2, bd, q * 8, pl.M,
                           (int)pl.act, yb + j, pl.P, cols - j);
        }
    }
}

/* Input rows xa and xb (channels 2cp and 2cp + 1 at one input row, W floats each; xb NULL
 * past the last channel) as the two phases of channel-pair words, shifted by the left pad:
 * with s[j] = x[j - PL] (zero outside the row), word i of e is (sa[2i], sb[2i]) and word i of
 * o is (sa[2i + 1], sb[2i + 1]), for i in [0, lw). */
static void convert_pair_row(const float *xa, const float *xb, int64_t W, int64_t PL, int64_t lw,
                             uint16_t *e, uint16_t *o)
{
    static const uint16_t inter_idx[32] = { 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
                                            8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30,
                                            15, 31 };
    const __m512i inter = _mm512_loadu_si512(inter_idx);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    for (int64_t i = 0; i < lw; i += 16) {
        int64_t lo = 2 * i - PL;   /* x index of s[2i] */
        __m512 v[2][2];
        for (int h = 0; h < 2; h++) {   /* s[2i + 16h .. 2i + 16h + 15] of both channels */
            int64_t l = lo + 16 * h;
            int first = l < 0 ? (l <= -16 ? 16 : (int)-l) : 0;
            int end = W - l >= 16 ? 16 : W - l <= 0 ? 0 : (int)(W - l);
            __mmask16 m = first < end ? vm_range(first, end) : 0;
            v[0][h] = v[1][h] = _mm512_setzero_ps();
            if (m) {   /* lanes outside the row are never read */
                v[0][h] = _mm512_maskz_loadu_ps(m, xa + l);
                if (xb)
                    v[1][h] = _mm512_maskz_loadu_ps(m, xb + l);
            }
        }
        __m512 ae = _mm512_permutex2var_ps(v[0][0], even, v[0][1]);
        __m512 be = _mm512_permutex2var_ps(v[1][0], even, v[1][1]);
        __m512 ao = _mm512_permutex2var_ps(v[0][0], odd, v[0][1]);
        __m512 bo = _mm512_permutex2var_ps(v[1][0], odd, v[1][1]);
        _mm512_storeu_si512(e + 2 * i, _mm512_permutexvar_epi16(inter, (__m512i)_mm512_cvtne2ps_pbh(be, ae)));
        _mm512_storeu_si512(o + 2 * i, _mm512_permutexvar_epi16(inter, (__m512i)_mm512_cvtne2ps_pbh(bo, ao)));
    }
}

/* Narrow rows (conv_bf16.h, YOLO_CONV_BF16_S2_OWMIN): output rows [oy0, oy1) of one image
 * from its converted band. Each B row (cp, kh, kw) of the band's columns, whole output rows
 * one after the other, is copied as words from the converted rows into bp's 48-column blocks
 * ([block][K2][48] words, the last block 16 or 32 wide); then the packed kernel's panel
 * loop, writing the band's rows at y (contiguous: whole rows). */
static void narrow_band(const struct yolo_conv_bf16_plan *pl, const uint32_t *wpack,
                        const uint16_t *band, const uint16_t *zero, int64_t oy0, int64_t oy1,
                        int64_t iy0, const float *bd, float *y, uint32_t *bp)
{
    int64_t OW = pl->OW, cols = (oy1 - oy0) * OW, twp = (cols + 15) / 16 * 16, lw = pl->lw;
    for (int64_t k2 = 0; k2 < pl->K2; k2++) {
        int64_t kw = k2 % 3, kh = (k2 / 3) % pl->KH, cp = k2 / (3 * pl->KH);
        for (int64_t oy = oy0; oy < oy1; oy++) {
            int64_t r = (oy - oy0) * pl->SH + kh, iy = iy0 + r;
            const uint32_t *src = (const uint32_t *)zero;
            if (iy >= 0 && iy < pl->H) {   /* tap 0: even word m, 1: odd word m, 2: even m + 1 */
                const uint16_t *e = band + 2 * ((cp * pl->in_rows + r) * 2) * lw;
                src = (const uint32_t *)(kw == 1 ? e + 2 * lw : kw == 2 ? e + 2 : e);
            }
            for (int64_t p = (oy - oy0) * OW, end = p + OW; p < end;) {
                int64_t jb = p / 48, c = p % 48, nb = twp - jb * 48 < 48 ? twp - jb * 48 : 48;
                int64_t piece = end - p < 48 - c ? end - p : 48 - c;
                uint32_t *d = bp + jb * 48 * pl->K2 + k2 * nb + c;
                for (int64_t t = 0; t < piece; t += 16) {
                    __mmask16 m = vm_n((int)(piece - t));
                    _mm512_mask_storeu_epi32(d + t, m, _mm512_maskz_loadu_epi32(m, src + t));
                }
                src += piece;
                p += piece;
            }
        }
        for (int64_t p = cols; p < twp; p++) {   /* the last block's columns past the band */
            int64_t jb = p / 48, nb = twp - jb * 48 < 48 ? twp - jb * 48 : 48;
            bp[jb * 48 * pl->K2 + k2 * nb + p % 48] = 0;
        }
    }
    const uint16_t *bw = (const uint16_t *)bp;
    for (int64_t q = 0; q < pl->Mp / 8; q++) {
        const uint32_t *wp = wpack + q * pl->K2 * 8;
        int64_t j = 0;
        for (; j + 48 <= twp; j += 48)
            bf16_block(3, wp, bw + j * 2 * pl->K2, 3 * 32, pl->K2, bd, q * 8, pl->M,
                       (int)pl->act, y + j, pl->P, cols - j);
        if (twp - j == 32)
            bf16_block(2, wp, bw + j * 2 * pl->K2, 2 * 32, pl->K2, bd, q * 8, pl->M,
                       (int)pl->act, y + j, pl->P, cols - j);
        else if (twp - j == 16)
            bf16_block(1, wp, bw + j * 2 * pl->K2, 1 * 32, pl->K2, bd, q * 8, pl->M,
                       (int)pl->act, y + j, pl->P, cols - j);
    }
}

void yolo_conv_bf16_s2_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                              int nth)
{
    struct yolo_conv_bf16_plan pl;
    const uint32_t *wpack;
    const float *xd, *bd;
    float *yd;
    uint8_t *scr = node_io(x, n, ith, nth, 1, &pl, &wpack, &xd, &bd, &yd);
    int64_t lw = pl.lw, in_rows = pl.in_rows, n_panels = pl.Mp / 8;
    /* band: [C2][in_rows][phase][lw] words */
    uint16_t *band = (uint16_t *)scr, *zero = band + 2 * pl.C2 * in_rows * 2 * lw;
    const uint16_t **rows = (const uint16_t **)(zero + 2 * lw);
    memset(zero, 0, sizeof(uint32_t) * (size_t)lw);
    int64_t u0 = pl.units * ith / nth, u1 = pl.units * (ith + 1) / nth;
    for (int64_t u = u0; u < u1; u++) {
        int64_t b = u / pl.n_tiles, oy0 = (u % pl.n_tiles) * pl.tw;
        int64_t oy1 = oy0 + pl.tw < pl.OH ? oy0 + pl.tw : pl.OH, iy0 = oy0 * pl.SH - pl.PT;
        int64_t nrow = (oy1 - 1 - oy0) * pl.SH + pl.KH;
        const float *xb = xd + b * pl.C * pl.H * pl.W;
        for (int64_t cp = 0; cp < pl.C2; cp++)
            for (int64_t r = 0; r < nrow; r++) {
                int64_t iy = iy0 + r;
                uint16_t *e = band + 2 * ((cp * in_rows + r) * 2) * lw;
                if (iy >= 0 && iy < pl.H)
                    convert_pair_row(xb + (2 * cp * pl.H + iy) * pl.W,
                                     2 * cp + 1 < pl.C ? xb + ((2 * cp + 1) * pl.H + iy) * pl.W : NULL,
                                     pl.W, pl.PL, lw, e, e + 2 * lw);
            }
        if (pl.narrow) {
            narrow_band(&pl, wpack, band, zero, oy0, oy1, iy0, bd,
                        yd + b * pl.M * pl.P + oy0 * pl.OW,
                        (uint32_t *)(((uintptr_t)(rows + pl.K2) + 63) & ~(uintptr_t)63));
            continue;
        }
        for (int64_t oy = oy0; oy < oy1; oy++) {
            for (int64_t cp = 0; cp < pl.C2; cp++)
                for (int64_t kh = 0; kh < pl.KH; kh++) {
                    int64_t r = (oy - oy0) * pl.SH + kh, iy = iy0 + r;
                    const uint16_t **t = rows + (cp * pl.KH + kh) * 3;
                    if (iy >= 0 && iy < pl.H) {
                        const uint16_t *e = band + 2 * ((cp * in_rows + r) * 2) * lw;
                        t[0] = e;              /* tap 0: s[2m], even word m */
                        t[1] = e + 2 * lw;     /* tap 1: s[2m + 1], odd word m */
                        t[2] = e + 2;          /* tap 2: s[2m + 2], even word m + 1 */
                    } else {
                        t[0] = t[1] = t[2] = zero;
                    }
                }
            float *yr = yd + b * pl.M * pl.P + oy * pl.OW;
            /* column block outer: its 16-48 words of every input row (L1) serve all the
             * channel panels */
            for (int64_t j = 0; j < pl.OW; j += 48) {
                int64_t left = pl.OW - j;
                for (int64_t q = 0; q < n_panels; q++) {
                    const uint32_t *wp = wpack + q * pl.K2 * 8;
                    if (left > 32)
                        bf16_block_rows(3, wp, rows, 2 * j, pl.K2, bd, q * 8, pl.M, (int)pl.act,
                                        yr + j, pl.P, left);
                    else if (left > 16)
                        bf16_block_rows(2, wp, rows, 2 * j, pl.K2, bd, q * 8, pl.M, (int)pl.act,
                                        yr + j, pl.P, left);
                    else
                        bf16_block_rows(1, wp, rows, 2 * j, pl.K2, bd, q * 8, pl.M, (int)pl.act,
                                        yr + j, pl.P, left);
                }
            }
        }
    }
}
