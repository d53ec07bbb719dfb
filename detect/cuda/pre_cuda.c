/* cuda/pre_cuda.c: see pre_cuda.h. */
#include <cuda_runtime_api.h>
#include <string.h>

#include "letterbox_cuda.h"
#include "pool.h"
#include "pre_cuda.h"
#include "stage_marks.h"

#define UPLOAD_BAND (512u << 10)   /* bytes: 6 bands of a 1280x720 frame */
#define UPLOAD_BANDS 16

/* Rows [y0, y1) of one image into page-locked memory (packed rows), split over the pool's
 * threads: at 1280x720 one image is 2.8 MB, and one thread's memcpy of a batch was most of the
 * upload time. */
struct copy_job {
    const struct yolo_image_view *im;
    int32_t y0, y1;
    uint8_t *dst;
};

static void copy_rows(void *arg, int ith, int nth)
{
    const struct copy_job *j = arg;
    size_t row = (size_t)j->im->width * 3;
    int64_t rows = j->y1 - j->y0;
    int32_t a = j->y0 + (int32_t)(rows * ith / nth), b = j->y0 + (int32_t)(rows * (ith + 1) / nth);
    for (int32_t y = a; y < b; y++)
        memcpy(j->dst + (size_t)(y - j->y0) * row, j->im->data + (size_t)y * j->im->stride_bytes,
               row);
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
    size_t at = 0, plane = (size_t)W * H * 3;
    /* ordinary memory goes through the page-locked buffer in bands: the host copies band k + 1
     * while the copy engine moves band k (bands of at least UPLOAD_BAND bytes, at most about
     * UPLOAD_BANDS of them per batch, so the pool's start-up stays small against the copy) */
    size_t band = total / UPLOAD_BANDS > UPLOAD_BAND ? total / UPLOAD_BANDS : UPLOAD_BAND;
    sl->direct = 0;
    for (int32_t i = 0; i < n && e == cudaSuccess; i++) {
        const struct yolo_image_view *im = &imgs[i];
        size_t row = (size_t)im->width * 3;
        if (page_locked(im->data)) {   /* straight from the caller's memory, no host copy */
            e = cudaMemcpy2DAsync(sl->dev + at, row, im->data, (size_t)im->stride_bytes, row,
                                  (size_t)im->height, cudaMemcpyHostToDevice, copy);
            sl->direct = 1;
        } else {
            int32_t rows = (int32_t)(band / row > 0 ? band / row : 1);
            for (int32_t y = 0; y < im->height && e == cudaSuccess; y += rows) {
                struct copy_job job = { im, y, y + rows < im->height ? y + rows : im->height,
                                        sl->pinned + at + (size_t)y * row };
                if (yolo_pool_size(p->pool) > 1)
                    yolo_pool_run(p->pool, copy_rows, &job);
                else
                    copy_rows(&job, 0, 1);
                e = cudaMemcpyAsync(sl->dev + at + (size_t)y * row, job.dst,
                                    (size_t)(job.y1 - y) * row, cudaMemcpyHostToDevice, copy);
            }
        }
        at += row * (size_t)im->height;
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
