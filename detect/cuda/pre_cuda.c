/* cuda/pre_cuda.c: see pre_cuda.h. */
#include <cuda_runtime_api.h>
#include <stdlib.h>
#include <string.h>

#include "letterbox_cuda.h"
#include "pool.h"
#include "pre_cuda.h"
#include "stage_marks.h"

/* The images in ordinary memory (locked[i] == 0) into page-locked memory, packed, each
 * split by rows over the pool's threads: at 1280x720 one image is 2.8 MB, and one thread's
 * memcpy of a batch was most of the upload time. */
struct copy_job {
    const struct yolo_image_view *imgs;
    const uint8_t *locked;
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
        for (int32_t y = y0; y < y1 && !j->locked[i]; y++)
            memcpy(j->pinned + at + (size_t)y * row, im->data + (size_t)y * im->stride_bytes, row);
        at += row * (size_t)im->height;
    }
}

/* Whether the pixels at p are page-locked (cudaHostAlloc'd, yolo_host_alloc'd or registered):
 * the copy engine reads those directly. */
static int page_locked(const void *p)
{
    struct cudaPointerAttributes a;
    if (cudaPointerGetAttributes(&a, p) != cudaSuccess) {
        (void)cudaGetLastError();   /* not an error worth keeping: ordinary memory */
        return 0;
    }
    return a.type == cudaMemoryTypeHost;
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
                      int32_t W, int32_t H, struct yolo_cuda_marks *mk, struct yolo_diag *d)
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
    if (e == cudaSuccess)
        e = (cudaError_t)yolo_cuda_mark(mk, s, YOLO_MARK_START, copy);
    if (e != cudaSuccess)
        return upload_failed(e, d);
    if (n > sl->n_locked) {
        uint8_t *l = realloc(sl->locked, (size_t)n);
        if (!l)
            return yolo_diag_set(d, YOLO_ERR_NOMEM, "cuda: out of memory");
        sl->locked = l;
        sl->n_locked = n;
    }
    /* page-locked images go up from the caller's memory, with no host copy */
    size_t at = 0, plane = (size_t)W * H * 3;
    int32_t n_ordinary = 0;
    sl->direct = 0;
    for (int32_t i = 0; i < n && e == cudaSuccess; i++) {
        const struct yolo_image_view *im = &imgs[i];
        size_t row = (size_t)im->width * 3;
        sl->locked[i] = (uint8_t)page_locked(im->data);
        if (sl->locked[i]) {
            e = cudaMemcpy2DAsync(sl->dev + at, row, im->data, (size_t)im->stride_bytes, row,
                                  (size_t)im->height, cudaMemcpyHostToDevice, copy);
            sl->direct = 1;
        } else
            n_ordinary++;
        at += row * (size_t)im->height;
    }
    /* the others through the slot's page-locked buffer. Measured on an H100 (yolov8n_dq FP16,
     * 1280x720 frames, three alternating rounds): copying in bands of 512 KiB or more, each
     * band's upload queued as soon as it was copied, took 0.98-1.19 ms end to end at batch 1
     * and 11.0-15.8 ms at batch 32, against 0.90-0.95 and 9.4-11.4 ms for this: every thread
     * copies the whole batch, then uploads go (the pool's start per band cost more than the
     * overlap saved). One upload per run of consecutive ordinary images. */
    struct copy_job job = { imgs, sl->locked, n, sl->pinned };
    if (e == cudaSuccess && n_ordinary > 0) {
        if (yolo_pool_size(p->pool) > 1)
            yolo_pool_run(p->pool, copy_rows, &job);
        else
            copy_rows(&job, 0, 1);
    }
    at = 0;
    size_t run_at = 0;
    for (int32_t i = 0; i <= n && e == cudaSuccess; i++) {
        size_t bytes = i < n ? (size_t)imgs[i].width * 3 * (size_t)imgs[i].height : 0;
        if (i == n || sl->locked[i]) {
            if (at > run_at)
                e = cudaMemcpyAsync(sl->dev + run_at, sl->pinned + run_at, at - run_at,
                                    cudaMemcpyHostToDevice, copy);
            run_at = at + bytes;   /* the next run starts after this page-locked image */
        }
        at += bytes;
    }
    if (e == cudaSuccess)
        e = (cudaError_t)yolo_cuda_mark(mk, s, YOLO_MARK_UPLOADED, copy);
    if (e == cudaSuccess)
        e = cudaEventRecord((cudaEvent_t)sl->uploaded, copy);
    if (e == cudaSuccess)   /* the letterbox runs on the compute stream once the pixels are in */
        e = cudaStreamWaitEvent(compute, (cudaEvent_t)sl->uploaded, 0);
    if (e != cudaSuccess)
        return upload_failed(e, d);
    at = 0;
    struct yolo_cuda_lb lb[32];   /* one launch per 32 frames */
    for (int32_t i = 0, k = 0; i < n; i++) {
        const struct yolo_letterbox_geom *g = &geom[i];
        lb[k++] = (struct yolo_cuda_lb){ sl->dev + at, imgs[i].width, imgs[i].height,
                                         (int64_t)imgs[i].width * 3,
                                         imgs[i].format == YOLO_PIXFMT_BGR, g->new_w, g->new_h,
                                         g->pad_left, g->pad_top, W, H,
                                         d_input + plane * (size_t)i };
        at += (size_t)imgs[i].width * imgs[i].height * 3;
        if (k < 32 && i + 1 < n)
            continue;
        int ke = yolo_cuda_letterbox_batch(lb, k, p->stream);
        if (ke)
            return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "cuda: the letterbox kernel: %s",
                                 cudaGetErrorString((cudaError_t)ke));
        k = 0;
    }
    e = (cudaError_t)yolo_cuda_mark(mk, s, YOLO_MARK_LETTERBOXED, compute);
    if (e == cudaSuccess)
        e = cudaEventRecord((cudaEvent_t)sl->read, compute);
    return e == cudaSuccess ? 0 : upload_failed(e, d);
}

int yolo_cuda_pre_release(struct yolo_cuda_pre *p, int s, struct yolo_diag *d)
{
    struct yolo_cuda_pre_slot *sl = &p->slot[s];
    if (!sl->direct)
        return 0;
    sl->direct = 0;
    cudaError_t e = sync_event(sl->uploaded);
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
        free(sl->locked);
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
