/* cuda/kernels_nhwc.cu: windows over channels-last (NHWC) tensors: SPPF's max pooling, the
 * neck's nearest 2x upsampling and the depthwise convolutions of YOLO11's head and attention.
 * A thread owns 8 channels of one output pixel (16 bytes in FP16, two 16-byte pieces in FP32)
 * where the rows allow it, else one channel. The comparisons are maxpool_kernel's
 * (kernels_math.cu), in its order. */
#include <float.h>

#include "chain.cuh"
#include "device.cuh"

/* V channels of output pixel (img, oy, ox) starting at channel c0 */
template <typename T, int V>
__global__ void maxpool_nhwc_kernel(const struct yolo_cu_nhwc_pool p)
{
    yolo_cu_chain_enter();
    const T *x = (const T *)p.x;
    T *y = (T *)p.y;
    int64_t cg = p.c / V, total = (int64_t)p.n * p.oh * p.ow * cg;
    YOLO_CU_FOR(i, total) {
        int64_t pix = i / cg, c0 = (i - pix * cg) * V;
        int64_t ox = pix % p.ow, t = pix / p.ow, oy = t % p.oh, img = t / p.oh;
        float m[V];
#pragma unroll
        for (int k = 0; k < V; k++)
            m[k] = -FLT_MAX;
        for (int32_t ky = 0; ky < p.kh; ky++) {
            int64_t iy = oy * p.sh - p.pt + (int64_t)ky * p.dh;
            if (iy < 0 || iy >= p.h)
                continue;
            for (int32_t kx = 0; kx < p.kw; kx++) {
                int64_t ix = ox * p.sw - p.pl + (int64_t)kx * p.dw;
                if (ix < 0 || ix >= p.w)
                    continue;
                const T *src = x + ((img * p.h + iy) * p.w + ix) * p.xp + c0;
                T v[V];
                if constexpr (V * sizeof(T) == 16)
                    *(uint4 *)v = *(const uint4 *)src;
                else if constexpr (V * sizeof(T) == 32) {
                    ((uint4 *)v)[0] = ((const uint4 *)src)[0];
                    ((uint4 *)v)[1] = ((const uint4 *)src)[1];
                } else {
                    for (int k = 0; k < V; k++)
                        v[k] = src[k];
                }
#pragma unroll
                for (int k = 0; k < V; k++) {
                    float f = (float)v[k];
                    m[k] = f > m[k] ? f : m[k];
                }
            }
        }
        T out[V];
#pragma unroll
        for (int k = 0; k < V; k++)
            out[k] = (T)m[k];
        T *dst = y + pix * p.yp + c0;
        if constexpr (V * sizeof(T) == 16)
            *(uint4 *)dst = *(const uint4 *)out;
        else if constexpr (V * sizeof(T) == 32) {
            ((uint4 *)dst)[0] = ((const uint4 *)out)[0];
            ((uint4 *)dst)[1] = ((const uint4 *)out)[1];
        } else {
            for (int k = 0; k < V; k++)
                dst[k] = out[k];
        }
    }
}

/* y pixel (img, oy, ox) = x pixel (img, oy / 2, ox / 2), V channels at a time; I: the index
 * type (32-bit divisions where the extents allow) */
template <typename T, int V, typename I>
__global__ void upsample2_nhwc_kernel(const struct yolo_cu_nhwc_pool p)
{
    yolo_cu_chain_enter();
    const T *x = (const T *)p.x;
    T *y = (T *)p.y;
    I cg = (I)(p.c / V), oh = 2 * (I)p.h, ow = 2 * (I)p.w;
    I total = (I)p.n * oh * ow * cg;
    for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (I)gridDim.x * blockDim.x) {
        I pix = i / cg, c0 = (i - pix * cg) * V;
        I ox = pix % ow, t = pix / ow, oy = t % oh, img = t / oh;
        const T *src = x + ((int64_t)(img * (I)p.h + oy / 2) * p.w + ox / 2) * p.xp + c0;
        T *dst = y + (int64_t)pix * p.yp + c0;
        if constexpr (V * sizeof(T) == 16) {
            *(uint4 *)dst = *(const uint4 *)src;
        } else {
            for (int k = 0; k < V; k++)
                dst[k] = src[k];
        }
    }
}

/* V channels of output pixel (img, oy, ox) from channel c0: bias, the window's products in
 * FP32 (tap order), the activation. I: uint32_t where every index fits (64-bit division is a
 * long software sequence; yolo11n_dq's head at batch 128 on an H100 ran its 3x3 depthwise
 * convolutions at a fifth of the memory's rate with 64-bit indices and the weights read
 * from global memory per tap). SW: the weights staged in shared memory as floats, [tap][c]. */
