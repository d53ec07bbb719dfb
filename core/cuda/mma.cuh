/* cuda/mma.cuh: the tensor-core building blocks our FP16 convolutions share (kernels_conv.cu,
 * kernels_conv_tile.cu, kernels_conv_pw.cu, kernels_conv_nhwc.cu): the mma.sync m16n8k16
 * product, ldmatrix loads of its fragments from shared memory, two halves packed into one
 * register, and the cp.async copies that stage operands in shared memory. CUDA C++. */
#ifndef YOLO_CUDA_MMA_CUH
#define YOLO_CUDA_MMA_CUH

#include <cuda_fp16.h>
#include <stdint.h>

__device__ __forceinline__ uint32_t pack2(__half lo, __half hi)
{
    return (uint32_t)__half_as_ushort(lo) | ((uint32_t)__half_as_ushort(hi) << 16);
}

/* c += a (16x16, row major) * b (16x8, column major), FP16 operands, FP32 sums; the PTX
 * fragment layouts: a[0..3] rows g / g+8, k 2t..2t+1 / 2t+8..; b[0..1] k 2t.. / 2t+8..,
 * column g; c[0..1] row g, columns 2t, 2t+1; c[2..3] row g+8 (g = lane / 4, t = lane % 4). */
__device__ __forceinline__ void mma_16816(float *c, const uint32_t *a, uint32_t b0, uint32_t b1)
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/* Four 8x8 matrices of halves from shared memory, lanes 8q..8q+7 giving matrix q's rows */
__device__ __forceinline__ void ldsm_x4(uint32_t *r, uint32_t addr)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}

/* The same, each matrix transposed (a B operand stored k-major) */
__device__ __forceinline__ void ldsm_x4_trans(uint32_t *r, uint32_t addr)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}

__device__ __forceinline__ uint32_t smem_u32(const void *p)
{
    return (uint32_t)__cvta_generic_to_shared(p);
}

/* 16 bytes global -> shared, bypassing L1 (operands each block reads once); bytes < 16
 * zero-fills the rest (0: all zeros) */
__device__ __forceinline__ void cp_async16(uint32_t dst, const void *src, int bytes)
{
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n"
                 ::"r"(dst), "l"(src), "r"(bytes));
}

/* the same through L1: for operands neighbouring blocks or rows read again (the kh x kw taps
 * of neighbouring output pixels read the same input rows, up to 9 times for a 3x3) */
__device__ __forceinline__ void cp_async16_l1(uint32_t dst, const void *src, int bytes)
{
    asm volatile("cp.async.ca.shared.global [%0], [%1], 16, %2;\n"
                 ::"r"(dst), "l"(src), "r"(bytes));
}

__device__ __forceinline__ void cp_commit(void)
{
    asm volatile("cp.async.commit_group;\n" ::);
}

template <int N> __device__ __forceinline__ void cp_wait(void)
{
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

#endif
