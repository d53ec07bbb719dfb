/* cuda/letterbox_cuda.cu: see letterbox_cuda.h. One thread per output pixel computes what
 * postprocess/letterbox.c computes row by row: the source column and row with their 11-bit
 * weights (the same double and float operations, rounded the same way: no contraction into
 * FMA), the two horizontal sums, the fixed-point vertical blend, then x / 255 into the three
 * planes. */
#include <cuda_runtime.h>

#include "letterbox_cuda.h"
#include "cuda/chain.cuh"

#define COEF_BITS 11
#define COEF_SCALE (1 << COEF_BITS)
#define PAD_VALUE 114

/* saturate_cast<short>(v): round half to even */
__device__ __forceinline__ int coef_round(float v)
{
    int r = __float2int_rn(v);
    return r < -32768 ? -32768 : r > 32767 ? 32767 : r;
}

/* Source index and weights of output coordinate o: (o + 0.5) * scale - 0.5 in double, then
 * float, exactly as resize_core does it (no fused multiply-add). */
__device__ __forceinline__ void taps(int o, double scale, int *s, float *f)
{
    float fx = (float)__dadd_rn(__dmul_rn(__dadd_rn((double)o, 0.5), scale), -0.5);
    int sx = (int)floorf(fx);
    *f = __fsub_rn(fx, (float)sx);
    *s = sx;
}

/* One image of a batch, its resize ratios (1 / scale) and its 2x2 INTER_AREA flag worked out
 * on the host. */
struct lb_item {
    struct yolo_cuda_lb p;
    double scale_x, scale_y;
    int area2;
};

/* Up to LB_BATCH images per launch, image blockIdx.y: one launch per frame left the tail of
 * each small grid (1.5 waves of blocks on an H100 for 640 x 640) idle before the next frame's
 * could start, 32 times a batch. */
#define LB_BATCH 32
struct lb_batch {
    struct lb_item it[LB_BATCH];
};

__global__ void letterbox_kernel(const struct lb_batch b)
{
    yolo_cu_chain_enter();
    const struct yolo_cuda_lb &p = b.it[blockIdx.y].p;
    const double scale_x = b.it[blockIdx.y].scale_x, scale_y = b.it[blockIdx.y].scale_y;
    const int area2 = b.it[blockIdx.y].area2;
    int64_t n = (int64_t)p.dst_w * p.dst_h;
    int64_t plane = n;
    const float padv = (float)PAD_VALUE / 255.0f;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x) {
        int y = (int)(i / p.dst_w), x = (int)(i - (int64_t)y * p.dst_w);
        int dy = y - p.pad_top, dx = x - p.pad_left;
        if (dy < 0 || dy >= p.new_h || dx < 0 || dx >= p.new_w) {
            p.dst[i] = padv;
            p.dst[plane + i] = padv;
            p.dst[2 * plane + i] = padv;
            continue;
        }
        int v[3];
        if (p.new_w == p.src_w && p.new_h == p.src_h) {
            const uint8_t *s = p.src + dy * p.src_stride + dx * 3;
            v[0] = s[0], v[1] = s[1], v[2] = s[2];
        } else if (area2) {
            const uint8_t *s0 = p.src + 2 * dy * p.src_stride + 2 * dx * 3, *s1 = s0 + p.src_stride;
            for (int k = 0; k < 3; k++)
                v[k] = (s0[k] + s0[k + 3] + s1[k] + s1[k + 3] + 2) >> 2;
        } else {
            int sx, sy;
            float fx, fy;
            taps(dx, scale_x, &sx, &fx);
            taps(dy, scale_y, &sy, &fy);
            /* the columns: clamped at the left; from the first one whose right neighbour is
             * outside the image, the edge pixel alone at full weight */
            int edge = sx + 1 >= p.src_w;
            if (sx < 0) {
                fx = 0.f;
                sx = 0;
            }
            if (sx >= p.src_w - 1) {
                fx = 0.f;
                sx = p.src_w - 1;
            }
            edge |= sx + 1 >= p.src_w;
            int a0 = coef_round(__fmul_rn(__fsub_rn(1.f, fx), (float)COEF_SCALE));
            int a1 = coef_round(__fmul_rn(fx, (float)COEF_SCALE));
            int b0 = coef_round(__fmul_rn(__fsub_rn(1.f, fy), (float)COEF_SCALE));
            int b1 = coef_round(__fmul_rn(fy, (float)COEF_SCALE));
            int r0 = sy < 0 ? 0 : sy >= p.src_h ? p.src_h - 1 : sy;
            int r1 = sy + 1 < 0 ? 0 : sy + 1 >= p.src_h ? p.src_h - 1 : sy + 1;
            const uint8_t *q0 = p.src + r0 * p.src_stride + sx * 3;
            const uint8_t *q1 = p.src + r1 * p.src_stride + sx * 3;
            for (int k = 0; k < 3; k++) {
                int h0 = edge ? q0[k] * COEF_SCALE : q0[k] * a0 + q0[k + 3] * a1;
                int h1 = edge ? q1[k] * COEF_SCALE : q1[k] * a0 + q1[k + 3] * a1;
                v[k] = (((b0 * (h0 >> 4)) >> 16) + ((b1 * (h1 >> 4)) >> 16) + 2) >> 2;
            }
        }
        /* planes R, G, B from BGR or RGB pixels; a true division as torch's x / 255 */
        p.dst[i] = (float)v[p.bgr ? 2 : 0] / 255.0f;
        p.dst[plane + i] = (float)v[1] / 255.0f;
        p.dst[2 * plane + i] = (float)v[p.bgr ? 0 : 2] / 255.0f;
    }
}

