/* test_passes.c: every optimizer pass and the memory planner, checked by running a graph
 * before and after on the same random input (outputs must agree), and by what the pass
 * should have removed. The graph exercises every pattern the passes look for:
 *
 *   x -> Conv1 -> BatchNorm -> [Sigmoid, Mul] (SiLU) -> Conv2 -> Relu -> Identity
 *     -> Reshape (same shape) -> Add(c1 + c2, folded) -> [Sigmoid, Mul] (standalone SiLU)
 *     -> Conv3 -> Sigmoid -> y
 *
 * and stem_s2d, on stride-2 convolutions of its own (check_stem_s2d).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "harness.h"
#include "plan_models.h"
#include "net.h"
#include "passes.h"

static uint64_t seed = 0x5eed1234u;

static int32_t add_const_rand(struct yolo_graph *g, const char *name, int nd, const int64_t *shape,
                              float lo, float hi)
{
    int64_t n = 1;
    for (int i = 0; i < nd; i++)
        n *= shape[i];
    float *v = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        v[i] = harness_randf(&seed, lo, hi);
    int32_t t = yolo_graph_add_const(g, name, YOLO_DT_F32, nd, shape, v, NULL);
    free(v);
    return t;
}

static int32_t tensor(struct yolo_graph *g, const char *name)
{
    return yolo_graph_add_tensor(g, name, YOLO_DT_UNDEF, -1, NULL, NULL);
}

static void conv_attrs_full(struct yolo_graph *g, int32_t node, int64_t k, int64_t stride,
                            const int64_t pads[4])
{
    int64_t ks[2] = { k, k }, st[2] = { stride, stride }, dl[2] = { 1, 1 };
    int64_t pd[4] = { pads[0], pads[1], pads[2], pads[3] };
    struct yolo_attr a[5] = {
        { .name = "kernel_shape", .type = YOLO_ATTR_INTS, .ints = ks, .n_ints = 2 },
        { .name = "strides", .type = YOLO_ATTR_INTS, .ints = st, .n_ints = 2 },
        { .name = "dilations", .type = YOLO_ATTR_INTS, .ints = dl, .n_ints = 2 },
        { .name = "pads", .type = YOLO_ATTR_INTS, .ints = pd, .n_ints = 4 },
        { .name = "group", .type = YOLO_ATTR_INT, .i = 1 },
    };
    struct yolo_attrs attrs = { a, 5, 17 };
    yolo_op_conv.import_fn(g, &g->nodes[node], &attrs, NULL);
}

static void conv_attrs(struct yolo_graph *g, int32_t node, int64_t k, int64_t pad)
{
    conv_attrs_full(g, node, k, 1, (const int64_t[]){ pad, pad, pad, pad });
}

static int32_t node(struct yolo_graph *g, enum yolo_op op, const char *name, int n_in,
                    const int32_t *in, int32_t out)
{
    int32_t i = yolo_graph_add_node(g, op, name, n_in, in, 1, &out, NULL);
    const struct yolo_op_impl *impl = yolo_op_impl_get(op);
    if (impl->import_fn && op != YOLO_OP_CONV) {
        struct yolo_attrs none = { NULL, 0, 17 };
        impl->import_fn(g, &g->nodes[i], &none, NULL);
    }
    return i;
}

/* Builds the graph described at the top; returns the output tensor index. */
static void build_graph(struct yolo_graph *g)
{
    yolo_graph_init(g);
    seed = 0x5eed1234u;
    const int64_t C = 5, xs[4] = { 1, 3, 9, 11 };
    int32_t x = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 4, xs, NULL);
    g->tensors[x].flags |= YOLO_TF_INPUT;
    g->inputs[g->n_inputs++] = x;
    int64_t w1s[4] = { C, 3, 3, 3 }, cs[1] = { C }, w2s[4] = { C, C, 1, 1 }, w3s[4] = { 2, C, 3, 3 };
    int32_t w1 = add_const_rand(g, "w1", 4, w1s, -0.5f, 0.5f), b1 = add_const_rand(g, "b1", 1, cs, -1, 1);
    int32_t bns = add_const_rand(g, "bn_s", 1, cs, 0.5f, 1.5f), bnb = add_const_rand(g, "bn_b", 1, cs, -1, 1);
    int32_t bnm = add_const_rand(g, "bn_m", 1, cs, -1, 1), bnv = add_const_rand(g, "bn_v", 1, cs, 0.2f, 2);
    int32_t w2 = add_const_rand(g, "w2", 4, w2s, -0.5f, 0.5f);
    int64_t b3s[1] = { 2 };
    int32_t w3 = add_const_rand(g, "w3", 4, w3s, -0.5f, 0.5f), b3 = add_const_rand(g, "b3", 1, b3s, -1, 1);
    int64_t cb[4] = { 1, C, 1, 1 };
    int32_t c1 = add_const_rand(g, "c1", 4, cb, -1, 1), c2 = add_const_rand(g, "c2", 4, cb, -1, 1);
    int64_t rs[4] = { 1, C, 9, 11 };
    int32_t rshape = yolo_graph_add_const(g, "rshape", YOLO_DT_I64, 1, (int64_t[]){ 4 }, rs, NULL);

    int32_t t1 = tensor(g, "t1"), t2 = tensor(g, "t2"), t3 = tensor(g, "t3"), t4 = tensor(g, "t4");
    int32_t t5 = tensor(g, "t5"), t6 = tensor(g, "t6"), t7 = tensor(g, "t7"), t8 = tensor(g, "t8");
    int32_t t9 = tensor(g, "t9"), cc = tensor(g, "cc"), t10 = tensor(g, "t10"), t11 = tensor(g, "t11");
    int32_t t12 = tensor(g, "t12"), t13 = tensor(g, "t13"), y = tensor(g, "y");

    int32_t n = node(g, YOLO_OP_CONV, "conv1", 3, (int32_t[]){ x, w1, b1 }, t1);
    conv_attrs(g, n, 3, 1);
    n = node(g, YOLO_OP_BATCH_NORM, "bn", 5, (int32_t[]){ t1, bns, bnb, bnm, bnv }, t2);
    node(g, YOLO_OP_SIGMOID, "sig1", 1, (int32_t[]){ t2 }, t3);
    node(g, YOLO_OP_MUL, "mul1", 2, (int32_t[]){ t2, t3 }, t4);
    n = node(g, YOLO_OP_CONV, "conv2", 2, (int32_t[]){ t4, w2 }, t5);
    conv_attrs(g, n, 1, 0);
    node(g, YOLO_OP_RELU, "relu", 1, (int32_t[]){ t5 }, t6);
    node(g, YOLO_OP_IDENTITY, "ident", 1, (int32_t[]){ t6 }, t7);
    node(g, YOLO_OP_RESHAPE, "reshape", 2, (int32_t[]){ t7, rshape }, t8);
    node(g, YOLO_OP_ADD, "cadd", 2, (int32_t[]){ c1, c2 }, cc);          /* constant subgraph */
    node(g, YOLO_OP_ADD, "add", 2, (int32_t[]){ t8, cc }, t9);
    node(g, YOLO_OP_SIGMOID, "sig2", 1, (int32_t[]){ t9 }, t10);
    node(g, YOLO_OP_MUL, "mul2", 2, (int32_t[]){ t10, t9 }, t11);        /* operands swapped */
    n = node(g, YOLO_OP_CONV, "conv3", 3, (int32_t[]){ t11, w3, b3 }, t12);
    conv_attrs(g, n, 3, 1);
    node(g, YOLO_OP_SIGMOID, "sig3", 1, (int32_t[]){ t12 }, t13);
    node(g, YOLO_OP_IDENTITY, "out", 1, (int32_t[]){ t13 }, y);          /* output: kept */
    g->tensors[y].flags |= YOLO_TF_OUTPUT;
    g->outputs[g->n_outputs++] = y;
}

