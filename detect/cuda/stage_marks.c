/* cuda/stage_marks.c: see stage_marks.h. */
#include <cuda_runtime_api.h>
#include <string.h>

#include "stage_marks.h"

int yolo_cuda_marks_switch(struct yolo_cuda_marks *m, int on, struct yolo_diag *d)
{
    for (int s = 0; on && s < YOLO_CUDA_SLOTS; s++)
        for (int k = 0; k < YOLO_MARKS; k++) {
            if (m->ev[s][k])
                continue;
            cudaEvent_t ev = NULL;
            cudaError_t e = cudaEventCreate(&ev);
            if (e != cudaSuccess)
                return yolo_diag_set(d, YOLO_ERR_NOMEM, "cuda: the stage timing events: %s",
                                     cudaGetErrorString(e));
            m->ev[s][k] = ev;
        }
    m->on = on;
    return 0;
}

int yolo_cuda_mark(struct yolo_cuda_marks *m, int s, enum yolo_mark k, void *stream)
{
    if (!m || !m->on)
        return 0;
    return (int)cudaEventRecord((cudaEvent_t)m->ev[s][k], (cudaStream_t)stream);
}

int yolo_cuda_marks_read(const struct yolo_cuda_marks *m, int s, double ms[YOLO_MARKS - 1])
{
    if (!m || !m->on)
        return -1;
    for (int k = 0; k + 1 < YOLO_MARKS; k++) {
        float t = 0;
        if (cudaEventElapsedTime(&t, (cudaEvent_t)m->ev[s][k], (cudaEvent_t)m->ev[s][k + 1]) !=
            cudaSuccess) {
            (void)cudaGetLastError();   /* a mark of another batch, or none yet */
            return -1;
        }
        ms[k] = t;
    }
    return 0;
}

void yolo_cuda_marks_free(struct yolo_cuda_marks *m)
{
    if (!m)
        return;
    for (int s = 0; s < YOLO_CUDA_SLOTS; s++)
        for (int k = 0; k < YOLO_MARKS; k++)
            if (m->ev[s][k]) {
                cudaEventSynchronize((cudaEvent_t)m->ev[s][k]);
                cudaEventDestroy((cudaEvent_t)m->ev[s][k]);
            }
    memset(m, 0, sizeof *m);
}
