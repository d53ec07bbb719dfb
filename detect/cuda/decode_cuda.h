/* cuda/decode_cuda.h: the front half of postprocessing on the GPU (make CUDA=1): each
 * anchor's best class, the confidence threshold, the classes filter and the box corners of
 * V8 and V5 outputs, as postprocess/decode.c computes them (same float32 operations, same
 * NaN rule). nms_cuda.h does the rest on the device. */
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
 * 1 = V5 [A, 5+nc]; the first nc class scores count) into cands (device, n x A slots) with
 * counts (device, n; zeroed here), in any order within an image; allowed (device, nc bytes)
 * is the classes filter, or NULL. Queued on stream. 0 or a cudaError_t. */
int yolo_cuda_decode(const float *output, int32_t n, int32_t v5, int64_t dim1, int64_t dim2,
                     int64_t nc, float conf, const uint8_t *allowed, struct yolo_cuda_cand *cands,
                     int32_t *counts, void *stream);

#ifdef __cplusplus
}
#endif
#endif
