/* x86/qconv_band.h: the int8 convolution's band loader (layout in cpu/qconv_pack.h), shared
 * by the AVX-512 VNNI kernel (qconv_avx512vnni.c) and the AVX2 one (qconv_avx2.c): input rows
 * copied as uint8, zero-point padded, split into stride phases, 4 channels interleaved per
 * pixel. Stride 2 splits through AVX-512BW shuffles where the includer is built with them,
 * else by the portable loop. Include once, from a kernel file only. */
#ifndef YOLO_X86_QCONV_BAND_H
#define YOLO_X86_QCONV_BAND_H

#include <immintrin.h>
#include <string.h>

#include "cpu/qconv_pack.h"

/* Stride 2: the zero-point padded row (2 * ws bytes, built in `line`) split into its even
 * and odd columns, 64 bytes per step: within each 16-byte lane the evens go to the low 8
 * bytes and the odds to the high 8, then the 64-bit halves are gathered. */
#if defined(__AVX512BW__)
static void split2(const uint8_t *src, int64_t W, int64_t PL, int64_t ws, uint8_t flip,
                   uint8_t zpu, uint8_t *line, uint8_t *t)
{
    int64_t len = 2 * ws, lo = PL < len ? PL : len, n = W < len - lo ? W : len - lo;
    memset(line, zpu, (size_t)lo);
    for (int64_t i = 0; i < n; i++)
        line[lo + i] = src[i] ^ flip;
    memset(line + lo + n, zpu, (size_t)(len - lo - n));
    const __m512i sh = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7,
                                                            9, 11, 13, 15));
    const __m512i gather = _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7);
    for (int64_t j = 0; j < len; j += 64) {   /* len = 2 * ws, a multiple of 32 */
        __mmask64 k = len - j >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (len - j)) - 1);
        __m512i v = _mm512_maskz_loadu_epi8(k, line + j);
        v = _mm512_permutexvar_epi64(gather, _mm512_shuffle_epi8(v, sh));
        __mmask32 h = len - j >= 64 ? ~(__mmask32)0 : (((__mmask32)1 << ((len - j) / 2)) - 1);
        _mm256_mask_storeu_epi8(t + j / 2, h, _mm512_castsi512_si256(v));
        _mm256_mask_storeu_epi8(t + ws + j / 2, h, _mm512_extracti64x4_epi64(v, 1));
    }
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
                    for (int64_t i = 0; i < n; i++)
                        t[lo + i] = src[i] ^ flip;
                    memset(t + lo + n, zpu, (size_t)(wst - lo - n));
                    continue;
                }
#if defined(__AVX512BW__)
                if (SW == 2) {
                    split2(src, q->W, q->PL, ws, flip, zpu, line, t);
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
                uint8_t *dst = band + (c4 * q->c4p + (r * SW + ph) * ws) * 4;
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
    /* the planes' slack (read by tiles past the last row, into lanes never stored): defined
     * bytes all the same */
    if (q->flat)
        for (int64_t c4 = 0; c4 < q->C4; c4++) {
            int64_t used = q->in_rows * ws;
            memset(band + (c4 * q->c4p + used) * 4, zpu, (size_t)(q->c4p - used) * 4);
        }
}

#endif
