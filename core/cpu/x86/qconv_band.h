/* x86/qconv_band.h: the int8 convolution's band loader (layout in cpu/qconv_pack.h), shared
 * by the AVX-512 VNNI kernel (qconv_avx512vnni.c) and the AVX2 one (qconv_avx2.c): input rows
 * copied as uint8, zero-point padded, split into stride phases, 4 channels interleaved per
 * pixel. Stride 2 splits through AVX-512BW shuffles where the includer is built with them,
 * else by the portable loop. Include once, from a kernel file only. */
#ifndef YOLO_X86_QCONV_BAND_H
#define YOLO_X86_QCONV_BAND_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "cpu/qconv_pack.h"

/* n bytes of src to dst with every byte xor flip (0x80 turns int8 into the biased uint8; 0
 * is a plain copy): vectors, since this copy runs over every input byte of every int8 conv
 * and gcc at -O2 leaves the byte loop scalar. */
static inline void copy_flip(uint8_t *dst, const uint8_t *src, int64_t n, uint8_t flip)
{
    if (n <= 0)
        return;
    if (!flip) {
        memcpy(dst, src, (size_t)n);
        return;
    }
    const __m128i f = _mm_set1_epi8((char)flip);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm_storeu_si128((__m128i *)(void *)(dst + i),
                         _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(src + i)), f));
    for (; i < n; i++)
        dst[i] = src[i] ^ flip;
}

/* A flat band's slack after each plane's last row (read by tiles past it, into lanes never
 * stored): defined bytes all the same. */
static void fill_slack(const struct yolo_qconv_geom *q, uint8_t zpu, uint8_t *band)
{
    if (!q->flat)
        return;
    for (int64_t c4 = 0; c4 < q->C4; c4++)
        for (int64_t pl = 0; pl < q->SH * q->SW; pl++) {
            int64_t rph = pl / q->SW, rows = (q->in_rows - rph + q->SH - 1) / q->SH;
            int64_t from = pl * q->pp + rows * q->ws;
            int64_t to = pl + 1 < q->SH * q->SW ? (pl + 1) * q->pp : q->c4p;
            memset(band + (c4 * q->c4p + from) * 4, zpu, (size_t)(to - from) * 4);
        }
}

/* Stride 2: the zero-point padded row (2 * ws bytes, built in `line`) split into its even
 * and odd columns, 64 bytes per step: within each 16-byte lane the evens go to the low 8
 * bytes and the odds to the high 8, then the 64-bit halves are gathered. The evens go to t,
 * the odds to t + pitch. */
#if defined(__AVX512BW__)
static void split2(const uint8_t *src, int64_t W, int64_t PL, int64_t ws, int64_t pitch,
                   uint8_t flip, uint8_t zpu, uint8_t *line, uint8_t *t)
{
    int64_t len = 2 * ws, lo = PL < len ? PL : len, n = W < len - lo ? W : len - lo;
    memset(line, zpu, (size_t)lo);
    copy_flip(line + lo, src, n, flip);
    memset(line + lo + n, zpu, (size_t)(len - lo - n));
    const __m512i sh = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7,
                                                            9, 11, 13, 15));
    const __m512i gather = _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7);
    for (int64_t j = 0; j < len; j += 64) {   /* len = 2 * ws, even */
        __mmask64 k = len - j >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (len - j)) - 1);
        __m512i v = _mm512_maskz_loadu_epi8(k, line + j);
        v = _mm512_permutexvar_epi64(gather, _mm512_shuffle_epi8(v, sh));
        __mmask32 h = len - j >= 64 ? ~(__mmask32)0 : (((__mmask32)1 << ((len - j) / 2)) - 1);
        _mm256_mask_storeu_epi8(t + j / 2, h, _mm512_castsi512_si256(v));
        _mm256_mask_storeu_epi8(t + pitch + j / 2, h, _mm512_extracti64x4_epi64(v, 1));
    }
}

