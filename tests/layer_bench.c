/* layer_bench.c: see layer_bench.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "layer_bench.h"
#include "passes.h"
#include "pool.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void die(const char *tool, const char *msg)
{
    fprintf(stderr, "%s: %s\n", tool, msg);
    exit(1);
}

/* --cold: before each run, 64 MiB are written (evicting the caches, as the rest of a model
 * does between two runs of a layer) and then the input rewritten from a copy, so the input is
 * cached as the layer before would leave it and the output is not. */
#define COLD_BYTES ((size_t)64 << 20)

static void time_layer(const char *tool, const int64_t sh[6], int threads, int runs,
                       const char *isa, int cold, lb_build_fn build, enum yolo_op op,
                       const char *unit)
{
    struct yolo_graph g;
    build(&g, sh);
    struct yolo_net *net = NULL;
    struct yolo_runner *r = NULL;
    struct yolo_pool *pool = NULL;
    struct yolo_diag d = { 0 };
    if (threads > 1 && yolo_pool_create(threads, &pool, &d))
        die(tool, d.msg);
    struct yolo_net_params np = { .isa = isa };
    if (yolo_graph_infer(&g, 0, &d) || yolo_plan(&g, NULL, &d) ||
        yolo_net_create_graph(&g, &np, &net, &d) || yolo_runner_create(net, pool, &r, &d))
        die(tool, d.msg);
    const struct yolo_graph *ng = yolo_net_graph(net);
    const struct yolo_tensor *X = &ng->tensors[ng->inputs[0]];
    void *x = yolo_runner_tensor(r, ng->inputs[0]);
    uint64_t seed = 7;
    for (int64_t i = 0, n = yolo_tensor_numel(X); i < n; i++) {
        if (X->dtype == YOLO_DT_F32)
            ((float *)x)[i] = harness_randf(&seed, 0.0f, 1.0f);
        else
            ((uint8_t *)x)[i] = (uint8_t)harness_rand(&seed);
    }
    size_t xbytes = (size_t)yolo_tensor_bytes(X);
    unsigned char *evict = cold ? malloc(COLD_BYTES) : NULL, *xcopy = cold ? malloc(xbytes) : NULL;
    if (cold && (!evict || !xcopy))
        die(tool, "out of memory");
    if (cold)
        memcpy(xcopy, x, xbytes);
    double *node_ms = calloc((size_t)ng->n_nodes, sizeof(double));
    double *t = calloc((size_t)runs, sizeof(double));
    int32_t layer = -1;
    for (int32_t i = ng->n_nodes - 1; i >= 0; i--)
        if (ng->nodes[i].op == op)
            layer = i;
    if (!node_ms || !t || layer < 0)
        die(tool, "setup failed");
    yolo_runner_profile(r, node_ms);
    for (int i = 0; i < 5 + runs; i++) {
        memset(node_ms, 0, sizeof(double) * (size_t)ng->n_nodes);
        if (cold) {
            memset(evict, i & 0xff, COLD_BYTES);
            memcpy(x, xcopy, xbytes);
        }
        yolo_runner_run(r, &d);
        if (i >= 5)
            t[i - 5] = node_ms[layer];
    }
    qsort(t, (size_t)runs, sizeof(double), cmp_double);
    const struct yolo_tensor *Y = &ng->tensors[ng->nodes[layer].out[0]];
    double ops = 2.0 * (double)yolo_tensor_numel(Y) * (double)(sh[0] * sh[4] * sh[4]);
    printf("%4lld %4lld %4lldx%-4lld k%lld s%lld  %-16s min %7.3f  med %7.3f ms  %6.1f %s\n",
           (long long)sh[0], (long long)sh[1], (long long)sh[2], (long long)sh[3],
           (long long)sh[4], (long long)sh[5], yolo_net_kernel_name(net, layer), t[0],
           t[runs / 2], ops / t[runs / 2] / 1e6, unit);
    free(t);
    free(node_ms);
    free(evict);
    free(xcopy);
    yolo_runner_free(r);
    yolo_net_free(net);
    yolo_pool_free(pool);
    yolo_graph_release(&g);
}

int lb_main(int argc, char **argv, const char *tool, const int64_t (*layers)[6], size_t n_layers,
            int runs, lb_build_fn build, enum yolo_op op, const char *unit)
{
    int threads = 1, a = 1, cold = 0;
    const char *isa = NULL;
    for (; a < argc && argv[a][0] == '-'; a++) {
        if (!strcmp(argv[a], "-t") && a + 1 < argc)
            threads = atoi(argv[++a]);
        else if (!strcmp(argv[a], "-r") && a + 1 < argc)
            runs = atoi(argv[++a]);
        else if (!strcmp(argv[a], "--isa") && a + 1 < argc)
            isa = argv[++a];
        else if (!strcmp(argv[a], "--cold"))
            cold = 1;
        else {
            fprintf(stderr, "usage: %s [-t T] [-r R] [--isa ISA] [--cold] [C M H W K S ...]\n",
                    tool);
            return 2;
        }
    }
    if (threads < 1 || runs < 1 || (argc - a) % 6) {
        fprintf(stderr, "%s: shapes come in sixes (C M H W K S), T and R >= 1\n", tool);
        return 2;
    }
    if (a == argc)
        for (size_t i = 0; i < n_layers; i++)
            time_layer(tool, layers[i], threads, runs, isa, cold, build, op, unit);
    for (; a < argc; a += 6) {
        int64_t sh[6];
        for (int i = 0; i < 6; i++)
            sh[i] = atoll(argv[a + i]);
        time_layer(tool, sh, threads, runs, isa, cold, build, op, unit);
    }
    return 0;
}
