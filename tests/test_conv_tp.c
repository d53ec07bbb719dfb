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
 * node: another perm, the Reshape's output read twice. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ops/op_params.h"
#include "passes.h"
#include "cpu/conv_bf16.h"
#include "cpu/cpu.h"
#include "qgraph.h"

enum variant { FUSABLE, KEPT, OTHER_PERM, READ_TWICE, N_VARIANTS };

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
    qg_node(g, YOLO_OP_RELU, "relu", 1, (int32_t[]){ t }, y);
    qg_output(g, y);
    if (v == READ_TWICE) {
        qg_node(g, YOLO_OP_RELU, "again", 1, (int32_t[]){ r }, y2);
        qg_output(g, y2);
    }
    if (v == KEPT)
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
    static const char *const names[] = { "fusable", "kept", "other perm", "read twice" };
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
        for (int v = 0; v < N_VARIANTS; v++) {
            int fused = v == FUSABLE;
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
                    const char *want = bk ? "bf16-gemm-transposed" : "gemm8-transposed";
                    CHECK(&h, (strcmp(ck, want) == 0) == fused &&
                              (strcmp(tk, "fused") == 0) == fused,
                          "C %lld, %s, %s, %d threads, bf16 %d: the Conv runs %s, the Transpose "
                          "%s", (long long)channels[ci], names[v], isas[k], threads, bf16, ck, tk);
                    double worst = n == n_ref ? qg_worst_rel(got, ref, n, 1) : 0;
                    /* bf16 activations: 2^-8 of sum |w x|, a few times the output's scale */
                    CHECK(&h, n == n_ref && worst < (bk ? 2e-2 : 1e-5), "C %lld, %s, %s, %d "
                          "threads, bf16 %d: %g from the reference kernels",
                          (long long)channels[ci], names[v], isas[k], threads, bf16, worst);
                    if (fused) {   /* node by node at the same ISA: the same floats */
                        float *kept = qg_run(&g[KEPT], isas[k], threads, &nk, NULL);
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