/* Stride 1, straight from the source rows to the band (no tmp rows): 64 pixels of the 4
 * channel rows per step by masked loads (lanes outside the row's [lo, lo + n) get the zero
 * point, so the pads need no separate fill), interleaved to 4 bytes a pixel by byte and word
 * unpacks, then a 4x4 transpose of 128-bit blocks restores the pixel order. src[cc] is NULL
 * for a channel row that is all padding. Writes pixels 0 .. wst - 1 of dst, the same bytes
 * as the tmp-row path. */
static void interleave1(const uint8_t *const src[4], int64_t lo, int64_t n, int64_t wst,
                        uint8_t flip, uint8_t zpu, uint8_t *dst)
{
    const __m512i zv = _mm512_set1_epi8((char)zpu), fv = _mm512_set1_epi8((char)flip);
    for (int64_t col = 0; col < wst; col += 64) {
        /* lanes j with lo <= col + j < lo + n read src[col + j - lo] */
        int64_t a = lo - col, b = lo + n - col;   /* the valid lanes are [a, b) of 0..63 */
        a = a < 0 ? 0 : a;
        b = b > 64 ? 64 : b;
        __mmask64 k = a < b ? (b - a == 64 ? ~(__mmask64)0 : (((__mmask64)1 << (b - a)) - 1) << a)
                            : 0;
        __m512i v[4];
        for (int cc = 0; cc < 4; cc++) {
            v[cc] = zv;
            if (src[cc] && k) {
                /* base pointer of lane 0, formed as an integer: it may lie before the row,
                 * and the masked-off lanes are never read */
                const void *base = (const void *)((uintptr_t)src[cc] + (uintptr_t)(col - lo));
                __m512i x = _mm512_maskz_loadu_epi8(k, base);
                v[cc] = _mm512_mask_blend_epi8(k, zv, _mm512_xor_si512(x, fv));
            }
        }
        __m512i ab0 = _mm512_unpacklo_epi8(v[0], v[1]), ab1 = _mm512_unpackhi_epi8(v[0], v[1]);
        __m512i cd0 = _mm512_unpacklo_epi8(v[2], v[3]), cd1 = _mm512_unpackhi_epi8(v[2], v[3]);
        /* o_j's 128-bit block L holds pixels 16L + 4j .. 16L + 4j + 3 */
        __m512i o0 = _mm512_unpacklo_epi16(ab0, cd0), o1 = _mm512_unpackhi_epi16(ab0, cd0);
        __m512i o2 = _mm512_unpacklo_epi16(ab1, cd1), o3 = _mm512_unpackhi_epi16(ab1, cd1);
        __m512i t0 = _mm512_shuffle_i64x2(o0, o1, 0x44), t1 = _mm512_shuffle_i64x2(o0, o1, 0xEE);
        __m512i t2 = _mm512_shuffle_i64x2(o2, o3, 0x44), t3 = _mm512_shuffle_i64x2(o2, o3, 0xEE);
        __m512i out[4] = { _mm512_shuffle_i64x2(t0, t2, 0x88), _mm512_shuffle_i64x2(t0, t2, 0xDD),
                           _mm512_shuffle_i64x2(t1, t3, 0x88), _mm512_shuffle_i64x2(t1, t3, 0xDD) };
        for (int q = 0; q < 4 && col + 16 * q < wst; q++)
            _mm512_storeu_si512(dst + (col + 16 * q) * 4, out[q]);
    }
}


/* The c4 layout's input (qconv_pack.h): the rows are already 4-byte pixels of 4 channels, so
 * a band row is the source row's pixels copied as they are (xor flip in every byte), zero
 * point pixels outside it; stride 2 splits them into even and odd pixels through a padded
 * line in tmp (2 * wst pixels). Same band bytes as load_band from the NCHW tensor. */