static int lb_item_make(const struct yolo_cuda_lb *p, struct lb_item *it)
{
    if (!p->src || !p->dst || p->src_w < 1 || p->src_h < 1 || p->new_w < 1 || p->new_h < 1 ||
        p->dst_w < 1 || p->dst_h < 1)
        return (int)cudaErrorInvalidValue;
    double sx = 1.0 / ((double)p->new_w / p->src_w), sy = 1.0 / ((double)p->new_h / p->src_h);
    double ix = rint(sx), iy = rint(sy);
    it->p = *p;
    it->scale_x = sx;
    it->scale_y = sy;
    /* cv::resize takes an exact 2x2 reduction as INTER_AREA (letterbox.c's is_area2) */
    it->area2 = fabs(sx - ix) < 2.220446049250313e-16 && fabs(sy - iy) < 2.220446049250313e-16 &&
                ix == 2 && iy == 2;
    return 0;
}

extern "C" int yolo_cuda_letterbox_batch(const struct yolo_cuda_lb *p, int32_t n, void *stream)
{
    for (int32_t i0 = 0; i0 < n; i0 += LB_BATCH) {
        int32_t k = n - i0 < LB_BATCH ? n - i0 : LB_BATCH;
        struct lb_batch b;
        int64_t most = 0;
        for (int32_t i = 0; i < k; i++) {
            int e = lb_item_make(&p[i0 + i], &b.it[i]);
            if (e)
                return e;
            int64_t px = (int64_t)p[i0 + i].dst_w * p[i0 + i].dst_h;
            most = px > most ? px : most;
        }
        int64_t blocks = (most + 255) / 256;
        dim3 grid((unsigned)(blocks > 65535 * 8 ? 65535 * 8 : blocks), (unsigned)k);
        yolo_cu_launch(letterbox_kernel, grid, 256, 0, (cudaStream_t)stream, b);
        int e = (int)cudaGetLastError();
        if (e)
            return e;
    }
    return 0;
}

extern "C" int yolo_cuda_letterbox(const struct yolo_cuda_lb *p, void *stream)
{
    return yolo_cuda_letterbox_batch(p, 1, stream);
}
