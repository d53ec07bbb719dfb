/* cuda/conv_tune.c: YOLO_CUDA_CONV=tune: for each FP16 convolution that cuDNN and one of our
 * kernels (the implicit GEMM, the tiled one) can run, which one does, decided by timing each
 * at load on this GPU with this model's shapes (the default is conv_igemm.c's fixed rule, which gives the same bits on
 * every load; timing can pick differently from one load to the next).
 *
 * Why measure: neither wins everywhere. Measured on an H200 (yolov8n, FP16): at batch 128 ours
 * is 2-5x faster on the wide early layers (3 or 16 channels in, 320x320 pixels), cuDNN up to
 * 3x faster on the deep 3x3 ones; at batch 1 ours saves the separate epilogue launch. Each
 * candidate is timed as a CUDA graph of a few launches, the way a run replays it, so cuDNN's
 * host-side cost per call does not count against it. Costs well under a second per model. */
#include <math.h>
#include <stdio.h>

#include "cuda/cuda_model.h"

enum { TUNE_REPS = 4 };

/* The GPU time of one launch of conv node i as it is set now (cv->kernel): the median
 * of three replays of a graph of TUNE_REPS launches, after one warm-up replay. */
static int time_conv(struct cuda_ctx *c, int32_t i, float *ms, struct yolo_diag *d)
{
    cudaGraph_t graph = NULL;
    cudaGraphExec_t exec = NULL;
    cudaEvent_t ev[2] = { NULL, NULL };
    int rc = 0;
    if (cudaStreamBeginCapture(c->stream, cudaStreamCaptureModeThreadLocal) != cudaSuccess)
        return cuda_fail(d, "capturing a convolution to time it", cudaGetLastError());
    for (int r = 0; r < TUNE_REPS && !rc; r++)
        rc = cuda_conv_run(c, i, d);
    cudaError_t e = cudaStreamEndCapture(c->stream, &graph);
    if (!rc && e != cudaSuccess)
        rc = cuda_fail(d, "capturing a convolution to time it", e);
    if (!rc && (e = cudaGraphInstantiate(&exec, graph, 0)) != cudaSuccess)
        rc = cuda_fail(d, "instantiating a timing graph", e);
    if (!rc && ((e = cudaEventCreate(&ev[0])) != cudaSuccess ||
                (e = cudaEventCreate(&ev[1])) != cudaSuccess ||
                (e = cudaGraphLaunch(exec, c->stream)) != cudaSuccess))
        rc = cuda_fail(d, "timing a convolution", e);
    float t[3];
    for (int k = 0; !rc && k < 3; k++)
        if ((e = cuda_replay_ms(c, exec, ev, &t[k])) != cudaSuccess)
            rc = cuda_fail(d, "timing a convolution", e);
    if (!rc) {
        float lo = fminf(t[0], fminf(t[1], t[2])), hi = fmaxf(t[0], fmaxf(t[1], t[2]));
        *ms = (t[0] + t[1] + t[2] - lo - hi) / TUNE_REPS;
    }
    for (int k = 0; k < 2; k++)
        if (ev[k])
            cudaEventDestroy(ev[k]);
    if (exec)
        cudaGraphExecDestroy(exec);
    if (graph)
        cudaGraphDestroy(graph);
    cudaGetLastError();   /* a failed capture leaves nothing behind for the next call */
    return rc;
}

int cuda_conv_tune(struct cuda_model *m, struct cuda_ctx *c, struct yolo_diag *d)
{
    for (int32_t i = 0; i < m->g->n_nodes; i++) {
        struct cuda_conv *cv = &m->convs[i];
        if ((!cv->igemm_ok && !cv->tile_ok) || m->skip[i] || cv->nhwc)
            continue;
        /* ours first (each must run), then cuDNN (an algorithm that will not capture loses) */
        static const int32_t order[4] = { CUDA_CONV_TILE, CUDA_CONV_IGEMM, CUDA_CONV_PW,
                                          CUDA_CONV_CUDNN };
        const int32_t ok[4] = { cv->tile_ok, cv->igemm_ok, cv->pw_ok, 1 };
        float best = INFINITY, took[4] = { INFINITY, INFINITY, INFINITY, INFINITY };
        int32_t pick = CUDA_CONV_CUDNN;
        for (int k = 0; k < 4; k++) {
            if (!ok[k])
                continue;
            float t = INFINITY;
            cv->kernel = order[k];
            if (order[k] != CUDA_CONV_CUDNN) {
                int rc = time_conv(c, i, &t, d);
                if (rc)
                    return rc;
            } else if (time_conv(c, i, &t, NULL)) {
                t = INFINITY;
            }
            took[k] = t;
            if (t < best) {
                best = t;
                pick = order[k];
            }
        }
        cv->kernel = best < INFINITY ? pick : cv->tile_ok ? CUDA_CONV_TILE : CUDA_CONV_IGEMM;
        if (cuda_log_on())
            fprintf(stderr, "yolo: tune %s: tile %.4f igemm %.4f pw %.4f cudnn %.4f ms -> %s\n",
                    m->g->nodes[i].name, took[0], took[1], took[2], took[3],
                    cv->kernel == CUDA_CONV_TILE    ? "tile"
                    : cv->kernel == CUDA_CONV_IGEMM ? "igemm"
                    : cv->kernel == CUDA_CONV_PW    ? "pw"
                                                    : "cudnn");
    }
    return 0;
}
