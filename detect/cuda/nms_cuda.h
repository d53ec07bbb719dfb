/* cuda/nms_cuda.h: the back half of postprocessing on the GPU (make CUDA=1), so that only the
 * final detections cross the bus: the candidates of decode_cuda.h put in nms.c's order (score
 * descending, ties by anchor, the top max_nms), then greedy class-aware NMS; and the
 * end-to-end layout's row filter (decode.c's decode_e2e, no NMS). Same float32 operations,
 * same NaN rules, so the kept boxes are bit for bit those of yolo_postprocess; the host only
 * scales them back and sorts (yolo_postprocess_kept). */
#ifndef YOLO_NMS_CUDA_H
#define YOLO_NMS_CUDA_H

#include <stddef.h>
#include <stdint.h>

#include "decode_cuda.h"

#ifdef __cplusplus
extern "C" {
#endif

struct yolo_cuda_box {           /* one kept detection, model-input pixels */
    int32_t cls;
    float conf, x1, y1, x2, y2;
};

struct yolo_cuda_nms_args {
    float   conf;                /* E2E: keep score > conf (float32, strict) */
    float   max_wh;              /* class offset (0: agnostic) */
    double  iou;                 /* suppress above, compared in binary64 */
    int32_t max_det;             /* kept per image, >= 1 */
    int32_t nc;                  /* E2E: valid class ids [0, nc); 0: any */
    int64_t max_nms;             /* candidates taken by score, >= 1 */
    size_t  out_stride;          /* bytes per image in out: int32 count, int32 invalid rows,
                                  * then max_det yolo_cuda_box */
};

/* NMS of n images' candidates (device: cands n x A slots, counts n, as yolo_cuda_decode
 * leaves them) into out (device, n x out_stride). sorted (n x A candidates) and kept_boxes
 * (n x max_det x yolo_cuda_kept_box_bytes()) are device scratch. Queued on stream. */
int yolo_cuda_nms(const struct yolo_cuda_cand *cands, const int32_t *counts, int32_t n, int64_t A,
                  const struct yolo_cuda_nms_args *g, struct yolo_cuda_cand *sorted,
                  void *kept_boxes, uint8_t *out, void *stream);

/* The end-to-end rows of n images (device output, n x [N, stride]) into out as above, with
 * the invalid-row count; allowed (device, nc bytes) is the classes filter or NULL. */
int yolo_cuda_e2e(const float *output, int32_t n, int64_t N, int64_t stride,
                  const struct yolo_cuda_nms_args *g, const uint8_t *allowed, uint8_t *out,
                  void *stream);

size_t yolo_cuda_kept_box_bytes(void);

#ifdef __cplusplus
}
#endif
#endif
