/* cuda/decode_cuda.h: the front half of postprocessing on the GPU (make CUDA=1): each
 * anchor's best class, the confidence threshold and the box corners of V8 and V5 outputs, as
 * postprocess/decode.c computes them (same float32 operations, same NaN rule), so only the
 * candidates cross the bus (a few kilobytes instead of 2.8 MB of scores per image). The host
 * restores anchor order and runs yolo_postprocess_cands (classes filter, NMS, scaling): the
 * detections are those of the CPU path. */
#ifndef YOLO_DECODE_CUDA_H
#define YOLO_DECODE_CUDA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct yolo_cuda_cand {          /* one candidate as the GPU writes it */
    int32_t anchor, cls;
    float conf, x1, y1, x2, y2;
};

/* Decodes n images of output (device, float32, n x [dim1, dim2]; v5: 0 = V8 [4+nc, A],
 * 1 = V5 [A, 5+nc]) into cands (device, n x A slots) with counts (device, n; zeroed here),
 * in any order within an image. Queued on stream. 0 or a cudaError_t. */
int yolo_cuda_decode(const float *output, int32_t n, int32_t v5, int64_t dim1, int64_t dim2,
                     float conf, struct yolo_cuda_cand *cands, int32_t *counts, void *stream);

#ifdef __cplusplus
}
#endif
#endif