#define DW_SMEM_FLOATS 4096
template <int V, typename I, bool SW>
__global__ void dwconv_nhwc_kernel(const struct yolo_cu_nhwc_pool p)
{
    __shared__ float ws[SW ? DW_SMEM_FLOATS : 1];
    const __half *x = (const __half *)p.x, *wt = (const __half *)p.wt;
    const int taps = p.kh * p.kw;
    if (SW) {   /* the weights are made at load: staged before the wait (chain.cuh) */
        for (int i = threadIdx.x; i < p.c * taps; i += blockDim.x) {
            int ch = i / taps, t = i - ch * taps;
            ws[t * p.c + ch] = __half2float(wt[i]);
        }
        __syncthreads();
    }
    yolo_cu_chain_enter();
    __half *y = (__half *)p.y;
    I cg = (I)(p.c / V), total = (I)p.n * (I)p.oh * (I)p.ow * cg;
    for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (I)gridDim.x * blockDim.x) {
        I pix = i / cg, c0 = (i - pix * cg) * V;
        I ox = pix % (I)p.ow, t = pix / (I)p.ow, oy = t % (I)p.oh, img = t / (I)p.oh;
        float acc[V];
#pragma unroll
        for (int k = 0; k < V; k++)
            acc[k] = p.bias ? p.bias[c0 + k] : 0.0f;
        for (int32_t ky = 0; ky < p.kh; ky++) {
            int64_t iy = (int64_t)oy * p.sh - p.pt + (int64_t)ky * p.dh;
            if (iy < 0 || iy >= p.h)
                continue;
            for (int32_t kx = 0; kx < p.kw; kx++) {
                int64_t ix = (int64_t)ox * p.sw - p.pl + (int64_t)kx * p.dw;
                if (ix < 0 || ix >= p.w)
                    continue;
                I at = (((I)img * (I)p.h + (I)iy) * (I)p.w + (I)ix) * (I)p.xp + c0;
                __half v[V];
                if constexpr (V == 8) {
                    *(uint4 *)v = *(const uint4 *)(x + at);
                } else {
                    for (int k = 0; k < V; k++)
                        v[k] = x[at + k];
                }
                const int tap = ky * p.kw + kx;
#pragma unroll
                for (int k = 0; k < V; k++)
                    acc[k] = fmaf(__half2float(v[k]),
                                  SW ? ws[tap * p.c + c0 + k] : __half2float(wt[(c0 + k) * taps + tap]),
                                  acc[k]);
            }
        }
        __half out[V];
#pragma unroll
        for (int k = 0; k < V; k++)
            out[k] = __float2half_rn(act_fast(acc[k], p.act));
        __half *dst = y + (int64_t)pix * p.yp + c0;
        if constexpr (V == 8) {
            *(uint4 *)dst = *(const uint4 *)out;
        } else {
            for (int k = 0; k < V; k++)
                dst[k] = out[k];
        }
    }
}

/* The 3x3 depthwise convolution (YOLO11's head and attention), 8 channels of one output
 * pixel a thread: the generic kernel above loops over the taps at runtime, each load waiting
 * for the one before it, and splits its index four ways by division (yolo11n_dq's head at
 * batch 128 on an H100: 0.31 ms for 80 x 80 x 80, ~3.5x its bytes at the memory's pace).
 * Here the nine 16-byte loads are issued before any product, the index splits are a
 * multiply and a shift each (struct yolo_cu_div), and the weights are staged in shared memory
 * as floats [tap][c], read 4 at a time. Indices are 32-bit (the launcher checks). */
