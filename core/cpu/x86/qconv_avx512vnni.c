/* x86/qconv_avx512vnni.c: QConv (ops/qconv.c) with vpdpbusd, on the layouts of
 * cpu/qconv_pack.h. Built with -mavx512vnni; picked only where CPUID reports AVX512_VNNI.
 *
 * Per band of output rows: the input rows it needs are copied into scratch 4 channels per
 * pixel (uint8, zero-point padded, split into stride phases); then for every block of 8
 * output channels, every output row and every 32 output pixels, 16 int32 accumulators
 * (8 channels x 2 vectors of 16 pixels) sum over (tap, 4-channel group): 2 activation loads,
 * 8 weight broadcasts, 16 vpdpbusd. The epilogue is the reference's, in vectors: zero-point
 * correction and bias in int32, one float multiply, round half to even (cvtps, default
 * MXCSR), zero point, saturation, the optional table, and a narrowing NCHW store; a float
 * output gets the fused activation from simd.h (the only step not bit-identical to the
 * reference: within its 3e-7 relative error). */
#include <immintrin.h>
#include <string.h>

#include "cpu/qconv_pack.h"
#include "cpu/x86/simd.h"
#include "ops/op_params.h"
#include "ops/quant.h"

#include "qconv_band.h"

struct epi {
    const int32_t *sumw, *bias;
    const float *ws;
    const int32_t *lut;      /* 256 int32 entries or NULL */
    int32_t zpu, yzp, lo, hi;
    int64_t odt, act;
};

/* Finishes 16 pixels of channel m: acc (raw sum of x_u8 * w) -> y[0 .. nvalid). */
static inline void store16(const struct epi *e, int64_t m, __m512i acc, void *y, int nvalid)
{
    __mmask16 k = nvalid >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nvalid) - 1u);
    int32_t add = (e->bias ? e->bias[m] : 0) - e->zpu * e->sumw[m];
    acc = _mm512_add_epi32(acc, _mm512_set1_epi32(add));
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_set1_ps(e->ws[m]));
    if (e->odt == YOLO_DT_F32) {
        /* the activation in vectors (simd.h: within 3e-7 of the reference's expf form) */
        if (e->act == YOLO_ACT_SILU)
            f = vsilu(f);
        else if (e->act == YOLO_ACT_SIGMOID)
            f = vsigmoid(f);
        else if (e->act == YOLO_ACT_RELU)
            f = _mm512_max_ps(f, _mm512_setzero_ps());
        _mm512_mask_storeu_ps(y, k, f);
        return;
    }
    /* rintf + zp + saturation as yolo_quant_value; the clamp keeps cvtps in range */
    f = _mm512_min_ps(_mm512_max_ps(f, _mm512_set1_ps(-1073741824.0f)), _mm512_set1_ps(1073741824.0f));
    __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(f), _mm512_set1_epi32(e->yzp));
    q = _mm512_min_epi32(_mm512_max_epi32(q, _mm512_set1_epi32(e->lo)), _mm512_set1_epi32(e->hi));
    if (e->lut)
        q = _mm512_i32gather_epi32(_mm512_and_si512(q, _mm512_set1_epi32(255)), e->lut, 4);
    _mm512_mask_cvtepi32_storeu_epi8(y, k, q);
}

/* The 8-channel x 32-pixel tile: 16 accumulators held in registers (named, so the compiler
 * never spills them), 2 activation loads and 8 weight broadcasts per 16 vpdpbusd. */
