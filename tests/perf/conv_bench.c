/* conv_bench.c: one float32 convolution (Conv, packed by the CPU backend as a model's would
 * be) timed alone, with SiLU and bias as in YOLO. For work on the float kernels of
 * cpu/x86/conv_body.h, where the whole-model profile is too coarse and too noisy to tell 5%
 * on one layer. Not a test: it checks nothing.
 *
 *   make build/tests/perf/conv_bench
 *   build/tests/perf/conv_bench [-t THREADS] [-r RUNS] [--isa ISA] [--cold] [C M H W K STRIDE ...]
 *
 * Without shapes it runs the stride-2 convs of yolo11n and yolov5n (input sizes; the pad is
 * K/2 as there, except yolov5n's 6x6 stem, padded 2). Prints per layer: the kernel, min and
 * median ms over RUNS runs (after 5 warm-up runs), GFLOP/s of the median. --cold evicts the
 * caches before each run, as a model's other layers do (tests/layer_bench.h). With BF16=1 in
 * the environment the conv goes through `yolo build --bf16`'s pass first, so the bf16 kernels
 * run (YOLO_BF16_WINO=0 keeps the 3x3 stride-1 ones on float32 Winograd, for comparison).
 * CB_ACT=N sets the fused activation (enum yolo_act: 0 none, 3 SiLU, the default): what the
 * epilogue's SiLU costs (one core, Zen 4: 48 -> 64 1x1 at 40x40 0.114 -> 0.095 ms). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "layer_bench.h"
#include "ops/op_params.h"
#include "passes.h"
#include "qgraph.h"

/* x (float [1, C, H, W], the graph input) -> Conv (bias, SiLU) -> y */
static void build(struct yolo_graph *g, const int64_t sh[6])
{
    int64_t C = sh[0], M = sh[1], k = sh[4], nw = M * C * k * k;
    uint64_t seed = 0x5eedu;
    yolo_graph_init(g);
    const int64_t xs[4] = { 1, C, sh[2], sh[3] }, ws[4] = { M, C, k, k };
    int32_t x = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 4, xs, NULL);
    qg_input(g, x);
    float *wv = malloc(sizeof(float) * (size_t)(nw + M));
    if (!wv)
        exit(1);
    for (int64_t i = 0; i < nw + M; i++)
        wv[i] = harness_randf(&seed, -1.0f, 1.0f) / sqrtf((float)(C * k * k));
    int32_t w = yolo_graph_add_const(g, "w", YOLO_DT_F32, 4, ws, wv, NULL);
    int32_t b = yolo_graph_add_const(g, "b", YOLO_DT_F32, 1, &M, wv + nw, NULL);
    free(wv);
    int32_t y = qg_tensor(g, "y");
    int32_t ni = qg_node(g, YOLO_OP_CONV, "conv", 3, (int32_t[]){ x, w, b }, y);
    int64_t *p = g->nodes[ni].params, pad = k == 6 ? 2 : k / 2;
    p[YOLO_CONV_KH] = p[YOLO_CONV_KW] = k;
    p[YOLO_CONV_SH] = p[YOLO_CONV_SW] = sh[5];
    p[YOLO_CONV_DH] = p[YOLO_CONV_DW] = 1;
    p[YOLO_CONV_PT] = p[YOLO_CONV_PL] = p[YOLO_CONV_PB] = p[YOLO_CONV_PR] = pad;
    p[YOLO_CONV_GROUP] = 1;
    p[YOLO_CONV_ACT] = getenv("CB_ACT") ? atoi(getenv("CB_ACT")) : YOLO_ACT_SILU;
    qg_output(g, y);
    const char *bf16 = getenv("BF16");
    uint8_t ok = 1;
    int converted = 0;
    if (bf16 && strcmp(bf16, "1") == 0 && (yolo_opt_bf16(g, &ok, &converted, NULL) || converted != 1))
        exit(1);
}

int main(int argc, char **argv)
{
    /* C M H W K stride: the stride-2 convs of yolo11n (and yolov8n), then yolov5n's */
    static const int64_t layers[][6] = {
        { 3, 16, 640, 640, 3, 2 },   { 16, 32, 320, 320, 3, 2 },  { 64, 64, 160, 160, 3, 2 },
        { 128, 128, 80, 80, 3, 2 },  { 128, 256, 40, 40, 3, 2 },  { 64, 64, 80, 80, 3, 2 },
        { 128, 128, 40, 40, 3, 2 },  { 3, 16, 640, 640, 6, 2 },   { 16, 32, 320, 320, 3, 2 },
        { 32, 64, 160, 160, 3, 2 },  { 64, 128, 80, 80, 3, 2 },   { 128, 256, 40, 40, 3, 2 },
    };
    return lb_main(argc, argv, "conv_bench", layers, sizeof layers / sizeof layers[0], 30, build,
                   YOLO_OP_CONV, "GFLOP/s");
}
