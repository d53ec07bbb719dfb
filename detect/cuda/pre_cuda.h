/* cuda/pre_cuda.h: a context's preprocessing on the GPU (make CUDA=1): the batch's decoded u8
 * images go through one pinned host buffer to one device buffer (one copy each, on the
 * runner's stream), and letterbox_cuda.cu writes the network input in place on the device,
 * so a frame crosses the bus as its u8 pixels instead of a 640x640 float tensor. Buffers grow
 * to the largest batch seen and are kept. One per context; not thread-safe (as a context). */
#ifndef YOLO_PRE_CUDA_H
#define YOLO_PRE_CUDA_H

#include <stddef.h>
#include <stdint.h>

#include "postprocess.h"

struct yolo_pool;

struct yolo_cuda_pre {
    uint8_t *pinned, *dev;        /* host (page-locked) and device staging of the u8 images */
    size_t   cap;                 /* bytes of each */
    void    *stream;              /* the runner's cudaStream_t (borrowed) */
    struct yolo_pool *pool;       /* the context's host threads (borrowed, NULL = one): they
                                     share the copies into page-locked memory */
};

/* Letterboxes imgs[0..n) (3-channel BGR or RGB) into the float tensor at d_input (device,
 * n x [3, H, W]) with the geometries geom[0..n) (already computed). Returns 0 or a status
 * with d set; the work is queued on p->stream, not finished. */
int  yolo_cuda_pre_run(struct yolo_cuda_pre *p, const struct yolo_image_view *imgs,
                       const struct yolo_letterbox_geom *geom, int32_t n, float *d_input,
                       int32_t W, int32_t H, struct yolo_diag *d);
void yolo_cuda_pre_free(struct yolo_cuda_pre *p);
/* Bytes it holds now: device staging plus its page-locked host twin. */
uint64_t yolo_cuda_pre_bytes(const struct yolo_cuda_pre *p);

#endif
