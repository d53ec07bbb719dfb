/* test_conv_tp.c: YOLOv5's head convolution writing its Transpose's layout on the CPU
 * (passes.h, struct yolo_conv_tp; cpu/conv_tp_mark.c, conv_body.h's store_tp). The graph
 *
 *   x [2, C, 9, 11] -> Conv 1x1 (3 * 13 channels, bias) -> Reshape [2, 3, 13, 9, 11]
 *     -> Transpose (0, 1, 3, 4, 2) -> Relu -> y
 *
 * runs at avx2 and avx512 on 1 and 2 threads with the Conv's kernel "gemm8-transposed" and
 * the Transpose "fused", and must give the same floats as the same graph with the Conv's
 * output kept (YOLO_TF_KEEP: no fusion, node by node), and stay within 1e-5 of the reference
 * kernels (relative to 1 + the value). 13 channels a group: 8-channel runs cross the groups;
 * 99 pixels: two whole 48-column panels and a ragged one of 3. C = 16 takes one K block (each row block stored as
 * it ends), C = 1500 several (the whole tile, then stored). The planner starts the
 * Transpose output's life at the Conv, so it shares no byte with x. Near misses run node by
 * node: another perm, the Reshape's output read twice.
 *
 * The chain variants put YOLOv5's box decode after the Transpose instead of the Relu:
 * Sigmoid -> Split (2, 2, 9) -> xy * 2 + grid, wh 2 * Pow 2 * anchors, the rest as it is ->
 * Concat -> y. There the Conv ("gemm8-transposed-sigmoid", "bf16-gemm-transposed-sigmoid")
 * writes the Sigmoid into the Concat's output and the Sigmoid node runs only the pieces'
 * steps in place ("split-chain-in-place"): the same floats as with the Conv's output kept
 * (node by node). With the Concat's inputs swapped the chain
 * does not fuse and the Conv writes the Transpose's layout as before. The chain variants but
 * the last read x again after the chain; in the last, x dies at the Conv, and with C = 1500
 * the planner gives the Concat's output x's bytes: there the Conv writes the Transpose's
 * layout as before, the chain fused on its own. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ops/op_params.h"
#include "passes.h"
#include "cpu/conv_bf16.h"
#include "cpu/cpu.h"
#include "qgraph.h"

enum variant { FUSABLE, KEPT, OTHER_PERM, READ_TWICE, CHAIN, CHAIN_KEPT, CHAIN_SWAPPED,
               CHAIN_X_DIES, N_VARIANTS };

static int is_chain(enum variant v) { return v >= CHAIN; }

/* t [2, 3, 9, 11, 13] -> Sigmoid -> Split -> steps -> Concat -> y (see the header) */
static void add_chain(struct yolo_graph *g, int32_t t, int32_t y, enum variant v,
                      uint64_t *seed)
{
    const int64_t ps[5] = { 2, 3, 9, 11, 2 }, three = 3, sizes[3] = { 2, 2, 9 };
    float cv[2 * 3 * 9 * 11 * 2];
    int32_t k[2];
    for (int j = 0; j < 2; j++) {
        for (size_t i = 0; i < sizeof cv / sizeof cv[0]; i++)
            cv[i] = harness_randf(seed, j ? 4 : -1, j ? 300 : 80);
        k[j] = yolo_graph_add_const(g, j ? "anchors" : "grid", YOLO_DT_F32, 5, ps, cv, NULL);
    }
    float two_f = 2;
    int32_t two = yolo_graph_add_const(g, "two", YOLO_DT_F32, 0, NULL, &two_f, NULL);
    int32_t st = yolo_graph_add_const(g, "sizes", YOLO_DT_I64, 1, &three, sizes, NULL);
    int32_t s = qg_tensor(g, "s"), p[3] = { qg_tensor(g, "p0"), qg_tensor(g, "p1"),
                                            qg_tensor(g, "p2") };
    int32_t a1 = qg_tensor(g, "a1"), a2 = qg_tensor(g, "a2"), b1 = qg_tensor(g, "b1");
    int32_t b2 = qg_tensor(g, "b2"), b3 = qg_tensor(g, "b3");
    qg_node(g, YOLO_OP_SIGMOID, "sigmoid", 1, (int32_t[]){ t }, s);
    int32_t sp = yolo_graph_add_node(g, YOLO_OP_SPLIT, "split", 2, (int32_t[]){ s, st }, 3, p,
                                     NULL);
    struct yolo_attrs none = { NULL, 0, 19 };
    yolo_op_impl_get(YOLO_OP_SPLIT)->import_fn(g, &g->nodes[sp], &none, NULL);
    g->nodes[sp].params[YOLO_SP_AXIS] = -1;
    qg_node(g, YOLO_OP_MUL, "xy2", 2, (int32_t[]){ p[0], two }, a1);
    qg_node(g, YOLO_OP_ADD, "grid_add", 2, (int32_t[]){ a1, k[0] }, a2);
    qg_node(g, YOLO_OP_MUL, "wh2", 2, (int32_t[]){ two, p[1] }, b1);
    qg_node(g, YOLO_OP_POW, "pow", 2, (int32_t[]){ b1, two }, b2);
    qg_node(g, YOLO_OP_MUL, "anchor", 2, (int32_t[]){ b2, k[1] }, b3);
    int32_t in[3] = { a2, b3, p[2] };
    if (v == CHAIN_SWAPPED)
        in[0] = b3, in[1] = a2;
    int32_t cc = qg_node(g, YOLO_OP_CONCAT, "concat", 3, in, y);
    g->nodes[cc].params[YOLO_CC_AXIS] = -1;
}

