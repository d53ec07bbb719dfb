/* detect_internal.h: the structs behind the public yolo_model / yolo_ctx handles. */
#ifndef YOLO_DETECT_INTERNAL_H
#define YOLO_DETECT_INTERNAL_H

#include <stdatomic.h>

#include "engine.h"
#include "net.h"
#include "pool.h"
#include "postprocess.h"
#include "yolo.h"

struct yolo_cuda_pre;                 /* detect/cuda/pre_cuda.h (CUDA builds) */
struct yolo_cuda_post;                /* detect/cuda/post_cuda.h */

struct yolo_model {
    atomic_int refs;                  /* the caller's reference + one per context */
    struct yolo_net *net;             /* owns the engine (mapping, graph, labels) */
    enum yolo_output_format format;
    int32_t n_classes, stride;
    int32_t in_w, in_h, max_batch;
    int32_t in_tensor, out_tensor;    /* graph tensor indices */
    int64_t out_dim1, out_dim2;       /* one image's output [dim1, dim2] */
    const char *const *names;         /* engine labels */
    int raw;                          /* loaded for raw tensors only: no detection */
};

/* yolo_model_load with extra yolo_engine_load flags (YOLO_ENGINE_NO_MMAP): for the fuzz
 * targets, which read the engine into the heap, where ASan sees a read past its end and
 * where loading costs no munmap (a TLB flush per input). */
int yolo_model_load_flags(const char *engine_path, const struct yolo_model_params *p,
                          unsigned flags, struct yolo_model **out, struct yolo_diag *diag);
struct yolo_model *yolo_model_retain(struct yolo_model *m);
void yolo_model_release(struct yolo_model *m);
/* The build's precision from the engine's META ("fp32"). */
const char *yolo_model_precision(const struct yolo_model *m);

#define YOLO_CTX_SLOTS 2    /* batches in flight per context (detect/cuda/pre_cuda.h's slots) */

struct yolo_ctx_batch {
    int32_t n;                        /* images */
    struct yolo_letterbox_geom *geom; /* max_batch */
    struct yolo_result *res;          /* max_batch: complete once collected (the CPU path
                                       * completes them in submit) */
    struct yolo_det *dets;            /* max_batch * det_cap */
    double ms_pre;                    /* the whole batch's host time in submit */
    int timed;                        /* its GPU stages were marked (yolo_ctx_time_stages) */
};

struct yolo_ctx {
    struct yolo_model *model;         /* retained */
    struct yolo_ctx_params params;    /* classes points at classes_copy */
    int32_t *classes_copy;
    struct yolo_pool *pool;           /* owned; NULL when single-threaded */
    struct yolo_runner *runner;
    struct yolo_workspace ws;         /* letterbox and NMS scratch */
    struct yolo_letterbox_params lb;
    int32_t det_cap;                  /* max_det */
    /* Batches submitted and not yet collected (yolo_detect_submit / collect): batch k lives
     * in slot k % YOLO_CTX_SLOTS until it is collected. */
    struct yolo_ctx_batch batch[YOLO_CTX_SLOTS];
    int64_t n_submitted, n_collected;
    /* Host copies of the input and output tensors, for backends whose tensors are device
     * memory (yolo_runner_tensor gives NULL): letterbox into one, copy, run, copy back. */
    float *stage_in, *stage_out;
    /* Device backends with the GPU letterbox (make CUDA=1): u8 images up, letterbox on the
     * device into the input tensor (detect/cuda/pre_cuda.h); NULL otherwise. */
    struct yolo_cuda_pre *gpu_pre;
    struct yolo_cuda_post *gpu_post;  /* the GPU decode (V8/V5 outputs), with gpu_pre */
    struct yolo_det *gpu_cands;       /* one image's candidates from it (anchors) */
    struct yolo_image_view *views;    /* max_batch, for gpu_pre */
    float *d_input;                   /* the input tensor's device address, for gpu_pre */
    struct yolo_cuda_marks *marks;    /* the GPU stages' timing (made when first turned on) */
    struct yolo_stage_times last_stages;   /* of the last timed batch collected */
    int has_stages;
};

/* 1 when the oldest frame of s not yet released is done (yolo_batcher_wait would not wait),
 * else 0. For a consumer that writes out what it has before it waits (detect/image_run.c). */
int yolo_batcher_ready(struct yolo_batcher_stream *s);

#endif