/* Runs g (planned) on the seeded input; returns a malloc'd copy of the output. */
static float *run(const struct yolo_graph *g, int nth, int64_t *n_out)
{
    struct yolo_net *net = NULL;
    struct yolo_runner *r = NULL;
    struct yolo_pool *pool = NULL;
    struct yolo_diag d = { 0 };
    if (yolo_net_create_graph(g, NULL, &net, &d) || (nth > 1 && yolo_pool_create(nth, &pool, &d)) ||
        yolo_runner_create(net, pool, &r, &d)) {
        fprintf(stderr, "run: %s\n", d.msg);
        exit(1);
    }
    const struct yolo_tensor *xt = &g->tensors[g->inputs[0]];
    float *x = yolo_runner_tensor(r, g->inputs[0]);
    uint64_t s = 42;
    for (int64_t i = 0; i < yolo_tensor_numel(xt); i++)
        x[i] = harness_randf(&s, -2, 2);
    yolo_runner_run(r, &d);
    const struct yolo_tensor *yt = &g->tensors[g->outputs[0]];
    *n_out = yolo_tensor_numel(yt);
    float *out = malloc(yolo_tensor_bytes(yt));
    memcpy(out, yolo_runner_tensor(r, g->outputs[0]), yolo_tensor_bytes(yt));
    yolo_runner_free(r);
    yolo_pool_free(pool);
    yolo_net_free(net);
    return out;
}

