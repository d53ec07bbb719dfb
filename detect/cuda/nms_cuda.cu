/* cuda/nms_cuda.cu: see nms_cuda.h. The arithmetic is postprocess/nms.c's and decode.c's,
 * operation for operation: the explicit-rounding intrinsics keep nvcc from fusing a multiply
 * and an add into one FMA, which would round differently from the CPU. */
#include <cuda_runtime.h>

#include "nms_cuda.h"
#include "cuda/chain.cuh"

#define RANK_THREADS 256
#define NMS_THREADS 256     /* candidates per chunk; the in-chunk mask is NMS_THREADS^2 bits */
#define MASK_WORDS (NMS_THREADS / 32)

/* numpy.maximum / minimum: NaN if either is NaN (nms.c's max_np / min_np). */
__device__ __forceinline__ float max_np(float a, float b) { return (a != a || a > b) ? a : b; }
__device__ __forceinline__ float min_np(float a, float b) { return (a != a || a < b) ? a : b; }

struct obox { float x1, y1, x2, y2, area; };   /* class-offset corners and area */

/* IoU of a (the earlier, kept box) with b above iou: nms.c's expression. */
__device__ __forceinline__ bool iou_above(const struct obox &a, const struct obox &b, double iou)
{
    float w = max_np(0.0f, __fsub_rn(min_np(a.x2, b.x2), max_np(a.x1, b.x1)));
    float h = max_np(0.0f, __fsub_rn(min_np(a.y2, b.y2), max_np(a.y1, b.y1)));
    float inter = __fmul_rn(w, h);
    float ovr = __fdiv_rn(inter, __fsub_rn(__fadd_rn(a.area, b.area), inter));
    return (double)ovr > iou;
}

__device__ __forceinline__ struct obox offset_box(const struct yolo_cuda_cand &c, float max_wh)
{
    float off = __fmul_rn((float)c.cls, max_wh);
    struct obox b;
    b.x1 = __fadd_rn(c.x1, off);
    b.y1 = __fadd_rn(c.y1, off);
    b.x2 = __fadd_rn(c.x2, off);
    b.y2 = __fadd_rn(c.y2, off);
    b.area = __fmul_rn(__fsub_rn(b.x2, b.x1), __fsub_rn(b.y2, b.y1));
    return b;
}

/* Each candidate's place in nms.c's order (score descending, ties by anchor: the stable sort
 * of anchor-ordered candidates) is the number of candidates before it; those placed below
 * max_nms are scattered there. n^2 comparisons per image, in shared-memory tiles: ~10 us for
 * 8400 candidates, and the usual few hundred cost nothing. */
__global__ void rank_kernel(const struct yolo_cuda_cand *cands, const int32_t *counts, int64_t A,
                            int64_t max_nms, struct yolo_cuda_cand *sorted)
{
    yolo_cu_chain_enter();
    __shared__ float ss[RANK_THREADS];
    __shared__ int32_t sa[RANK_THREADS];
    int64_t img = blockIdx.y, n = counts[img];
    if ((int64_t)blockIdx.x * RANK_THREADS >= n)
        return;   /* the whole block: no barrier is skipped by part of it */
    const struct yolo_cuda_cand *c = cands + img * A;
    int64_t i = (int64_t)blockIdx.x * RANK_THREADS + threadIdx.x;
    float si = i < n ? c[i].conf : 0.0f;
    int32_t ai = i < n ? c[i].anchor : 0;
    int64_t r = 0;
    for (int64_t base = 0; base < n; base += RANK_THREADS) {
        int64_t j = base + threadIdx.x;
        if (j < n) {
            ss[threadIdx.x] = c[j].conf;
            sa[threadIdx.x] = c[j].anchor;
        }
        __syncthreads();
        int lim = n - base < RANK_THREADS ? (int)(n - base) : RANK_THREADS;
        for (int k = 0; k < lim; k++)
            r += (ss[k] > si) | ((ss[k] == si) & (sa[k] < ai));
        __syncthreads();
    }
    if (i < n && r < max_nms)
        sorted[img * A + r] = c[i];
}

/* Greedy NMS of one image per block over its sorted candidates, NMS_THREADS at a time: each
 * thread drops its candidate if a box kept in an earlier chunk overlaps it; the chunk's
 * overlaps form a bit matrix; one thread then walks the chunk in order, keeping what no kept
 * box suppressed. Same kept set and order as nms.c (suppression does not depend on the order
 * in which the pairs are tested). */
