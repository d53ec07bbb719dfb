/* conv_gemm.h: Conv as im2col + OpenBLAS sgemm, with bias and activation fused into one
 * pass over each output tile.
 *
 *   const struct yolo_op_impl *impl = yolo_op_impl_get(YOLO_OP_CONV);
 *   yolo_kernel_fn k = impl->select_fn(g, n, isa);          // yolo_conv_gemm unless ref
 *   uint64_t per_thread = yolo_conv_gemm_scratch(g, n, nth);  // = impl->scratch_fn
 *   // every thread ith of nth: k(x, n, ith, nth) with x->scratch_bytes >= per_thread
 *
 * The node must have passed the Conv shape_fn (ops/conv.c): the kernel trusts its params,
 * shapes and the int range limits checked there. OpenBLAS is assumed single-threaded
 * (openblas_set_num_threads(1)); the caller's pool supplies the parallelism.
 */
#ifndef YOLO_CONV_GEMM_H
#define YOLO_CONV_GEMM_H

#include "yolo_core.h"

/* Conv kernel: thread ith of nth computes its share of (batch, group, column tile) units;
 * it uses only x->scratch + ith * x->scratch_bytes. Thread-safe across distinct ith. */
void     yolo_conv_gemm(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
/* Per-thread scratch bytes yolo_conv_gemm needs for node n split over nth threads (0 for
 * 1x1 stride-1 unpadded convolutions, which read the input in place). */
uint64_t yolo_conv_gemm_scratch(const struct yolo_graph *g, const struct yolo_node *n, int nth);

#endif
