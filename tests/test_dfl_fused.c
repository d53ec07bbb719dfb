/* test_dfl_fused.c: the DFL of a YOLOv8/11 head as one pass on the CPU (passes.h, struct
 * yolo_dfl_chain; cpu/dfl_mark.c, x86/dfl_body.h). The graphs
 *
 *   two Transposes: x [2, 4, 16, 37] -> Transpose (0, 3, 1, 2) -> Softmax over the 16 bins
 *     -> Transpose (0, 3, 2, 1) -> [2, 16, 4, 37] -> Conv 1x1 16 -> 1 (+ bias) -> y
 *     (the anchors contiguous: 37 = 2 vectors + a ragged one at AVX-512, 4 + 5 at AVX2)
 *   one Transpose: x [2, 4, 37, 16] -> Transpose (0, 3, 1, 2) -> [2, 16, 4, 37] -> Softmax
 *     over axis 1 -> Conv (the bins contiguous: the strided one-output-at-a-time path)
 *
 * run fused at avx2 and avx512 (the Conv's kernel "dfl-fused", the Transposes and the
 * Softmax "fused"), on 1 and 2 threads, within 2e-6 (relative, floor 1e-3) of the reference
 * kernels, which run the nodes one by one (their softmax divides each term by the sum before
 * the Conv's products: other roundings, not other values). Near misses run node by node: the
 * softmax's output also a graph output; the Conv with an activation.
 *
 * The QDQ form (yolo_dfl_q_find): the two-Transpose chain ending in a QuantizeLinear (uint8,
 * scale 1/255) instead of the Conv, then either a DequantizeLinear (the bytes in the plain
 * layout) or an int8 QConv 16 -> 4 with float output (the bytes in the c4 layout). At avx512
 * the QuantizeLinear runs "dfl-softmax-q" / "dfl-softmax-q-c4" and the chain's other nodes
 * "fused"; the outputs must be the same floats as the same graph run node by node (its
 * Softmax output kept) at avx512, and within one quantization step of the reference kernels
 * (their Softmax sums in another order, so a value at a rounding tie may land a step off).
 * At avx2 the nodes run one by one. A float's last bit seldom moves a byte, so the test also
 * checks, where the CPU has AVX-512, the order of additions the fused pass assumes of the
 * Softmax kernel's _mm512_reduce_add_ps against the compiler's own, on 20000 random rows. */
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ops/op_params.h"
#include "passes.h"
#include "cpu/cpu.h"
#include "qgraph.h"

enum variant { TWO_TRANSPOSES, ONE_TRANSPOSE, SOFTMAX_READ_TWICE, CONV_ACT, Q_PLAIN, Q_C4,
               Q_PLAIN_KEPT, Q_C4_KEPT, N_VARIANTS };

static int is_q(enum variant v) { return v >= Q_PLAIN; }

static int32_t transpose(struct yolo_graph *g, const char *name, int32_t x, int32_t y,
                         const int64_t perm[4])
{
    struct yolo_attr pa = { .name = "perm", .type = YOLO_ATTR_INTS, .ints = perm, .n_ints = 4 };
    struct yolo_attrs aa = { &pa, 1, 17 };
    int32_t n = yolo_graph_add_node(g, YOLO_OP_TRANSPOSE, name, 1, &x, 1, &y, NULL);
    yolo_op_impl_get(YOLO_OP_TRANSPOSE)->import_fn(g, &g->nodes[n], &aa, NULL);
    return n;
}

