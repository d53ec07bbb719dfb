/* cpu/conv_cat_mark.c: convolutions that write their rows straight into the tensor that
 * joins them along the last axis (passes.h, struct yolo_conv_cat), so the join copies
 * nothing: YOLOv8's head copied its box and class maps into two [1, 64 | 80, 8400] tensors
 * (0.47 ms of yolov8n's 54 at 1 thread on Zen 4, 0.28 of the QDQ model's 30), YOLO11's into
 * one [1, 144, 8400]. The kernels that can (a float32 output, channels as rows at a pitch):
 * GEMM8's direct 1x1 path (x86/conv_body.h) and the VNNI int8 kernel with a float32 NCHW
 * output (x86/qconv_avx512vnni.c). The same floats, in other places. */
#include "cpu/conv_pack.h"
#include "cpu/cpu.h"
#include "cpu/qconv_pack.h"
#include "ops/op_params.h"

/* Whether node k's kernel can write its output rows at a pitch. */
static int can_write_rows(const struct yolo_graph *g, const struct yolo_node *n,
                          const struct yolo_cpu_kernel *k, const struct yolo_conv_packed *pk)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Y = &g->tensors[n->out[0]];
    if (pk->tp_group || pk->cat_cs)
        return 0;
    if (n->op == YOLO_OP_QCONV)
        return (k->fn == yolo_qconv_avx512vnni || k->fn == yolo_qconv_avx512vnni_vbmi) &&
               p[YOLO_QC_ODT] == YOLO_DT_F32 && !pk->y_c4;
    return pk->kind == YOLO_CONV_PACK_GEMM8 &&
           (k->fn == yolo_conv_pack_avx512 || k->fn == yolo_conv_pack_avx2) &&
           p[YOLO_CONV_GROUP] == 1 && p[YOLO_CONV_KH] == 1 && p[YOLO_CONV_KW] == 1 &&
           p[YOLO_CONV_SH] == 1 && p[YOLO_CONV_SW] == 1 && p[YOLO_CONV_PT] == 0 &&
           p[YOLO_CONV_PL] == 0 && p[YOLO_CONV_PB] == 0 && p[YOLO_CONV_PR] == 0 &&
           X->shape[2] == Y->shape[2] && X->shape[3] == Y->shape[3];
}

static int is_in(const int32_t *nodes, int n, int32_t k)
{
    for (int i = 0; i < n; i++)
        if (nodes[i] == k)
            return 1;
    return 0;
}

/* Writing T (the joined tensor, or the Sigmoid's output) from the first convolution on is
 * safe when no node that runs up to `end` (the Concat, or the Sigmoid) touches T's bytes,
 * but for the convolutions themselves, whose outputs (the tensors they no
 * longer write) are not checked and whose inputs must lie elsewhere. (An engine planned
 * before plan.c started T's life there may have put other tensors in T's bytes: then the
 * nodes run one by one.) */
static int safe(const struct yolo_graph *g, const struct yolo_conv_cat *cc, int32_t T,
                int32_t end, const uint8_t *skip)
{
    int32_t first = cc->concat;
    for (int i = 0; i < cc->n; i++)
        first = cc->conv[i] < first ? cc->conv[i] : first;
    for (int32_t k = first; k < end; k++) {
        const struct yolo_node *n = &g->nodes[k];
        /* the Concats will not run */
        if (skip[k] || k == cc->concat || is_in(cc->inner, cc->n_inner, k))
            continue;
        if (!is_in(cc->conv, cc->n, k)) {
            if (yolo_cpu_node_touches(g, n, T, -1, -1))
                return 0;
            continue;
        }
        for (int j = 0; j < n->n_in; j++)
            if (n->in[j] >= 0 && !(g->tensors[n->in[j]].flags & YOLO_TF_CONST) &&
                yolo_cpu_tensors_overlap(g, n->in[j], T))
                return 0;
    }
    return 1;
}

void yolo_conv_cat_mark(const struct yolo_graph *g, enum yolo_isa isa,
                        const struct yolo_cpu_kernel *kernels, struct yolo_conv_packed *packs,
                        const void **node_data, uint8_t *skip)
{
    struct yolo_uses u;
    if (!yolo_cpu_fusion_uses(g, isa, YOLO_OP_CONCAT, &u))
        return;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        struct yolo_conv_cat cc;
        if (g->nodes[i].op != YOLO_OP_CONCAT || skip[i] || !yolo_conv_cat_find(g, &u, i, &cc))
            continue;
        int ok = 1;
        for (int k = 0; k < cc.n && ok; k++) {
            int32_t c = cc.conv[k];
            ok = !skip[c] && node_data[c] == &packs[c] &&
                 can_write_rows(g, &g->nodes[c], &kernels[c], &packs[c]);
        }
        for (int k = 0; k < cc.n_inner && ok; k++)
            ok = !skip[cc.inner[k]];
        if (!ok)
            continue;
        /* the Sigmoid reading the join goes into the convolutions' epilogue where they have
         * no activation of their own: the same vsigmoid of the same values as its kernel's */
        int sig = cc.sigmoid >= 0;
        int32_t out = sig ? g->nodes[cc.sigmoid].out[0] : g->nodes[i].out[0];
        if ((sig && skip[cc.sigmoid]) || !safe(g, &cc, out, sig ? cc.sigmoid : i, skip))
            continue;
        const struct yolo_tensor *T = &g->tensors[g->nodes[i].out[0]];
        for (int k = 0; k < cc.n; k++) {
            struct yolo_conv_packed *pk = &packs[cc.conv[k]];
            pk->cat_out = out;
            pk->cat_cs = T->shape[2];
            pk->cat_is = T->shape[1] * T->shape[2];
            pk->cat_base = cc.chan[k] * T->shape[2] + cc.col[k];
            pk->cat_act = sig ? YOLO_ACT_SIGMOID : YOLO_ACT_NONE;
        }
        for (int k = 0; k < cc.n_inner; k++)
            skip[cc.inner[k]] = 2;
        skip[i] = 2;
        if (sig)
            skip[cc.sigmoid] = 2;
    }
    yolo_uses_free(&u);
}
