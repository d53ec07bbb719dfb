/* bf16.h: bfloat16 (1 sign, 8 exponent, 7 stored mantissa bits: float32's upper half), the
 * storage and multiply format of `yolo build --bf16`.
 *
 * Rounding a float32 to bfloat16 (nearest, ties to even, as vcvtne2ps2bf16 does) changes it by
 * at most 2^-9 of its magnitude (8 significant bits). A Conv output y = b + sum_k w_k x_k with
 * both w_k and x_k rounded, products exact in float32 (8 x 8 significant bits) and summed in
 * float32, is off by at most
 *     (2 * 2^-9 + 2^-18) * sum_k |w_k x_k|  +  K * 2^-24 * sum_k |w_k x_k|   (float32 sums)
 * before the activation; ReLU, sigmoid and SiLU change by at most 1.1 times that (SiLU's
 * slope is below 1.1). tests/test_bf16.c checks every kernel against this bound. */
#ifndef YOLO_BF16_H
#define YOLO_BF16_H

#include <stdint.h>
#include <string.h>

/* The bfloat16 nearest to f (ties to even), as float32 bits' upper half; NaN stays NaN
 * (quiet), infinities stay infinite. */
static inline uint16_t yolo_bf16_from_f32(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static inline float yolo_bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* f rounded to the nearest bfloat16, kept in a float32. */
static inline float yolo_bf16_round(float f) { return yolo_bf16_to_f32(yolo_bf16_from_f32(f)); }

#endif
