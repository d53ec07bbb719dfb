/* test_conv_cat.c: convolutions writing their rows straight into the tensor that joins them
 * along the last axis (passes.h, struct yolo_conv_cat; cpu/conv_cat_mark.c). The graphs, at
 * batch 2, a head of two levels: x [2, C, 8, 20] (level 0) and a stride-2 3x3 conv of it
 * [2, 16, 4, 10] (level 1), each level's box map (1x1 conv to 5 channels) and class map (1x1
 * to 7), flattened by Reshapes and joined over the anchors:
 *   V8:      Concat(box0, box1) [2, 5, 200] and Concat(cls0, cls1) [2, 7, 200], apart, the
 *            latter read by a Sigmoid only (which the convolutions then apply themselves)
 *   V11:     per level Concat(box, cls) on the channels, then one Concat [2, 12, 200]
 *   QDQ:     V8 with x quantized and each 1x1 conv an int8 QConv with a float output
 *   KEPT:    V8 with box1's and cls1's conv outputs also graph outputs: the joins copy and
 *            the Sigmoid runs on its own
 *   NOT_1X1: V8 with box1's conv 3x3: its kernel cannot, so the box maps' join copies
 * run at avx2 and avx512 on 1 and 2 threads. Where the join applies (the Concats and the
 * Sigmoid "fused") the outputs must be the same floats as the KEPT graph's run the same way
 * (the same kernels and the same vsigmoid, other places), and everywhere within 2e-5 of the
 * reference kernels. C = 16 and C = 1500
 * (level 0's 1x1 convs then sum in several K blocks, reading their partial rows back). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "harness.h"
#include "ops/op_params.h"
#include "passes.h"
#include "qgraph.h"

enum variant { V8, V11, QDQ, KEPT, NOT_1X1, N_VARIANTS };

static int32_t conv(struct yolo_graph *g, const char *name, int32_t x, int64_t C, int64_t M,
                    int64_t k, int64_t s, uint64_t *seed)
{
    const int64_t ws[4] = { M, C, k, k };
    float *w = malloc(sizeof(float) * (size_t)(M * C * k * k + M));
    if (!w)
        exit(1);
    for (int64_t i = 0; i < M * C * k * k + M; i++)
        w[i] = harness_randf(seed, -1, 1) / sqrtf((float)(C * k * k));
    char wn[64], bn[64];
    snprintf(wn, sizeof wn, "%s_w", name);
    snprintf(bn, sizeof bn, "%s_b", name);
    int32_t wt = yolo_graph_add_const(g, wn, YOLO_DT_F32, 4, ws, w, NULL);
    int32_t bt = yolo_graph_add_const(g, bn, YOLO_DT_F32, 1, &M, w + M * C * k * k, NULL);
    free(w);
    int32_t y = qg_tensor(g, name);
    int32_t c = qg_node(g, YOLO_OP_CONV, name, 3, (int32_t[]){ x, wt, bt }, y);
    qg_conv_geometry(g->nodes[c].params, k, s);
    return y;
}

/* A head map: a 1x1 conv (or 3x3, or an int8 QConv of xq) of x to M channels. */
static int32_t head(struct yolo_graph *g, const char *name, int32_t x, int32_t xq, int64_t C,
                    int64_t M, int k, uint64_t *seed)
{
    if (xq < 0)
        return conv(g, name, x, C, M, k, 1, seed);
    int32_t y = qg_tensor(g, name);
    int32_t n = qg_qconv(g, name, xq, C, M, 1, 1, 0, seed, y);
    g->nodes[n].params[YOLO_QC_XZP] = 9;
    g->nodes[n].params[YOLO_QC_ODT] = YOLO_DT_F32;
    return y;
}

static int32_t flat(struct yolo_graph *g, const char *name, int32_t x, int64_t M, int64_t L)
{
    const int64_t three = 3, to[3] = { 2, M, L };
    char sn[64];
    snprintf(sn, sizeof sn, "%s_shape", name);
    int32_t sh = yolo_graph_add_const(g, sn, YOLO_DT_I64, 1, &three, to, NULL);
    int32_t y = qg_tensor(g, name);
    qg_node(g, YOLO_OP_RESHAPE, name, 2, (int32_t[]){ x, sh }, y);
    return y;
}

static int32_t concat(struct yolo_graph *g, const char *name, int32_t a, int32_t b, int axis)
{
    int32_t y = qg_tensor(g, name);
    int32_t c = qg_node(g, YOLO_OP_CONCAT, name, 2, (int32_t[]){ a, b }, y);
    g->nodes[c].params[YOLO_CC_AXIS] = axis;
    return y;
}

