/* x86/qconv_avx512vnni.c: QConv (ops/qconv.c) with vpdpbusd, on the layouts of
 * cpu/qconv_pack.h. Built with -mavx512vnni; picked only where CPUID reports AVX512_VNNI.
 *
 * Per band of output rows: the input rows it needs are copied into scratch 4 channels per
 * pixel (uint8, zero-point padded, split into stride phases; a 1x1 stride-1 conv whose uint8
 * input is held in the c4 layout reads it where it lies: that is the band already); then for
 * every block of 8 output channels, every output row and every 32 output pixels, 16 int32
 * accumulators (8 channels x 2 vectors of 16 pixels) sum over (tap, 4-channel group): 2
 * activation loads, 8 weight broadcasts, 16 vpdpbusd. Stride-1 convs whose rows are narrower
 * than their whole tiles (80, 40, 20 wide) run flat bands instead (qconv_pack.h): tiles of 32
 * consecutive pixels across rows, each vector stored as its row pieces. The epilogue is the
 * reference's, in vectors: zero-point correction and bias in int32 (the tiles' sums start
 * from them), one float multiply, round half to even (cvtps, default MXCSR), saturation, the
 * zero point and the optional table (on the 64 packed bytes of a c4 output, at once), and a
 * narrowing NCHW store or a c4 one; a float output gets the fused activation from simd.h
 * (within 3e-7 of the reference's; a float output on a grid, YOLO_QC_FP_DQS, is rounded and
 * dequantized exactly first, and its SiLU or Sigmoid takes e^-x from two 16-entry tables:
 * grid_exp, 1.4e-7), and a SiLU before a fused QuantizeLinear is one division f / ((1 + e^-f) osc) with
 * simd.h's vsigmoid_den_q (within 2.7e-6, plus the product's 6e-8: a value that close to a
 * rounding tie may land one step off). Those are the only steps not bit-identical to the
 * reference. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "cpu/qconv_pack.h"
#include "cpu/x86/simd.h"
#include "ops/op_params.h"
#include "ops/quant.h"

#include "c4_pack.h"
#include "qconv_band.h"

struct epi {
    const int32_t *sumw, *bias;
    const float *ws;
    const int32_t *lut;      /* 256 int32 entries or NULL */
    const uint8_t *lut8;     /* the same 256 bytes (vpermi2b) */
    int vbmi;                /* look the table up by vpermi2b (AVX512_VBMI), not a gather */
    float osc;               /* a fused QuantizeLinear's scale after the activation, or 0 */
    float dqs;               /* a float output's fused Q -> DQ pair: its scale, or 0 */
    int y_c4;                /* the output in the c4 layout (qconv_pack.h) */
    const float *res;        /* a residual Add's other addend, this image's (conv_add_mark.c),
                                or NULL */
    int32_t zpu, yzp, lo, hi;
    int64_t odt, act;
};

/* Which steps finish16 takes, decided once per call (make_epv). */
enum ep_path {
    EP_SILU_Q,   /* SiLU and the fused QuantizeLinear's division as one */
    EP_ACT_RET,  /* the activation, then the float is the output */
    EP_ACT_Q,    /* the activation, then the fused QuantizeLinear's division */
    EP_NONE      /* straight to rounding */
};
/* The epilogue's loop invariants, made once per call of the kernel (make_epv): each
 * channel's int32 correction (bias - zpu * sumw) and scale, and the bounds, zero point, scales
 * and table as vectors. Read from struct epi for every 16 pixels, they were loaded, converted
 * and broadcast again each time, as many instructions as the arithmetic itself. */
struct epv {
    int path;                /* enum ep_path */
    int grid;                /* a float output on the grid (dqs) */
    int lut;                 /* the table: 0 none, 1 by vpermi2b, 2 by a gather */
    int64_t act;
    const int32_t *add;      /* per channel: bias - zpu * sumw, where the tiles' sums start */
    const float *ws;         /* per channel: the scale (held by ws_bounded for a SiLU-Q) */
    __m512 lo, hi;           /* the saturation bounds less the zero point, as floats */
    __m512 osc, dqs;
    __m512i yzp, yzp8;       /* the zero point in each int32 lane, in each byte */
    __m512i t0, t1, t2, t3;  /* the table's 256 bytes (vpermi2b) */
    int gexp;                /* a grid output's SiLU or Sigmoid by the tables below */
    __m512i gbase;           /* the grid's lowest integer, lo - yzp */
    __m512 ge1, ge2;         /* e^-x on the grid (see grid_exp) */
};