static inline void tile8x32(const uint8_t *band, const struct yolo_qconv_geom *q, int64_t orow,
                            int64_t ox0, int64_t c4s, const int32_t *wp, __m512i acc[8][2])
{
    __m512i c00 = _mm512_setzero_si512(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
            c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00,
            c61 = c00, c70 = c00, c71 = c00;
    for (int64_t ky = 0; ky < q->KH; ky++) {
        int64_t r = orow * q->SH + ky * q->DH;
        for (int64_t kx = 0; kx < q->KW; kx++) {
            int64_t ph = (kx * q->DW) % q->SW, off = ox0 + (kx * q->DW) / q->SW;
            const uint8_t *ap = band + ((r * q->SW + ph) * q->ws + off) * 4;
            for (int64_t c4 = 0; c4 < q->C4; c4++, ap += c4s, wp += 8) {
                __m512i a0 = _mm512_loadu_si512(ap), a1 = _mm512_loadu_si512(ap + 64), w;
#define QC_STEP(i, x0, x1)                         \
                w = _mm512_set1_epi32(wp[i]);      \
                x0 = _mm512_dpbusd_epi32(x0, a0, w); \
                x1 = _mm512_dpbusd_epi32(x1, a1, w);
                QC_STEP(0, c00, c01) QC_STEP(1, c10, c11) QC_STEP(2, c20, c21)
                QC_STEP(3, c30, c31) QC_STEP(4, c40, c41) QC_STEP(5, c50, c51)
                QC_STEP(6, c60, c61) QC_STEP(7, c70, c71)
#undef QC_STEP
            }
        }
    }
    acc[0][0] = c00, acc[0][1] = c01, acc[1][0] = c10, acc[1][1] = c11;
    acc[2][0] = c20, acc[2][1] = c21, acc[3][0] = c30, acc[3][1] = c31;
    acc[4][0] = c40, acc[4][1] = c41, acc[5][0] = c50, acc[5][1] = c51;
    acc[6][0] = c60, acc[6][1] = c61, acc[7][0] = c70, acc[7][1] = c71;
}

void yolo_qconv_avx512vnni(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_graph *g = x->g;
    const struct yolo_conv_packed *pk = yolo_exec_node_data(x, n);
    struct yolo_qconv_geom q;
    yolo_qconv_geom_make(g, n, nth, &q);
    int64_t units = q.N * q.nband;
    if (ith >= units)
        return;
    uint8_t *band = x->scratch + (uint64_t)ith * x->scratch_bytes;
    uint8_t *tmp = band + q.band_bytes;
    int32_t *lut32 = (int32_t *)(void *)(tmp + ((q.tmp_bytes + 63) & ~(uint64_t)63));
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &g->tensors[n->in[YOLO_QC_IN_X]];
    int sx = X->dtype == YOLO_DT_I8;
    uint8_t flip = sx ? 0x80 : 0;
    int32_t zpu = (int32_t)p[YOLO_QC_XZP] + (sx ? 128 : 0);
    struct epi e = { .sumw = (const int32_t *)(const void *)pk->w,
                     .bias = n->in[YOLO_QC_IN_B] >= 0 ? yolo_exec_ptr(x, n->in[YOLO_QC_IN_B]) : NULL,
                     .ws = yolo_exec_ptr(x, n->in[YOLO_QC_IN_WS]),
                     .zpu = zpu, .yzp = (int32_t)p[YOLO_QC_YZP], .odt = p[YOLO_QC_ODT],
                     .act = p[YOLO_CONV_ACT] };
    e.lo = e.odt == YOLO_DT_I8 ? -128 : 0;
    e.hi = e.odt == YOLO_DT_I8 ? 127 : 255;
    if (n->in[YOLO_QC_IN_LUT] >= 0) {
        const uint8_t *l = yolo_exec_ptr(x, n->in[YOLO_QC_IN_LUT]);
        for (int i = 0; i < 256; i++)
            lut32[i] = l[i];
        e.lut = lut32;
    }
    const int8_t *pw = (const int8_t *)(e.sumw + q.Mp);
    const uint8_t *xd = yolo_exec_ptr(x, n->in[YOLO_QC_IN_X]);
    uint8_t *yd = yolo_exec_ptr(x, n->out[0]);
    size_t esz = e.odt == YOLO_DT_F32 ? 4 : 1;
    int64_t taps = q.KH * q.KW, c4s = q.in_rows * q.SW * q.ws * 4;
    for (int64_t u = ith; u < units; u += nth) {
        int64_t b = u / q.nband, oy0 = (u % q.nband) * q.br;
        int64_t rows = q.OH - oy0 < q.br ? q.OH - oy0 : q.br;
        load_band(&q, xd + b * q.C * q.H * q.W, oy0 * q.SH - q.PT, flip, (uint8_t)zpu, band, tmp);
        for (int64_t mb = 0; mb < q.Mp / YOLO_QCONV_MR; mb++) {
            const int8_t *wb = pw + mb * taps * q.C4 * YOLO_QCONV_MR * 4;
            for (int64_t orow = 0; orow < rows; orow++)
                for (int64_t ox0 = 0; ox0 < q.OW; ox0 += YOLO_QCONV_NR) {
                    __m512i acc[YOLO_QCONV_MR][2];
                    tile8x32(band, &q, orow, ox0, c4s, (const int32_t *)(const void *)wb, acc);
                    int64_t oy = oy0 + orow;
                    for (int i = 0; i < YOLO_QCONV_MR; i++) {
                        int64_t m = mb * YOLO_QCONV_MR + i;
                        if (m >= q.M)
                            break;
                        uint8_t *yrow = yd + (((b * q.M + m) * q.OH + oy) * q.OW + ox0) * esz;
                        for (int v = 0; v < 2; v++) {
                            int64_t left = q.OW - ox0 - 16 * v;
                            if (left > 0)
                                store16(&e, m, acc[i][v], yrow + 16 * v * esz,
                                        left > 16 ? 16 : (int)left);
                        }
                    }
                }
        }
    }
}