static void load_band_c4(const struct yolo_qconv_geom *q, const uint8_t *xn, int64_t iy0,
                         uint8_t flip, uint8_t zpu, uint8_t *band, uint8_t *tmp)
{
    const __m512i zv = _mm512_set1_epi8((char)zpu), fv = _mm512_set1_epi8((char)flip);
    int64_t SW = q->SW, ws = q->ws, wst = q->wst;
    /* a padded line of len pixels: pixel j is source pixel j - lo for lo <= j < lo + n */
    for (int64_t c4 = 0; c4 < q->C4; c4++)
        for (int64_t r = 0; r < q->in_rows; r++) {
            int64_t iy = iy0 + r;
            const uint8_t *src = iy < 0 || iy >= q->H ? NULL
                                                      : xn + ((c4 * q->H + iy) * q->W) * 4;
            int64_t len = SW == 1 ? wst : SW * wst;
            uint8_t *line = SW == 1 ? band + (c4 * q->c4p + yolo_qconv_band_row(q, r, 0)) * 4 : tmp;
            int64_t lo = q->PL < SW * ws ? q->PL : SW * ws;
            int64_t n = src ? (q->W < SW * ws - lo ? q->W : SW * ws - lo) : 0;
            for (int64_t j = 0; j < len; j += 16) {
                int64_t a = lo - j, e = lo + n - j;   /* valid pixels [a, e) of 0..15 */
                a = a < 0 ? 0 : a;
                e = e > 16 ? 16 : e;
                __mmask16 k = a < e ? (__mmask16)(((1u << (e - a)) - 1u) << a) : 0;
                __m512i v = zv;
                if (k) {
                    /* lane 0's address, formed as an integer: it may lie before the row */
                    const void *base = (const void *)((uintptr_t)src + (uintptr_t)((j - lo) * 4));
                    v = _mm512_mask_xor_epi32(zv, k, _mm512_maskz_loadu_epi32(k, base), fv);
                }
                _mm512_storeu_si512(line + j * 4, v);
            }
            if (SW == 1)
                continue;
            /* phase ph column col = line pixel col * SW + ph */
            for (int64_t ph = 0; ph < SW; ph++) {
                uint32_t *dst = (uint32_t *)(void *)(band + (c4 * q->c4p + yolo_qconv_band_row(q, r, ph)) * 4);
                if (SW == 2) {
                    const __m512i idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20,
                                                          22, 24, 26, 28, 30);
                    const __m512i sel = _mm512_add_epi32(idx, _mm512_set1_epi32((int)ph));
                    for (int64_t col = 0; col < wst; col += 16) {
                        __m512i x0 = _mm512_loadu_si512(line + col * 8);
                        __m512i x1 = _mm512_loadu_si512(line + col * 8 + 64);
                        _mm512_storeu_si512(dst + col, _mm512_permutex2var_epi32(x0, sel, x1));
                    }
                    continue;
                }
                for (int64_t col = 0; col < wst; col++)
                    memcpy(dst + col, line + (col * SW + ph) * 4, 4);
            }
        }
    fill_slack(q, zpu, band);
}
#endif

/* Copies input rows iy0 .. iy0 + q->in_rows - 1 of image xn into the band layout (4-channel
 * planes q->c4p pixels apart; a flat band's rows are ws apart, ws not a multiple of 16: each
 * row's 16-column steps spill zero-point bytes into the next row, which overwrites them, and
 * the last row's into the plane's slack). */
