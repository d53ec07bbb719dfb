/* x86/c4_pack.h: 16 pixels of 4 channels in the c4 layout (cpu/qconv_pack.h), from four
 * vectors of int32 lanes whose low bytes are the channels' quantized values: channel c goes
 * to byte c of each pixel. For the kernels that write that layout (the VNNI convolution's
 * epilogue, QuantizeLinear); include from an AVX-512BW kernel file only. */
#ifndef YOLO_X86_C4_PACK_H
#define YOLO_X86_C4_PACK_H

#include <immintrin.h>

static inline __m512i yolo_c4_pack(__m512i c0, __m512i c1, __m512i c2, __m512i c3)
{
    __m512i v = _mm512_mask_blend_epi8((__mmask64)0x2222222222222222ull, c0, _mm512_slli_epi32(c1, 8));
    v = _mm512_mask_blend_epi8((__mmask64)0x4444444444444444ull, v, _mm512_slli_epi32(c2, 16));
    return _mm512_mask_blend_epi8((__mmask64)0x8888888888888888ull, v, _mm512_slli_epi32(c3, 24));
}

#endif