/* t[q] for every byte q of q: two 128-entry vpermi2b lookups (index bits 0-6), chosen by bit
 * 7. finish16 looks up int32 lanes, whose upper bytes are don't-cares (the stores narrow to
 * the low byte); finish_c4 the 64 packed bytes of a c4 vector. */
__attribute__((target("avx512vbmi"))) static inline __m512i lut_vbmi(const struct epv *ev,
                                                                     __m512i q)
{
    __m512i lo = _mm512_permutex2var_epi8(ev->t0, q, ev->t1);
    __m512i hi = _mm512_permutex2var_epi8(ev->t2, q, ev->t3);
    return _mm512_mask_blend_epi8(_mm512_movepi8_mask(q), lo, hi);
}

/* Whether the epilogue is a SiLU before a fused QuantizeLinear (finish16's first branch). */
static inline int silu_q(const struct epi *e)
{
    return e->osc != 0 && e->odt != YOLO_DT_F32 && e->act == YOLO_ACT_SILU;
}

/* A float output on the grid takes at most 256 values x = dqs * (g + u), g = lo - yzp, u =
 * 0..255, so e^-x of its SiLU or Sigmoid is a product of two 16-entry tables: e^-x =
 * ge1[u >> 4] * ge2[u & 15], ge1[h] = e^(-dqs (g + 16 h)), ge2[l] = e^(-dqs l), each entry
 * computed in double and rounded once (then clamped to normal floats, so a product of two is
 * never 0 * inf: beyond them 1 + e^-x is inf or 1 either way). Two vpermps and an FMA where
 * the polynomial took ten operations: half the time of the grid's SiLU (1.7 against 3.4 ns per
 * 16 values, one Zen 4 core, division included), and closer to the reference's
 * x / (1 + expf(-x)) (1.4e-7 relative against double on model.2/cv1's grid of
 * yolov8n_int8_qdq; the polynomial's 7.6e-7). */
static void grid_exp(const struct epi *e, struct epv *ev)
{
    float g1[16], g2[16];
    int32_t g = e->lo - e->yzp;
    for (int i = 0; i < 16; i++) {
        double a = exp(-(double)e->dqs * (double)(g + 16 * i)), b = exp(-(double)e->dqs * i);
        g1[i] = (float)(a > 0x1p126 ? 0x1p126 : a < 0x1p-126 ? 0x1p-126 : a);
        g2[i] = (float)(b > 0x1p126 ? 0x1p126 : b < 0x1p-126 ? 0x1p-126 : b);
    }
    ev->gexp = 1;
    ev->gbase = _mm512_set1_epi32(g);
    ev->ge1 = _mm512_loadu_ps(g1);
    ev->ge2 = _mm512_loadu_ps(g2);
}

/* The invariants of e into ev, the per-channel arrays in add (Mp entries: the tiles start
 * their sums from them, 0 for the padding rows up to Mp) and ws (M entries: the padding rows
 * are never finished). */
