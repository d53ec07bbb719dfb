/* cuda/kernels_attn.cu: YOLO11's attention (C2PSA) as one kernel: for each image and head,
 * y[d][i] = sum_j v[d][j] * softmax_j(scale * sum_c q[c][i] * k[c][j]), with q and k [dk][l],
 * v and y [dv][l], l tokens (400 at 640 x 640).
 *
 * Why: run as the graph writes it (Transpose, MatMul, Mul, Softmax, Transpose, MatMul) the
 * [l][l] scores make five passes through memory: 1.35 ms of yolo11n_dq's 13.9 at batch 128 on
 * an H100 (session 22's profile). Here they never leave the block: a block takes 64 queries
 * of one head, walks the keys 32 at a time, and keeps a running softmax (the maximum so far,
 * the sum of exponentials, the output rescaled when the maximum grows), as FlashAttention
 * does. FP32 products and exponentials, whatever the storage; the sums run in another order
 * than the separate nodes', so results agree to rounding.
 *
 * Threads: 256 as 16 x 16; thread (ty, tx) keeps scores of queries ty * 4 .. + 3 for keys
 * tx * 2, + 1 of the current 32, and outputs of the same queries for dims tx * 4 .. + 3. A
 * query's 32 scores lie in the 16 lanes of one half warp: its maximum and sum are shuffles. */
#include <cuda_fp16.h>

#include "chain.cuh"
#include "device.cuh"

#define ATT_Q 64                       /* queries per block */
#define ATT_K 32                       /* keys per step */
#define ATT_DK 32                      /* q and k rows */
#define ATT_DV 64                      /* v rows */

template <typename T>
__global__ void __launch_bounds__(256) attn_kernel(const struct yolo_cu_attn p)
{
    __shared__ __align__(16) float qs[ATT_DK][ATT_Q + 4];    /* [c][query] */
    __shared__ __align__(16) float ks[ATT_DK][ATT_K + 4];    /* [c][key] */
    __shared__ __align__(16) float vs[ATT_K][ATT_DV + 4];    /* [key][d] */
    __shared__ __align__(16) float ps[ATT_K][ATT_Q + 4];     /* [key][query]: probabilities */
    yolo_cu_chain_enter();
    const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
    const int32_t l = p.l, q0 = blockIdx.x * ATT_Q;
    const int64_t head = blockIdx.y;
    const T *q = (const T *)p.q + head * ATT_DK * l, *k = (const T *)p.k + head * ATT_DK * l;
    const T *v = (const T *)p.v + head * ATT_DV * l;
    for (int e = tid; e < ATT_DK * ATT_Q; e += 256) {
        int c = e / ATT_Q, i = e % ATT_Q;
        qs[c][i] = q0 + i < l ? ld_as_float(q + (int64_t)c * l + q0 + i) : 0.0f;
    }
    float o[4][4] = {}, mx[4], sum[4];
#pragma unroll
    for (int i = 0; i < 4; i++)
        mx[i] = -INFINITY, sum[i] = 0.0f;
    for (int32_t k0 = 0; k0 < l; k0 += ATT_K) {
        __syncthreads();   /* the previous step's ks, vs and ps are read */
        for (int e = tid; e < ATT_DK * ATT_K; e += 256) {
            int c = e / ATT_K, j = e % ATT_K;
            ks[c][j] = k0 + j < l ? ld_as_float(k + (int64_t)c * l + k0 + j) : 0.0f;
        }
        for (int e = tid; e < ATT_DV * ATT_K; e += 256) {
            int d = e / ATT_K, j = e % ATT_K;
            vs[j][d] = k0 + j < l ? ld_as_float(v + (int64_t)d * l + k0 + j) : 0.0f;
        }
        __syncthreads();
        float s[4][2] = {};
#pragma unroll 8
        for (int c = 0; c < ATT_DK; c++) {
            float4 a = *(const float4 *)&qs[c][ty * 4];
            float2 b = *(const float2 *)&ks[c][tx * 2];
            const float av[4] = { a.x, a.y, a.z, a.w };
#pragma unroll
            for (int i = 0; i < 4; i++) {
                s[i][0] = fmaf(av[i], b.x, s[i][0]);
                s[i][1] = fmaf(av[i], b.y, s[i][1]);
            }
        }
        const bool in0 = k0 + tx * 2 < l, in1 = k0 + tx * 2 + 1 < l;
#pragma unroll
        for (int i = 0; i < 4; i++) {
            /* the graph's Mul after its MatMul: scale the finished dot product */
            s[i][0] = in0 ? s[i][0] * p.scale : -INFINITY;
            s[i][1] = in1 ? s[i][1] * p.scale : -INFINITY;
            float m = fmaxf(s[i][0], s[i][1]);
#pragma unroll
            for (int off = 8; off > 0; off >>= 1)
                m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, off));
            float mnew = fmaxf(mx[i], m), alpha = expf(mx[i] - mnew);
            float e0 = expf(s[i][0] - mnew), e1 = expf(s[i][1] - mnew), rs = e0 + e1;
#pragma unroll
            for (int off = 8; off > 0; off >>= 1)
                rs += __shfl_xor_sync(0xffffffffu, rs, off);
            sum[i] = sum[i] * alpha + rs;
            mx[i] = mnew;
#pragma unroll
            for (int j = 0; j < 4; j++)
                o[i][j] *= alpha;
            ps[tx * 2][ty * 4 + i] = e0;
            ps[tx * 2 + 1][ty * 4 + i] = e1;
        }
        __syncthreads();
#pragma unroll 8
        for (int j = 0; j < ATT_K; j++) {
            outer4_fma(o, *(const float4 *)&ps[j][ty * 4], *(const float4 *)&vs[j][tx * 4]);
        }
    }
#pragma unroll
    for (int i = 0; i < 4; i++) {
        int32_t qi = q0 + ty * 4 + i;
        if (qi >= l)
            continue;
#pragma unroll
        for (int d = 0; d < 4; d++)
            st_f(p.y, p.y_st, (head * ATT_DV + tx * 4 + d) * l + qi, o[i][d] / sum[i]);
    }
}

extern "C" int yolo_cu_attn_ok(const struct yolo_cu_attn *p)
{
    return p->heads > 0 && p->heads <= 65535 && p->l > 0 && p->l <= 65535 * ATT_Q &&
           p->dk == ATT_DK && p->dv == ATT_DV && p->q_st == p->k_st && p->q_st == p->v_st &&
           (p->q_st == YOLO_CU_F32 || p->q_st == YOLO_CU_F16) &&
           (p->y_st == YOLO_CU_F32 || p->y_st == YOLO_CU_F16);
}

extern "C" int yolo_cu_attn(const struct yolo_cu_attn *p, yolo_cu_stream s)
{
    if (!yolo_cu_attn_ok(p))
        return (int)cudaErrorInvalidValue;
    dim3 grid((unsigned)((p->l + ATT_Q - 1) / ATT_Q), (unsigned)p->heads);
    if (p->q_st == YOLO_CU_F16)
        yolo_cu_launch(attn_kernel<__half>, grid, 256, 0, (cudaStream_t)s, *p);
    else
        yolo_cu_launch(attn_kernel<float>, grid, 256, 0, (cudaStream_t)s, *p);
    return yolo_cu_status();
}