static void build(struct yolo_graph *g, enum variant v)
{
    uint64_t seed = 0xdf1df1u;
    yolo_graph_init(g);
    int one = v == ONE_TRANSPOSE;
    const int64_t xs[2][4] = { { 2, 4, 16, 37 }, { 2, 4, 37, 16 } }, ws[4] = { 1, 16, 1, 1 }, m = 1;
    int32_t x = yolo_graph_add_tensor(g, "x", YOLO_DT_F32, 4, xs[one], NULL);
    qg_input(g, x);
    float w[16], b = harness_randf(&seed, -1, 1);
    for (int i = 0; i < 16; i++)
        w[i] = (float)i + harness_randf(&seed, -0.5f, 0.5f);
    int32_t wt = yolo_graph_add_const(g, "w", YOLO_DT_F32, 4, ws, w, NULL);
    int32_t bt = yolo_graph_add_const(g, "b", YOLO_DT_F32, 1, &m, &b, NULL);
    int32_t t1 = qg_tensor(g, "t1"), s = qg_tensor(g, "s"), t2 = qg_tensor(g, "t2");
    int32_t y = qg_tensor(g, "y");
    const int64_t p1[4] = { 0, 3, 1, 2 }, p2[4] = { 0, 3, 2, 1 };
    transpose(g, "tp1", x, t1, p1);
    struct yolo_attr sa = { .name = "axis", .type = YOLO_ATTR_INT, .i = one ? 1 : 3 };
    struct yolo_attrs saa = { &sa, 1, 17 };
    int32_t sm = yolo_graph_add_node(g, YOLO_OP_SOFTMAX, "softmax", 1, &t1, 1, &s, NULL);
    yolo_op_impl_get(YOLO_OP_SOFTMAX)->import_fn(g, &g->nodes[sm], &saa, NULL);
    if (!one)
        transpose(g, "tp2", s, t2, p2);
    if (is_q(v)) {   /* the QDQ form: Q, then DQ (plain bytes) or a QConv (c4 bytes) */
        int32_t q = qg_tensor(g, "q");
        qg_qdq(g, YOLO_OP_QUANTIZE_LINEAR, "quant", t2, 1.0f / 255.0f, YOLO_DT_U8, 0, q);
        if (v == Q_PLAIN || v == Q_PLAIN_KEPT) {
            qg_qdq(g, YOLO_OP_DEQUANTIZE_LINEAR, "dequant", q, 1.0f / 255.0f, YOLO_DT_U8, 0, y);
        } else {
            int32_t ni = qg_qconv(g, "qconv", q, 16, 4, 1, 1, 0, &seed, y);
            g->nodes[ni].params[YOLO_QC_ODT] = YOLO_DT_F32;
        }
        if (v == Q_PLAIN_KEPT || v == Q_C4_KEPT)
            g->tensors[s].flags |= YOLO_TF_KEEP;
        qg_output(g, y);
        return;
    }
    int32_t c = qg_node(g, YOLO_OP_CONV, "conv", 3, (int32_t[]){ one ? s : t2, wt, bt }, y);
    int64_t *p = g->nodes[c].params;
    p[YOLO_CONV_KH] = p[YOLO_CONV_KW] = p[YOLO_CONV_SH] = p[YOLO_CONV_SW] = 1;
    p[YOLO_CONV_DH] = p[YOLO_CONV_DW] = p[YOLO_CONV_GROUP] = 1;
    p[YOLO_CONV_PT] = p[YOLO_CONV_PB] = p[YOLO_CONV_PL] = p[YOLO_CONV_PR] = 0;
    if (v == CONV_ACT)
        p[YOLO_CONV_ACT] = YOLO_ACT_RELU;
    qg_output(g, y);
    if (v == SOFTMAX_READ_TWICE)
        qg_output(g, s);
}

/* Whether the nodes ran fused (the Conv "dfl-fused", the others "fused") or each its own. */
static int fused_as_expected(const struct yolo_graph *g, const char **kn, int fused)
{
    static const char *const chain[] = { "tp1", "softmax", "tp2" };
    const char *ck = kn[qg_find_node(g, "conv")];
    if (!ck || (strcmp(ck, "dfl-fused") == 0) != fused)
        return 0;
    for (size_t i = 0; i < sizeof chain / sizeof chain[0]; i++) {
        int32_t k = qg_find_node(g, chain[i]);
        if (k >= 0 && (!kn[k] || (strcmp(kn[k], "fused") == 0) != fused))
            return 0;
    }
    return 1;
}

/* How many of 20000 rows of 16 random floats x/dfl_q_avx512.c's tree of additions sums to
 * another float than _mm512_reduce_add_ps (the Softmax kernel's vhsum). */
__attribute__((target("avx512f"))) static int reduce_order_misses(void)
{
    uint64_t seed = 0x5u;
    int miss = 0;
    for (int it = 0; it < 20000; it++) {
        float e[16], t[8];
        for (int i = 0; i < 16; i++)
            e[i] = harness_randf(&seed, 0, 1) * harness_randf(&seed, 0, 1);
        float r = _mm512_reduce_add_ps(_mm512_loadu_ps(e));
        for (int k = 0; k < 8; k++)
            t[k] = e[k + 8] + e[k];
        for (int k = 0; k < 4; k++)
            t[k] = t[k + 4] + t[k];
        miss += (t[0] + t[2]) + (t[1] + t[3]) != r;
    }
    return miss;
}

/* The QDQ form: the QuantizeLinear's kernel, the chain's nodes "fused" or not. */
static int q_fused_as_expected(const struct yolo_graph *g, const char **kn, const char *want)
{
    static const char *const chain[] = { "tp1", "softmax", "tp2" };
    const char *qk = kn[qg_find_node(g, "quant")];
    int fused = want != NULL;
    if (!qk || (fused && strcmp(qk, want) != 0) || (!fused && strncmp(qk, "dfl", 3) == 0))
        return 0;
    for (size_t i = 0; i < sizeof chain / sizeof chain[0]; i++) {
        const char *k = kn[qg_find_node(g, chain[i])];
        if (!k || (strcmp(k, "fused") == 0) != fused)
            return 0;
    }
    return 1;
}

