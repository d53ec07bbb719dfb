/* layer_bench.h: what the one-layer benches (tests/perf/conv_bench.c, qconv_bench.c) share:
 * their command line, and the timing of the single convolution in the graph each builds. */
#ifndef YOLO_TESTS_LAYER_BENCH_H
#define YOLO_TESTS_LAYER_BENCH_H

#include "net.h"

/* Builds the graph of one layer: input x [1, C, H, W] -> the op -> output, from the shape
 * sh = { C, M, H, W, K, stride }. */
typedef void (*lb_build_fn)(struct yolo_graph *g, const int64_t sh[6]);

/* `tool [-t THREADS] [-r RUNS] [--isa ISA] [--cold] [C M H W K STRIDE ...]`: builds and
 * times each layer given (the n_layers of `layers` when none is): the first node of op `op`,
 * runs times after 5 warm-up runs, its input filled at random (uint8 bytes, or floats in
 * [0, 1)). --cold evicts the caches before each run and rewrites the input, as inside a model
 * (the layer before leaves its output, this layer's input, in cache; nothing else is).
 * Prints per layer the kernel, min and median ms and `unit` (GFLOP/s or GOP/s) of the
 * median. Returns the exit status (2 on a usage error). */
int lb_main(int argc, char **argv, const char *tool, const int64_t (*layers)[6], size_t n_layers,
            int runs, lb_build_fn build, enum yolo_op op, const char *unit);

#endif
