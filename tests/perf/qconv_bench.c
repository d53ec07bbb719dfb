/* qconv_bench.c: one int8 convolution (QConv, ops/qconv.c) timed alone, the way `yolo build
 * --int8` leaves it in yolov8n: uint8 in, SiLU, uint8 out through a fused QuantizeLinear
 * (fparams OSC). For work on the int8 kernels, where the whole-model profile is too coarse
 * and too noisy to tell 5% on one layer. Not a test: it checks nothing.
 *
 *   make build/tests/perf/qconv_bench
 *   build/tests/perf/qconv_bench [-t THREADS] [-r RUNS] [--isa ISA] [--cold] [C M H W K STRIDE ...]
 *
 * Without shapes it runs yolov8n's int8 layers of each kind (stem, stride 2, 3x3, 1x1 at
 * each width). Prints per layer: the kernel, min and median ms over RUNS runs (after 5
 * warm-up runs), GOP/s of the median. The input and output are the graph's, so NCHW: the c4
 * layout between convolutions (cpu/qconv_pack.h) is not part of what this times. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "layer_bench.h"
#include "ops/op_params.h"
#include "qgraph.h"

/* x (uint8 [1, C, H, W], the graph input) -> QConv -> y (uint8, SiLU, osc) */
static void build(struct yolo_graph *g, const int64_t sh[6])
{
    int64_t C = sh[0], M = sh[1], H = sh[2], W = sh[3], k = sh[4], s = sh[5];
    uint64_t seed = 0x9c0b7u;
    yolo_graph_init(g);
    const int64_t xs[4] = { 1, C, H, W };
    int32_t x = yolo_graph_add_tensor(g, "x", YOLO_DT_U8, 4, xs, NULL);
    qg_input(g, x);
    int32_t y = qg_tensor(g, "y");
    int32_t ni = qg_qconv(g, "conv", x, C, M, k, s, 0, &seed, y);   /* may move g->nodes */
    struct yolo_node *n = &g->nodes[ni];
    int64_t *p = n->params;
    p[YOLO_CONV_ACT] = YOLO_ACT_SILU;
    p[YOLO_QC_XZP] = 3;
    p[YOLO_QC_ODT] = YOLO_DT_U8;
    p[YOLO_QC_YZP] = 20;
    n->fparams[YOLO_QC_FP_OSC] = 0.05f;
    qg_output(g, y);
}

int main(int argc, char **argv)
{
    /* C M H W K stride: yolov8n's int8 layers, one of each kind and width */
    static const int64_t v8n[][6] = {
        { 3, 16, 640, 640, 3, 2 },   { 16, 32, 320, 320, 3, 2 },  { 32, 32, 160, 160, 1, 1 },
        { 16, 16, 160, 160, 3, 1 },  { 48, 32, 160, 160, 1, 1 },  { 32, 64, 160, 160, 3, 2 },
        { 64, 64, 80, 80, 1, 1 },    { 32, 32, 80, 80, 3, 1 },    { 128, 64, 80, 80, 1, 1 },
        { 64, 128, 80, 80, 3, 2 },   { 64, 64, 40, 40, 3, 1 },    { 256, 128, 40, 40, 1, 1 },
        { 128, 256, 40, 40, 3, 2 },  { 128, 128, 20, 20, 3, 1 },  { 256, 128, 20, 20, 1, 1 },
        { 64, 80, 80, 80, 3, 1 },    { 80, 80, 80, 80, 3, 1 },
    };
    return lb_main(argc, argv, "qconv_bench", v8n, sizeof v8n / sizeof v8n[0], 50, build,
                   YOLO_OP_QCONV, "GOP/s");
}
