/* simd.h: one small vector vocabulary for the x86 kernel bodies, so each body is written
 * once and compiled twice: by <op>_avx512.c (-mavx512f ..., VL = 16 floats) and by
 * <op>_avx2.c (-mavx2 -mfma, VL = 8 floats). Include it only from files built with those
 * flags (the Makefile's per-ISA rules).
 *
 *   vf       a vector of VL floats          vmask  which lanes a masked load/store touches
 *   vm_n(n)  the first n lanes (n clamped to 0..VL)
 *   vloadm / vstorem  masked: lanes outside the mask are not read (they may lie outside the
 *            buffer: masked-out lanes never fault) and read as 0 / are left unchanged.
 *   vexp_clamped      e^x by range reduction and a degree-5 polynomial (Cephes expf
 *            coefficients, ~1 ulp); used by Softmax.
 *   vsilu, vsigmoid   x*sigmoid(x), sigmoid(x): 2^(-x log2 e) by a degree-5 polynomial,
 *            then one IEEE division, x / (1 + e) or 1 / (1 + e); error below 3e-7 of the
 *            result's scale, tails clamped so no inf/NaN appears for finite input. (The
 *            division replaced a reciprocal estimate, a Newton step and a multiply: fewer
 *            operations on the epilogue's critical path, measured faster in the int8 and
 *            float convolutions' epilogues, and no less exact.)
 */
#ifndef YOLO_X86_SIMD_H
#define YOLO_X86_SIMD_H

#include <immintrin.h>
#include <stdint.h>

#if defined(__AVX512F__)

#define VL 16
typedef __m512 vf;
typedef __mmask16 vmask;

static inline vmask vm_n(int n)
{
    return n >= 16 ? (vmask)0xffff : n <= 0 ? (vmask)0 : (vmask)((1u << n) - 1u);
}
static inline vf vzero(void) { return _mm512_setzero_ps(); }
static inline vf vset1(float f) { return _mm512_set1_ps(f); }
static inline vf vbcast(const float *p) { return _mm512_set1_ps(*p); }
static inline vf vload(const float *p) { return _mm512_loadu_ps(p); }
static inline vf vloadm(const float *p, vmask m) { return _mm512_maskz_loadu_ps(m, p); }
static inline void vstore(float *p, vf v) { _mm512_storeu_ps(p, v); }
static inline void vstorem(float *p, vf v, vmask m) { _mm512_mask_storeu_ps(p, m, v); }
static inline vf vadd(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vsub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vmul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vmax(vf a, vf b) { return _mm512_max_ps(a, b); }
static inline vf vmin(vf a, vf b) { return _mm512_min_ps(a, b); }
static inline vf vfma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }   /* a*b+c */
static inline vf vfnma(vf a, vf b, vf c) { return _mm512_fnmadd_ps(a, b, c); } /* c-a*b */
static inline vf vdiv(vf a, vf b) { return _mm512_div_ps(a, b); }
static inline vf vrcp(vf d)
{
    vf r = _mm512_rcp14_ps(d);
    return vmul(r, vfnma(d, r, vset1(2.0f)));
}
/* 2^n * p for integral-valued n in [-126, 127] */
static inline vf vscale2(vf p, vf n) { return _mm512_scalef_ps(p, n); }
static inline vf vround(vf x) { return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }


/* lanes [lo, hi) (each clamped to 0..VL) */
static inline vmask vm_range(int lo, int hi)
{
    return (vmask)(vm_n(hi) & (vmask)~vm_n(lo));
}
static inline int vm_none(vmask m) { return m == 0; }
static inline vf vblend(vmask m, vf a, vf b) { return _mm512_mask_blend_ps(m, a, b); } /* m ? b : a */

/* Four-way deinterleave: z[0..4] hold 5*VL consecutive floats s[0..80); d[j][t] = s[4t + j]
 * for j = 0..5 and t = 0..15 (j = 4, 5 reach into z[4]). */