static double nmse(const float *a, const float *b, int64_t n)
{
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(a[i]) || !isfinite(b[i]))
            return 1e30;
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += (double)b[i] * b[i];
    }
    return num / (den > 0 ? den : 1e-30);
}

static int count_op(const struct yolo_graph *g, enum yolo_op op)
{
    int c = 0;
    for (int32_t i = 0; i < g->n_nodes; i++)
        c += g->nodes[i].op == op;
    return c;
}

/* No two tensors whose lifetimes overlap may share arena bytes (views excepted). */
static int plan_is_safe(const struct yolo_graph *g)
{
    int32_t nt = g->n_tensors;
    int32_t *first = malloc(sizeof(int32_t) * (size_t)nt), *last = malloc(sizeof(int32_t) * (size_t)nt);
    pm_lifetimes(g, first, last);
    int ok = 1;
    for (int32_t a = 0; a < nt; a++)
        for (int32_t b = a + 1; b < nt; b++) {
            const struct yolo_tensor *A = &g->tensors[a], *B = &g->tensors[b];
            if ((A->flags | B->flags) & (YOLO_TF_CONST | YOLO_TF_ALIAS))
                continue;
            if (last[a] < first[b] || last[b] < first[a])
                continue;
            uint64_t ea = A->offset + yolo_tensor_bytes(A), eb = B->offset + yolo_tensor_bytes(B);
            if (A->offset < eb && B->offset < ea && yolo_tensor_bytes(A) && yolo_tensor_bytes(B)) {
                fprintf(stderr, "overlap: %s [%d,%d] and %s [%d,%d]\n", A->name, first[a], last[a],
                        B->name, first[b], last[b]);
                ok = 0;
            }
        }
    free(first);
    free(last);
    return ok;
}

/* stem_s2d: x [2, C, H, W] -> Conv(K, stride 2, pads, bias, SiLU) -> y, before and after the
 * pass (SpaceToDepth + 3x3 stride 1: the CPU's Winograd), on 1 and 3 threads. Rewritten: the
 * YOLOv5 stem (6x6 pad 2), 5x5 pad 2, 4x4 pad 1, asymmetric pads (pad 0 on top); left alone: 3x3 pad 1
 * (would be 2x2), 7x7 pad 3 (4x4), 5 channels, an odd height. */
static void check_stem_s2d(struct harness *h)
{
    static const struct { int64_t C, H, W, K, pads[4]; int rewrites; } cases[] = {
        { 3, 18, 26, 6, { 2, 2, 2, 2 }, 1 }, { 3, 18, 26, 5, { 2, 2, 2, 2 }, 1 },
        { 2, 14, 10, 4, { 1, 1, 1, 1 }, 1 }, { 4, 18, 22, 6, { 2, 2, 1, 1 }, 1 },
        { 1, 10, 12, 6, { 0, 2, 1, 2 }, 1 }, { 3, 18, 26, 3, { 1, 1, 1, 1 }, 0 },
        { 3, 18, 26, 7, { 3, 3, 3, 3 }, 0 }, { 5, 18, 26, 6, { 2, 2, 2, 2 }, 0 },
        { 3, 19, 26, 6, { 2, 2, 2, 2 }, 0 },
    };
    struct yolo_diag d = { 0 };
    for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++) {
        struct yolo_graph g[2];
        float *out[2][2] = { { NULL } };
        int64_t n[2] = { 0, 0 }, M = 7;
        for (int after = 0; after < 2; after++) {
            yolo_graph_init(&g[after]);
            seed = 0x5eed0000u + ci;
            const int64_t xs[4] = { 2, cases[ci].C, cases[ci].H, cases[ci].W };
            const int64_t ws[4] = { M, cases[ci].C, cases[ci].K, cases[ci].K };
            int32_t x = yolo_graph_add_tensor(&g[after], "x", YOLO_DT_F32, 4, xs, NULL);
            g[after].tensors[x].flags |= YOLO_TF_INPUT;
            g[after].inputs[g[after].n_inputs++] = x;
            int32_t w = add_const_rand(&g[after], "w", 4, ws, -0.5f, 0.5f);
            int32_t b = add_const_rand(&g[after], "b", 1, &M, -1, 1), y = tensor(&g[after], "y");
            int32_t c = node(&g[after], YOLO_OP_CONV, "stem", 3, (int32_t[]){ x, w, b }, y);
            conv_attrs_full(&g[after], c, cases[ci].K, 2, cases[ci].pads);
            g[after].nodes[c].params[YOLO_CONV_ACT] = YOLO_ACT_SILU;
            g[after].tensors[y].flags |= YOLO_TF_OUTPUT;
            g[after].outputs[g[after].n_outputs++] = y;
            CHECK(h, yolo_graph_infer(&g[after], 1, &d) == 0, "s2d case %zu: infer: %s", ci, d.msg);
            if (after) {
                int changed = -1;
                CHECK(h, yolo_opt_stem_s2d(&g[after], &changed, &d) == 0, "s2d case %zu: %s", ci,
                      d.msg);
                CHECK(h, changed == cases[ci].rewrites &&
                             count_op(&g[after], YOLO_OP_SPACE_TO_DEPTH) == cases[ci].rewrites,
                      "s2d case %zu: %d rewrites, want %d", ci, changed, cases[ci].rewrites);
                CHECK(h, yolo_graph_infer(&g[after], 0, &d) == 0 &&
                             yolo_graph_compact(&g[after], &d) == 0, "s2d case %zu: re-infer: %s",
                      ci, d.msg);
            }
            CHECK(h, yolo_plan(&g[after], NULL, &d) == 0, "s2d case %zu: plan: %s", ci, d.msg);
            out[after][0] = run(&g[after], 1, &n[after]);
            out[after][1] = run(&g[after], 3, &n[after]);
        }
        for (int t = 0; t < 2; t++) {
            double e = nmse(out[1][t], out[0][t], n[0]);
            CHECK(h, n[0] == n[1] && e < 1e-11, "s2d case %zu, %d thread(s): nmse %g", ci,
                  t ? 3 : 1, e);
        }
        for (int a = 0; a < 2; a++) {
            free(out[a][0]);
            free(out[a][1]);
            yolo_graph_release(&g[a]);
        }
    }
}