static void build(struct yolo_graph *g, enum variant v, int64_t C)
{
    uint64_t seed = 0xca7ca7u;
    yolo_graph_init(g);
    const int64_t xs[4] = { 2, C, 8, 20 };
    int32_t x = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 4, xs, NULL);
    qg_input(g, x);
    int32_t x1 = conv(g, "down", x, C, 16, 3, 2, &seed), xq = -1, x1q = -1;
    if (v == QDQ) {
        xq = qg_tensor(g, "xq");
        x1q = qg_tensor(g, "x1q");
        qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Qx", x, 0.02f, YOLO_DT_U8, 9, xq);
        qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "Qx1", x1, 0.02f, YOLO_DT_U8, 9, x1q);
    }
    int32_t b0 = head(g, "box0", x, xq, C, 5, 1, &seed);
    int32_t c0 = head(g, "cls0", x, xq, C, 7, 1, &seed);
    int32_t b1 = head(g, "box1", x1, x1q, 16, 5, v == NOT_1X1 ? 3 : 1, &seed);
    int32_t c1 = head(g, "cls1", x1, x1q, 16, 7, 1, &seed);
    if (v == V11) {
        int32_t l0 = flat(g, "flat0", concat(g, "level0", b0, c0, 1), 12, 160);
        int32_t l1 = flat(g, "flat1", concat(g, "level1", b1, c1, 1), 12, 40);
        qg_output(g, concat(g, "join", l0, l1, 2));
        return;
    }
    qg_output(g, concat(g, "join_box", flat(g, "fb0", b0, 5, 160), flat(g, "fb1", b1, 5, 40), 2));
    int32_t jc = concat(g, "join_cls", flat(g, "fc0", c0, 7, 160), flat(g, "fc1", c1, 7, 40), 2);
    int32_t sc = qg_tensor(g, "scores");
    qg_node(g, YOLO_OP_SIGMOID, "sigmoid", 1, &jc, sc);
    qg_output(g, sc);
    if (v == KEPT) {
        qg_output(g, b1);
        qg_output(g, c1);
    }
}

static int fused(const struct yolo_graph *g, const char **kn, const char *name)
{
    int32_t k = qg_find_node(g, name);
    return k >= 0 && kn[k] && strcmp(kn[k], "fused") == 0;
}

int main(void)
{
    HARNESS_INIT(h, "test_conv_cat");
    static const char *const names[] = { "v8", "v11", "qdq", "kept", "not 1x1" };
    static const char *const isas[] = { "avx2", "avx512" };
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    enum yolo_isa best = yolo_isa_select(&cpu, NULL);
    for (int ci = 0; ci < 2; ci++) {
        int64_t C = ci ? 1500 : 16;
        struct yolo_graph g[N_VARIANTS];
        int ok = 1;
        for (int v = 0; v < N_VARIANTS; v++) {
            struct yolo_diag d = { 0 };
            build(&g[v], (enum variant)v, C);
            int rc = yolo_graph_infer(&g[v], 0, &d) == 0 && yolo_plan(&g[v], NULL, &d) == 0;
            CHECK(&h, rc, "%s, C %lld: %s", names[v], (long long)C, d.msg);
            ok &= rc;
        }
        for (int v = 0; v < N_VARIANTS && ok; v++) {
            int64_t n_ref = 0;
            float *ref = qg_run(&g[v], "ref", 1, &n_ref, NULL);
            const char **kn = calloc((size_t)g[v].n_nodes, sizeof *kn);
            for (int k = 0; k < 2; k++) {
                if (k > (int)best - 1)
                    continue;   /* the CPU has no avx512: its kernels run the avx2 forms */
                for (int threads = 1; threads <= 2; threads++) {
                    int64_t n = 0, nk = 0;
                    float *kept = qg_run(&g[KEPT], isas[k], threads, &nk, NULL);
                    float *got = qg_run(&g[v], isas[k], threads, &n, kn);
                    /* the QConvs' float rows at a pitch: the VNNI kernel only */
                    int can = v != QDQ || (k == 1 && cpu.avx512vnni);
                    int box = v == V11 ? fused(&g[v], kn, "join") : fused(&g[v], kn, "join_box");
                    int cls = v == V11 ? fused(&g[v], kn, "level1") : fused(&g[v], kn, "join_cls");
                    int sig = v != V11 && fused(&g[v], kn, "sigmoid");
                    CHECK(&h, box == (can && v != NOT_1X1 && v != KEPT) &&
                                  cls == (can && v != KEPT) && sig == (cls && v != V11),
                          "%s, C %lld, %s, %d threads: joins fused %d %d, sigmoid %d", names[v],
                          (long long)C, isas[k], threads, box, cls, sig);
                    /* the same kernels as KEPT's on the same values: the same floats (its
                     * first outputs are the same tensors; QDQ and NOT_1X1 compute others) */
                    if (v == V8) {
                        int64_t diff = qg_bit_diffs(got, kept, n);
                        CHECK(&h, nk > n && diff == 0, "%s, C %lld, %s, %d threads: %lld "
                              "floats differ from the joins copied", names[v], (long long)C,
                              isas[k], threads, (long long)diff);
                    }
                    double worst = n == n_ref ? qg_worst_rel(got, ref, n, 1) : 1;
                    CHECK(&h, worst < (v == QDQ ? 1e-5 : 2e-5), "%s, C %lld, %s, %d threads: "
                          "%g from the reference kernels", names[v], (long long)C, isas[k],
                          threads, worst);
                    free(got);
                    free(kept);
                }
            }
            free(kn);
            free(ref);
        }
        for (int v = 0; v < N_VARIANTS; v++)
            yolo_graph_release(&g[v]);
    }
    return harness_finish(&h);
}
