/* cuda/post_cuda.c: see post_cuda.h. */
#include <cuda_runtime_api.h>
#include <stdlib.h>
#include <string.h>

#include "post_cuda.h"

int yolo_cuda_post_init(struct yolo_cuda_post *p, int32_t batch, int32_t v5, int64_t dim1,
                        int64_t dim2, void *stream, struct yolo_diag *d)
{
    memset(p, 0, sizeof *p);
    p->batch = batch;
    p->v5 = v5;
    p->dim1 = dim1;
    p->dim2 = dim2;
    p->anchors = v5 ? dim1 : dim2;
    p->stream = stream;
    size_t cb = sizeof(struct yolo_cuda_cand) * (size_t)batch * (size_t)p->anchors;
    cudaError_t e = cudaMalloc((void **)&p->d_cands, cb);
    if (e == cudaSuccess)
        e = cudaMalloc((void **)&p->d_counts, sizeof(int32_t) * (size_t)batch);
    if (e == cudaSuccess)
        e = cudaHostAlloc((void **)&p->h_cands, cb, cudaHostAllocDefault);
    if (e == cudaSuccess)
        e = cudaHostAlloc((void **)&p->h_counts, sizeof(int32_t) * (size_t)batch,
                          cudaHostAllocDefault);
    if (e != cudaSuccess) {
        yolo_cuda_post_free(p);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "cuda: buffers for the GPU decode: %s",
                             cudaGetErrorString(e));
    }
    return 0;
}

int yolo_cuda_post_run(struct yolo_cuda_post *p, const float *d_out, int32_t n, float conf,
                       struct yolo_diag *d)
{
    cudaStream_t s = (cudaStream_t)p->stream;
    int ke = yolo_cuda_decode(d_out, n, p->v5, p->dim1, p->dim2, conf, p->d_cands, p->d_counts, s);
    cudaError_t e = ke ? (cudaError_t)ke
                       : cudaMemcpyAsync(p->h_counts, p->d_counts, sizeof(int32_t) * (size_t)n,
                                         cudaMemcpyDeviceToHost, s);
    if (e == cudaSuccess)
        e = cudaStreamSynchronize(s);
    for (int32_t i = 0; e == cudaSuccess && i < n; i++) {
        size_t off = (size_t)i * (size_t)p->anchors, cnt = (size_t)p->h_counts[i];
        if (cnt)
            e = cudaMemcpyAsync(p->h_cands + off, p->d_cands + off, cnt * sizeof *p->h_cands,
                                cudaMemcpyDeviceToHost, s);
    }
    if (e == cudaSuccess)
        e = cudaStreamSynchronize(s);
    if (e != cudaSuccess)
        return yolo_diag_set(d, YOLO_ERR_IO, "cuda: the GPU decode: %s", cudaGetErrorString(e));
    return 0;
}

static int by_anchor(const void *a, const void *b)
{
    int32_t x = ((const struct yolo_cuda_cand *)a)->anchor, y = ((const struct yolo_cuda_cand *)b)->anchor;
    return (x > y) - (x < y);
}

void yolo_cuda_post_cands(const struct yolo_cuda_post *p, int32_t i, struct yolo_det *out,
                          int64_t *n)
{
    struct yolo_cuda_cand *c = p->h_cands + (size_t)i * (size_t)p->anchors;
    int64_t cnt = p->h_counts[i];
    qsort(c, (size_t)cnt, sizeof *c, by_anchor);   /* the slots were taken in any order */
    for (int64_t k = 0; k < cnt; k++)
        out[k] = (struct yolo_det){ c[k].cls, c[k].conf, c[k].x1, c[k].y1, c[k].x2, c[k].y2, NULL };
    *n = cnt;
}

void yolo_cuda_post_free(struct yolo_cuda_post *p)
{
    if (!p)
        return;
    cudaFree(p->d_cands);
    cudaFree(p->d_counts);
    cudaFreeHost(p->h_cands);
    cudaFreeHost(p->h_counts);
    memset(p, 0, sizeof *p);
}

uint64_t yolo_cuda_post_bytes(const struct yolo_cuda_post *p)
{
    if (!p || !p->d_cands)
        return 0;
    return 2 * ((uint64_t)sizeof(struct yolo_cuda_cand) * (uint64_t)p->batch * (uint64_t)p->anchors +
                sizeof(int32_t) * (uint64_t)p->batch);
}