static void make_epv(const struct epi *e, int64_t M, int64_t Mp, int32_t *add, float *ws,
                     struct epv *ev)
{
    int sq = silu_q(e);
    for (int64_t m = 0; m < M; m++) {
        add[m] = (e->bias ? e->bias[m] : 0) - e->zpu * e->sumw[m];
        ws[m] = sq ? ws_bounded(e->ws[m]) : e->ws[m];
    }
    for (int64_t m = M; m < Mp; m++)
        add[m] = 0;
    ev->path = sq ? EP_SILU_Q
              : (e->odt == YOLO_DT_F32 && e->dqs == 0) || e->osc != 0
                  ? (e->odt == YOLO_DT_F32 ? EP_ACT_RET : EP_ACT_Q)
                  : EP_NONE;
    ev->grid = e->dqs != 0;
    ev->lut = !e->lut ? 0 : e->vbmi ? 1 : 2;
    ev->act = e->act;
    ev->add = add;
    ev->ws = ws;
    ev->lo = _mm512_set1_ps((float)(e->lo - e->yzp));
    ev->hi = _mm512_set1_ps((float)(e->hi - e->yzp));
    ev->osc = _mm512_set1_ps(e->osc);
    ev->dqs = _mm512_set1_ps(e->dqs);
    ev->yzp = _mm512_set1_epi32(e->yzp);
    ev->yzp8 = _mm512_set1_epi8((char)(uint8_t)e->yzp);
    ev->gexp = 0;
    if (ev->grid && (e->act == YOLO_ACT_SILU || e->act == YOLO_ACT_SIGMOID))
        grid_exp(e, ev);
    ev->t0 = ev->t1 = ev->t2 = ev->t3 = _mm512_setzero_si512();
    if (e->lut8) {
        ev->t0 = _mm512_loadu_si512(e->lut8);
        ev->t1 = _mm512_loadu_si512(e->lut8 + 64);
        ev->t2 = _mm512_loadu_si512(e->lut8 + 128);
        ev->t3 = _mm512_loadu_si512(e->lut8 + 192);
    }
}

/* The activation in vectors (simd.h: within 3e-7 of the reference's expf form). */
__attribute__((always_inline)) static inline __m512 act16(__m512 f, int64_t act)
{
    if (act == YOLO_ACT_SILU)
        return vsilu(f);
    if (act == YOLO_ACT_SIGMOID)
        return vsigmoid(f);
    if (act == YOLO_ACT_RELU)
        return _mm512_max_ps(f, _mm512_setzero_ps());
    return f;
}

/* Finishes 16 pixels of channel m: acc (the corrected sum, add[m] + sum of x_u8 * w) -> the
 * output values, float bits (odt F32) or int32 lanes holding the output bytes; with raw,
 * those bytes less the zero point and before the table (finish_c4 adds the one and looks the
 * other up for 64 packed bytes at once). */
__attribute__((always_inline)) static inline __m512i finish16_raw(const struct epi *e,
                                                                  const struct epv *ev,
                                                                  int64_t m, __m512i acc,
                                                                  int raw)
{
    __m512 fa = _mm512_cvtepi32_ps(acc), f = _mm512_mul_ps(fa, _mm512_set1_ps(ev->ws[m]));
    if (ev->path == EP_SILU_Q) {
        /* SiLU then QuantizeLinear's division as one: f / ((1 + e^-f) osc), one division
         * where two were, the epilogue's dearest step (the product's rounding adds 6e-8).
         * vsigmoid_den_q wants |f| < 1e38: |acc| <= 2^31, so |ws| is held below 4e28 (only
         * a broken model's scale comes near it; make_epv). */
        f = _mm512_div_ps(f, _mm512_mul_ps(vsigmoid_den_q(f), ev->osc));
    } else if (ev->path == EP_ACT_RET) {
        return _mm512_castps_si512(act16(f, ev->act));
    } else if (ev->path == EP_ACT_Q) {
        f = _mm512_div_ps(act16(f, ev->act), ev->osc);   /* QuantizeLinear's division */
    }
    /* rintf + zp + saturation as yolo_quant_value, the saturation first: to the whole
     * numbers lo - zp and hi - zp, which rounding maps to themselves, so the order does not
     * matter, and cvtps stays in range (a NaN goes to lo, as max_ps returns its second
     * operand; the int32 clamp this replaced did the same) */
    f = _mm512_min_ps(_mm512_max_ps(f, ev->lo), ev->hi);
    __m512i q = _mm512_cvtps_epi32(f);
    if (ev->grid) {   /* a float output on the grid: DequantizeLinear's (q - zp) * scale */
        __m512 x = _mm512_mul_ps(_mm512_cvtepi32_ps(q), ev->dqs);
        if (!ev->gexp)
            return _mm512_castps_si512(act16(x, ev->act));
        __m512i u = _mm512_sub_epi32(q, ev->gbase);   /* 0..255 */
        __m512 d = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(u, 4), ev->ge1),
                                   _mm512_permutexvar_ps(u, ev->ge2), _mm512_set1_ps(1.0f));
        return _mm512_castps_si512(
            _mm512_div_ps(ev->act == YOLO_ACT_SILU ? x : _mm512_set1_ps(1.0f), d));
    }
    if (raw)
        return q;
    q = _mm512_add_epi32(q, ev->yzp);
    if (ev->lut == 1)
        q = lut_vbmi(ev, q);
    else if (ev->lut == 2)
        q = _mm512_i32gather_epi32(_mm512_and_si512(q, _mm512_set1_epi32(255)), e->lut, 4);
    return q;
}

