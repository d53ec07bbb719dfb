/* cuda/nhwc_tile_out.cuh: the end of our channels-last tensor-core convolutions
 * (kernels_conv_nhwc.cu, kernels_conv_patch.cu): each warp's FP32 sums plus bias through the
 * activation into a shared FP32 tile [pixel][channel], then the tile out to y, 8 channels of
 * a pixel per 16-byte store where y is NHWC FP16 with 16-byte rows, else one element at a time
 * at y's strides (consecutive threads, consecutive pixels). CUDA C++. */
#ifndef YOLO_CUDA_NHWC_TILE_OUT_CUH
#define YOLO_CUDA_NHWC_TILE_OUT_CUH

#include "device.cuh"

int yolo_cu_conv_nhwc_y_vec(const struct yolo_cu_conv_nhwc *a);

/* acc[2][NF][4]: a warp's 32 pixels (rows r0..r0+31 of the tile) x NF * 8 channels (columns
 * c0..), mma.sync's accumulator layout; n0: the tile's first output channel; CP: the tile's
 * pitch in floats */
template <int NF, int CP>
__device__ __forceinline__ void nhwc_acc_to_tile(const struct yolo_cu_conv_nhwc &p,
                                                 const float (&acc)[2][NF][4], float *cs,
                                                 int r0, int c0, int n0, int lane)
{
    const int g = lane >> 2, t4 = lane & 3;
    with_act(p.act, [&](auto a) {
        constexpr int ACT = decltype(a)::value;
#pragma unroll
        for (int nt = 0; nt < NF; nt++) {
            int col = c0 + nt * 8 + t4 * 2, m = n0 + col;
            float b0 = p.bias && m < p.m ? p.bias[m] : 0.0f;
            float b1 = p.bias && m + 1 < p.m ? p.bias[m + 1] : 0.0f;
#pragma unroll
            for (int mt = 0; mt < 2; mt++)
#pragma unroll
                for (int hi = 0; hi < 2; hi++) {
                    int r = r0 + mt * 16 + g + hi * 8;
                    *(float2 *)&cs[r * CP + col] =
                        make_float2(act_fast_c<ACT>(acc[mt][nt][hi * 2] + b0),
                                    act_fast_c<ACT>(acc[mt][nt][hi * 2 + 1] + b1));
                }
        }
    });
}

/* The BM x BN tile (pitch CP) out; pixel_at(r) gives tile row r's offset in y (image and
 * pixel strides applied), or -1 where the row is no output pixel, res_at(r) its offset in
 * p.res (read only when p.res is set: the residual is added after the activation). NT
 * threads, NT % BM == 0. */
template <int BM, int BN, int CP, int NT, typename PixelAt, typename ResAt>
__device__ __forceinline__ void nhwc_tile_store(const struct yolo_cu_conv_nhwc &p,
                                                const float *cs, int n0, int tid,
                                                PixelAt pixel_at, ResAt res_at)
{
    const __half *res = (const __half *)p.res;
    if (p.y_vec) {
        constexpr int CPR = BN / 8;
#pragma unroll
        for (int j = tid; j < BM * CPR; j += NT) {
            int r = j / CPR, q = j % CPR, m = n0 + q * 8;
            int64_t y0 = pixel_at(r);
            if (m >= p.m || y0 < 0)
                continue;
            float v[8];
            *(float4 *)&v[0] = *(const float4 *)&cs[r * CP + q * 8];
            *(float4 *)&v[4] = *(const float4 *)&cs[r * CP + q * 8 + 4];
            if (res) {   /* 16-byte rows (the launcher checks) */
                uint4 b = *(const uint4 *)(res + res_at(r) + m);
                const __half2 *bh = (const __half2 *)&b;
#pragma unroll
                for (int k = 0; k < 4; k++) {
                    float2 f = __half22float2(bh[k]);
                    v[2 * k] += f.x;
                    v[2 * k + 1] += f.y;
                }
            }
            uint4 o;
            __half2 *oh = (__half2 *)&o;
#pragma unroll
            for (int k = 0; k < 4; k++)
                oh[k] = __floats2half2_rn(v[2 * k], v[2 * k + 1]);
            *(uint4 *)((__half *)p.y + y0 + m) = o;
        }
    } else {
        const int r = tid % BM;
        int64_t y0 = pixel_at(r), r0 = res ? res_at(r) : 0;
        if (y0 >= 0)
            for (int col = tid / BM; col < BN && n0 + col < p.m; col += NT / BM)
                st_f(p.y, p.y_st, y0 + (int64_t)(n0 + col) * p.yc,
                     cs[r * CP + col] + (res ? __half2float(res[r0 + n0 + col]) : 0.0f));
    }
}

#endif
