/* qconv_bench.c: one int8 convolution (QConv, ops/qconv.c) timed alone, the way `yolo build
 * --int8` leaves it in yolov8n: uint8 in, SiLU, uint8 out through a fused QuantizeLinear
 * (fparams OSC). For work on the int8 kernels, where the whole-model profile is too coarse
 * and too noisy to tell 5% on one layer. Not a test: it checks nothing.
 *
 *   make build/tests/perf/qconv_bench
 *   build/tests/perf/qconv_bench [-t THREADS] [-r RUNS] [--isa ISA] [C M H W K STRIDE ...]
 *
 * Without shapes it runs yolov8n's int8 layers of each kind (stem, stride 2, 3x3, 1x1 at
 * each width). Prints per layer: the kernel, min and median ms over RUNS runs (after 5
 * warm-up runs), GOP/s of the median. The input and output are the graph's, so NCHW: the c4
 * layout between convolutions (cpu/qconv_pack.h) is not part of what this times. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "net.h"
#include "passes.h"
#include "ops/op_params.h"
#include "pool.h"
#include "qgraph.h"

/* x (uint8 [1, C, H, W], the graph input) -> QConv -> y (uint8, SiLU, osc) */
static void build(struct yolo_graph *g, int64_t C, int64_t M, int64_t H, int64_t W, int64_t k,
                  int64_t s)
{
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void bench(const int64_t sh[6], int threads, int runs, const char *isa)
{
    struct yolo_graph g;
    build(&g, sh[0], sh[1], sh[2], sh[3], sh[4], sh[5]);
    struct yolo_net *net = NULL;
    struct yolo_runner *r = NULL;
    struct yolo_pool *pool = NULL;
    struct yolo_diag d = { 0 };
    if (threads > 1 && yolo_pool_create(threads, &pool, &d)) {
        fprintf(stderr, "qconv_bench: %s\n", d.msg);
        exit(1);
    }
    struct yolo_net_params np = { .isa = isa };
    if (yolo_graph_infer(&g, 0, &d) || yolo_plan(&g, NULL, &d) ||
        yolo_net_create_graph(&g, &np, &net, &d) || yolo_runner_create(net, pool, &r, &d)) {
        fprintf(stderr, "qconv_bench: %s\n", d.msg);
        exit(1);
    }
    const struct yolo_graph *ng = yolo_net_graph(net);
    uint8_t *x = yolo_runner_tensor(r, ng->inputs[0]);
    uint64_t seed = 7;
    for (int64_t i = 0; i < sh[0] * sh[2] * sh[3]; i++)
        x[i] = (uint8_t)harness_rand(&seed);
    double *node_ms = calloc((size_t)ng->n_nodes, sizeof(double));
    double *t = calloc((size_t)runs, sizeof(double));
    int32_t conv = -1;
    for (int32_t i = 0; i < ng->n_nodes; i++)
        if (ng->nodes[i].op == YOLO_OP_QCONV)
            conv = i;
    if (!node_ms || !t || conv < 0) {
        fprintf(stderr, "qconv_bench: setup failed\n");
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
    double ops = 2.0 * (double)yolo_tensor_numel(Y) * (double)(sh[0] * sh[4] * sh[4]);
    printf("%4lld %4lld %4lldx%-4lld k%lld s%lld  %-16s min %7.3f  med %7.3f ms  %6.1f GOP/s\n",
           (long long)sh[0], (long long)sh[1], (long long)sh[2], (long long)sh[3],
           (long long)sh[4], (long long)sh[5], yolo_net_kernel_name(net, conv), t[0],
           t[runs / 2], ops / t[runs / 2] / 1e6);
    free(t);
    free(node_ms);
    yolo_runner_free(r);
    yolo_net_free(net);
    yolo_pool_free(pool);
    yolo_graph_release(&g);
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
    int threads = 1, runs = 50, a = 1;
    const char *isa = NULL;
    for (; a < argc && argv[a][0] == '-'; a++) {
        if (!strcmp(argv[a], "-t") && a + 1 < argc)
            threads = atoi(argv[++a]);
        else if (!strcmp(argv[a], "-r") && a + 1 < argc)
            runs = atoi(argv[++a]);
        else if (!strcmp(argv[a], "--isa") && a + 1 < argc)
            isa = argv[++a];
        else {
            fprintf(stderr, "usage: qconv_bench [-t T] [-r R] [--isa ISA] [C M H W K S ...]\n");
            return 2;
        }
    }
    if (threads < 1 || runs < 1 || (argc - a) % 6) {
        fprintf(stderr, "qconv_bench: shapes come in sixes (C M H W K S), T and R >= 1\n");
        return 2;
    }
    if (a == argc)
        for (size_t i = 0; i < sizeof v8n / sizeof v8n[0]; i++)
            bench(v8n[i], threads, runs, isa);
    for (; a < argc; a += 6) {
        int64_t sh[6];
        for (int i = 0; i < 6; i++)
            sh[i] = atoll(argv[a + i]);
        bench(sh, threads, runs, isa);
    }
    return 0;
}
