/* cuda/post_cuda.h: a context's postprocessing on the GPU: decode (decode_cuda.h) and NMS, or
 * the end-to-end row filter (nms_cuda.h), then one copy of the kept detections per batch into
 * page-locked host memory, one buffer per slot (pre_cuda.h's: two batches in flight), ordered
 * by an event. The host is left with yolo_postprocess_kept (scale back, sort):
 * the detections are those of yolo_postprocess. One per context, made for its engine's batch,
 * output layout and NMS parameters; not thread-safe (as a context). */
#ifndef YOLO_POST_CUDA_H
#define YOLO_POST_CUDA_H

#include <stdint.h>

#include "nms_cuda.h"
#include "postprocess.h"
#include "pre_cuda.h"

struct yolo_cuda_post {
    enum yolo_out_layout layout;
    int32_t batch;
    int64_t dim1, dim2, anchors, nc;
    struct yolo_cuda_nms_args args;
    uint8_t *d_allowed;                         /* the classes filter (nc bytes) or NULL */
    struct yolo_cuda_cand *d_cands, *d_sorted;  /* batch x anchors (V8/V5) */
    int32_t *d_counts;                          /* batch */
    void *d_kept_boxes;                         /* batch x max_det NMS scratch */
    uint8_t *d_out;                             /* batch x args.out_stride */
    uint8_t *h_out[YOLO_CUDA_SLOTS];            /* its page-locked copies, one per slot */
    void *done[YOLO_CUDA_SLOTS];                /* cudaEvent_t: that copy has landed */
    void *stream;                               /* the runner's cudaStream_t (borrowed) */
};

/* For outputs [dim1, dim2] of `layout` and the decode/NMS parameters p (conf, iou, max_det
 * (capped at cap), agnostic, classes, nc >= 1, max_nms). */
int  yolo_cuda_post_init(struct yolo_cuda_post *p, int32_t batch, enum yolo_out_layout layout,
                         int64_t dim1, int64_t dim2, const struct yolo_nms_params *np,
                         int32_t cap, void *stream, struct yolo_diag *d);
/* Queues the postprocessing of images 0..n of the device output d_out and the copy of the
 * kept detections into slot s, behind the work already on the stream. mk (NULL ok): the
 * selected and downloaded marks. */
int  yolo_cuda_post_enqueue(struct yolo_cuda_post *p, int s, const float *d_out, int32_t n,
                            struct yolo_cuda_marks *mk, struct yolo_diag *d);
/* Waits for slot s's detections (and reports any error of the work queued before them). */
int  yolo_cuda_post_wait(struct yolo_cuda_post *p, int s, struct yolo_diag *d);
/* Image i's kept detections in slot s, in NMS order (model-input pixels), into out (room for
 * max_det); *n gets their count and *n_invalid the end-to-end rows dropped as invalid. */
void yolo_cuda_post_kept(const struct yolo_cuda_post *p, int s, int32_t i, struct yolo_det *out,
                         int32_t *n, int64_t *n_invalid);
void yolo_cuda_post_free(struct yolo_cuda_post *p);
/* Bytes it holds on the device and page-locked on the host. */
uint64_t yolo_cuda_post_bytes(const struct yolo_cuda_post *p);

#endif
