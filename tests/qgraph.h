/* qgraph.h: small int8 graphs built by hand for the tests of the int8 passes and kernels
 * (test_fuse_qconv_q, test_qconv_c4) and tests/perf/qconv_bench: tensors, nodes,
 * Quantize/DequantizeLinear with one scale, and QConvs with seeded weights. */
#ifndef YOLO_TESTS_QGRAPH_H
#define YOLO_TESTS_QGRAPH_H

#include "net.h"

/* A tensor whose dtype and shape inference fills in. */
int32_t qg_tensor(struct yolo_graph *g, const char *name);
/* A node of op (its import defaults applied, opset 19) reading in[0..n_in-1], writing out;
 * returns its index (g->nodes may move). */
int32_t qg_node(struct yolo_graph *g, enum yolo_op op, const char *name, int n_in,
                const int32_t *in, int32_t out);
/* QuantizeLinear or DequantizeLinear (op) of x, per tensor: scale s, zero point zp of the
 * quantized dtype qdt (uint8 or int8). */
void    qg_qdq(struct yolo_graph *g, enum yolo_op op, const char *name, int32_t x, float s,
               enum yolo_dtype qdt, int32_t zp, int32_t out);
/* A QConv of x (C channels) to M channels, k x k, stride s, pad k / 2, group 1: weights in
 * [-127, 127], scales giving about 3 output steps per accumulator standard deviation, a bias
 * unless no_bias; params beyond the geometry are the caller's (zero points, ODT, ACT, ...).
 * Returns the node's index. */
int32_t qg_qconv(struct yolo_graph *g, const char *name, int32_t x, int64_t C, int64_t M,
                 int64_t k, int64_t s, int no_bias, uint64_t *seed, int32_t out);
/* A Conv's or QConv's params for a k x k kernel at stride s, pad k / 2, dilation 1, group 1. */
void    qg_conv_geometry(int64_t *params, int64_t k, int64_t s);
/* Runs g (float32 outputs) at isa on threads threads, its float32 input filled from seed 42
 * in [-1, 3); returns the outputs concatenated (malloc'd; *n_out floats) and, if kernels is
 * not NULL, each node's kernel name there (g->n_nodes entries). Exits on failure. */
float  *qg_run(const struct yolo_graph *g, const char *isa, int threads, int64_t *n_out,
               const char **kernels);
/* The index of the node named name, -1 if none. */
int32_t qg_find_node(const struct yolo_graph *g, const char *name);
/* The largest |got - ref| / (floor + |ref|) over n floats. */
double  qg_worst_rel(const float *got, const float *ref, int64_t n, double floor);
/* How many of n floats differ bit for bit between a and b. */
int64_t qg_bit_diffs(const float *a, const float *b, int64_t n);
/* Marks t a graph input or output. */
void    qg_input(struct yolo_graph *g, int32_t t);
void    qg_output(struct yolo_graph *g, int32_t t);
/* A nearest Resize x2 of x's last two dims (scales [1, 1, 2, 2], a constant named after the
 * node); returns its output tensor, named name. */
int32_t qg_resize2x(struct yolo_graph *g, const char *name, int32_t x);

#endif
