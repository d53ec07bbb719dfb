/* x86/quant16.h: QuantizeLinear's arithmetic on 16 floats (ops/quant.h), for the AVX-512
 * kernels that quantize (qdq_avx512.c, dfl_q_avx512.c). Bit-identical to the reference: the
 * same IEEE division; cvtps rounds half to even under the default MXCSR, and the float clamp
 * before it keeps the conversion in range (NaN goes to the zero point, as there). Include from
 * an AVX-512 kernel file only. */
#ifndef YOLO_X86_QUANT16_H
#define YOLO_X86_QUANT16_H

#include <immintrin.h>

/* v / scale quantized: int32 lanes holding the output bytes (vs: the scale; big: 2^30;
 * vz, vlo, vhi: the zero point and the quantized type's range) */
static inline __m512i quant16v(__m512 v, __m512 vs, __m512 big, __m512i vz, __m512i vlo,
                               __m512i vhi)
{
    v = _mm512_div_ps(v, vs);
    __mmask16 ok = _mm512_cmp_ps_mask(v, v, _CMP_ORD_Q);
    v = _mm512_min_ps(_mm512_max_ps(v, _mm512_sub_ps(_mm512_setzero_ps(), big)), big);
    __m512i q = _mm512_maskz_cvtps_epi32(ok, v);
    return _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(q, vz), vlo), vhi);
}

#endif