static inline void vdeint4x6(const vf z[5], vf d[6])
{
    const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i od = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    vf e0 = _mm512_permutex2var_ps(z[0], ev, z[1]), o0 = _mm512_permutex2var_ps(z[0], od, z[1]);
    vf e1 = _mm512_permutex2var_ps(z[2], ev, z[3]), o1 = _mm512_permutex2var_ps(z[2], od, z[3]);
    d[0] = _mm512_permutex2var_ps(e0, ev, e1);
    d[2] = _mm512_permutex2var_ps(e0, od, e1);
    d[1] = _mm512_permutex2var_ps(o0, ev, o1);
    d[3] = _mm512_permutex2var_ps(o0, od, o1);
    d[4] = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(z[4]), _mm512_castps_si512(d[0]), 1));
    __m512i z4r = _mm512_alignr_epi32(_mm512_castps_si512(z[4]), _mm512_castps_si512(z[4]), 1);
    d[5] = _mm512_castsi512_ps(_mm512_alignr_epi32(z4r, _mm512_castps_si512(d[1]), 1));
}

/* Inverse: out[q] holds s[q*VL .. (q+1)*VL) of the stream s[4t + j] = o[j][t], j = 0..3. */
static inline void vinter4(const vf o[4], vf out[4])
{
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    vf a0 = _mm512_permutex2var_ps(o[0], lo, o[2]), a1 = _mm512_permutex2var_ps(o[0], hi, o[2]);
    vf b0 = _mm512_permutex2var_ps(o[1], lo, o[3]), b1 = _mm512_permutex2var_ps(o[1], hi, o[3]);
    out[0] = _mm512_permutex2var_ps(a0, lo, b0);
    out[1] = _mm512_permutex2var_ps(a0, hi, b0);
    out[2] = _mm512_permutex2var_ps(a1, lo, b1);
    out[3] = _mm512_permutex2var_ps(a1, hi, b1);
}

/* Horizontal max and sum of the lanes. */
static inline float vhmax(vf v) { return _mm512_reduce_max_ps(v); }
static inline float vhsum(vf v) { return _mm512_reduce_add_ps(v); }

/* The even-indexed floats of the 2*VL floats in (a, b). */
static inline vf veven(vf a, vf b)
{
    const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(a, ev, b);
}

/* Both halves of a stride-2 deinterleave of the 2*VL floats in (a, b): even- and odd-indexed. */
static inline void vdeint2(vf a, vf b, vf *even, vf *odd)
{
    const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i od = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    *even = _mm512_permutex2var_ps(a, ev, b);
    *odd = _mm512_permutex2var_ps(a, od, b);
}

/* Each float of v twice: its low half's (lo) or high half's (hi) VL/2 floats, as VL. */
static inline void vdup2(vf v, vf *lo, vf *hi)
{
    const __m512i l = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    const __m512i h = _mm512_setr_epi32(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15);
    *lo = _mm512_permutexvar_ps(l, v);
    *hi = _mm512_permutexvar_ps(h, v);
}

#else /* AVX2 + FMA */

#define VL 8
typedef __m256 vf;
typedef __m256i vmask;

