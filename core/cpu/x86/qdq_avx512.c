/* x86/qdq_avx512.c: QuantizeLinear and DequantizeLinear with one scale and zero point (per
 * tensor), 16 values per step. Bit-identical to the reference kernels (quant.h): the same
 * IEEE division and multiply; cvtps rounds half to even under the default MXCSR, and the
 * float clamp before it keeps the conversion in range (NaN goes to the zero point, as there). */
#include <immintrin.h>

#include "cpu/fast_ops.h"
#include "ops/broadcast.h"
#include "ops/quant.h"

void yolo_quantize_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_graph *g = x->g;
    const float *X = yolo_exec_ptr(x, n->in[0]);
    uint8_t *Y = yolo_exec_ptr(x, n->out[0]);
    enum yolo_dtype qdt = (enum yolo_dtype)n->params[YOLO_QL_QDT];
    float s = *(const float *)yolo_exec_ptr(x, n->in[1]);
    int32_t zp = n->n_in > 2 && n->in[2] >= 0 ? yolo_quant_load(yolo_exec_ptr(x, n->in[2]), qdt, 0) : 0;
    float lo, hi;
    yolo_quant_range(qdt, &lo, &hi);
    int64_t b, e;
    yolo_bc_split(yolo_tensor_numel(&g->tensors[n->out[0]]), ith, nth, &b, &e);
    const __m512 vs = _mm512_set1_ps(s), big = _mm512_set1_ps(1073741824.0f);
    const __m512i vz = _mm512_set1_epi32(zp), vlo = _mm512_set1_epi32((int32_t)lo),
                  vhi = _mm512_set1_epi32((int32_t)hi);
    for (int64_t i = b; i < e; i += 16) {
        __mmask16 k = e - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (e - i)) - 1u);
        __m512 v = _mm512_div_ps(_mm512_maskz_loadu_ps(k, X + i), vs);
        __mmask16 ok = _mm512_cmp_ps_mask(v, v, _CMP_ORD_Q);
        v = _mm512_min_ps(_mm512_max_ps(v, _mm512_sub_ps(_mm512_setzero_ps(), big)), big);
        __m512i q = _mm512_maskz_cvtps_epi32(ok, v);
        q = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(q, vz), vlo), vhi);
        _mm512_mask_cvtepi32_storeu_epi8(Y + i, k, q);
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
