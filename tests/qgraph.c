/* qgraph.c: see qgraph.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ops/op_params.h"
#include "pool.h"
#include "qgraph.h"

int32_t qg_tensor(struct yolo_graph *g, const char *name)
{
    return yolo_graph_add_tensor(g, name, YOLO_DT_UNDEF, -1, NULL, NULL);
}

int32_t qg_node(struct yolo_graph *g, enum yolo_op op, const char *name, int n_in,
                const int32_t *in, int32_t out)
{
    int32_t i = yolo_graph_add_node(g, op, name, n_in, in, 1, &out, NULL);
    const struct yolo_op_impl *impl = yolo_op_impl_get(op);
    if (impl->import_fn) {
        struct yolo_attrs none = { NULL, 0, 19 };
        impl->import_fn(g, &g->nodes[i], &none, NULL);
    }
    return i;
}

void qg_qdq(struct yolo_graph *g, enum yolo_op op, const char *name, int32_t x, float s,
            enum yolo_dtype qdt, int32_t zp, int32_t out)
{
    char nm[64];
    snprintf(nm, sizeof nm, "%s_s", name);
    int32_t st = yolo_graph_add_const(g, nm, YOLO_DT_F32, 0, NULL, &s, NULL);
    snprintf(nm, sizeof nm, "%s_z", name);
    uint8_t u = (uint8_t)zp;
    int8_t i = (int8_t)zp;
    int32_t zt = yolo_graph_add_const(g, nm, qdt, 0, NULL, qdt == YOLO_DT_I8 ? (void *)&i : (void *)&u,
                                      NULL);
    qg_node(g, op, name, 3, (int32_t[]){ x, st, zt }, out);
}

int32_t qg_qconv(struct yolo_graph *g, const char *name, int32_t x, int64_t C, int64_t M,
                 int64_t k, int64_t s, int no_bias, uint64_t *seed, int32_t out)
{
    int64_t ws[4] = { M, C, k, k }, nw = M * C * k * k;
    int8_t *w = malloc((size_t)nw);
    float *sc = malloc(sizeof(float) * (size_t)M);
    int32_t *b = malloc(sizeof(int32_t) * (size_t)M);
    if (!w || !sc || !b) {
        fprintf(stderr, "qg_qconv: out of memory\n");
        exit(1);
    }
    for (int64_t i = 0; i < nw; i++)
        w[i] = (int8_t)(harness_rand(seed) % 255 - 127);
    for (int64_t m = 0; m < M; m++) {
        sc[m] = harness_randf(seed, 0.5f, 2.0f) / (float)(60 * C * k * k);
        b[m] = (int32_t)(harness_rand(seed) % 20001) - 10000;
    }
    char nm[64];
    int32_t in[5];
    in[0] = x;
    snprintf(nm, sizeof nm, "%s_w", name);
    in[1] = yolo_graph_add_const(g, nm, YOLO_DT_I8, 4, ws, w, NULL);
    snprintf(nm, sizeof nm, "%s_b", name);
    in[2] = no_bias ? -1 : yolo_graph_add_const(g, nm, YOLO_DT_I32, 1, &M, b, NULL);
    snprintf(nm, sizeof nm, "%s_ws", name);
    in[3] = yolo_graph_add_const(g, nm, YOLO_DT_F32, 1, &M, sc, NULL);
    in[4] = -1;
    free(w);
    free(sc);
    free(b);
    int32_t ni = qg_node(g, YOLO_OP_QCONV, name, 5, in, out);
    qg_conv_geometry(g->nodes[ni].params, k, s);
    return ni;
}

void qg_conv_geometry(int64_t *p, int64_t k, int64_t s)
{
    p[YOLO_CONV_KH] = p[YOLO_CONV_KW] = k;
    p[YOLO_CONV_SH] = p[YOLO_CONV_SW] = s;
    p[YOLO_CONV_DH] = p[YOLO_CONV_DW] = p[YOLO_CONV_GROUP] = 1;
    p[YOLO_CONV_PT] = p[YOLO_CONV_PB] = p[YOLO_CONV_PL] = p[YOLO_CONV_PR] = k / 2;
}

int32_t qg_find_node(const struct yolo_graph *g, const char *name)
{
    for (int32_t i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].name, name))
            return i;
    return -1;
}

void qg_input(struct yolo_graph *g, int32_t t)
{
    g->tensors[t].flags |= YOLO_TF_INPUT;
    g->inputs[g->n_inputs++] = t;
}

void qg_output(struct yolo_graph *g, int32_t t)
{
    g->tensors[t].flags |= YOLO_TF_OUTPUT;
    g->outputs[g->n_outputs++] = t;
}

int32_t qg_resize2x(struct yolo_graph *g, const char *name, int32_t x)
{
    const float sc[4] = { 1, 1, 2, 2 };
    const int64_t four = 4;
    char cn[32];
    snprintf(cn, sizeof cn, "%s_scales", name);
    int32_t st = yolo_graph_add_const(g, cn, YOLO_DT_F32, 1, &four, sc, NULL);
    int32_t y = qg_tensor(g, name);
    qg_node(g, YOLO_OP_RESIZE, name, 3, (int32_t[]){ x, -1, st }, y);
    return y;
}

float *qg_run(const struct yolo_graph *g, const char *isa, int threads, int64_t *n_out,
              const char **kernels)
{
    struct yolo_net *net = NULL;
    struct yolo_runner *r = NULL;
    struct yolo_pool *pool = NULL;
    struct yolo_diag d = { 0 };
    struct yolo_net_params np = { .isa = isa };
    if ((threads > 1 && yolo_pool_create(threads, &pool, &d)) ||
        yolo_net_create_graph(g, &np, &net, &d) || yolo_runner_create(net, pool, &r, &d)) {
        fprintf(stderr, "qg_run: %s\n", d.msg);
        exit(1);
    }
    float *x = yolo_runner_tensor(r, g->inputs[0]);
    uint64_t s = 42;
    for (int64_t i = 0; i < yolo_tensor_numel(&g->tensors[g->inputs[0]]); i++)
        x[i] = harness_randf(&s, -1, 3);
    if (yolo_runner_run(r, &d)) {
        fprintf(stderr, "qg_run: %s\n", d.msg);
        exit(1);
    }
    int64_t n = 0;
    for (int i = 0; i < g->n_outputs; i++)
        n += yolo_tensor_numel(&g->tensors[g->outputs[i]]);
    float *out = malloc(sizeof(float) * (size_t)(n ? n : 1));
    if (!out) {
        fprintf(stderr, "qg_run: out of memory\n");
        exit(1);
    }
    *n_out = 0;
    for (int i = 0; i < g->n_outputs; i++) {
        const struct yolo_tensor *t = &g->tensors[g->outputs[i]];
        memcpy(out + *n_out, yolo_runner_tensor(r, g->outputs[i]), yolo_tensor_bytes(t));
        *n_out += yolo_tensor_numel(t);
    }
    for (int32_t i = 0; kernels && i < g->n_nodes; i++)
        kernels[i] = yolo_net_kernel_name(net, i);
    yolo_runner_free(r);
    yolo_net_free(net);
    yolo_pool_free(pool);
    return out;
}

double qg_worst_rel(const float *got, const float *ref, int64_t n, double floor)
{
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - ref[i]) / (floor + fabs((double)ref[i]));
        worst = e > worst ? e : worst;
    }
    return worst;
}

int64_t qg_bit_diffs(const float *a, const float *b, int64_t n)
{
    int64_t diff = 0;
    for (int64_t i = 0; i < n; i++)
        diff += memcmp(&a[i], &b[i], sizeof(float)) != 0;
    return diff;
}