static void build(struct yolo_graph *g, enum variant v, int64_t C, int bf16)
{
    uint64_t seed = 0x7a7a7au;
    yolo_graph_init(g);
    const int64_t xs[4] = { 2, C, 9, 11 }, ws[4] = { 39, C, 1, 1 }, m = 39, five = 5;
    const int64_t to[5] = { 2, 3, 13, 9, 11 };
    int32_t x = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 4, xs, NULL);
    qg_input(g, x);
    float *w = malloc(sizeof(float) * (size_t)(39 * C)), b[39];
    for (int64_t i = 0; i < 39 * C; i++)
        w[i] = harness_randf(&seed, -1, 1) / sqrtf((float)C);
    for (int i = 0; i < 39; i++)
        b[i] = harness_randf(&seed, -1, 1);
    int32_t wt = yolo_graph_add_const(g, "w", YOLO_DT_F32, 4, ws, w, NULL);
    int32_t bt = yolo_graph_add_const(g, "b", YOLO_DT_F32, 1, &m, b, NULL);
    int32_t sh = yolo_graph_add_const(g, "shape", YOLO_DT_I64, 1, &five, to, NULL);
    free(w);
    int32_t yc = qg_tensor(g, "yc"), r = qg_tensor(g, "r"), t = qg_tensor(g, "t");
    int32_t y = qg_tensor(g, "y"), y2 = qg_tensor(g, "y2");
    int32_t c = qg_node(g, YOLO_OP_CONV, "conv", 3, (int32_t[]){ x, wt, bt }, yc);
    int64_t *p = g->nodes[c].params;
    p[YOLO_CONV_KH] = p[YOLO_CONV_KW] = p[YOLO_CONV_SH] = p[YOLO_CONV_SW] = 1;
    p[YOLO_CONV_DH] = p[YOLO_CONV_DW] = p[YOLO_CONV_GROUP] = 1;
    p[YOLO_CONV_PT] = p[YOLO_CONV_PB] = p[YOLO_CONV_PL] = p[YOLO_CONV_PR] = 0;
    qg_node(g, YOLO_OP_RESHAPE, "reshape", 2, (int32_t[]){ yc, sh }, r);
    const int64_t perm[2][5] = { { 0, 1, 3, 4, 2 }, { 0, 1, 4, 3, 2 } };
    struct yolo_attr pa = { .name = "perm", .type = YOLO_ATTR_INTS,
                            .ints = perm[v == OTHER_PERM], .n_ints = 5 };
    struct yolo_attrs aa = { &pa, 1, 19 };
    int32_t tp = yolo_graph_add_node(g, YOLO_OP_TRANSPOSE, "transpose", 1, &r, 1, &t, NULL);
    yolo_op_impl_get(YOLO_OP_TRANSPOSE)->import_fn(g, &g->nodes[tp], &aa, NULL);
    if (is_chain(v))
        add_chain(g, t, y, v, &seed);
    if (is_chain(v) && v != CHAIN_X_DIES) {   /* x read after the chain: it lives to the end */
        int32_t xr = qg_tensor(g, "xr");
        qg_node(g, YOLO_OP_RELU, "relu_x", 1, (int32_t[]){ x }, xr);
        qg_output(g, xr);
    }
    if (!is_chain(v))
        qg_node(g, YOLO_OP_RELU, "relu", 1, (int32_t[]){ t }, y);
    qg_output(g, y);
    if (v == READ_TWICE) {
        qg_node(g, YOLO_OP_RELU, "again", 1, (int32_t[]){ r }, y2);
        qg_output(g, y2);
    }
    if (v == KEPT || v == CHAIN_KEPT)
        g->tensors[yc].flags |= YOLO_TF_KEEP;
    if (bf16) {   /* `yolo build --bf16` on the Conv */
        uint8_t *ok = calloc((size_t)g->n_nodes, 1);
        int n = 0;
        if (!ok)
            exit(1);
        ok[c] = 1;
        if (yolo_opt_bf16(g, ok, &n, NULL) || n != 1)
            exit(1);
        free(ok);
    }
}