static inline vmask vm_n(int n)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
}
static inline vf vzero(void) { return _mm256_setzero_ps(); }
static inline vf vset1(float f) { return _mm256_set1_ps(f); }
static inline vf vbcast(const float *p) { return _mm256_broadcast_ss(p); }
static inline vf vload(const float *p) { return _mm256_loadu_ps(p); }
static inline vf vloadm(const float *p, vmask m) { return _mm256_maskload_ps(p, m); }
static inline void vstore(float *p, vf v) { _mm256_storeu_ps(p, v); }
static inline void vstorem(float *p, vf v, vmask m) { _mm256_maskstore_ps(p, m, v); }
static inline vf vadd(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vsub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline vf vmul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf vmax(vf a, vf b) { return _mm256_max_ps(a, b); }
static inline vf vmin(vf a, vf b) { return _mm256_min_ps(a, b); }
static inline vf vfma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline vf vfnma(vf a, vf b, vf c) { return _mm256_fnmadd_ps(a, b, c); }
static inline vf vdiv(vf a, vf b) { return _mm256_div_ps(a, b); }
static inline vf vrcp(vf d)
{
    /* rcpps is 12-bit accurate; one Newton step gives ~23 bits */
    vf r = _mm256_rcp_ps(d);
    return vmul(r, vfnma(d, r, vset1(2.0f)));
}
static inline vf vscale2(vf p, vf n)
{
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return vmul(p, _mm256_castsi256_ps(e));
}
static inline vf vround(vf x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }


static inline vmask vm_range(int lo, int hi)
{
    return _mm256_andnot_si256(vm_n(lo), vm_n(hi));
}
static inline int vm_none(vmask m) { return _mm256_testz_si256(m, m); }
static inline vf vblend(vmask m, vf a, vf b) { return _mm256_blendv_ps(a, b, _mm256_castsi256_ps(m)); }

/* Four-way deinterleave: z[0..4] hold 5*VL consecutive floats s[0..40); d[j][t] = s[4t + j]
 * for j = 0..5 and t = 0..7. Each 128-bit half of z[q] is one tile's 4 floats, so this is a
 * 128-bit lane regroup and two in-lane 4x4 transposes. */
static inline void vdeint4x6(const vf z[5], vf d[6])
{
    vf p0 = _mm256_permute2f128_ps(z[0], z[2], 0x20), p1 = _mm256_permute2f128_ps(z[0], z[2], 0x31);
    vf p2 = _mm256_permute2f128_ps(z[1], z[3], 0x20), p3 = _mm256_permute2f128_ps(z[1], z[3], 0x31);
    vf u0 = _mm256_unpacklo_ps(p0, p1), u1 = _mm256_unpackhi_ps(p0, p1);
    vf u2 = _mm256_unpacklo_ps(p2, p3), u3 = _mm256_unpackhi_ps(p2, p3);
    d[0] = _mm256_shuffle_ps(u0, u2, 0x44);
    d[1] = _mm256_shuffle_ps(u0, u2, 0xEE);
    d[2] = _mm256_shuffle_ps(u1, u3, 0x44);
    d[3] = _mm256_shuffle_ps(u1, u3, 0xEE);
    const __m256i rot = _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 0);
    vf n0 = _mm256_permutevar8x32_ps(z[4], _mm256_set1_epi32(0));
    vf n1 = _mm256_permutevar8x32_ps(z[4], _mm256_set1_epi32(1));
    d[4] = _mm256_blend_ps(_mm256_permutevar8x32_ps(d[0], rot), n0, 0x80);
    d[5] = _mm256_blend_ps(_mm256_permutevar8x32_ps(d[1], rot), n1, 0x80);
}

/* Inverse: out[q] holds s[q*VL .. (q+1)*VL) of the stream s[4t + j] = o[j][t], j = 0..3. */
static inline void vinter4(const vf o[4], vf out[4])
{
    vf t0 = _mm256_unpacklo_ps(o[0], o[1]), t1 = _mm256_unpackhi_ps(o[0], o[1]);
    vf t2 = _mm256_unpacklo_ps(o[2], o[3]), t3 = _mm256_unpackhi_ps(o[2], o[3]);
    vf u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    vf u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    out[0] = _mm256_permute2f128_ps(u0, u1, 0x20);
    out[1] = _mm256_permute2f128_ps(u2, u3, 0x20);
    out[2] = _mm256_permute2f128_ps(u0, u1, 0x31);
    out[3] = _mm256_permute2f128_ps(u2, u3, 0x31);
}

/* Horizontal max and sum of the lanes. */
static inline float vhmax(vf v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}
static inline float vhsum(vf v)
{
    __m128 m = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_add_ps(m, _mm_movehl_ps(m, m));
    return _mm_cvtss_f32(_mm_add_ss(m, _mm_movehdup_ps(m)));
}