__attribute__((always_inline)) static inline __m512i finish16(const struct epi *e,
                                                              const struct epv *ev, int64_t m,
                                                              __m512i acc)
{
    return finish16_raw(e, ev, m, acc, 0);
}

/* Stores the lanes of k (consecutive, from lane0) of finished values v at y, lane lane0
 * going to y[0]: lanes past 0 are first compressed down. ro: y's element in the image (where
 * a residual addend's value for it lies). */
static inline void put16(const struct epi *e, __m512i v, void *y, __mmask16 k, int lane0,
                         int64_t ro)
{
    if (lane0) {
        v = _mm512_maskz_compress_epi32(k, v);
        k = (__mmask16)(k >> lane0);
    }
    if (e->odt == YOLO_DT_F32 && e->res)   /* the Add's r + y: the same float sum */
        _mm512_mask_storeu_ps(y, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, e->res + ro),
                                                  _mm512_castsi512_ps(v)));
    else if (e->odt == YOLO_DT_F32)
        _mm512_mask_storeu_ps(y, k, _mm512_castsi512_ps(v));
    else
        _mm512_mask_cvtepi32_storeu_epi8(y, k, v);
}

/* Vector v of the tile's channels m .. m + 3 (rows i .. i + 3 of acc) finished and packed as
 * c4 pixels (always quantized bytes). The zero point is added to the 64 packed bytes at once
 * (modulo 256, as the low byte of the int32 sum would be), and a table by vpermi2b looks them
 * up at once, not each channel's 16 lanes: a quarter of those operations. */
__attribute__((always_inline)) static inline __m512i finish_c4(const struct epi *e,
                                                               const struct epv *ev, int64_t m,
                                                               __m512i acc[][2], int i, int v)
{
    if (ev->lut == 2)
        return yolo_c4_pack(finish16(e, ev, m, acc[i][v]), finish16(e, ev, m + 1, acc[i + 1][v]),
                            finish16(e, ev, m + 2, acc[i + 2][v]),
                            finish16(e, ev, m + 3, acc[i + 3][v]));
    __m512i p = yolo_c4_pack(finish16_raw(e, ev, m, acc[i][v], 1),
                             finish16_raw(e, ev, m + 1, acc[i + 1][v], 1),
                             finish16_raw(e, ev, m + 2, acc[i + 2][v], 1),
                             finish16_raw(e, ev, m + 3, acc[i + 3][v], 1));
    p = _mm512_add_epi8(p, ev->yzp8);
    return ev->lut == 1 ? lut_vbmi(ev, p) : p;
}

/* Stores the pixels of k (consecutive, from lane0) of packed pixels v at y, as put16. */
static inline void put_c4(__m512i v, uint8_t *y, __mmask16 k, int lane0)
{
    if (lane0) {
        v = _mm512_maskz_compress_epi32(k, v);
        k = (__mmask16)(k >> lane0);
    }
    _mm512_mask_storeu_epi32(y, k, v);
}

/* The 8-channel x 32-pixel tile: 16 accumulators held in registers (named, so the compiler
 * never spills them), 2 activation loads and 8 weight broadcasts per 16 vpdpbusd. The sums
 * start from the channels' corrections corr[0..7] (the epilogue's first addition, made once
 * per tile and channel instead of once per 16 pixels). */
