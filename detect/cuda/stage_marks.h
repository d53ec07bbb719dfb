/* cuda/stage_marks.h: the GPU pipeline's stages timed on the device (CUDA events with timing,
 * recorded between the stages of each batch), for yolo_ctx_stage_times: where a batch's time
 * goes from its first upload to its kept boxes in host memory. Off until turned on: the
 * ordinary path records no timing events. One per context; not thread-safe (as a context). */
#ifndef YOLO_STAGE_MARKS_H
#define YOLO_STAGE_MARKS_H

#include "postprocess.h"
#include "pre_cuda.h"

enum yolo_mark {
    YOLO_MARK_START,        /* copy stream: the batch's first upload may begin */
    YOLO_MARK_UPLOADED,     /* copy stream: every image is on the device */
    YOLO_MARK_LETTERBOXED,  /* compute stream: the input tensor is written */
    YOLO_MARK_NETWORK,      /* compute stream: the network's output is written */
    YOLO_MARK_SELECTED,     /* compute stream: decode and NMS (or the row filter) done */
    YOLO_MARK_DOWNLOADED,   /* compute stream: the kept boxes are in host memory */
    YOLO_MARKS
};

struct yolo_cuda_marks {
    void *ev[YOLO_CUDA_SLOTS][YOLO_MARKS];   /* cudaEvent_t, made when turned on */
    int   on;
};

/* Turns timing on (making the events the first time) or off. */
int  yolo_cuda_marks_switch(struct yolo_cuda_marks *m, int on, struct yolo_diag *d);
/* Records mark k of slot s on stream (cudaStream_t); nothing when m is NULL or off. Returns a
 * cudaError_t (0 = success). */
int  yolo_cuda_mark(struct yolo_cuda_marks *m, int s, enum yolo_mark k, void *stream);
/* The times between consecutive marks of slot s (its batch done), ms[0..YOLO_MARKS - 1);
 * 0 when timing was on for that batch, -1 otherwise. */
int  yolo_cuda_marks_read(const struct yolo_cuda_marks *m, int s, double ms[YOLO_MARKS - 1]);
void yolo_cuda_marks_free(struct yolo_cuda_marks *m);

#endif