/* The even-indexed floats of the 2*VL floats in (a, b). */
static inline vf veven(vf a, vf b)
{
    const __m256i ev = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    vf x = _mm256_permutevar8x32_ps(a, ev), y = _mm256_permutevar8x32_ps(b, ev);
    return _mm256_permute2f128_ps(x, y, 0x20);
}

/* Both halves of a stride-2 deinterleave of the 2*VL floats in (a, b): even- and odd-indexed. */
static inline void vdeint2(vf a, vf b, vf *even, vf *odd)
{
    const __m256i ev = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    vf x = _mm256_permutevar8x32_ps(a, ev), y = _mm256_permutevar8x32_ps(b, ev);
    *even = _mm256_permute2f128_ps(x, y, 0x20);
    *odd = _mm256_permute2f128_ps(x, y, 0x31);
}

/* Each float of v twice: its low half's (lo) or high half's (hi) VL/2 floats, as VL. */
static inline void vdup2(vf v, vf *lo, vf *hi)
{
    *lo = _mm256_permutevar8x32_ps(v, _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3));
    *hi = _mm256_permutevar8x32_ps(v, _mm256_setr_epi32(4, 4, 5, 5, 6, 6, 7, 7));
}

#endif

/* dst[0..n) = src[0..n): whole vectors by plain loads and stores (masked stores measured
 * dearer than plain ones on Zen 5), the last n % VL floats under a mask. */
static inline void vcopy(float *dst, const float *src, int64_t n)
{
    int64_t j = 0;
    for (; j + VL <= n; j += VL)
        vstore(dst + j, vload(src + j));
    if (j < n)
        vstorem(dst + j, vloadm(src + j, vm_n((int)(n - j))), vm_n((int)(n - j)));
}

/* e^x for x in [-87, 87] (callers clamp): x = n ln2 + r, |r| <= ln2/2. */
static inline vf vexp_clamped(vf x)
{
    vf n = vround(vmul(x, vset1(1.44269504088896341f)));
    vf r = vfnma(n, vset1(0.693359375f), x);
    r = vfnma(n, vset1(-2.12194440e-4f), r);
    vf p = vset1(1.9875691500e-4f);
    p = vfma(p, r, vset1(1.3981999507e-3f));
    p = vfma(p, r, vset1(8.3334519073e-3f));
    p = vfma(p, r, vset1(4.1665795894e-2f));
    p = vfma(p, r, vset1(1.6666665459e-1f));
    p = vfma(p, r, vset1(5.0000001201e-1f));
    p = vfma(p, vmul(r, r), vadd(r, vset1(1.0f)));
    return vscale2(p, n);
}

/* e^(v - mx), clamped below at -87 (e^-87 ~ 1.6e-38 where expf would give a few ulp-size
 * denormals or 0: both vanish against a softmax row's maximum term e^0 = 1). */
static inline vf vexp_shift(vf v, vf mx)
{
    return vexp_clamped(vmax(vsub(v, mx), vset1(-87.0f)));
}

/* u clamped to [-126, 126]: on AVX-512 one vrangeps (the smaller magnitude of u and 126,
 * with u's sign), on AVX2 a max and a min. */
static inline vf vclamp126(vf u)
{
#if VL == 16
    return _mm512_range_ps(u, vset1(126.0f), 0x02);
#else
    return vmin(vmax(u, vset1(-126.0f)), vset1(126.0f));
#endif
}

/* 1 + 2^u, u = n + f with n integral and |f| <= 1/2, 2^f by the polynomial c[0] + c[1] f
 * + ... + c[deg] f^deg (Horner). deg and c are constants at each caller, so this unrolls. */
