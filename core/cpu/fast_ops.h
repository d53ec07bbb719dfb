/* fast_ops.h: the CPU backend's optimized kernels of the non-convolution ops
 * (core/cpu/x86/<op>_body.h, built once per ISA), picked by yolo_cpu_kernel_pick (select.c). Every kernel
 * computes exactly what the op's reference kernel computes (bit-identical for the data
 * movers and max; within a few float ulps where exp is involved) on any input that passed
 * the op's shape_fn, and splits its work over ith/nth like the reference. */
#ifndef YOLO_FAST_OPS_H
#define YOLO_FAST_OPS_H

#include "cpu/cpu.h"
#include "ops/op_params.h"

/* Sigmoid and SiLU (contiguous, any shape). */
void yolo_sigmoid_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_sigmoid_avx2(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_silu_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_silu_avx2(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);

/* QuantizeLinear (float32 -> uint8/int8) and DequantizeLinear (uint8/int8 -> float32) with
 * one scale and zero point (params[YOLO_QL_NCH] == 1); AVX-512 only, else the reference. */
void yolo_quantize_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_dequantize_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_qadd_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);

/* Add and Mul of two float32 tensors with the output's exact shape (no broadcasting). */
void yolo_add_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_add_avx2(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_mul_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_mul_avx2(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
int  yolo_binary_fast_applies(const struct yolo_graph *g, const struct yolo_node *n);

/* Pow of a float32 tensor by a constant 2 (one element, float32 or int64): a * a. */
void yolo_pow2_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_pow2_avx2(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
int  yolo_pow2_fast_applies(const struct yolo_graph *g, const struct yolo_node *n);

/* Softmax over any axis (params of ops/softmax.c: [2] outer [3] n [4] inner). */
void yolo_softmax_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_softmax_avx2(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);

/* MaxPool with SW == 1, DW == 1, DH == 1 (YOLO's SPPF 5x5): separable, a row pass into
 * per-thread scratch (yolo_maxpool_fast_scratch bytes) then a column pass. */
void yolo_maxpool_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_maxpool_avx2(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
int      yolo_maxpool_fast_applies(const struct yolo_node *n);
uint64_t yolo_maxpool_fast_scratch(const struct yolo_graph *g, const struct yolo_node *n, int nth);

/* A split chain (passes.h) as one pass, run in its Sigmoid's place: node data is the
 * struct yolo_split_chain, set with the kernel by yolo_split_chain_mark (cpu/split_chain_mark.c),
 * which also marks the Split, the chains' nodes and the Concat in skip[] (2: fused). */
void yolo_split_chain_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                             int nth);
void yolo_split_chain_avx2(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);

/* A DFL chain (passes.h) as one pass, run in its Conv's place: node data is the struct
 * yolo_cpu_dfl set with the kernel by yolo_dfl_mark (cpu/dfl_mark.c). */
void yolo_dfl_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_dfl_avx2(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
/* A QDQ DFL chain (yolo_dfl_q_find) as one pass, run in its QuantizeLinear's place, writing
 * the quantized bytes (the c4 layout where q_c4): node data as yolo_dfl_avx512's. */
void yolo_dfl_q_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
/* A QDQ join (passes.h, struct yolo_concat_q) as one pass, run in its QuantizeLinear's
 * place: node data is the struct yolo_cpu_concat_q set by yolo_concat_q_mark. AVX512_VBMI. */
void yolo_concat_q_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);

/* Transpose of 4-byte elements whose input-contiguous dim moves (8x8 register tiles). */
void yolo_transpose_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_transpose_avx2(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);

/* SpaceToDepth of float32 with blocksize 2 (even columns and odd columns of each input row). */
void yolo_space_to_depth2_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                                 int nth);
void yolo_space_to_depth2_avx2(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                               int nth);

/* Concat and Split with at least YOLO_ROWS_FAST_MIN rows before the axis and every part a
 * whole number of 32-bit words per row (yolo_rows_fast_applies): threads take whole rows,
 * each part copied with inline vector moves instead of one memmove per (row, part). */
#define YOLO_ROWS_FAST_MIN 16
void yolo_concat_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_concat_avx2(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_split_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_split_avx2(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
int  yolo_rows_fast_applies(const struct yolo_graph *g, const struct yolo_node *n);

/* MatMul (ops/matmul.c params) on the conv micro-kernel; per-thread scratch of
 * yolo_matmul_fast_scratch bytes. Applies when K <= YOLO_MATMUL_FAST_KMAX. */
#define YOLO_MATMUL_FAST_KMAX 16384
void yolo_matmul_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_matmul_avx2(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
int64_t  yolo_matmul_fast_mb(const struct yolo_node *n, int nth);   /* rows per work unit */
uint64_t yolo_matmul_fast_scratch(const struct yolo_graph *g, const struct yolo_node *n, int nth);

/* Nearest Resize of float32 NCHW by exactly 2 on H and W (x86/upsample_body.h), where
 * yolo_resize_is_2x (ops/op_params.h). */
void yolo_upsample2x_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_upsample2x_avx2(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);

/* Portable kernels (any ISA): MatMul through OpenBLAS sgemm (K > YOLO_MATMUL_FAST_KMAX),
 * nearest Resize with per-thread index tables (8 bytes per output index of every dim), tiled
 * Transpose of 4-byte elements, and a Transpose that keeps the last dim (runs of rows
 * reordered by memcpy, any element size). */
void yolo_matmul_blas(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_resize_nearest_fast(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                              int nth);
void yolo_transpose_tiled(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_transpose_rows(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);

#endif