__global__ void dw3_nhwc_kernel(const struct yolo_cu_nhwc_pool p)
{
    __shared__ __align__(16) float ws[DW_SMEM_FLOATS];
    const __half *x = (const __half *)p.x, *wt = (const __half *)p.wt;
    /* the weights are made at load: staged before the wait (chain.cuh) */
    for (int i = threadIdx.x; i < p.c * 9; i += blockDim.x) {
        int ch = i / 9, t = i - ch * 9;
        ws[t * p.c + ch] = __half2float(wt[i]);
    }
    __syncthreads();
    yolo_cu_chain_enter();
    const int cg = p.c / 8, total = p.n * p.oh * p.ow * cg;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
        int pix = div_fast(i, p.div_cg), c0 = (i - pix * cg) * 8;
        int t = div_fast(pix, p.div_ow), ox = pix - t * p.ow;
        int img = div_fast(t, p.div_oh), oy = t - img * p.oh;
        int iy0 = oy * p.sh - p.pt, ix0 = ox * p.sw - p.pl;
        uint4 v[9];
#pragma unroll
        for (int ky = 0; ky < 3; ky++)
#pragma unroll
            for (int kx = 0; kx < 3; kx++) {
                int iy = iy0 + ky * p.dh, ix = ix0 + kx * p.dw;
                v[ky * 3 + kx] = make_uint4(0, 0, 0, 0);
                if ((unsigned)iy < (unsigned)p.h && (unsigned)ix < (unsigned)p.w)
                    v[ky * 3 + kx] = __ldg((const uint4 *)(x + ((uint32_t)(img * p.h + iy) *
                                                                 (uint32_t)p.w + (uint32_t)ix) *
                                                                    (uint32_t)p.xp + c0));
            }
        float acc[8];
#pragma unroll
        for (int k = 0; k < 8; k++)
            acc[k] = p.bias ? p.bias[c0 + k] : 0.0f;
#pragma unroll
        for (int tap = 0; tap < 9; tap++) {
            const __half *h = (const __half *)&v[tap];
            const float4 w0 = *(const float4 *)&ws[tap * p.c + c0];
            const float4 w1 = *(const float4 *)&ws[tap * p.c + c0 + 4];
            const float w[8] = { w0.x, w0.y, w0.z, w0.w, w1.x, w1.y, w1.z, w1.w };
#pragma unroll
            for (int k = 0; k < 8; k++)
                acc[k] = fmaf(__half2float(h[k]), w[k], acc[k]);
        }
        uint4 o;
        __half2 *ho = (__half2 *)&o;
        with_act(p.act, [&](auto a) {
            constexpr int ACT = decltype(a)::value;
#pragma unroll
            for (int k = 0; k < 4; k++)
                ho[k] = __floats2half2_rn(act_fast_c<ACT>(acc[2 * k]),
                                          act_fast_c<ACT>(acc[2 * k + 1]));
        });
        *(uint4 *)((__half *)p.y + (int64_t)pix * p.yp + c0) = o;
    }
}

/* 16-byte pieces where the channels, the row strides and the addresses allow */
static int nhwc_vec(const struct yolo_cu_nhwc_pool *p, int v)
{
    return p->c % v == 0 && p->xp % v == 0 && p->yp % v == 0 &&
           (((uintptr_t)p->x | (uintptr_t)p->y) & 15) == 0;
}

extern "C" int yolo_cu_maxpool_nhwc(const struct yolo_cu_nhwc_pool *p, yolo_cu_stream s)
{
    cudaStream_t st = (cudaStream_t)s;
    int64_t pixels = (int64_t)p->n * p->oh * p->ow;
    if (pixels == 0 || p->c == 0)
        return 0;
    if (p->st == YOLO_CU_F16 && nhwc_vec(p, 8))
        yolo_cu_launch(maxpool_nhwc_kernel<__half, 8>, yolo_cu_blocks(pixels * p->c / 8),
                       YOLO_CU_THREADS, 0, st, *p);
    else if (p->st == YOLO_CU_F16)
        yolo_cu_launch(maxpool_nhwc_kernel<__half, 1>, yolo_cu_blocks(pixels * p->c),
                       YOLO_CU_THREADS, 0, st, *p);
    else if (nhwc_vec(p, 8))
        yolo_cu_launch(maxpool_nhwc_kernel<float, 8>, yolo_cu_blocks(pixels * p->c / 8),
                       YOLO_CU_THREADS, 0, st, *p);
    else
        yolo_cu_launch(maxpool_nhwc_kernel<float, 1>, yolo_cu_blocks(pixels * p->c),
                       YOLO_CU_THREADS, 0, st, *p);
    return yolo_cu_status();
}

extern "C" int yolo_cu_upsample2_nhwc(const struct yolo_cu_nhwc_pool *p, yolo_cu_stream s)
{
    cudaStream_t st = (cudaStream_t)s;
    int64_t pixels = (int64_t)p->n * 4 * p->h * p->w;
    if (pixels == 0 || p->c == 0)
        return 0;
    bool small = pixels * p->c < INT32_MAX / 2;
    if (p->st == YOLO_CU_F16 && nhwc_vec(p, 8))
        yolo_cu_launch(small ? upsample2_nhwc_kernel<__half, 8, uint32_t>
                             : upsample2_nhwc_kernel<__half, 8, int64_t>,
                       yolo_cu_blocks(pixels * p->c / 8), YOLO_CU_THREADS, 0, st, *p);
    else if (p->st == YOLO_CU_F16)
        yolo_cu_launch(small ? upsample2_nhwc_kernel<__half, 1, uint32_t>
                             : upsample2_nhwc_kernel<__half, 1, int64_t>,
                       yolo_cu_blocks(pixels * p->c), YOLO_CU_THREADS, 0, st, *p);
    else if (nhwc_vec(p, 4))
        yolo_cu_launch(small ? upsample2_nhwc_kernel<float, 4, uint32_t>
                             : upsample2_nhwc_kernel<float, 4, int64_t>,
                       yolo_cu_blocks(pixels * p->c / 4), YOLO_CU_THREADS, 0, st, *p);
    else
        yolo_cu_launch(small ? upsample2_nhwc_kernel<float, 1, uint32_t>
                             : upsample2_nhwc_kernel<float, 1, int64_t>,
                       yolo_cu_blocks(pixels * p->c), YOLO_CU_THREADS, 0, st, *p);
    return yolo_cu_status();
}

