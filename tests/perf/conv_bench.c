/* conv_bench.c: one float32 convolution (Conv, packed by the CPU backend as a model's would
 * be) timed alone, with SiLU and bias as in YOLO. For work on the float kernels of
 * cpu/x86/conv_body.h, where the whole-model profile is too coarse and too noisy to tell 5%
 * on one layer. Not a test: it checks nothing.
 *
 *   make build/tests/perf/conv_bench
 *   build/tests/perf/conv_bench [-t THREADS] [-r RUNS] [--isa ISA] [C M H W K STRIDE ...]
 *
 * Without shapes it runs the stride-2 convs of yolo11n and yolov5n (input sizes; the pad is
 * K/2 as there, except yolov5n's 6x6 stem, padded 2). Prints per layer: the kernel, min and
 * median ms over RUNS runs (after 5 warm-up runs), GFLOP/s of the median. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "net.h"
#include "passes.h"
#include "ops/op_params.h"
#include "pool.h"
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
    p[YOLO_CONV_ACT] = YOLO_ACT_SILU;
    qg_output(g, y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void bench(const int64_t sh[6], int threads, int runs, const char *isa)
{
    struct yolo_graph g;
    build(&g, sh);
    struct yolo_net *net = NULL;
    struct yolo_runner *r = NULL;
    struct yolo_pool *pool = NULL;
    struct yolo_diag d = { 0 };
    if (threads > 1 && yolo_pool_create(threads, &pool, &d)) {
        fprintf(stderr, "conv_bench: %s\n", d.msg);
        exit(1);
    }
    struct yolo_net_params np = { .isa = isa };
    if (yolo_graph_infer(&g, 0, &d) || yolo_plan(&g, NULL, &d) ||
        yolo_net_create_graph(&g, &np, &net, &d) || yolo_runner_create(net, pool, &r, &d)) {
        fprintf(stderr, "conv_bench: %s\n", d.msg);
        exit(1);
    }
    const struct yolo_graph *ng = yolo_net_graph(net);
    float *x = yolo_runner_tensor(r, ng->inputs[0]);
    uint64_t seed = 7;
    for (int64_t i = 0; i < sh[0] * sh[2] * sh[3]; i++)
        x[i] = harness_randf(&seed, 0.0f, 1.0f);
    double *node_ms = calloc((size_t)ng->n_nodes, sizeof(double));
    double *t = calloc((size_t)runs, sizeof(double));
    int32_t conv = -1;
    for (int32_t i = 0; i < ng->n_nodes; i++)
        if (ng->nodes[i].op == YOLO_OP_CONV)
            conv = i;
    if (!node_ms || !t || conv < 0) {
        fprintf(stderr, "conv_bench: setup failed\n");
        exit(1);
    }
    yolo_runner_profile(r, node_ms);
    for (int i = 0; i < 5 + runs; i++) {
        memset(node_ms, 0, sizeof(double) * (size_t)ng->n_nodes);
        yolo_runner_run(r, &d);
        if (i >= 5)
            t[i - 5] = node_ms[conv];
    }
    qsort(t, (size_t)runs, sizeof(double), cmp_double);
    const struct yolo_tensor *Y = &ng->tensors[ng->nodes[conv].out[0]];
    double flops = 2.0 * (double)yolo_tensor_numel(Y) * (double)(sh[0] * sh[4] * sh[4]);
    printf("%4lld %4lld %4lldx%-4lld k%lld s%lld  %-16s min %7.3f  med %7.3f ms  %6.1f GFLOP/s\n",
           (long long)sh[0], (long long)sh[1], (long long)sh[2], (long long)sh[3],
           (long long)sh[4], (long long)sh[5], yolo_net_kernel_name(net, conv), t[0],
           t[runs / 2], flops / t[runs / 2] / 1e6);
    free(t);
    free(node_ms);
    yolo_runner_free(r);
    yolo_net_free(net);
    yolo_pool_free(pool);
    yolo_graph_release(&g);
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
    int threads = 1, runs = 30, a = 1;
    const char *isa = NULL;
    for (; a < argc && argv[a][0] == '-'; a++) {
        if (!strcmp(argv[a], "-t") && a + 1 < argc)
            threads = atoi(argv[++a]);
        else if (!strcmp(argv[a], "-r") && a + 1 < argc)
            runs = atoi(argv[++a]);
        else if (!strcmp(argv[a], "--isa") && a + 1 < argc)
            isa = argv[++a];
        else {
            fprintf(stderr, "usage: conv_bench [-t T] [-r R] [--isa ISA] [C M H W K S ...]\n");
            return 2;
        }
    }
    if (threads < 1 || runs < 1 || (argc - a) % 6) {
        fprintf(stderr, "conv_bench: shapes come in sixes (C M H W K S), T and R >= 1\n");
        return 2;
    }
    if (a == argc)
        for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++)
            bench(layers[i], threads, runs, isa);
    for (; a < argc; a += 6) {
        int64_t sh[6];
        for (int i = 0; i < 6; i++)
            sh[i] = atoll(argv[a + i]);
        bench(sh, threads, runs, isa);
    }
    return 0;
}
