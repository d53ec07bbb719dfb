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

static cudaError_t sync_event(void *ev)
{
    return ev ? cudaEventSynchronize((cudaEvent_t)ev) : cudaSuccess;
}

int yolo_cuda_pre_init(struct yolo_cuda_pre *p, void *stream, struct yolo_pool *pool,
                       struct yolo_diag *d)
{
    memset(p, 0, sizeof *p);
    p->stream = stream;
    p->pool = pool;
    cudaStream_t copy = NULL;
    cudaError_t e = cudaStreamCreateWithFlags(&copy, cudaStreamNonBlocking);
    p->copy = copy;
    for (int s = 0; e == cudaSuccess && s < YOLO_CUDA_SLOTS; s++) {
        cudaEvent_t up = NULL, rd = NULL;
        e = cudaEventCreateWithFlags(&up, cudaEventDisableTiming);
        p->slot[s].uploaded = up;
        if (e == cudaSuccess)
            e = cudaEventCreateWithFlags(&rd, cudaEventDisableTiming);
        p->slot[s].read = rd;
    }
    if (e != cudaSuccess) {
        yolo_cuda_pre_free(p);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "cuda: the upload stream and its events: %s",
                             cudaGetErrorString(e));
    }
    return 0;
}

static int grow(struct yolo_cuda_pre_slot *sl, size_t need, struct yolo_diag *d)
{
    if (need <= sl->cap)
        return 0;
    /* the old buffers may still feed the upload and letterbox of this slot's last batch */
    sync_event(sl->read);
    cudaFreeHost(sl->pinned);
    cudaFree(sl->dev);
    sl->pinned = NULL;
    sl->dev = NULL;
    sl->cap = 0;
    size_t cap = need + need / 4;
    cudaError_t e = cudaHostAlloc((void **)&sl->pinned, cap, cudaHostAllocDefault);
    if (e == cudaSuccess)
        e = cudaMalloc((void **)&sl->dev, cap);
    if (e != cudaSuccess) {
        cudaFreeHost(sl->pinned);
        sl->pinned = NULL;
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "cuda: %zu bytes of image staging: %s", cap,
                             cudaGetErrorString(e));
    }
    sl->cap = cap;
    return 0;
}

static int upload_failed(cudaError_t e, struct yolo_diag *d)
{
    return yolo_diag_set(d, YOLO_ERR_IO, "cuda: uploading the images: %s", cudaGetErrorString(e));
}

int yolo_cuda_pre_run(struct yolo_cuda_pre *p, int s, const struct yolo_image_view *imgs,
                      const struct yolo_letterbox_geom *geom, int32_t n, float *d_input,
                      int32_t W, int32_t H, struct yolo_diag *d)
{
    struct yolo_cuda_pre_slot *sl = &p->slot[s];
    cudaStream_t copy = (cudaStream_t)p->copy, compute = (cudaStream_t)p->stream;
    size_t total = 0;
    for (int32_t i = 0; i < n; i++)
        total += (size_t)imgs[i].width * imgs[i].height * 3;
    int rc = grow(sl, total, d);
    if (rc)
        return rc;
    /* the pinned buffer may still be the source of this slot's previous upload; the device
     * buffer may still be read by its previous letterbox (the copy stream waits for that) */
    cudaError_t e = sync_event(sl->uploaded);
    if (e == cudaSuccess)
        e = cudaStreamWaitEvent(copy, (cudaEvent_t)sl->read, 0);
    if (e != cudaSuccess)
        return upload_failed(e, d);
    size_t at = 0, plane = (size_t)W * H * 3;
    if (yolo_pool_size(p->pool) > 1) {   /* all threads copy, then one upload */
        struct copy_job job = { imgs, n, sl->pinned };
        yolo_pool_run(p->pool, copy_rows, &job);
        e = cudaMemcpyAsync(sl->dev, sl->pinned, total, cudaMemcpyHostToDevice, copy);
    } else {
        /* image by image: each one's upload starts as soon as it is in pinned memory, so the
         * host copies image i + 1 while the copy engine moves image i */
        for (int32_t i = 0; i < n && e == cudaSuccess; i++) {
            struct copy_job job = { &imgs[i], 1, sl->pinned + at };
            copy_rows(&job, 0, 1);
            size_t bytes = (size_t)imgs[i].width * 3 * (size_t)imgs[i].height;
            e = cudaMemcpyAsync(sl->dev + at, sl->pinned + at, bytes, cudaMemcpyHostToDevice, copy);
            at += bytes;
        }
    }
    if (e == cudaSuccess)
        e = cudaEventRecord((cudaEvent_t)sl->uploaded, copy);
    if (e == cudaSuccess)   /* the letterbox runs on the compute stream once the pixels are in */
        e = cudaStreamWaitEvent(compute, (cudaEvent_t)sl->uploaded, 0);
    if (e != cudaSuccess)
        return upload_failed(e, d);
    at = 0;
    for (int32_t i = 0; i < n; i++) {
        const struct yolo_letterbox_geom *g = &geom[i];
        struct yolo_cuda_lb lb = { sl->dev + at, imgs[i].width, imgs[i].height,
                                   (int64_t)imgs[i].width * 3, imgs[i].format == YOLO_PIXFMT_BGR,
                                   g->new_w, g->new_h, g->pad_left, g->pad_top, W, H,
                                   d_input + plane * (size_t)i };
        int ke = yolo_cuda_letterbox(&lb, p->stream);
        if (ke)
            return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "cuda: the letterbox kernel: %s",
                                 cudaGetErrorString((cudaError_t)ke));
        at += (size_t)imgs[i].width * imgs[i].height * 3;
    }
    e = cudaEventRecord((cudaEvent_t)sl->read, compute);
    return e == cudaSuccess ? 0 : upload_failed(e, d);
}

void yolo_cuda_pre_free(struct yolo_cuda_pre *p)
{
    if (!p)
        return;
    for (int s = 0; s < YOLO_CUDA_SLOTS; s++) {
        struct yolo_cuda_pre_slot *sl = &p->slot[s];
        sync_event(sl->read);
        sync_event(sl->uploaded);
        cudaFreeHost(sl->pinned);
        cudaFree(sl->dev);
        if (sl->uploaded)
            cudaEventDestroy((cudaEvent_t)sl->uploaded);
        if (sl->read)
            cudaEventDestroy((cudaEvent_t)sl->read);
    }
    if (p->copy)
        cudaStreamDestroy((cudaStream_t)p->copy);
    memset(p, 0, sizeof *p);
}

uint64_t yolo_cuda_pre_bytes(const struct yolo_cuda_pre *p)
{
    uint64_t b = 0;
    for (int s = 0; p && s < YOLO_CUDA_SLOTS; s++)
        b += 2 * (uint64_t)p->slot[s].cap;
    return b;
}