extern "C" int yolo_cu_dwconv_nhwc(const struct yolo_cu_nhwc_pool *p, yolo_cu_stream s)
{
    cudaStream_t st = (cudaStream_t)s;
    int64_t pixels = (int64_t)p->n * p->oh * p->ow;
    if (p->st != YOLO_CU_F16)
        return (int)cudaErrorInvalidValue;
    if (pixels == 0 || p->c == 0)
        return 0;
    /* 32-bit indices: the loop's last step past the end, and every input offset, fit */
    bool small = pixels * p->c / 8 + (int64_t)65535 * 8 * YOLO_CU_THREADS < UINT32_MAX &&
                 (int64_t)p->n * p->h * p->w * p->xp < UINT32_MAX;
    bool sw = (int64_t)p->c * p->kh * p->kw <= DW_SMEM_FLOATS;
    if (nhwc_vec(p, 8) && small && sw && p->kh == 3 && p->kw == 3 &&
        pixels * p->c / 8 + (int64_t)65535 * 8 * YOLO_CU_THREADS < INT32_MAX &&
        (int64_t)p->n * p->h * p->w * p->xp < INT32_MAX) {
        struct yolo_cu_nhwc_pool a = *p;
        a.div_cg = yolo_cu_div_make((uint32_t)(a.c / 8));
        a.div_ow = yolo_cu_div_make((uint32_t)a.ow);
        a.div_oh = yolo_cu_div_make((uint32_t)a.oh);
        yolo_cu_launch(dw3_nhwc_kernel, yolo_cu_blocks(pixels * p->c / 8), YOLO_CU_THREADS, 0, st,
                       a);
    } else if (nhwc_vec(p, 8)) {
        unsigned b = yolo_cu_blocks(pixels * p->c / 8);
        if (small && sw)
            yolo_cu_launch(dwconv_nhwc_kernel<8, uint32_t, true>, b, YOLO_CU_THREADS, 0, st, *p);
        else
            yolo_cu_launch(dwconv_nhwc_kernel<8, int64_t, false>, b, YOLO_CU_THREADS, 0, st, *p);
    } else {
        yolo_cu_launch(dwconv_nhwc_kernel<1, int64_t, false>, yolo_cu_blocks(pixels * p->c),
                       YOLO_CU_THREADS, 0, st, *p);
    }
    return yolo_cu_status();
}

/* V channels of one row: bias and activation in FP32 */
template <int V>
__global__ void epilogue_nhwc_kernel(const __half *c, __half *y, const float *bias, int64_t rows,
                                     int32_t m, int64_t yp, int32_t act)
{
    yolo_cu_chain_enter();
    int64_t cg = m / V, total = rows * cg;
    YOLO_CU_FOR(i, total) {
        int64_t r = i / cg, c0 = (i - r * cg) * V;
        __half v[V];
        if constexpr (V == 8) {
            *(uint4 *)v = *(const uint4 *)(c + r * m + c0);
        } else {
            for (int k = 0; k < V; k++)
                v[k] = c[r * m + c0 + k];
        }
#pragma unroll
        for (int k = 0; k < V; k++)
            v[k] = __float2half_rn(act_fast(__half2float(v[k]) + (bias ? bias[c0 + k] : 0.0f),
                                            act));
        if constexpr (V == 8) {
            *(uint4 *)(y + r * yp + c0) = *(const uint4 *)v;
        } else {
            for (int k = 0; k < V; k++)
                y[r * yp + c0 + k] = v[k];
        }
    }
}

extern "C" int yolo_cu_epilogue_nhwc(const void *c, void *y, const float *bias, int64_t rows,
                                     int32_t m, int64_t yp, int32_t act, yolo_cu_stream s)
{
    if (rows == 0 || m == 0)
        return 0;
    cudaStream_t st = (cudaStream_t)s;
    if (m % 8 == 0 && yp % 8 == 0 && (((uintptr_t)c | (uintptr_t)y) & 15) == 0)
        yolo_cu_launch(epilogue_nhwc_kernel<8>, yolo_cu_blocks(rows * m / 8), YOLO_CU_THREADS, 0,
                       st, (const __half *)c, (__half *)y, bias, rows, m, yp, act);
    else
        yolo_cu_launch(epilogue_nhwc_kernel<1>, yolo_cu_blocks(rows * m), YOLO_CU_THREADS, 0, st,
                       (const __half *)c, (__half *)y, bias, rows, m, yp, act);
    return yolo_cu_status();
}
