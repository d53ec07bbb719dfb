/* cuda/decode_cuda.cu: see decode_cuda.h. One thread per anchor; a candidate takes the next
 * slot of its image with an atomic add (nms_cuda.cu orders them by score and anchor). The
 * arithmetic is decode.c's, operation for operation. */
#include <cuda_runtime.h>

#include "decode_cuda.h"
#include "cuda/chain.cuh"

__device__ __forceinline__ void put(struct yolo_cuda_cand *slot, int32_t a, int32_t cls, float conf,
                                    float cx, float cy, float w, float h)
{
    float hw = __fdiv_rn(w, 2.0f), hh = __fdiv_rn(h, 2.0f);
    *slot = (struct yolo_cuda_cand){ a, cls, conf, __fsub_rn(cx, hw), __fsub_rn(cy, hh),
                                     __fadd_rn(cx, hw), __fadd_rn(cy, hh) };
}

__global__ void decode_kernel(const float *out, int32_t v5, int64_t dim1, int64_t dim2, int64_t nc,
                              float c, const uint8_t *allowed, struct yolo_cuda_cand *cands,
                              int32_t *counts)
{
    yolo_cu_chain_enter();
    int64_t img = blockIdx.y;
    int64_t A = v5 ? dim1 : dim2;
    const float *y = out + img * dim1 * dim2;
    for (int64_t a = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; a < A;
         a += (int64_t)gridDim.x * blockDim.x) {
        float best, obj = 0.0f;
        int32_t arg = 0;
        int nan;
        if (v5) {
            const float *r = y + a * dim2;
            obj = r[4];
            if (!(obj > c))
                continue;
            best = __fmul_rn(r[5], obj);
            nan = best != best;
            for (int64_t k = 1; k < nc; k++) {
                float v = __fmul_rn(r[5 + k], obj);
                if (v > best) {
                    best = v;
                    arg = (int32_t)k;
                } else if (v != v) {
                    nan = 1;
                }
            }
        } else {
            const float *s = y + 4 * A + a;
            best = s[0];
            nan = best != best;
            for (int64_t k = 1; k < nc; k++) {
                float v = s[k * A];
                if (v > best) {
                    best = v;
                    arg = (int32_t)k;
                } else if (v != v) {
                    nan = 1;
                }
            }
        }
        if (nan || !(best > c) || (allowed && !allowed[arg]))
            continue;
        int32_t slot = atomicAdd(&counts[img], 1);
        struct yolo_cuda_cand *o = cands + img * A + slot;
        if (v5)
            put(o, (int32_t)a, arg, best, y[a * dim2], y[a * dim2 + 1], y[a * dim2 + 2],
                y[a * dim2 + 3]);
        else
            put(o, (int32_t)a, arg, best, y[a], y[A + a], y[2 * A + a], y[3 * A + a]);
    }
}

extern "C" int yolo_cuda_decode(const float *output, int32_t n, int32_t v5, int64_t dim1,
                                int64_t dim2, int64_t nc, float conf, const uint8_t *allowed,
                                struct yolo_cuda_cand *cands, int32_t *counts, void *stream)
{
    int64_t A = v5 ? dim1 : dim2;
    if (n < 1 || n > 65535 || A < 1 || nc < 1 || nc > (v5 ? dim2 - 5 : dim1 - 4))
        return (int)cudaErrorInvalidValue;
    cudaError_t e = cudaMemsetAsync(counts, 0, sizeof(int32_t) * (size_t)n, (cudaStream_t)stream);
    if (e != cudaSuccess)
        return (int)e;
    int64_t blocks = (A + 255) / 256;
    yolo_cu_launch(decode_kernel, dim3((unsigned)blocks, (unsigned)n), 256, 0, (cudaStream_t)stream,
                   output, v5, dim1, dim2, nc, conf, allowed, cands, counts);
    return (int)cudaGetLastError();
}
