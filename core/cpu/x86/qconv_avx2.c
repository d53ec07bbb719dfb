/* x86/qconv_avx2.c: QConv (ops/qconv.c) on AVX2, for CPUs without AVX-512 VNNI, on the same
 * packed weights and band layout as the VNNI kernel (cpu/qconv_pack.h, qconv_band.h).
 *
 * AVX2 has 16 vector registers, so the tile is 8 output channels x 8 pixels: 8 int32
 * accumulators, one activation load (8 pixels x 4 channels) and 8 weight broadcasts per
 * (tap, 4-channel group). Two ways to add the 4 byte products into an int32 lane:
 *   avxvnni  vpdpbusd on ymm (AVX-VNNI: Alder Lake, Zen 5), where CPUID reports it;
 *   avx2     exactly the same sum without it: even and odd bytes widened to int16 (activations
 *            zero-extended, weights sign-extended), two vpmaddwd (each product fits int16 x
 *            int16, each pair sum int32), added. vpmaddubsw is not used: its int16 pair sums
 *            saturate (2 x 255 x 127 > 32767), which the reference does not.
 * The epilogue is the VNNI kernel's in 8 lanes: zero-point correction and bias in int32, one
 * float multiply, round half to even (cvtps), zero point, saturation; the optional table and
 * the narrowing store go through a small array (AVX2 has no byte-masked store). Integer
 * outputs are bit-identical to the reference except after a SiLU fused with the
 * quantization (one step off near a tie, as the VNNI kernel's); a float output's activation
 * is simd.h's. */
#include "qconv_band.h"
#include "cpu/x86/simd.h"
#include "ops/op_params.h"
#include "ops/quant.h"

struct epi {
    const int32_t *sumw, *bias;
    const float *ws;
    const uint8_t *lut;      /* 256 entries or NULL */
    float osc;               /* a fused QuantizeLinear's scale after the activation, or 0 */
    float dqs;               /* a float output's fused Q -> DQ pair: its scale, or 0 */
    int32_t zpu, yzp, lo, hi;
    int64_t odt, act;
};

/* Finishes 8 pixels of channel m: acc (raw sum of x_u8 * w) -> y[0 .. nvalid). */
static void store8(const struct epi *e, int64_t m, __m256i acc, void *y, int nvalid)
{
    int32_t add = (e->bias ? e->bias[m] : 0) - e->zpu * e->sumw[m];
    acc = _mm256_add_epi32(acc, _mm256_set1_epi32(add));
    __m256 fa = _mm256_cvtepi32_ps(acc), f;
    if (e->odt == YOLO_DT_F32 && e->dqs == 0) {
        f = vact(_mm256_mul_ps(fa, _mm256_set1_ps(e->ws[m])), (int)e->act);
        vstorem(y, f, vm_n(nvalid));
        return;
    }
    if (e->osc != 0 && e->act == YOLO_ACT_SILU) {
        /* SiLU and the division as one, as the VNNI kernel's finish16 (its |ws| bound too) */
        f = _mm256_mul_ps(fa, _mm256_set1_ps(ws_bounded(e->ws[m])));
        f = _mm256_div_ps(f, _mm256_mul_ps(vsigmoid_den_q(f), _mm256_set1_ps(e->osc)));
    } else {
        f = _mm256_mul_ps(fa, _mm256_set1_ps(e->ws[m]));
        if (e->osc != 0)   /* the activation, then QuantizeLinear's division */
            f = _mm256_div_ps(vact(f, (int)e->act), _mm256_set1_ps(e->osc));
    }
    /* saturate to the whole numbers lo - zp, hi - zp, then round (finish16's order) */
    f = _mm256_min_ps(_mm256_max_ps(f, _mm256_set1_ps((float)(e->lo - e->yzp))),
                      _mm256_set1_ps((float)(e->hi - e->yzp)));
    __m256i q = _mm256_cvtps_epi32(f);
    if (e->dqs != 0) {   /* a float output on the grid: DequantizeLinear's (q - zp) * scale */
        f = _mm256_mul_ps(_mm256_cvtepi32_ps(q), _mm256_set1_ps(e->dqs));
        vstorem(y, vact(f, (int)e->act), vm_n(nvalid));
        return;
    }
    q = _mm256_add_epi32(q, _mm256_set1_epi32(e->yzp));
    int32_t v[8];
    _mm256_storeu_si256((__m256i *)v, q);
    uint8_t *yb = y;
    for (int i = 0; i < nvalid; i++)
        yb[i] = e->lut ? e->lut[v[i] & 255] : (uint8_t)v[i];
}

/* The 8-channel x 8-pixel tile over every (tap, c4); DP(acc, a, w) adds the 4 byte products
 * of each lane. */
