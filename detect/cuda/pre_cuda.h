/* cuda/pre_cuda.h: a context's preprocessing on the GPU (make CUDA=1): the batch's decoded u8
 * images go through a pinned host buffer to a device buffer on the context's copy stream, and
 * letterbox_cuda.cu writes the network input from there on the compute stream (the runner's),
 * so a frame crosses the bus as its u8 pixels instead of a 640x640 float tensor.
 *
 * Two slots of staging buffers, used by alternate batches: the upload of batch k + 1 runs on
 * the copy engine while the GPU computes batch k, ordered by events only (no host wait inside
 * a batch). A slot's buffers are reused once the letterbox that read them (two batches ago)
 * has run. Buffers grow to the largest batch seen and are kept. One per context; not
 * thread-safe (as a context). */
#ifndef YOLO_PRE_CUDA_H
#define YOLO_PRE_CUDA_H

#include <stddef.h>
#include <stdint.h>

#include "postprocess.h"

struct yolo_pool;
struct yolo_cuda_marks;

#define YOLO_CUDA_SLOTS 2         /* batches in flight per context */

struct yolo_cuda_pre_slot {
    uint8_t *pinned, *dev;        /* host (page-locked) and device staging of the u8 images */
    size_t   cap;                 /* bytes of each */
    void    *uploaded, *read;     /* cudaEvent_t: its upload done; its letterbox done */
    int      direct;              /* its last upload read the caller's memory (page-locked) */
    uint8_t *locked;              /* per image of its last batch: in page-locked memory */
    int32_t  n_locked;            /* entries locked holds */
};

struct yolo_cuda_pre {
    struct yolo_cuda_pre_slot slot[YOLO_CUDA_SLOTS];
    void    *stream;              /* the runner's cudaStream_t (borrowed): the letterbox */
    void    *copy;                /* own cudaStream_t: the uploads */
    struct yolo_pool *pool;       /* the context's host threads (borrowed, NULL = one): they
                                     share the copies into page-locked memory */
};

/* Sets up p with the runner's stream and the context's pool. */
int  yolo_cuda_pre_init(struct yolo_cuda_pre *p, void *stream, struct yolo_pool *pool,
                        struct yolo_diag *d);
/* Letterboxes imgs[0..n) (3-channel BGR or RGB) into the float tensor at d_input (device,
 * n x [3, H, W]) with the geometries geom[0..n) (already computed), through slot s. Images in
 * ordinary memory are copied into the slot's page-locked buffer (by all the pool's threads)
 * and go up from there; images already in page-locked memory (yolo_host_alloc) go up from where
 * they are, with no host copy. Returns with the upload and the letterbox queued (and the
 * ordinary images' pixels copied), or a status with d set; the caller may reuse imgs once
 * yolo_cuda_pre_release returned. mk (NULL ok): the start, upload and letterbox marks. */
int  yolo_cuda_pre_run(struct yolo_cuda_pre *p, int s, const struct yolo_image_view *imgs,
                       const struct yolo_letterbox_geom *geom, int32_t n, float *d_input,
                       int32_t W, int32_t H, struct yolo_cuda_marks *mk, struct yolo_diag *d);
/* Waits until slot s's upload has read the page-locked images it took from the caller's memory
 * (at once when it took none): call it after queueing the rest of the batch's work, so the
 * wait overlaps nothing the batch needs first. */
int  yolo_cuda_pre_release(struct yolo_cuda_pre *p, int s, struct yolo_diag *d);
void yolo_cuda_pre_free(struct yolo_cuda_pre *p);
/* Bytes it holds now: device staging plus its page-locked host twin. */
uint64_t yolo_cuda_pre_bytes(const struct yolo_cuda_pre *p);

#endif