static inline __attribute__((always_inline)) vf vone_plus_exp2(vf u, const float *c, int deg)
{
    vf n = vround(u), f = vsub(u, n);
    vf p = vset1(c[deg]);
#pragma GCC unroll 8
    for (int i = deg - 1; i >= 0; i--)
        p = vfma(p, f, vset1(c[i]));
    return vadd(vset1(1.0f), vscale2(p, n));
}

/* 1 + e^-x with e^-x = 2^u, u = -x log2(e) clamped to [-126, 126] (so 1 + e stays finite
 * and normal), 2^f by a degree-5 minimax polynomial (7.5e-8; 2.3e-7 evaluated in float, as
 * the degree-6 Taylor polynomial it replaced, which cost one more FMA). Rounding u in float
 * costs |u| * 6e-8 relative in e, which moves sigmoid by at most |u| * 6e-8 * s * (1 - s):
 * below 2e-7 for |x| < 20 and ever smaller past it. Six operations fewer than vexp_clamped:
 * this is every conv's epilogue (a micro-benchmark of x / (1 + e^-x) over 32768 floats:
 * 0.123 -> 0.103 ns per float with this polynomial and the one-instruction clamp, max
 * relative error against double 1.15e-7 -> 1.16e-7). */
static inline vf vsigmoid_den(vf x)
{
    static const float c[6] = { 1.0000000717e+0f, 6.9314696725e-1f, 2.4022119699e-1f,
                                5.5507129624e-2f, 9.6755423819e-3f, 1.3276573228e-3f };
    return vone_plus_exp2(vclamp126(vmul(x, vset1(-1.44269504088896341f))), c, 5);
}
/* 1 + e^-x for the int8 convolutions' SiLU before a fused QuantizeLinear (qconv_*.c), whose
 * result is rounded to a whole 8-bit step: 2^f by a degree-4 minimax polynomial (relative
 * error 2.7e-6 evaluated in float), and on AVX-512 no clamps: scalef saturates 2^u by
 * itself (0 below, inf above, so the quotient becomes x or -0 as the reference's) and stays
 * free of NaN while u is finite, which the callers ensure by |x| < 1e38. AVX2's vscale2
 * builds 2^n from exponent bits, so there u keeps vsigmoid_den's clamp. A quotient within
 * 2.7e-6 of a rounding tie may round the other way: one step, as the reference check
 * allows. On AVX-512 two operations fewer than vsigmoid_den (its clamp, one FMA); with the
 * float saturation of qconv_avx512vnni.c's finish16, that epilogue took 67% of its earlier
 * time (a micro-benchmark of finish16 on 65536 vectors, against the degree-6, clamped form). */
static inline vf vsigmoid_den_q(vf x)
{
    static const float c[5] = { 9.9999926518e-1f, 6.9312180640e-1f, 2.4024732307e-1f,
                                5.5917905783e-2f, 9.5706108688e-3f };
    vf u = vmul(x, vset1(-1.44269504088896341f));
#if VL == 8
    u = vclamp126(u);
#endif
    return vone_plus_exp2(u, c, 4);
}
/* A per-channel scale w held to |w| <= 4e28, so that w times an int32 accumulator (at most
 * 2^31) stays below vsigmoid_den_q's 1e38 (only a broken model's scale comes near it). By
 * compares: fminf and fmaxf are calls at -O2, which spill a kernel's vector registers. */
static inline float ws_bounded(float w)
{
    return w > 4e28f ? 4e28f : w < -4e28f ? -4e28f : w;
}
static inline vf vsigmoid(vf x) { return vdiv(vset1(1.0f), vsigmoid_den(x)); }
static inline vf vsilu(vf x) { return vdiv(x, vsigmoid_den(x)); }

/* The activations of enum yolo_act (0 none, 1 relu, 2 sigmoid, 3 silu). */
static inline vf vact(vf v, int act)
{
    switch (act) {
    case 1: return vmax(v, vzero());
    case 2: return vsigmoid(v);
    case 3: return vsilu(v);
    default: return v;
    }
}

#endif