/* The QDQ variants (see the header). */
static void check_q(struct harness *h, struct yolo_graph *g, const char *const *names)
{
    static const char *const isas[] = { "avx2", "avx512" };
    for (int v = Q_PLAIN; v <= Q_C4; v++) {
        struct yolo_graph *gv = &g[v], *gk = &g[v + 2];
        int64_t n_ref = 0;
        float *ref = qg_run(gv, "ref", 1, &n_ref, NULL);
        const char **kn = calloc((size_t)gv->n_nodes, sizeof *kn);
        for (int k = 0; k < 2; k++)
            for (int threads = 1; threads <= 2; threads++) {
                int64_t n = 0, nk = 0;
                float *got = qg_run(gv, isas[k], threads, &n, kn);
                const char *want = k == 0 ? NULL : v == Q_PLAIN ? "dfl-softmax-q"
                                                                : "dfl-softmax-q-c4";
                CHECK(h, q_fused_as_expected(gv, kn, want), "%s, %s, %d threads: the "
                      "QuantizeLinear runs %s", names[v], isas[k], threads,
                      kn[qg_find_node(gv, "quant")]);
                float *kept = qg_run(gk, isas[k], threads, &nk, kn);
                CHECK(h, q_fused_as_expected(gk, kn, NULL), "%s: fused", names[v + 2]);
                int64_t diff = nk == n ? qg_bit_diffs(got, kept, n) : -1;
                CHECK(h, diff == 0, "%s, %s, %d threads: %lld of %lld floats differ from the "
                      "nodes run one by one", names[v], isas[k], threads, (long long)diff,
                      (long long)n);
                /* one step of 1/255 on a value of at most 1 (Q_PLAIN); the QConv's float
                 * output moves by at most a weight scale times 127 per step (Q_C4) */
                double worst = n == n_ref && ref ? qg_worst_rel(got, ref, n, 1) : 1;
                CHECK(h, n == n_ref && worst < (v == Q_PLAIN ? 1.01 / 255 : 0.05), "%s, %s, %d "
                      "threads: %g from the reference kernels", names[v], isas[k], threads,
                      worst);
                free(kept);
                free(got);
            }
        free(kn);
        free(ref);
    }
}

int main(void)
{
    HARNESS_INIT(h, "test_dfl_fused");
    static const char *const names[] = { "two transposes", "one transpose",
                                         "softmax read twice", "conv with relu",
                                         "qdq plain", "qdq c4", "qdq plain kept",
                                         "qdq c4 kept" };
    static const char *const isas[] = { "avx2", "avx512" };
    struct yolo_graph qg[N_VARIANTS];
    int q_ok = 1;
    for (int v = 0; v < N_VARIANTS; v++) {
        struct yolo_graph g;
        struct yolo_diag d = { 0 };
        build(&g, (enum variant)v);
        int rc = yolo_graph_infer(&g, 0, &d) == 0 && yolo_plan(&g, NULL, &d) == 0;
        CHECK(&h, rc, "%s: %s", names[v], d.msg);
        if (is_q((enum variant)v)) {
            qg[v] = g;
            q_ok &= rc;
            continue;
        }
        if (!rc) {
            yolo_graph_release(&g);
            continue;
        }
        int fusable = v == TWO_TRANSPOSES || v == ONE_TRANSPOSE;
        int64_t n_ref = 0;
        float *ref = qg_run(&g, "ref", 1, &n_ref, NULL);
        const char **kn = calloc((size_t)g.n_nodes, sizeof *kn);
        for (int k = 0; k < 2; k++)
            for (int threads = 1; threads <= 2; threads++) {
                int64_t n = 0;
                float *got = qg_run(&g, isas[k], threads, &n, kn);
                CHECK(&h, fused_as_expected(&g, kn, fusable), "%s, %s, %d threads: the Conv runs %s",
                      names[v], isas[k], threads, kn[qg_find_node(&g, "conv")]);
                double worst = n == n_ref && ref ? qg_worst_rel(got, ref, n, 1e-3) : 1;
                CHECK(&h, n == n_ref && worst < 2e-6, "%s, %s, %d threads: %g from the reference "
                      "kernels", names[v], isas[k], threads, worst);
                free(got);
            }
        free(kn);
        free(ref);
        yolo_graph_release(&g);
    }
    if (q_ok)
        check_q(&h, qg, names);
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    if (yolo_isa_select(&cpu, NULL) == YOLO_ISA_AVX512) {
        int miss = reduce_order_misses();
        CHECK(&h, miss == 0, "the fused DFL's sum order differs from _mm512_reduce_add_ps's in "
              "%d of 20000 rows", miss);
    }
    for (int v = Q_PLAIN; v < N_VARIANTS; v++)
        yolo_graph_release(&qg[v]);
    return harness_finish(&h);
}