static int overlap(const struct yolo_graph *g, int32_t a, int32_t b)
{
    const struct yolo_tensor *A = &g->tensors[a], *B = &g->tensors[b];
    return A->offset < B->offset + yolo_tensor_bytes(B) &&
           B->offset < A->offset + yolo_tensor_bytes(A);
}

int main(void)
{
    HARNESS_INIT(h, "test_conv_tp");
    static const char *const names[] = { "fusable", "kept", "other perm", "read twice",
                                         "chain", "chain kept", "chain swapped" };
    static const char *const isas[] = { "avx2", "avx512" };
    const int64_t channels[2] = { 16, 1500 };
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    for (int run = 0; run < 4; run++) {
        /* runs 2 and 3: a bf16 engine, whose Conv takes the bf16 kernel at avx512 where the
         * CPU has AVX512_BF16 (the float32 GEMM8 kernel otherwise) */
        int ci = run % 2, bf16 = run >= 2;
        int has_bf16 = bf16 && cpu.avx512bf16 && yolo_isa_select(&cpu, NULL) == YOLO_ISA_AVX512;
        struct yolo_graph g[N_VARIANTS];
        for (int v = 0; v < N_VARIANTS; v++) {
            struct yolo_diag d = { 0 };
            build(&g[v], (enum variant)v, channels[ci], bf16);
            CHECK(&h, yolo_graph_infer(&g[v], 0, &d) == 0 && yolo_plan(&g[v], NULL, &d) == 0,
                  "%s: %s", names[v], d.msg);
        }
        if (h.failed)
            return harness_finish(&h);
        const struct yolo_graph *gf = &g[FUSABLE];
        int32_t x = gf->inputs[0], t = gf->nodes[qg_find_node(gf, "transpose")].out[0];
        CHECK(&h, !overlap(gf, x, t), "C %lld: the Transpose output overlaps the Conv's input",
              (long long)channels[ci]);
        /* The chain's Concat output lives from the chain on, so the planner may give it the
         * Conv's input bytes where that dies at the Conv: then the Conv must not write it
         * (C = 1500 here, not C = 16) */
        const struct yolo_graph *gc = &g[CHAIN_X_DIES];
        int32_t cy = gc->nodes[qg_find_node(gc, "concat")].out[0];
        int chain_safe = !overlap(gc, gc->inputs[0], cy);
        CHECK(&h, chain_safe == (channels[ci] == 16),
              "C %lld: the chain's Concat output %s the Conv's input (the planner changed?)",
              (long long)channels[ci], chain_safe ? "misses" : "overlaps");
        for (int v = 0; v < N_VARIANTS; v++) {
            int fused = v == FUSABLE || v == CHAIN || v == CHAIN_SWAPPED || v == CHAIN_X_DIES;
            /* the Sigmoid in the Conv, the chain's steps after */
            int in_place = v == CHAIN || (v == CHAIN_X_DIES && chain_safe);
            int64_t n_ref = 0;
            float *ref = qg_run(&g[v], "ref", 1, &n_ref, NULL);
            const char **kn = calloc((size_t)g[v].n_nodes, sizeof *kn);
            for (int k = 0; k < 2; k++)
                for (int threads = 1; threads <= 2; threads++) {
                    int64_t n = 0, nk = 0, diff = 0;
                    float *got = qg_run(&g[v], isas[k], threads, &n, kn);
                    const char *ck = kn[qg_find_node(&g[v], "conv")];
                    const char *tk = kn[qg_find_node(&g[v], "transpose")];
                    /* the bf16 kernel runs the Conv (K = C of at least its minimum) */
                    int bk = has_bf16 && k == 1 && channels[ci] >= YOLO_CONV_BF16_KMIN;
                    char want[64];
                    snprintf(want, sizeof want, "%sgemm%s-transposed%s", bk ? "bf16-" : "",
                             bk ? "" : "8", in_place ? "-sigmoid" : "");
                    const char *sk = is_chain(v) ? kn[qg_find_node(&g[v], "sigmoid")] : "";
                    CHECK(&h, (strcmp(ck, want) == 0) == fused &&
                              (strcmp(tk, "fused") == 0) == fused &&
                              (strcmp(sk, "split-chain-in-place") == 0) == in_place,
                          "C %lld, %s, %s, %d threads, bf16 %d: the Conv runs %s, the Transpose "
                          "%s, the Sigmoid %s", (long long)channels[ci], names[v], isas[k],
                          threads, bf16, ck, tk, sk);
                    double worst = n == n_ref ? qg_worst_rel(got, ref, n, 1) : 0;
                    /* bf16 activations: 2^-8 of sum |w x|, a few times the output's scale */
                    CHECK(&h, n == n_ref && worst < (bk ? 2e-2 : 1e-5), "C %lld, %s, %s, %d "
                          "threads, bf16 %d: %g from the reference kernels",
                          (long long)channels[ci], names[v], isas[k], threads, bf16, worst);
                    if (fused && v != CHAIN_SWAPPED && v != CHAIN_X_DIES) {   /* unfused, at the same ISA: the
                                                             same floats */
                        float *kept = qg_run(&g[v == CHAIN ? CHAIN_KEPT : KEPT], isas[k],
                                             threads, &nk, NULL);
                        diff = nk == n ? qg_bit_diffs(got, kept, n) : 0;
                        CHECK(&h, nk == n && diff == 0, "C %lld, %s, %d threads, bf16 %d: %lld "
                              "of %lld floats differ from the nodes run one by one",
                              (long long)channels[ci], isas[k], threads, bf16, (long long)diff,
                              (long long)n);
                        free(kept);
                    }
                    free(got);
                }
            free(kn);
            free(ref);
        }
        for (int v = 0; v < N_VARIANTS; v++)
            yolo_graph_release(&g[v]);
    }
    return harness_finish(&h);
}
