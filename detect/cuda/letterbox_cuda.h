/* cuda/letterbox_cuda.h: the letterbox on an NVIDIA GPU (make CUDA=1): a u8 image in device
 * memory to the network's float input tensor in device memory, bit-identical to
 * yolo_letterbox's own resize (postprocess/letterbox.c: OpenCV's fixed-point INTER_LINEAR,
 * and its exact 2x2 INTER_AREA shortcut), pad 114, RGB planes, x / 255. */
#ifndef YOLO_LETTERBOX_CUDA_H
#define YOLO_LETTERBOX_CUDA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct yolo_cuda_lb {
    const uint8_t *src;           /* device: 3-channel interleaved rows */
    int32_t src_w, src_h;
    int64_t src_stride;
    int32_t bgr;                  /* 1: BGR (OpenCV's order), 0: RGB */
    int32_t new_w, new_h;         /* the resized image inside the tensor (the geometry's) */
    int32_t pad_left, pad_top;
    int32_t dst_w, dst_h;         /* the tensor's W and H */
    float  *dst;                  /* device: [3, dst_h, dst_w] float32 */
};

/* Launches on stream (a cudaStream_t; NULL = the default stream). 0 or a cudaError_t.
 * _batch: the n images p[0..n) (each its own source, geometry and tensor), 32 to a launch. */
int yolo_cuda_letterbox(const struct yolo_cuda_lb *p, void *stream);
int yolo_cuda_letterbox_batch(const struct yolo_cuda_lb *p, int32_t n, void *stream);

#ifdef __cplusplus
}
#endif
#endif
