/* cuda/kernels_conv_stem.cu: the stem of a YOLO: a 3x3 stride-2 convolution of the
 * 3-channel NCHW image into channels-last FP16, one thread per output pixel, FP32 products,
 * bias and activation fused.
 *
 * Why its own kernel: the image is the largest tensor a YOLO reads (FP32, 629 MB at batch
 * 128 for 640 x 640) and its convolution is tiny (27 products per output). The tensor-core
 * kernels pad 3 channels to 8 or 16, so each output costs 5x its products, and gather the
 * NCHW input one element per (pixel, tap) through a runtime storage switch: yolov8n_dq's
 * stem took 1.44 ms at batch 128 on an H100 (profile, session 22), where reading the image
 * and writing 16 FP16 channels per pixel is ~0.3 ms of memory traffic.
 *
 * How: a thread loads its 27 inputs (3 channels x 3 x 3 taps, zeros outside the image), all
 * of them before any product, so they are in flight together; a warp's 32 neighbouring
 * outputs read 2 x 32 + 1 consecutive elements of each input row. The weights and bias
 * travel in the launch's parameters: every thread of the grid reads the same weight at the
 * same time, and a parameter in the constant bank is an operand of the FMA itself (no load,
 * no shared memory). The M outputs of a pixel leave as M / 8 16-byte stores. */
#include <cuda_fp16.h>

#include "chain.cuh"
#include "device.cuh"

#define STEM_THREADS 256
#define STEM_TAPS 27                   /* 3 channels x 3 x 3 */

template <int M, typename XT>
__global__ void __launch_bounds__(STEM_THREADS) stem_kernel(const struct yolo_cu_conv_stem p)
{
    yolo_cu_chain_enter();
    const int32_t pixels = p.oh * p.ow, total = p.n * pixels, plane = p.h * p.w;
    for (int32_t q = blockIdx.x * blockDim.x + threadIdx.x; q < total;
         q += gridDim.x * blockDim.x) {
        int32_t img = div_fast(q, p.div_pixels), pix = q - img * pixels;
        int32_t oy = div_fast(pix, p.div_ow), ox = pix - oy * p.ow;
        int32_t iy0 = oy * 2 - p.ph, ix0 = ox * 2 - p.pw;
        const XT *x = (const XT *)p.x + (int64_t)img * p.xn;
        float v[STEM_TAPS];
#pragma unroll
        for (int ky = 0; ky < 3; ky++) {
            int32_t iy = iy0 + ky;
#pragma unroll
            for (int kx = 0; kx < 3; kx++) {
                int32_t ix = ix0 + kx, at = iy * p.w + ix;
                bool in = (unsigned)iy < (unsigned)p.h && (unsigned)ix < (unsigned)p.w;
#pragma unroll
                for (int c = 0; c < 3; c++) {
                    v[c * 9 + ky * 3 + kx] = 0.0f;
                    if (in)
                        v[c * 9 + ky * 3 + kx] = ld_as_float(x + c * plane + at);
                }
            }
        }
        float acc[M];
#pragma unroll
        for (int j = 0; j < M; j++)
            acc[j] = p.bias[j];
#pragma unroll
        for (int t = 0; t < STEM_TAPS; t++)
#pragma unroll
            for (int j = 0; j < M; j++)
                acc[j] = fmaf(p.wt[j * STEM_TAPS + t], v[t], acc[j]);
        __half *y = (__half *)p.y + (int64_t)img * p.yn + (int64_t)pix * p.yp;
        with_act(p.act, [&](auto a) {
            constexpr int ACT = decltype(a)::value;
#pragma unroll
            for (int j = 0; j < M; j += 8) {
                uint4 o;
                __half2 *h = (__half2 *)&o;
#pragma unroll
                for (int k = 0; k < 4; k++)
                    h[k] = __floats2half2_rn(act_fast_c<ACT>(acc[j + 2 * k]),
                                             act_fast_c<ACT>(acc[j + 2 * k + 1]));
                *(uint4 *)(y + j) = o;
            }
        });
    }
}

extern "C" int yolo_cu_conv_stem_ok(const struct yolo_cu_conv_stem *p)
{
    int64_t plane = (int64_t)p->h * p->w, total = (int64_t)p->n * p->oh * p->ow;
    return p->n > 0 && p->h > 0 && p->w > 0 && p->oh > 0 && p->ow > 0 &&
           (p->m == 16 || p->m == YOLO_CU_STEM_MAXM) &&
           (p->x_st == YOLO_CU_F32 || p->x_st == YOLO_CU_F16) && p->ph >= 0 && p->pw >= 0 &&
           p->ph <= 2 && p->pw <= 2 && 3 * plane < INT32_MAX / 2 && total < INT32_MAX / 2 &&
           p->xn >= 3 * plane && p->yp >= p->m && p->yp % 8 == 0 && p->yn >= total / p->n * p->yp &&
           ((uintptr_t)p->y & 15) == 0;
}

extern "C" int yolo_cu_conv_stem(const struct yolo_cu_conv_stem *p, yolo_cu_stream s)
{
    if (!yolo_cu_conv_stem_ok(p))
        return (int)cudaErrorInvalidValue;
    struct yolo_cu_conv_stem a = *p;
    a.div_pixels = yolo_cu_div_make((uint32_t)(a.oh * a.ow));
    a.div_ow = yolo_cu_div_make((uint32_t)a.ow);
    unsigned blocks = yolo_cu_blocks((int64_t)a.n * a.oh * a.ow);
    cudaStream_t st = (cudaStream_t)s;
    if (a.m == 16 && a.x_st == YOLO_CU_F32)
        yolo_cu_launch(stem_kernel<16, float>, blocks, STEM_THREADS, 0, st, a);
    else if (a.m == 16)
        yolo_cu_launch(stem_kernel<16, __half>, blocks, STEM_THREADS, 0, st, a);
    else if (a.x_st == YOLO_CU_F32)
        yolo_cu_launch(stem_kernel<YOLO_CU_STEM_MAXM, float>, blocks, STEM_THREADS, 0, st, a);
    else
        yolo_cu_launch(stem_kernel<YOLO_CU_STEM_MAXM, __half>, blocks, STEM_THREADS, 0, st, a);
    return yolo_cu_status();
}
