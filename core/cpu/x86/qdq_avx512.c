/* x86/qdq_avx512.c: QuantizeLinear and DequantizeLinear with one scale and zero point (per
 * tensor), 16 values per step. Bit-identical to the reference kernels (quant.h): the same
 * IEEE division (quant16.h) and multiply. */
#include <immintrin.h>

#include "cpu/conv_pack.h"
#include "cpu/fast_ops.h"
#include "cpu/x86/c4_pack.h"
#include "cpu/x86/quant16.h"
#include "ops/broadcast.h"
#include "ops/op_params.h"
#include "ops/quant.h"

/* 16 values (lanes k) of x quantized: int32 lanes holding the output bytes */
static inline __m512i quant16(const float *x, __mmask16 k, __m512 vs, __m512 big, __m512i vz,
                              __m512i vlo, __m512i vhi)
{
    return quant16v(_mm512_maskz_loadu_ps(k, x), vs, big, vz, vlo, vhi);
}

void yolo_quantize_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_conv_packed *pk = yolo_exec_node_data(x, n);
    const struct yolo_graph *g = x->g;
    const float *X = yolo_exec_ptr(x, n->in[0]);
    uint8_t *Y = yolo_exec_ptr(x, n->out[0]);
    enum yolo_dtype qdt = (enum yolo_dtype)n->params[YOLO_QL_QDT];
    float s = *(const float *)yolo_exec_ptr(x, n->in[1]);
    int32_t zp = n->n_in > 2 && n->in[2] >= 0 ? yolo_quant_load(yolo_exec_ptr(x, n->in[2]), qdt, 0) : 0;
    float lo, hi;
    yolo_quant_range(qdt, &lo, &hi);
    int64_t b, e;
    const __m512 vs = _mm512_set1_ps(s), big = _mm512_set1_ps(1073741824.0f);
    const __m512i vz = _mm512_set1_epi32(zp), vlo = _mm512_set1_epi32((int32_t)lo),
                  vhi = _mm512_set1_epi32((int32_t)hi);
    if (pk && pk->y_c4) {
        /* the c4 layout (qconv_pack.h): 4 channel planes in, one row of 4-byte pixels out;
         * threads split the (image, channel group, pixel) range */
        const struct yolo_tensor *T = &g->tensors[n->out[0]];
        int64_t C = T->shape[1], hw = T->shape[2] * T->shape[3];
        yolo_bc_split(T->shape[0] * (C / 4) * hw, ith, nth, &b, &e);
        /* plane by plane: the divisions finding (plane, pixel) run once per plane, not per
         * 16 pixels (two 64-bit divisions cost about as much as the 16 pixels' work) */
        for (int64_t pl = b / hw; pl * hw < e; pl++) {
            int64_t p0 = pl * hw > b ? 0 : b - pl * hw, p1 = (pl + 1) * hw < e ? hw : e - pl * hw;
            const float *x0 = X + ((pl / (C / 4)) * C + (pl % (C / 4)) * 4) * hw;
            uint8_t *y0 = Y + pl * hw * 4;
            for (int64_t p = p0; p < p1; p += 16) {
                __mmask16 k = p1 - p >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (p1 - p)) - 1u);
                const float *xp = x0 + p;
                __m512i v = yolo_c4_pack(quant16(xp, k, vs, big, vz, vlo, vhi),
                                         quant16(xp + hw, k, vs, big, vz, vlo, vhi),
                                         quant16(xp + 2 * hw, k, vs, big, vz, vlo, vhi),
                                         quant16(xp + 3 * hw, k, vs, big, vz, vlo, vhi));
                _mm512_mask_storeu_epi32(y0 + p * 4, k, v);
            }
        }
        return;
    }
    yolo_bc_split(yolo_tensor_numel(&g->tensors[n->out[0]]), ith, nth, &b, &e);
    for (int64_t i = b; i < e; i += 16) {
        __mmask16 k = e - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (e - i)) - 1u);
        _mm512_mask_cvtepi32_storeu_epi8(Y + i, k, quant16(X + i, k, vs, big, vz, vlo, vhi));
    }
}

void yolo_dequantize_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_graph *g = x->g;
    const uint8_t *X = yolo_exec_ptr(x, n->in[0]);
    float *Y = yolo_exec_ptr(x, n->out[0]);
    enum yolo_dtype qdt = (enum yolo_dtype)n->params[YOLO_QL_QDT];
    float s = *(const float *)yolo_exec_ptr(x, n->in[1]);
    int32_t zp = n->n_in > 2 && n->in[2] >= 0 ? yolo_quant_load(yolo_exec_ptr(x, n->in[2]), qdt, 0) : 0;
    int64_t b, e;
    yolo_bc_split(yolo_tensor_numel(&g->tensors[n->out[0]]), ith, nth, &b, &e);
    const __m512 vs = _mm512_set1_ps(s);
    const __m512i vz = _mm512_set1_epi32(zp);
    for (int64_t i = b; i < e; i += 16) {
        __mmask16 k = e - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (e - i)) - 1u);
        __m128i raw = _mm_maskz_loadu_epi8(k, X + i);
        __m512i q = qdt == YOLO_DT_I8 ? _mm512_cvtepi8_epi32(raw) : _mm512_cvtepu8_epi32(raw);
        __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(q, vz)), vs);
        _mm512_mask_storeu_ps(Y + i, k, v);
    }
}

/* QAdd (ops/qadd.c): 32 values per step, widened to 16 bits, summed, clamped, narrowed. The
 * same integers as the reference; elementwise, so any layout (c4 included) as long as the
 * three tensors share it. */
void yolo_qadd_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_tensor *A = &x->g->tensors[n->in[0]];
    const uint8_t *a = yolo_exec_ptr(x, n->in[0]), *b = yolo_exec_ptr(x, n->in[1]);
    uint8_t *y = yolo_exec_ptr(x, n->out[0]);
    int u8 = A->dtype == YOLO_DT_U8;
    const __m512i vz = _mm512_set1_epi16((int16_t)n->params[YOLO_QA_ZP]);
    const __m512i vlo = _mm512_set1_epi16(u8 ? 0 : -128), vhi = _mm512_set1_epi16(u8 ? 255 : 127);
    int64_t s, e;
    yolo_bc_split(yolo_tensor_numel(A), ith, nth, &s, &e);
    for (int64_t i = s; i < e; i += 32) {
        __mmask32 k = e - i >= 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << (e - i)) - 1u);
        __m256i ra = _mm256_maskz_loadu_epi8(k, a + i), rb = _mm256_maskz_loadu_epi8(k, b + i);
        __m512i va = u8 ? _mm512_cvtepu8_epi16(ra) : _mm512_cvtepi8_epi16(ra);
        __m512i vb = u8 ? _mm512_cvtepu8_epi16(rb) : _mm512_cvtepi8_epi16(rb);
        __m512i v = _mm512_sub_epi16(_mm512_add_epi16(va, vb), vz);
        v = _mm512_min_epi16(_mm512_max_epi16(v, vlo), vhi);
        _mm256_mask_storeu_epi8(y + i, k, _mm512_cvtepi16_epi8(v));
    }
}