typedef int (*pass_fn)(struct yolo_graph *, int *, struct yolo_diag *);

int main(void)
{
    HARNESS_INIT(h, "test_passes");
    printf("seed 0x5eed1234, input seed 42\n");
    struct yolo_diag d = { 0 };
    int64_t n_ref, n;

    /* the reference: nothing but shape inference (no folding), planned */
    struct yolo_graph ref;
    build_graph(&ref);
    CHECK(&h, yolo_graph_infer(&ref, 0, &d) == 0, "infer: %s", d.msg);
    CHECK(&h, yolo_plan(&ref, NULL, &d) == 0, "plan: %s", d.msg);
    CHECK(&h, plan_is_safe(&ref), "reference plan overlaps");
    float *want = run(&ref, 1, &n_ref);

    /* each pass alone, after folding (the Add of two constants runs at build time) */
    struct { const char *name; pass_fn fn; enum yolo_op gone; int n_gone; } passes[] = {
        { "dce", yolo_opt_dce, YOLO_OP_COUNT, 0 },
        { "fold_bn", yolo_opt_fold_bn, YOLO_OP_BATCH_NORM, 1 },
        { "fuse_act", yolo_opt_fuse_act, YOLO_OP_RELU, 1 },
        { "noop", yolo_opt_noop, YOLO_OP_IDENTITY, 1 },
    };
    for (size_t p = 0; p < sizeof passes / sizeof *passes; p++) {
        struct yolo_graph g;
        build_graph(&g);
        int changed = -1;
        CHECK(&h, yolo_graph_infer(&g, 1, &d) == 0, "%s: infer: %s", passes[p].name, d.msg);
        int before = passes[p].gone < YOLO_OP_COUNT ? count_op(&g, passes[p].gone) : 0;
        CHECK(&h, passes[p].fn(&g, &changed, &d) == 0, "%s: %s", passes[p].name, d.msg);
        CHECK(&h, changed >= 1, "%s changed nothing", passes[p].name);
        if (passes[p].gone < YOLO_OP_COUNT)
            CHECK(&h, count_op(&g, passes[p].gone) == before - passes[p].n_gone, "%s: %d %s left",
                  passes[p].name, count_op(&g, passes[p].gone), yolo_op_name(passes[p].gone));
        CHECK(&h, yolo_graph_infer(&g, 0, &d) == 0, "%s: re-infer: %s", passes[p].name, d.msg);
        CHECK(&h, yolo_graph_compact(&g, &d) == 0 && yolo_plan(&g, NULL, &d) == 0, "%s: %s",
              passes[p].name, d.msg);
        CHECK(&h, plan_is_safe(&g), "%s: plan overlaps", passes[p].name);
        float *got = run(&g, 1, &n);
        double e = nmse(got, want, n_ref);
        CHECK(&h, n == n_ref && e < 1e-10, "%s: nmse %g", passes[p].name, e);
        free(got);
        yolo_graph_release(&g);
    }

    /* the whole pipeline */
    struct yolo_graph g;
    build_graph(&g);
    struct yolo_build_stats st;
    CHECK(&h, yolo_graph_optimize(&g, &st, &d) == 0, "optimize: %s", d.msg);
    CHECK(&h, count_op(&g, YOLO_OP_BATCH_NORM) == 0 && count_op(&g, YOLO_OP_RELU) == 0 &&
              count_op(&g, YOLO_OP_SIGMOID) == 0 && count_op(&g, YOLO_OP_MUL) == 0 &&
              count_op(&g, YOLO_OP_RESHAPE) == 0,
          "left: bn %d relu %d sigmoid %d mul %d reshape %d", count_op(&g, YOLO_OP_BATCH_NORM),
          count_op(&g, YOLO_OP_RELU), count_op(&g, YOLO_OP_SIGMOID), count_op(&g, YOLO_OP_MUL),
          count_op(&g, YOLO_OP_RESHAPE));
    CHECK(&h, count_op(&g, YOLO_OP_SILU) == 1, "standalone SiLU nodes: %d", count_op(&g, YOLO_OP_SILU));
    /* conv1 SiLU, conv2 Relu, conv3 Sigmoid; Add stays; the output Identity stays */
    int acts[4] = { 0 };
    for (int32_t i = 0; i < g.n_nodes; i++)
        if (g.nodes[i].op == YOLO_OP_CONV)
            acts[g.nodes[i].params[YOLO_CONV_ACT] & 3]++;
    CHECK(&h, acts[YOLO_ACT_SILU] == 1 && acts[YOLO_ACT_RELU] == 1 && acts[YOLO_ACT_SIGMOID] == 1,
          "fused acts silu %d relu %d sigmoid %d", acts[YOLO_ACT_SILU], acts[YOLO_ACT_RELU],
          acts[YOLO_ACT_SIGMOID]);
    CHECK(&h, g.n_nodes == 6, "nodes after optimize: %d (want conv, conv, add, silu, conv, identity)",
          g.n_nodes);
    CHECK(&h, st.n_folded == 1, "folded %d", st.n_folded);
    CHECK(&h, plan_is_safe(&g), "optimized plan overlaps");
    CHECK(&h, st.plan.arena_bytes < st.plan.sum_tensor_bytes, "arena %llu vs sum %llu",
          (unsigned long long)st.plan.arena_bytes, (unsigned long long)st.plan.sum_tensor_bytes);
    for (int nth = 1; nth <= 3; nth++) {
        float *got = run(&g, nth, &n);
        double e = nmse(got, want, n_ref);
        CHECK(&h, n == n_ref && e < 1e-10, "optimized, %d threads: nmse %g", nth, e);
        free(got);
    }
    /* const blob holds no dead weights: the BN-folded conv's old weight is gone */
    CHECK(&h, yolo_graph_find_tensor(&g, "w1") < 0 && yolo_graph_find_tensor(&g, "bn_s") < 0,
          "dead constants survived compaction");
    yolo_graph_release(&g);

    /* planner on a long chain: arena stays ~2 tensors however long the chain */
    struct yolo_graph c;
    yolo_graph_init(&c);
    int64_t cs[2] = { 64, 64 };
    int32_t prev = yolo_graph_add_tensor(&c, "in", YOLO_DT_F32, 2, cs, NULL);
    c.tensors[prev].flags |= YOLO_TF_INPUT;
    c.inputs[c.n_inputs++] = prev;
    for (int i = 0; i < 50; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "c%d", i);
        int32_t t = tensor(&c, nm);
        node(&c, YOLO_OP_SIGMOID, nm, 1, &prev, t);
        prev = t;
    }
    c.tensors[prev].flags |= YOLO_TF_OUTPUT;
    c.outputs[c.n_outputs++] = prev;
    struct yolo_plan_stats ps;
    CHECK(&h, yolo_graph_infer(&c, 0, &d) == 0 && yolo_plan(&c, &ps, &d) == 0, "chain: %s", d.msg);
    CHECK(&h, ps.arena_bytes <= 3 * 64 * 64 * 4, "chain arena %llu bytes for 51 tensors of 16 KiB",
          (unsigned long long)ps.arena_bytes);
    CHECK(&h, plan_is_safe(&c), "chain plan overlaps");
    yolo_graph_release(&c);

    check_stem_s2d(&h);
    free(want);
    yolo_graph_release(&ref);
    return harness_finish(&h);
}