static inline void tile8x32(const uint8_t *band, const struct yolo_qconv_geom *q, int64_t orow,
                            int64_t ox0, int64_t c4s, const int32_t *wp, const int32_t *corr,
                            __m512i acc[8][2])
{
    __m512i c00 = _mm512_set1_epi32(corr[0]), c01 = c00, c10 = _mm512_set1_epi32(corr[1]),
            c11 = c10, c20 = _mm512_set1_epi32(corr[2]), c21 = c20,
            c30 = _mm512_set1_epi32(corr[3]), c31 = c30, c40 = _mm512_set1_epi32(corr[4]),
            c41 = c40, c50 = _mm512_set1_epi32(corr[5]), c51 = c50,
            c60 = _mm512_set1_epi32(corr[6]), c61 = c60, c70 = _mm512_set1_epi32(corr[7]),
            c71 = c70;
    for (int64_t ky = 0; ky < q->KH; ky++) {
        int64_t r = orow * q->SH + ky * q->DH;   /* flat bands: orow 0, ox0 the flat index */
        for (int64_t kx = 0; kx < q->KW; kx++) {
            int64_t ph = (kx * q->DW) % q->SW, off = ox0 + (kx * q->DW) / q->SW;
            const uint8_t *ap = band + (yolo_qconv_band_row(q, r, ph) + off) * 4;
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

/* A flat band (qconv_pack.h): rows output rows of ws pitch as rows * ws consecutive flat
 * pixels, 32 per tile. y0 is output row oy0 of channel 0 in image b; a vector of 16 flat
 * pixels is stored as up to 16 row pieces (its lanes with col < OW), their places found once
 * per tile for all 8 channels. With tail (in-place input, see run): the last tile, when it
 * runs past the band's pixels, reads a copy of them in tail instead (the 4-channel planes 32
 * pixels apart, zeros after), since past the band may lie past the tensor. */
__attribute__((always_inline)) static inline void
run_flat(const struct epi *e, const struct epv *ev, const struct yolo_qconv_geom *q,
         const uint8_t *band, const int8_t *pw,
         int64_t c4s, int64_t rows, uint8_t *yimg, int64_t oy0, size_t esz, int64_t cs,
         uint8_t *tail)
{
    /* NCHW: channel m's row oy0 at y0 + m * cs (the plane, or a joined tensor's pitch); c4:
     * group m / 4's at y4 + (m / 4) * plane */
    uint8_t *y0 = yimg + oy0 * q->OW * esz, *y4 = yimg + oy0 * q->OW * 4;
    int64_t taps = q->KH * q->KW, total = rows * q->ws, plane = q->OH * q->OW;
    /* the last tile's pixels, copied once for every channel block */
    int64_t tail_p0 = tail && total % YOLO_QCONV_NR ? total / YOLO_QCONV_NR * YOLO_QCONV_NR : -1;
    if (tail_p0 >= 0) {
        size_t have = (size_t)(total - tail_p0) * 4;
        for (int64_t c4 = 0; c4 < q->C4; c4++) {
            uint8_t *t = tail + c4 * YOLO_QCONV_NR * 4;
            memcpy(t, band + c4 * c4s + tail_p0 * 4, have);
            memset(t + have, 0, YOLO_QCONV_NR * 4 - have);
        }
    }
    for (int64_t mb = 0; mb < q->Mp / YOLO_QCONV_MR; mb++) {
        const int32_t *wb = (const int32_t *)(const void *)(pw + mb * taps * q->C4 * YOLO_QCONV_MR * 4);
        const int32_t *corr = ev->add + mb * YOLO_QCONV_MR;
        /* (row, col) of flat pixel p0, stepped by additions: the piece bookkeeping runs per
         * tile and channel block, and took a 64-bit division per piece before */
        int64_t row0 = 0, col0 = 0;
        for (int64_t p0 = 0; p0 < total; p0 += YOLO_QCONV_NR) {
            __m512i acc[YOLO_QCONV_MR][2];
            if (p0 == tail_p0)
                tile8x32(tail, q, 0, 0, YOLO_QCONV_NR * 4, wb, corr, acc);
            else
                tile8x32(band, q, 0, p0, c4s, wb, corr, acc);
            int64_t row = row0, col = col0;
            for (int v = 0; v < 2; v++) {
                __mmask16 km[16];
                int lane[16], np = 0;
                int64_t off[16];
                for (int l = 0; l < 16 && p0 + 16 * v + l < total;) {
                    int64_t seg = q->ws - col < 16 - l ? q->ws - col : 16 - l;
                    if (col < q->OW) {
                        int64_t nv = q->OW - col < seg ? q->OW - col : seg;
                        km[np] = (__mmask16)(((1u << nv) - 1u) << l);
                        lane[np] = l;
                        off[np++] = row * q->OW + col;
                    }
                    l += (int)seg;
                    col += seg;
                    if (col == q->ws)
                        col = 0, row++;
                }
                if (e->y_c4) {
                    for (int i = 0; i < YOLO_QCONV_MR && np; i += 4) {
                        int64_t m = mb * YOLO_QCONV_MR + i;
                        if (m >= q->M)
                            break;
                        __m512i f = finish_c4(e, ev, m, acc, i, v);
                        for (int j = 0; j < np; j++)
                            put_c4(f, y4 + ((m / 4) * plane + off[j]) * 4, km[j], lane[j]);
                    }
                    continue;
                }
                for (int i = 0; i < YOLO_QCONV_MR && np; i++) {
                    int64_t m = mb * YOLO_QCONV_MR + i;
                    if (m >= q->M)
                        break;
                    __m512i f = finish16(e, ev, m, acc[i][v]);
                    for (int j = 0; j < np; j++)
                        put16(e, f, y0 + (m * cs + off[j]) * esz, km[j], lane[j],
                              oy0 * q->OW + m * cs + off[j]);
                }
            }
            for (col0 += YOLO_QCONV_NR; col0 >= q->ws; col0 -= q->ws)
                row0++;
        }
    }
}

/* The kernel (the two entries below): vbmi is a constant, so the plain entry never reaches
 * lut_vbmi and the _vbmi one inlines it. */
__attribute__((always_inline)) static inline void run(const struct yolo_exec *x,
                                                      const struct yolo_node *n, int ith, int nth,
                                                      int vbmi)
{
    const struct yolo_graph *g = x->g;
    const struct yolo_conv_packed *pk = yolo_exec_node_data(x, n);
    struct yolo_qconv_geom q;
    yolo_qconv_geom_make(g, n, nth, 1, &q);
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
                     .act = p[YOLO_CONV_ACT], .vbmi = vbmi,
                     .osc = n->fparams[YOLO_QC_FP_OSC], .y_c4 = pk->y_c4 };
    e.dqs = n->fparams[YOLO_QC_FP_DQS];
    yolo_qconv_out_range(n, &e.lo, &e.hi);
    if (pk->grid_u8) {   /* the grid's bytes, which the readers map (cpu/qconv_grid_mark.c) */
        e.dqs = 0;
        e.odt = YOLO_DT_U8;
        e.act = YOLO_ACT_NONE;
    }
    if (n->in[YOLO_QC_IN_LUT] >= 0) {
        const uint8_t *l = yolo_exec_ptr(x, n->in[YOLO_QC_IN_LUT]);
        for (int i = 0; i < 256 && !vbmi; i++)
            lut32[i] = l[i];
        e.lut = lut32;
        e.lut8 = l;
    }
    const int8_t *pw = (const int8_t *)(e.sumw + q.Mp);
    const uint8_t *xd = yolo_exec_ptr(x, n->in[YOLO_QC_IN_X]);
    uint8_t *yd = yolo_exec_ptr(x, n->out[0]);
    size_t esz = e.odt == YOLO_DT_F32 ? 4 : 1;
    /* float rows written into a joined tensor at its pitch (cpu/conv_cat_mark.c) */
    int64_t cs = q.OH * q.OW, is = q.M * cs;
    const float *res = NULL;
    if (pk->add_on) {   /* a residual Add's sum (cpu/conv_add_mark.c) */
        yd = yolo_exec_ptr(x, pk->add_out);
        res = yolo_exec_ptr(x, pk->add_res);
    }
    if (pk->cat_cs) {
        yd = (uint8_t *)yolo_exec_ptr(x, pk->cat_out) + pk->cat_base * 4;
        cs = pk->cat_cs;
        is = pk->cat_is;
        if (pk->cat_act)
            e.act = pk->cat_act;
    }
    /* e is final here (the joined tensor's activation included) */
    struct epv ev;
    int32_t *addv = lut32 + 256;
    make_epv(&e, q.M, q.Mp, addv, (float *)(addv + q.Mp), &ev);
    /* A 1x1, stride-1, unpadded conv whose uint8 input is in the c4 layout reads it in
     * place: the band the loader would build is those bytes as they lie (no pads, no phases,
     * no sign flip), the rows W apart and the 4-channel planes H * W pixels apart; qi is the
     * geometry with that row pitch. Flat bands copy only a last tile that runs past the
     * band (run_flat's tail). Row tiles need rows of whole tiles, so no read leaves the row. */
    struct yolo_qconv_geom qi = q;
    int inplace = pk->x_c4 && !flip && q.KH == 1 && q.KW == 1 && q.SH == 1 && q.SW == 1 &&
                  q.PT == 0 && q.PL == 0 && q.OH == q.H && q.OW == q.W &&
                  (q.flat || q.OW % YOLO_QCONV_NR == 0);
    if (inplace)
        qi.ws = q.W;
    int64_t taps = q.KH * q.KW, c4s = inplace ? q.H * q.W * 4 : q.c4p * 4;
    for (int64_t u = ith; u < units; u += nth) {
        int64_t b = u / q.nband, oy0 = (u % q.nband) * q.br;
        int64_t rows = q.OH - oy0 < q.br ? q.OH - oy0 : q.br;
        e.res = res ? res + b * q.M * q.OH * q.OW : NULL;
        const uint8_t *src = band;
        if (inplace)
            src = xd + b * q.C * q.H * q.W + oy0 * q.W * 4;
        else if (pk->x_c4)
            load_band_c4(&q, xd + b * q.C * q.H * q.W, oy0 * q.SH - q.PT, flip, (uint8_t)zpu, band,
                         tmp);
        else
            load_band(&q, xd + b * q.C * q.H * q.W, oy0 * q.SH - q.PT, flip, (uint8_t)zpu, band,
                      tmp);
        if (q.flat) {
            run_flat(&e, &ev, &qi, src, pw, c4s, rows, yd + b * is * esz, oy0, esz, cs,
                     inplace ? band : NULL);
            continue;
        }
        for (int64_t mb = 0; mb < q.Mp / YOLO_QCONV_MR; mb++) {
            const int8_t *wb = pw + mb * taps * q.C4 * YOLO_QCONV_MR * 4;
            for (int64_t orow = 0; orow < rows; orow++)
                for (int64_t ox0 = 0; ox0 < q.OW; ox0 += YOLO_QCONV_NR) {
                    __m512i acc[YOLO_QCONV_MR][2];
                    tile8x32(src, &qi, orow, ox0, c4s, (const int32_t *)(const void *)wb,
                             ev.add + mb * YOLO_QCONV_MR, acc);
                    int64_t oy = oy0 + orow;
                    if (e.y_c4) {
                        for (int i = 0; i < YOLO_QCONV_MR; i += 4) {
                            int64_t m = mb * YOLO_QCONV_MR + i;
                            if (m >= q.M)
                                break;
                            uint8_t *yrow = yd + (((b * q.M / 4 + m / 4) * q.OH + oy) * q.OW + ox0) * 4;
                            for (int v = 0; v < 2; v++) {
                                int64_t left = q.OW - ox0 - 16 * v;
                                if (left > 0)
                                    put_c4(finish_c4(&e, &ev, m, acc, i, v), yrow + 64 * v,
                                           left >= 16 ? (__mmask16)0xffff
                                                      : (__mmask16)((1u << left) - 1u), 0);
                            }
                        }
                        continue;
                    }
                    for (int i = 0; i < YOLO_QCONV_MR; i++) {
                        int64_t m = mb * YOLO_QCONV_MR + i;
                        if (m >= q.M)
                            break;
                        uint8_t *yrow = yd + (b * is + m * cs + oy * q.OW + ox0) * esz;
                        for (int v = 0; v < 2; v++) {
                            int64_t left = q.OW - ox0 - 16 * v;
                            if (left > 0)
                                put16(&e, finish16(&e, &ev, m, acc[i][v]), yrow + 16 * v * esz,
                                      left >= 16 ? (__mmask16)0xffff
                                                 : (__mmask16)((1u << left) - 1u), 0,
                                      m * cs + oy * q.OW + ox0 + 16 * v);
                        }
                    }
                }
        }
    }
}

void yolo_qconv_avx512vnni(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    run(x, n, ith, nth, 0);
}

__attribute__((target("avx512vbmi"))) void yolo_qconv_avx512vnni_vbmi(const struct yolo_exec *x,
                                                                       const struct yolo_node *n,
                                                                       int ith, int nth)
{
    run(x, n, ith, nth, 1);
}