static void load_band(const struct yolo_qconv_geom *q, const uint8_t *xn, int64_t iy0,
                      uint8_t flip, uint8_t zpu, uint8_t *band, uint8_t *tmp)
{
    uint8_t *line = tmp + 4 * q->SW * q->wst;
    int64_t SW = q->SW, ws = q->ws, wst = q->wst, rowlen = SW * wst;
    for (int64_t c4 = 0; c4 < q->C4; c4++)
        for (int64_t r = 0; r < q->in_rows; r++) {
            int64_t iy = iy0 + r;
#if defined(__AVX512BW__)
            if (SW == 1) {
                const uint8_t *src[4];
                for (int cc = 0; cc < 4; cc++) {
                    int64_t c = c4 * 4 + cc;
                    src[cc] = c >= q->C || iy < 0 || iy >= q->H ? NULL : xn + (c * q->H + iy) * q->W;
                }
                int64_t lo = q->PL < ws ? q->PL : ws, n = q->W < ws - lo ? q->W : ws - lo;
                interleave1(src, lo, n, wst, flip, zpu,
                            band + (c4 * q->c4p + yolo_qconv_band_row(q, r, 0)) * 4);
                continue;
            }
#endif
            /* 4 channel rows, padded and phase-split: tmp[cc][ph][col] = column col*SW+ph */
            for (int cc = 0; cc < 4; cc++) {
                int64_t c = c4 * 4 + cc;
                uint8_t *t = tmp + cc * rowlen;
                if (c >= q->C || iy < 0 || iy >= q->H) {
                    memset(t, zpu, (size_t)rowlen);
                    continue;
                }
                const uint8_t *src = xn + (c * q->H + iy) * q->W;
                if (SW == 1) {
                    int64_t lo = q->PL < ws ? q->PL : ws;
                    int64_t n = q->W < ws - lo ? q->W : ws - lo;
                    memset(t, zpu, (size_t)lo);
                    copy_flip(t + lo, src, n, flip);
                    memset(t + lo + n, zpu, (size_t)(wst - lo - n));
                    continue;
                }
#if defined(__AVX512BW__)
                if (SW == 2) {
                    split2(src, q->W, q->PL, ws, wst, flip, zpu, line, t);
                    if (wst > ws) {   /* a flat band's rows: the interleave reads wst */
                        memset(t + ws, zpu, (size_t)(wst - ws));
                        memset(t + wst + ws, zpu, (size_t)(wst - ws));
                    }
                    continue;
                }
#else
                (void)line;
#endif
                for (int64_t ph = 0; ph < SW; ph++)
                    for (int64_t col = 0; col < ws; col++) {
                        int64_t ix = col * SW + ph - q->PL;
                        t[ph * wst + col] = ix >= 0 && ix < q->W ? src[ix] ^ flip : zpu;
                    }
            }
            /* interleave: band[c4][r][ph][col][cc] */
            for (int64_t ph = 0; ph < SW; ph++) {
                uint8_t *dst = band + (c4 * q->c4p + yolo_qconv_band_row(q, r, ph)) * 4;
                const uint8_t *t0 = tmp + ph * wst, *t1 = t0 + rowlen, *t2 = t1 + rowlen,
                              *t3 = t2 + rowlen;
                for (int64_t col = 0; col < wst; col += 16) {
                    __m128i a = _mm_loadu_si128((const __m128i *)(t0 + col));
                    __m128i b = _mm_loadu_si128((const __m128i *)(t1 + col));
                    __m128i c = _mm_loadu_si128((const __m128i *)(t2 + col));
                    __m128i d = _mm_loadu_si128((const __m128i *)(t3 + col));
                    __m128i ab0 = _mm_unpacklo_epi8(a, b), ab1 = _mm_unpackhi_epi8(a, b);
                    __m128i cd0 = _mm_unpacklo_epi8(c, d), cd1 = _mm_unpackhi_epi8(c, d);
                    uint8_t *o = dst + col * 4;
                    _mm_storeu_si128((__m128i *)(o + 0), _mm_unpacklo_epi16(ab0, cd0));
                    _mm_storeu_si128((__m128i *)(o + 16), _mm_unpackhi_epi16(ab0, cd0));
                    _mm_storeu_si128((__m128i *)(o + 32), _mm_unpacklo_epi16(ab1, cd1));
                    _mm_storeu_si128((__m128i *)(o + 48), _mm_unpackhi_epi16(ab1, cd1));
                }
            }
        }
    fill_slack(q, zpu, band);
}

#endif
