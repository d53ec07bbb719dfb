/* cuda/post_cuda.c: see post_cuda.h. */
#include <cuda_runtime_api.h>
#include <stdlib.h>
#include <string.h>

#include "post_cuda.h"
#include "stage_marks.h"

static size_t cand_bytes(const struct yolo_cuda_post *p)
{
    return p->layout == YOLO_LAYOUT_E2E ? 0
         : sizeof(struct yolo_cuda_cand) * (size_t)p->batch * (size_t)p->anchors;
}

static size_t kept_bytes(const struct yolo_cuda_post *p)
{
    return p->layout == YOLO_LAYOUT_E2E ? 0
         : yolo_cuda_kept_box_bytes() * (size_t)p->batch * (size_t)p->args.max_det;
}

int yolo_cuda_post_init(struct yolo_cuda_post *p, int32_t batch, enum yolo_out_layout layout,
                        int64_t dim1, int64_t dim2, const struct yolo_nms_params *np, int32_t cap,
                        void *stream, struct yolo_diag *d)
{
    memset(p, 0, sizeof *p);
    int32_t max_det = np->max_det > 0 ? np->max_det : 300;
    p->layout = layout;
    p->batch = batch;
    p->dim1 = dim1;
    p->dim2 = dim2;
    p->anchors = layout == YOLO_LAYOUT_V5 || layout == YOLO_LAYOUT_E2E ? dim1 : dim2;
    p->nc = np->nc;
    p->stream = stream;
    int64_t avail = layout == YOLO_LAYOUT_V8 ? dim1 - 4 : layout == YOLO_LAYOUT_V5 ? dim2 - 5 : 0;
    if (batch < 1 || batch > 65535 || p->anchors < 1 || p->anchors > INT32_MAX || np->nc < 1 ||
        (layout == YOLO_LAYOUT_E2E ? dim2 < 6 : np->nc > avail) || cap < 1)
        return yolo_diag_set(d, YOLO_ERR_ARG, "cuda: the GPU postprocess cannot take output "
                             "[%lld, %lld] with %d classes", (long long)dim1, (long long)dim2,
                             (int)np->nc);
    p->args = (struct yolo_cuda_nms_args){
        .conf = (float)np->conf,
        .max_wh = np->agnostic ? 0.0f : (float)YOLO_NMS_MAX_WH,
        .iou = np->iou,
        .max_det = max_det < cap ? max_det : cap,
        .nc = np->nc,
        .max_nms = np->max_nms > 0 ? np->max_nms : YOLO_NMS_MAX_NMS,
    };
    p->args.out_stride = 2 * sizeof(int32_t) + sizeof(struct yolo_cuda_box) * (size_t)p->args.max_det;
    size_t ob = p->args.out_stride * (size_t)batch;
    cudaError_t e = cudaSuccess;
    if (np->classes && np->n_classes > 0) {   /* the filter as a table over [0, nc) */
        uint8_t *t = calloc((size_t)np->nc, 1);
        if (!t)
            return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory for the GPU postprocess");
        for (int32_t k = 0; k < np->n_classes; k++)
            if (np->classes[k] >= 0 && np->classes[k] < np->nc)
                t[np->classes[k]] = 1;
        e = cudaMalloc((void **)&p->d_allowed, (size_t)np->nc);
        if (e == cudaSuccess)
            e = cudaMemcpy(p->d_allowed, t, (size_t)np->nc, cudaMemcpyHostToDevice);
        free(t);
    }
    if (e == cudaSuccess && layout != YOLO_LAYOUT_E2E) {
        e = cudaMalloc((void **)&p->d_cands, cand_bytes(p));
        if (e == cudaSuccess)
            e = cudaMalloc((void **)&p->d_sorted, cand_bytes(p));
        if (e == cudaSuccess)
            e = cudaMalloc((void **)&p->d_counts, sizeof(int32_t) * (size_t)batch);
        if (e == cudaSuccess)
            e = cudaMalloc(&p->d_kept_boxes, kept_bytes(p));
    }
    if (e == cudaSuccess)
        e = cudaMalloc((void **)&p->d_out, ob);
    for (int s = 0; s < YOLO_CUDA_SLOTS && e == cudaSuccess; s++) {
        cudaEvent_t ev = NULL;
        e = cudaHostAlloc((void **)&p->h_out[s], ob, cudaHostAllocDefault);
        if (e == cudaSuccess)
            e = cudaEventCreateWithFlags(&ev, cudaEventDisableTiming);
        p->done[s] = ev;
    }
    if (e != cudaSuccess) {
        yolo_cuda_post_free(p);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "cuda: buffers for the GPU postprocess: %s",
                             cudaGetErrorString(e));
    }
    return 0;
}