__global__ void nms_kernel(const struct yolo_cuda_cand *sorted, const int32_t *counts, int64_t A,
                           struct yolo_cuda_nms_args g, struct obox *kept_boxes, uint8_t *out)
{
    yolo_cu_chain_enter();
    __shared__ struct obox box[NMS_THREADS];
    __shared__ uint32_t mask[NMS_THREADS][MASK_WORDS];
    __shared__ uint8_t alive[NMS_THREADS];
    __shared__ int32_t n_kept;
    int64_t img = blockIdx.x;
    int64_t n = counts[img] < g.max_nms ? counts[img] : g.max_nms;
    const struct yolo_cuda_cand *c = sorted + img * A;
    struct obox *kb = kept_boxes + img * g.max_det;
    int32_t *head = (int32_t *)(out + img * g.out_stride);
    struct yolo_cuda_box *dst = (struct yolo_cuda_box *)(head + 2);
    int t = threadIdx.x;
    if (t == 0)
        n_kept = 0;
    __syncthreads();
    for (int64_t base = 0; base < n && n_kept < g.max_det; base += NMS_THREADS) {
        int lim = n - base < NMS_THREADS ? (int)(n - base) : NMS_THREADS;
        bool live = t < lim;
        if (live) {
            box[t] = offset_box(c[base + t], g.max_wh);
            for (int32_t k = 0; k < n_kept && live; k++)
                live = !iou_above(kb[k], box[t], g.iou);
        }
        alive[t] = live;
        __syncthreads();
        for (int w = 0; w < MASK_WORDS; w++) {
            uint32_t bits = 0;
            for (int b = 0; b < 32 && live; b++) {
                int j = w * 32 + b;
                if (j > t && j < lim && alive[j] && iou_above(box[t], box[j], g.iou))
                    bits |= 1u << b;
            }
            mask[t][w] = bits;
        }
        __syncthreads();
        if (t == 0) {
            uint32_t removed[MASK_WORDS] = { 0 };
            int32_t k = n_kept;
            for (int i = 0; i < lim && k < g.max_det; i++) {
                if (!alive[i] || (removed[i / 32] >> (i % 32) & 1u))
                    continue;
                const struct yolo_cuda_cand *o = &c[base + i];
                dst[k] = (struct yolo_cuda_box){ o->cls, o->conf, o->x1, o->y1, o->x2, o->y2 };
                kb[k++] = box[i];
                for (int w = 0; w < MASK_WORDS; w++)
                    removed[w] |= mask[i][w];
            }
            n_kept = k;
        }
        __syncthreads();
    }
    if (t == 0) {
        head[0] = n_kept;
        head[1] = 0;
    }
}

/* End-to-end rows [N, stride]: decode.c's decode_e2e by one warp per image, 32 rows at a
 * time; ballots keep the model's row order. */
__global__ void e2e_kernel(const float *output, int64_t N, int64_t stride,
                           struct yolo_cuda_nms_args g, const uint8_t *allowed, uint8_t *out)
{
    yolo_cu_chain_enter();
    int64_t img = blockIdx.x;
    const float *y = output + img * N * stride;
    int32_t *head = (int32_t *)(out + img * g.out_stride);
    struct yolo_cuda_box *dst = (struct yolo_cuda_box *)(head + 2);
    unsigned lane = threadIdx.x, below = (1u << lane) - 1u;
    int64_t taken = 0;
    int32_t n = 0, invalid = 0;
    for (int64_t base = 0; base < N && taken < g.max_det; base += 32) {
        int64_t i = base + lane;
        const float *r = y + i * stride;
        bool pass = i < N && r[4] > g.conf;
        unsigned vote = __ballot_sync(0xffffffffu, pass);
        bool take = pass && taken + __popc(vote & below) < g.max_det;
        taken += __popc(vote);
        bool valid = false;
        int32_t cls = 0;
        if (take) {
            float fc = r[5];
            valid = fc > -2147483648.0f && fc < 2147483648.0f;
            cls = valid ? (int32_t)fc : 0;
            if (valid && g.nc > 0)
                valid = cls >= 0 && cls < g.nc;
            valid = valid && isfinite(r[0]) && isfinite(r[1]) && isfinite(r[2]) &&
                    isfinite(r[3]) && isfinite(r[4]);
        }
        invalid += __popc(__ballot_sync(0xffffffffu, take && !valid));
        bool keep = take && valid && (!allowed || (cls >= 0 && cls < g.nc && allowed[cls]));
        unsigned kv = __ballot_sync(0xffffffffu, keep);
        int32_t at = n + __popc(kv & below);
        if (keep && at < g.max_det)
            dst[at] = (struct yolo_cuda_box){ cls, r[4], r[0], r[1], r[2], r[3] };
        n += __popc(kv);
    }
    if (lane == 0) {
        head[0] = n < g.max_det ? n : g.max_det;
        head[1] = invalid;
    }
}

extern "C" int yolo_cuda_nms(const struct yolo_cuda_cand *cands, const int32_t *counts,
                             int32_t n, int64_t A, const struct yolo_cuda_nms_args *g,
                             struct yolo_cuda_cand *sorted, void *kept_boxes, uint8_t *out,
                             void *stream)
{
    if (n < 1 || n > 65535 || A < 1 || A > INT32_MAX || g->max_det < 1 || g->max_nms < 1)
        return (int)cudaErrorInvalidValue;
    cudaStream_t s = (cudaStream_t)stream;
    unsigned blocks = (unsigned)((A + RANK_THREADS - 1) / RANK_THREADS);
    yolo_cu_launch(rank_kernel, dim3(blocks, (unsigned)n), RANK_THREADS, 0, s, cands, counts, A,
                   g->max_nms, sorted);
    yolo_cu_launch(nms_kernel, (unsigned)n, NMS_THREADS, 0, s, sorted, counts, A, *g,
                   (struct obox *)kept_boxes, out);
    return (int)cudaGetLastError();
}

extern "C" int yolo_cuda_e2e(const float *output, int32_t n, int64_t N, int64_t stride,
                             const struct yolo_cuda_nms_args *g, const uint8_t *allowed,
                             uint8_t *out, void *stream)
{
    if (n < 1 || n > 65535 || N < 1 || stride < 6 || g->max_det < 1)
        return (int)cudaErrorInvalidValue;
    yolo_cu_launch(e2e_kernel, (unsigned)n, 32, 0, (cudaStream_t)stream, output, N, stride, *g,
                   allowed, out);
    return (int)cudaGetLastError();
}

extern "C" size_t yolo_cuda_kept_box_bytes(void) { return sizeof(struct obox); }
