/* cuda/pre_cuda.c: see pre_cuda.h. */
#include <cuda_runtime_api.h>
#include <string.h>

#include "letterbox_cuda.h"
#include "pool.h"
#include "pre_cuda.h"

/* The host copies into page-locked memory, split by rows over the pool's threads: at 1280x720
 * one image is 2.8 MB, and one thread's memcpy of a batch was most of the upload time. */
struct copy_job {
    const struct yolo_image_view *imgs;
    int32_t n;
    uint8_t *pinned;
};

static void copy_rows(void *arg, int ith, int nth)
{
    const struct copy_job *j = arg;
    size_t at = 0;
    for (int32_t i = 0; i < j->n; i++) {
        const struct yolo_image_view *im = &j->imgs[i];
        size_t row = (size_t)im->width * 3;
        int32_t y0 = (int32_t)((int64_t)im->height * ith / nth);
        int32_t y1 = (int32_t)((int64_t)im->height * (ith + 1) / nth);
        for (int32_t y = y0; y < y1; y++)
            memcpy(j->pinned + at + (size_t)y * row, im->data + (size_t)y * im->stride_bytes, row);
        at += row * (size_t)im->height;
    }
}

static int grow(struct yolo_cuda_pre *p, size_t need, struct yolo_diag *d)
{
    if (need <= p->cap)
        return 0;
    /* the old buffers may still feed a copy queued by the previous batch */
    cudaStreamSynchronize((cudaStream_t)p->stream);
    cudaFreeHost(p->pinned);
    cudaFree(p->dev);
    p->pinned = NULL;
    p->dev = NULL;
    p->cap = 0;
    size_t cap = need + need / 4;
    cudaError_t e = cudaHostAlloc((void **)&p->pinned, cap, cudaHostAllocDefault);
    if (e == cudaSuccess)
        e = cudaMalloc((void **)&p->dev, cap);
    if (e != cudaSuccess) {
        cudaFreeHost(p->pinned);
        p->pinned = NULL;
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "cuda: %zu bytes of image staging: %s", cap,
                             cudaGetErrorString(e));
    }
    p->cap = cap;
    return 0;
}

int yolo_cuda_pre_run(struct yolo_cuda_pre *p, const struct yolo_image_view *imgs,
                      const struct yolo_letterbox_geom *geom, int32_t n, float *d_input,
                      int32_t W, int32_t H, struct yolo_diag *d)
{
    size_t total = 0;
    for (int32_t i = 0; i < n; i++)
        total += (size_t)imgs[i].width * imgs[i].height * 3;
    int rc = grow(p, total, d);
    if (rc)
        return rc;
    /* the pinned buffer may still be the source of the previous batch's upload */
    cudaStreamSynchronize((cudaStream_t)p->stream);
    size_t at = 0, plane = (size_t)W * H * 3;
    if (yolo_pool_size(p->pool) > 1) {   /* all threads copy, then one upload */
        struct copy_job job = { imgs, n, p->pinned };
        yolo_pool_run(p->pool, copy_rows, &job);
        cudaError_t e = cudaMemcpyAsync(p->dev, p->pinned, total, cudaMemcpyHostToDevice,
                                        (cudaStream_t)p->stream);
        if (e != cudaSuccess)
            return yolo_diag_set(d, YOLO_ERR_IO, "cuda: uploading the images: %s",
                                 cudaGetErrorString(e));
    } else {
        /* image by image: each one's upload starts as soon as it is in pinned memory, so the
         * host copies image i + 1 while the copy engine moves image i */
        for (int32_t i = 0; i < n; i++) {
            struct copy_job job = { &imgs[i], 1, p->pinned + at };
            copy_rows(&job, 0, 1);
            size_t bytes = (size_t)imgs[i].width * 3 * (size_t)imgs[i].height;
            cudaError_t e = cudaMemcpyAsync(p->dev + at, p->pinned + at, bytes,
                                            cudaMemcpyHostToDevice, (cudaStream_t)p->stream);
            if (e != cudaSuccess)
                return yolo_diag_set(d, YOLO_ERR_IO, "cuda: uploading the images: %s",
                                     cudaGetErrorString(e));
            at += bytes;
        }
    }
    at = 0;
    for (int32_t i = 0; i < n; i++) {
        const struct yolo_letterbox_geom *g = &geom[i];
        struct yolo_cuda_lb lb = { p->dev + at, imgs[i].width, imgs[i].height,
                                   (int64_t)imgs[i].width * 3, imgs[i].format == YOLO_PIXFMT_BGR,
                                   g->new_w, g->new_h, g->pad_left, g->pad_top, W, H,
                                   d_input + plane * (size_t)i };
        int ke = yolo_cuda_letterbox(&lb, p->stream);
        if (ke)
            return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "cuda: the letterbox kernel: %s",
                                 cudaGetErrorString((cudaError_t)ke));
        at += (size_t)imgs[i].width * imgs[i].height * 3;
    }
    return 0;
}

void yolo_cuda_pre_free(struct yolo_cuda_pre *p)
{
    if (!p)
        return;
    if (p->stream)
        cudaStreamSynchronize((cudaStream_t)p->stream);
    cudaFreeHost(p->pinned);
    cudaFree(p->dev);
    memset(p, 0, sizeof *p);
}

uint64_t yolo_cuda_pre_bytes(const struct yolo_cuda_pre *p)
{
    return p ? 2 * (uint64_t)p->cap : 0;
}