#define QCONV_TILE(NAME, ATTR, DP)                                                             \
    ATTR static void NAME(const uint8_t *band, const struct yolo_qconv_geom *q, int64_t orow,  \
                          int64_t ox0, int64_t c4s, const int32_t *wp, __m256i acc[8])         \
    {                                                                                          \
        __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0,      \
                c6 = c0, c7 = c0;                                                              \
        for (int64_t ky = 0; ky < q->KH; ky++) {                                               \
            int64_t r = orow * q->SH + ky * q->DH;                                             \
            for (int64_t kx = 0; kx < q->KW; kx++) {                                           \
                int64_t ph = (kx * q->DW) % q->SW, off = ox0 + (kx * q->DW) / q->SW;           \
                const uint8_t *ap = band + ((r * q->SW + ph) * q->ws + off) * 4;               \
                for (int64_t g4 = 0; g4 < q->C4; g4++, ap += c4s, wp += 8) {                   \
                    __m256i a = _mm256_loadu_si256((const __m256i *)ap);                       \
                    DP(c0, a, wp[0]) DP(c1, a, wp[1]) DP(c2, a, wp[2]) DP(c3, a, wp[3])        \
                    DP(c4, a, wp[4]) DP(c5, a, wp[5]) DP(c6, a, wp[6]) DP(c7, a, wp[7])        \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
        acc[0] = c0, acc[1] = c1, acc[2] = c2, acc[3] = c3;                                    \
        acc[4] = c4, acc[5] = c5, acc[6] = c6, acc[7] = c7;                                    \
    }

#define DP_VNNI(x, a, wv) x = _mm256_dpbusd_avx_epi32(x, a, _mm256_set1_epi32(wv));
QCONV_TILE(tile_avxvnni, __attribute__((target("avx2,avxvnni"))), DP_VNNI)

/* even bytes in the low half of each int16 lane, odd bytes shifted down: a zero-extended,
 * w sign-extended (shift left then arithmetic right) */
#define DP_MADD(x, a, wv)                                                                      \
    {                                                                                          \
        __m256i w_ = _mm256_set1_epi32(wv);                                                    \
        __m256i ae_ = _mm256_and_si256(a, _mm256_set1_epi16(0x00ff)), ao_ = _mm256_srli_epi16(a, 8); \
        __m256i we_ = _mm256_srai_epi16(_mm256_slli_epi16(w_, 8), 8), wo_ = _mm256_srai_epi16(w_, 8); \
        x = _mm256_add_epi32(x, _mm256_add_epi32(_mm256_madd_epi16(ae_, we_),                  \
                                                 _mm256_madd_epi16(ao_, wo_)));                \
    }
QCONV_TILE(tile_madd, , DP_MADD)

typedef void (*tile_fn)(const uint8_t *, const struct yolo_qconv_geom *, int64_t, int64_t,
                        int64_t, const int32_t *, __m256i *);

static void run(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth, tile_fn tile)
{
    const struct yolo_graph *g = x->g;
    const struct yolo_conv_packed *pk = yolo_exec_node_data(x, n);
    struct yolo_qconv_geom q;
    yolo_qconv_geom_make(g, n, nth, 0, &q);
    int64_t units = q.N * q.nband;
    if (ith >= units)
        return;
    uint8_t *band = x->scratch + (uint64_t)ith * x->scratch_bytes;
    uint8_t *tmp = band + q.band_bytes;
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &g->tensors[n->in[YOLO_QC_IN_X]];
    int sx = X->dtype == YOLO_DT_I8;
    uint8_t flip = sx ? 0x80 : 0;
    int32_t zpu = (int32_t)p[YOLO_QC_XZP] + (sx ? 128 : 0);
    struct epi e = { .sumw = (const int32_t *)(const void *)pk->w,
                     .bias = n->in[YOLO_QC_IN_B] >= 0 ? yolo_exec_ptr(x, n->in[YOLO_QC_IN_B]) : NULL,
                     .ws = yolo_exec_ptr(x, n->in[YOLO_QC_IN_WS]),
                     .lut = n->in[YOLO_QC_IN_LUT] >= 0 ? yolo_exec_ptr(x, n->in[YOLO_QC_IN_LUT]) : NULL,
                     .zpu = zpu, .yzp = (int32_t)p[YOLO_QC_YZP], .odt = p[YOLO_QC_ODT],
                     .act = p[YOLO_CONV_ACT], .osc = n->fparams[YOLO_QC_FP_OSC],
                     .dqs = n->fparams[YOLO_QC_FP_DQS] };
    yolo_qconv_out_range(n, &e.lo, &e.hi);
    const int8_t *pw = (const int8_t *)(e.sumw + q.Mp);
    const uint8_t *xd = yolo_exec_ptr(x, n->in[YOLO_QC_IN_X]);
    uint8_t *yd = yolo_exec_ptr(x, n->out[0]);
    size_t esz = e.odt == YOLO_DT_F32 ? 4 : 1;
    int64_t taps = q.KH * q.KW, c4s = q.c4p * 4;
    for (int64_t u = ith; u < units; u += nth) {
        int64_t b = u / q.nband, oy0 = (u % q.nband) * q.br;
        int64_t rows = q.OH - oy0 < q.br ? q.OH - oy0 : q.br;
        load_band(&q, xd + b * q.C * q.H * q.W, oy0 * q.SH - q.PT, flip, (uint8_t)zpu, band, tmp);
        for (int64_t mb = 0; mb < q.Mp / YOLO_QCONV_MR; mb++) {
            const int8_t *wb = pw + mb * taps * q.C4 * YOLO_QCONV_MR * 4;
            for (int64_t orow = 0; orow < rows; orow++)
                for (int64_t ox0 = 0; ox0 < q.OW; ox0 += 8) {
                    __m256i acc[YOLO_QCONV_MR];
                    tile(band, &q, orow, ox0, c4s, (const int32_t *)(const void *)wb, acc);
                    int64_t oy = oy0 + orow, left = q.OW - ox0;
                    for (int i = 0; i < YOLO_QCONV_MR; i++) {
                        int64_t m = mb * YOLO_QCONV_MR + i;
                        if (m >= q.M)
                            break;
                        uint8_t *yrow = yd + (((b * q.M + m) * q.OH + oy) * q.OW + ox0) * esz;
                        store8(&e, m, acc[i], yrow, left > 8 ? 8 : (int)left);
                    }
                }
        }
    }
}

void yolo_qconv_avxvnni(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    run(x, n, ith, nth, tile_avxvnni);
}

void yolo_qconv_avx2(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    run(x, n, ith, nth, tile_madd);
}
