/* backend.h: the seam between the runtime and the hardware. A backend is a device kind (the
 * x86 CPU, core/cpu/; NVIDIA GPUs, core/cuda/ in builds made with CUDA=1): it says which nodes it can run, prepares a model's
 * weights once into its own layout and precision (shared by every runner and clone), gives
 * each runner its buffers (host or device memory, sized and laid out by the planner's
 * offsets, core/plan.c), runs the whole plan, and copies tensors in and out.
 *
 *   const struct yolo_backend *b = yolo_backend_find("cpu");
 *   void *model;                    // prepared once per net (net.c does this)
 *   b->prepare(g, &opt, &model, &d);
 *   void *ctx;                      // one per runner: its arena and scratch
 *   b->ctx_create(model, pool, &ctx, &d);
 *   b->tensor_set(ctx, input, pixels, 0, bytes);  b->run(ctx, NULL, &d);
 *   b->tensor_get(ctx, output, out, 0, bytes);
 *
 * The op definitions (core/ops/: import, shapes, FLOPs, reference kernel) know nothing of
 * backends; a backend's kernels live in its own folder. Adding one = a folder with a struct
 * yolo_backend, one line in backend.c's table, and its kernels; tests/test_backend_ops.c then
 * checks every op it claims against the reference kernels.
 *
 * Thread-safety: prepare and the prepared model are read-only once made and shared by any
 * number of threads; a ctx is used by one thread at a time. */
#ifndef YOLO_BACKEND_H
#define YOLO_BACKEND_H

#include "pool.h"
#include "yolo_core.h"

struct yolo_backend_options {
    const char *isa;          /* CPU: "ref" | "avx2" | "avx512" | NULL (best; $YOLO_ISA) */
    int32_t     device;       /* device index for backends with several (cuda:N) */
    const char *precision;    /* "fp32" (NULL) | "fp16": the arithmetic a device backend
                                 runs in; the CPU backend runs FP32 whatever this says */
};

struct yolo_backend {
    const char *name;         /* "cpu" */
    int         is_host;      /* buffers are host memory: tensor_host works */
    /* Devices of this kind the machine has now (0: none, or no driver); the CPU: 1. */
    int32_t (*device_count)(void);
    /* Whether node n of g can run here (dtype, shape and parameter limits of its kernels). */
    int  (*supports_node)(const struct yolo_graph *g, const struct yolo_node *n);
    /* Checks every node, picks kernels and prepares the weights (layout, precision) once. g is
     * borrowed and must outlive *prepared. On failure nothing is left allocated. */
    int  (*prepare)(const struct yolo_graph *g, const struct yolo_backend_options *opt,
                    void **prepared, struct yolo_diag *d);
    void (*prepared_free)(void *prepared);
    uint64_t    (*prepared_bytes)(const void *prepared);  /* weights made at load */
    const char *(*kernel_name)(const void *prepared, int32_t node); /* "alias" = nothing runs */
    const char *(*variant)(const void *prepared);         /* e.g. "avx512" */
    /* A runner's state: buffers for the planner's arena (g->arena_bytes, zeroed) and scratch.
     * pool: the host threads a host backend splits nodes over (borrowed, NULL = caller). */
    int  (*ctx_create)(const void *prepared, struct yolo_pool *pool, void **ctx,
                       struct yolo_diag *d);
    void (*ctx_free)(void *ctx);
    uint64_t (*ctx_bytes)(const void *ctx);               /* arena + scratch */
    /* Runs every node in plan order. node_ms (NULL = off): each node's wall time is added. */
    int  (*run)(void *ctx, double *node_ms, struct yolo_diag *d);
    /* Device backends (NULL for host ones): queues the whole plan on queue() and returns
     * without waiting, so the caller can queue its own work behind it and overlap the next
     * upload; errors of the work itself show at the caller's next wait. */
    int  (*enqueue)(void *ctx, struct yolo_diag *d);
    /* Copies bytes [offset, offset + bytes) of tensor t in or out (bounds checked). */
    int  (*tensor_set)(void *ctx, int32_t t, const void *src, uint64_t offset, uint64_t bytes);
    int  (*tensor_get)(void *ctx, int32_t t, void *dst, uint64_t offset, uint64_t bytes);
    /* Host address of tensor t (is_host backends), else NULL. */
    void *(*tensor_host)(void *ctx, int32_t t);
    /* Device backends (NULL for host ones): tensor t's device address, and the queue (a
     * cudaStream_t) run() executes on, so a caller can enqueue its own work on tensor t
     * (the GPU letterbox writing the input) ordered before the next run. */
    void *(*tensor_device)(void *ctx, int32_t t);
    void *(*queue)(void *ctx);
    /* Device backends: bytes in use on the prepared model's device now (every process's),
     * for measuring what a context adds. NULL for host ones. */
    int (*device_used)(const void *prepared, uint64_t *bytes);
};

/* The backends compiled into this build, by name ("cpu", ...); NULL if none has that name. */
const struct yolo_backend *yolo_backend_find(const char *name);
int32_t                    yolo_backend_count(void);
const struct yolo_backend *yolo_backend_at(int32_t i);

extern const struct yolo_backend yolo_backend_cpu;   /* core/cpu/backend_cpu.c */
#ifdef YOLO_CUDA
extern const struct yolo_backend yolo_backend_cuda;  /* core/cuda/backend_cuda.c (make CUDA=1) */
#endif

#endif
