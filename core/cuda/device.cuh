/* cuda/device.cuh: what every kernel file shares: element loads and stores by storage type
 * (kernels.h, enum yolo_cu_st), a grid-stride launch shape and the error return. CUDA C++. */
#ifndef YOLO_CUDA_DEVICE_CUH
#define YOLO_CUDA_DEVICE_CUH

#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include "kernels.h"

/* n / d for 0 <= n < 2^31, d fixed for the launch (kernels.h, struct yolo_cu_div) */
__device__ __forceinline__ int div_fast(int n, struct yolo_cu_div v)
{
    return (int)((__umulhi((uint32_t)n, v.mul) + (uint32_t)n) >> v.shift);
}

/* Float storages widen to float. */
__device__ __forceinline__ float ld_f(const void *p, int32_t st, int64_t i)
{
    return st == YOLO_CU_F16 ? __half2float(((const __half *)p)[i]) : ((const float *)p)[i];
}

/* acc[i][j] += a_i * b_j: a thread's 4 x 4 register tile of a product (the MatMul kernel's
 * C tile, the attention's outputs), one step of its inner dimension. */
__device__ __forceinline__ void outer4_fma(float (&acc)[4][4], float4 a4, float4 b4)
{
    const float a[4] = { a4.x, a4.y, a4.z, a4.w }, b[4] = { b4.x, b4.y, b4.z, b4.w };
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++)
            acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
}

/* One element as a float from a storage known when compiled (read-only for the kernel):
 * with no runtime storage switch, a run of these loads has no branch between them and issues
 * at once (the stem, the DFL's bins, the attention's tiles). */
__device__ __forceinline__ float ld_as_float(const float *p)
{
    return __ldg(p);
}

__device__ __forceinline__ float ld_as_float(const __half *p)
{
    return __half2float(__ldg(p));
}

__device__ __forceinline__ void st_f(void *p, int32_t st, int64_t i, float v)
{
    if (st == YOLO_CU_F16)
        ((__half *)p)[i] = __float2half_rn(v);
    else
        ((float *)p)[i] = v;
}

__host__ __device__ __forceinline__ int32_t st_size(int32_t st)
{
    return st == YOLO_CU_I64 ? 8 : st == YOLO_CU_F32 || st == YOLO_CU_I32 ? 4
         : st == YOLO_CU_F16 ? 2 : 1;
}

__device__ __forceinline__ int st_is_float(int32_t st)
{
    return st == YOLO_CU_F32 || st == YOLO_CU_F16;
}

/* One element from src[si] to dst[di]: bytes when the storages match, else float widen or
 * narrow (the host only pairs float storages with each other). */
__device__ __forceinline__ void move_elem(void *dst, int32_t dst_st, int64_t di, const void *src,
                                          int32_t src_st, int64_t si)
{
    if (src_st != dst_st) {
        st_f(dst, dst_st, di, ld_f(src, src_st, si));
        return;
    }
    switch (src_st) {
    case YOLO_CU_I64: ((int64_t *)dst)[di] = ((const int64_t *)src)[si]; break;
    case YOLO_CU_F32:
    case YOLO_CU_I32: ((int32_t *)dst)[di] = ((const int32_t *)src)[si]; break;
    case YOLO_CU_F16: ((uint16_t *)dst)[di] = ((const uint16_t *)src)[si]; break;
    default:          ((uint8_t *)dst)[di] = ((const uint8_t *)src)[si]; break;
    }
}

/* The activation fused into a convolution (enum yolo_act in yolo_core.h), as
 * yolo_act_apply computes it on the CPU. */
__device__ __forceinline__ float act_apply(float v, int32_t act)
{
    switch (act) {
    case 1:  return v > 0.0f ? v : 0.0f;               /* YOLO_ACT_RELU */
    case 2:  return 1.0f / (1.0f + expf(-v));         /* YOLO_ACT_SIGMOID */
    case 3:  return v / (1.0f + expf(-v));            /* YOLO_ACT_SILU */
    default: return v;
    }
}

/* The same activations with the fast exponential and division (__expf, __fdividef: a few
 * ulp, ~2^-21 relative), for kernels whose results are FP16-computed, where the products'
 * rounding (2^-11) dwarfs it; it costs a fraction of the IEEE forms' instructions, which
 * made the pointwise kernel's epilogue its bottleneck (ncu, H200, yolov8n batch 128). Tails:
 * e^-v overflows to inf for v < -88 and the quotient is then 0 (SiLU -0), as the exact
 * value rounds. */
template <int ACT> __device__ __forceinline__ float act_fast_c(float v)
{
    switch (ACT) {
    case 1:  return v > 0.0f ? v : 0.0f;
    case 2:  return __fdividef(1.0f, 1.0f + __expf(-v));
    case 3:  return __fdividef(v, 1.0f + __expf(-v));
    default: return v;
    }
}

__device__ __forceinline__ float act_fast(float v, int32_t act)
{
    switch (act) {
    case 1:  return act_fast_c<1>(v);
    case 2:  return act_fast_c<2>(v);
    case 3:  return act_fast_c<3>(v);
    default: return v;
    }
}

/* f(act_tag<ACT>) for the launch's activation, so that a kernel's loop over
 * its outputs branches once, not once per element (act_fast_c<decltype(a)::value>) */
template <int A> struct act_tag { static constexpr int value = A; };
template <typename F> __device__ __forceinline__ void with_act(int32_t act, F f)
{
    switch (act) {
    case 1:  f(act_tag<1>{}); break;
    case 2:  f(act_tag<2>{}); break;
    case 3:  f(act_tag<3>{}); break;
    default: f(act_tag<0>{}); break;
    }
}

#define YOLO_CU_THREADS 256

/* Blocks for n elements with a grid-stride loop: enough to fill the GPU, never zero. */
static inline unsigned yolo_cu_blocks(int64_t n)
{
    int64_t b = (n + YOLO_CU_THREADS - 1) / YOLO_CU_THREADS;
    if (b > 65535LL * 8)
        b = 65535LL * 8;
    return (unsigned)(b < 1 ? 1 : b);
}

#define YOLO_CU_FOR(i, n) \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
         i += (int64_t)gridDim.x * blockDim.x)

static inline int yolo_cu_status(void)
{
    return (int)cudaGetLastError();
}

#endif
