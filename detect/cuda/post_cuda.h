/* cuda/post_cuda.h: a context's GPU decode (decode_cuda.h) and the copies around it: the
 * per-image candidate counts, then only the candidates, into page-locked host memory; the
 * candidates come back as yolo_det in anchor order, ready for yolo_postprocess_cands. One per
 * context, made for its engine's batch and anchor count; not thread-safe (as a context). */
#ifndef YOLO_POST_CUDA_H
#define YOLO_POST_CUDA_H

#include <stdint.h>

#include "decode_cuda.h"
#include "postprocess.h"

struct yolo_cuda_post {
    struct yolo_cuda_cand *d_cands, *h_cands;   /* device and pinned host, batch x A */
    int32_t *d_counts, *h_counts;               /* batch */
    int32_t batch, v5;
    int64_t dim1, dim2, anchors;
    void *stream;                               /* the runner's cudaStream_t (borrowed) */
};

int  yolo_cuda_post_init(struct yolo_cuda_post *p, int32_t batch, int32_t v5, int64_t dim1,
                         int64_t dim2, void *stream, struct yolo_diag *d);
/* Decodes images 0..n of the device output d_out at threshold conf and brings the
 * candidates back (waits for them). */
int  yolo_cuda_post_run(struct yolo_cuda_post *p, const float *d_out, int32_t n, float conf,
                        struct yolo_diag *d);
/* Image i's candidates, in anchor order, into out (room for p->anchors); *n gets the count. */
void yolo_cuda_post_cands(const struct yolo_cuda_post *p, int32_t i, struct yolo_det *out,
                          int64_t *n);
void yolo_cuda_post_free(struct yolo_cuda_post *p);
/* Bytes it holds: the device candidates and counts plus their page-locked host twins. */
uint64_t yolo_cuda_post_bytes(const struct yolo_cuda_post *p);

#endif
