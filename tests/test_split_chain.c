/* test_split_chain.c: YOLOv5's box decode as one pass on the CPU (passes.h, struct
 * yolo_split_chain; cpu/split_chain_mark.c). The graph
 *
 *   x [2, 3, 5, 7, 41] -> Sigmoid -> Split (2, 2, 37) on the last axis
 *     piece 0: * 2 -> + grid [2, 3, 5, 7, 2] -> * 8          (xy)
 *     piece 1: 2 * -> Pow 2 -> * anchors [2, 3, 5, 7, 2]     (wh; the constant first)
 *     piece 2: * 0.5                                         (37 wide: whole vectors)
 *   -> Concat on the last axis -> * 1 -> y;   x -> Relu -> y2 between the chain's nodes
 *
 * runs fused at avx2 and avx512 (the Sigmoid's kernel "sigmoid-split-chain", its other nodes
 * "fused", the Relu on its own), on 1 and 2 threads, and must give the same floats as the
 * same graph with one piece kept (YOLO_TF_KEEP: no fusion, node by node) and stay within
 * 2e-6 of the reference kernels' (their Sigmoid uses expf). The planner put the Sigmoid's
 * output at the Concat output's bytes (chain_in_place). Near misses run node by node: the
 * Concat taking the pieces in another order, a piece read twice. 210 rows of 41: blocks of
 * 64 rows and a ragged one, split between threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ops/op_params.h"
#include "passes.h"
#include "qgraph.h"

enum variant { FUSABLE, KEPT, SWAPPED, READ_TWICE };

static int32_t cnst(struct yolo_graph *g, const char *name, int nd, const int64_t *sh,
                    uint64_t *seed, float lo, float hi)
{
    int64_t n = 1;
    for (int i = 0; i < nd; i++)
        n *= sh[i];
    float *v = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        v[i] = harness_randf(seed, lo, hi);
    int32_t t = yolo_graph_add_const(g, name, YOLO_DT_F32, nd, sh, v, NULL);
    free(v);
    return t;
}

static void build(struct yolo_graph *g, enum variant v)
{
    uint64_t seed = 0x5c5c5cu;
    yolo_graph_init(g);
    const int64_t xs[5] = { 2, 3, 5, 7, 41 }, ps[5] = { 2, 3, 5, 7, 2 }, three = 3;
    int32_t x = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 5, xs, NULL);
    qg_input(g, x);
    int32_t two = cnst(g, "two", 0, NULL, &seed, 2, 2), eight = cnst(g, "eight", 0, NULL, &seed, 8, 8);
    int32_t half = cnst(g, "half", 0, NULL, &seed, 0.5f, 0.5f), one = cnst(g, "one", 0, NULL, &seed, 1, 1);
    int32_t grid = cnst(g, "grid", 5, ps, &seed, -1, 80), anchors = cnst(g, "anchors", 5, ps, &seed, 4, 300);
    const int64_t sizes[3] = { 2, 2, 37 };
    int32_t st = yolo_graph_add_const(g, "sizes", YOLO_DT_I64, 1, &three, sizes, NULL);
    int32_t s = qg_tensor(g, "s"), p[3] = { qg_tensor(g, "p0"), qg_tensor(g, "p1"), qg_tensor(g, "p2") };
    int32_t a1 = qg_tensor(g, "a1"), a2 = qg_tensor(g, "a2"), a3 = qg_tensor(g, "a3");
    int32_t b1 = qg_tensor(g, "b1"), b2 = qg_tensor(g, "b2"), b3 = qg_tensor(g, "b3");
    int32_t c1 = qg_tensor(g, "c1"), cat = qg_tensor(g, "cat"), y = qg_tensor(g, "y");
    int32_t y2 = qg_tensor(g, "y2"), y3 = qg_tensor(g, "y3");
    qg_node(g, YOLO_OP_SIGMOID, "sigmoid", 1, (int32_t[]){ x }, s);
    int32_t sp = yolo_graph_add_node(g, YOLO_OP_SPLIT, "split", 2, (int32_t[]){ s, st }, 3, p, NULL);
    struct yolo_attrs none = { NULL, 0, 19 };
    yolo_op_impl_get(YOLO_OP_SPLIT)->import_fn(g, &g->nodes[sp], &none, NULL);
    g->nodes[sp].params[YOLO_SP_AXIS] = -1;
    qg_node(g, YOLO_OP_MUL, "xy2", 2, (int32_t[]){ p[0], two }, a1);
    qg_node(g, YOLO_OP_RELU, "relu", 1, (int32_t[]){ x }, y2);
    qg_node(g, YOLO_OP_ADD, "grid_add", 2, (int32_t[]){ a1, grid }, a2);
    qg_node(g, YOLO_OP_MUL, "stride", 2, (int32_t[]){ a2, eight }, a3);
    qg_node(g, YOLO_OP_MUL, "wh2", 2, (int32_t[]){ two, p[1] }, b1);
    qg_node(g, YOLO_OP_POW, "pow", 2, (int32_t[]){ b1, two }, b2);
    qg_node(g, YOLO_OP_MUL, "anchor", 2, (int32_t[]){ b2, anchors }, b3);
    qg_node(g, YOLO_OP_MUL, "conf", 2, (int32_t[]){ p[2], half }, c1);
    int32_t in[3] = { a3, b3, c1 };
    if (v == SWAPPED)
        in[0] = b3, in[1] = a3;
    int32_t cc = qg_node(g, YOLO_OP_CONCAT, "concat", 3, in, cat);
    g->nodes[cc].params[YOLO_CC_AXIS] = -1;
    qg_node(g, YOLO_OP_MUL, "after", 2, (int32_t[]){ cat, one }, y);
    qg_output(g, y);
    qg_output(g, y2);
    if (v == READ_TWICE) {
        qg_node(g, YOLO_OP_RELU, "again", 1, (int32_t[]){ a1 }, y3);
        qg_output(g, y3);
    }
    if (v == KEPT)
        g->tensors[p[2]].flags |= YOLO_TF_KEEP;
}

static int fused_as_expected(const struct yolo_graph *g, const char **kn, int fused)
{
    static const char *const chain[] = { "split", "xy2", "grid_add", "stride", "wh2", "pow",
                                         "anchor", "conf", "concat" };
    const char *sk = kn[qg_find_node(g, "sigmoid")];
    if (!sk || (strcmp(sk, "sigmoid-split-chain") == 0) != fused)
        return 0;
    for (size_t i = 0; i < sizeof chain / sizeof chain[0]; i++) {
        const char *k = kn[qg_find_node(g, chain[i])];
        if (!k || (strcmp(k, "fused") == 0) != fused)
            return 0;
    }
    const char *rk = kn[qg_find_node(g, "relu")];
    return rk && strcmp(rk, "fused") != 0;
}

int main(void)
{
    HARNESS_INIT(h, "test_split_chain");
    static const char *const names[] = { "fusable", "kept", "swapped", "read twice" };
    struct yolo_graph g[4];
    for (int v = 0; v < 4; v++) {
        struct yolo_diag d = { 0 };
        build(&g[v], (enum variant)v);
        CHECK(&h, yolo_graph_infer(&g[v], 0, &d) == 0 && yolo_plan(&g[v], NULL, &d) == 0,
              "%s: %s", names[v], d.msg);
    }
    if (h.failed)
        return harness_finish(&h);
    /* the planner: the Sigmoid's output in the Concat output's bytes, only where it fuses */
    for (int v = 0; v < 4; v++) {
        const struct yolo_graph *gv = &g[v];
        int32_t s = gv->nodes[qg_find_node(gv, "sigmoid")].out[0];
        int32_t c = gv->nodes[qg_find_node(gv, "concat")].out[0];
        int same = gv->tensors[s].offset == gv->tensors[c].offset;
        CHECK(&h, same == (v == FUSABLE), "%s: Sigmoid output at %llu, Concat output at %llu",
              names[v], (unsigned long long)gv->tensors[s].offset,
              (unsigned long long)gv->tensors[c].offset);
    }
    static const char *const isas[] = { "avx2", "avx512" };
    for (int v = 0; v < 4; v++) {
        int64_t n_ref = 0;
        float *ref = qg_run(&g[v], "ref", 1, &n_ref, NULL);
        const char **kn = calloc((size_t)g[v].n_nodes, sizeof *kn);
        for (int k = 0; k < 2; k++)
            for (int threads = 1; threads <= 2; threads++) {
                int64_t n = 0, nk = 0, diff = 0;
                float *got = qg_run(&g[v], isas[k], threads, &n, kn);
                /* only where the ISA is there: yolo_isa_usable may lower avx512 to avx2 */
                CHECK(&h, fused_as_expected(&g[v], kn, v == FUSABLE), "%s, %s, %d threads: "
                      "the Sigmoid runs %s", names[v], isas[k], threads,
                      kn[qg_find_node(&g[v], "sigmoid")]);
                double worst = n == n_ref ? qg_worst_rel(got, ref, n, 1e-3) : 0;
                CHECK(&h, n == n_ref && worst < 2e-6, "%s, %s, %d threads: %g from the "
                      "reference kernels", names[v], isas[k], threads, worst);
                if (v == FUSABLE) {   /* node by node at the same ISA: the same floats */
                    float *kept = qg_run(&g[KEPT], isas[k], threads, &nk, NULL);
                    diff = nk == n ? qg_bit_diffs(got, kept, n) : 0;
                    CHECK(&h, nk == n && diff == 0, "%s, %d threads: %lld of %lld floats differ "
                          "from the nodes run one by one", isas[k], threads, (long long)diff,
                          (long long)n);
                    free(kept);
                }
                free(got);
            }
        free(kn);
        free(ref);
    }
    for (int v = 0; v < 4; v++)
        yolo_graph_release(&g[v]);
    return harness_finish(&h);
}