int yolo_cuda_post_enqueue(struct yolo_cuda_post *p, int s, const float *d_out, int32_t n,
                           struct yolo_cuda_marks *mk, struct yolo_diag *d)
{
    cudaStream_t st = (cudaStream_t)p->stream;
    int ke;
    if (n < 1 || n > p->batch || s < 0 || s >= YOLO_CUDA_SLOTS)
        return yolo_diag_set(d, YOLO_ERR_ARG, "cuda: GPU postprocess of %d images (batch %d)",
                             n, p->batch);
    if (p->layout == YOLO_LAYOUT_E2E) {
        ke = yolo_cuda_e2e(d_out, n, p->dim1, p->dim2, &p->args, p->d_allowed, p->d_out, st);
    } else {
        ke = yolo_cuda_decode(d_out, n, p->layout == YOLO_LAYOUT_V5, p->dim1, p->dim2, p->nc,
                              p->args.conf, p->d_allowed, p->d_cands, p->d_counts, st);
        if (!ke)
            ke = yolo_cuda_nms(p->d_cands, p->d_counts, n, p->anchors, &p->args, p->d_sorted,
                               p->d_kept_boxes, p->d_out, st);
    }
    cudaError_t e = ke ? (cudaError_t)ke : (cudaError_t)yolo_cuda_mark(mk, s, YOLO_MARK_SELECTED, st);
    if (e == cudaSuccess)
        e = cudaMemcpyAsync(p->h_out[s], p->d_out, p->args.out_stride * (size_t)n,
                            cudaMemcpyDeviceToHost, st);
    if (e == cudaSuccess)
        e = (cudaError_t)yolo_cuda_mark(mk, s, YOLO_MARK_DOWNLOADED, st);
    if (e == cudaSuccess)
        e = cudaEventRecord((cudaEvent_t)p->done[s], st);
    if (e != cudaSuccess)
        return yolo_diag_set(d, YOLO_ERR_IO, "cuda: the GPU postprocess: %s", cudaGetErrorString(e));
    return 0;
}

int yolo_cuda_post_wait(struct yolo_cuda_post *p, int s, struct yolo_diag *d)
{
    cudaError_t e = cudaEventSynchronize((cudaEvent_t)p->done[s]);
    if (e != cudaSuccess)
        return yolo_diag_set(d, YOLO_ERR_IO, "cuda: running the batch: %s", cudaGetErrorString(e));
    return 0;
}

void yolo_cuda_post_kept(const struct yolo_cuda_post *p, int s, int32_t i, struct yolo_det *out,
                         int32_t *n, int64_t *n_invalid)
{
    const uint8_t *img = p->h_out[s] + p->args.out_stride * (size_t)i;
    int32_t head[2];
    memcpy(head, img, sizeof head);
    const struct yolo_cuda_box *b = (const struct yolo_cuda_box *)(img + sizeof head);
    int32_t cnt = head[0] < 0 ? 0 : head[0] > p->args.max_det ? p->args.max_det : head[0];
    for (int32_t k = 0; k < cnt; k++)
        out[k] = (struct yolo_det){ b[k].cls, b[k].conf, b[k].x1, b[k].y1, b[k].x2, b[k].y2, NULL };
    *n = cnt;
    *n_invalid = head[1];
}

void yolo_cuda_post_free(struct yolo_cuda_post *p)
{
    if (!p)
        return;
    cudaFree(p->d_allowed);
    cudaFree(p->d_cands);
    cudaFree(p->d_sorted);
    cudaFree(p->d_counts);
    cudaFree(p->d_kept_boxes);
    cudaFree(p->d_out);
    for (int s = 0; s < YOLO_CUDA_SLOTS; s++) {
        if (p->done[s]) {
            cudaEventSynchronize((cudaEvent_t)p->done[s]);
            cudaEventDestroy((cudaEvent_t)p->done[s]);
        }
        cudaFreeHost(p->h_out[s]);
    }
    memset(p, 0, sizeof *p);
}

uint64_t yolo_cuda_post_bytes(const struct yolo_cuda_post *p)
{
    if (!p || !p->d_out)
        return 0;
    return 2 * (uint64_t)cand_bytes(p) + kept_bytes(p) + (1 + YOLO_CUDA_SLOTS) * p->args.out_stride * (uint64_t)p->batch +
           (p->d_allowed ? (uint64_t)p->nc : 0) + (p->d_counts ? sizeof(int32_t) * (uint64_t)p->batch : 0);
}
