/* cpu/concat_q_mark.c: a QDQ model's Concat -> QuantizeLinear (passes.h, struct
 * yolo_concat_q) as one pass at the QuantizeLinear (x86/concat_q_avx512.c). One by one, each
 * dequantized part was written as floats (4 bytes per element, a DequantizeLinear pass), a
 * neck's part upsampled as floats (a Resize pass), joined (a copy where the planner could not
 * join in place) and read again to be quantized: yolov8n_int8_qdq's 13 joins took about
 * 1.6 ms of 31 at 1 thread on Zen 4. The pass reads each dequantized part's source bytes
 * through a 256-byte table instead and upsamples them as bytes. */
#include <stdlib.h>
#include <string.h>

#include "cpu/conv_pack.h"
#include "cpu/cpu.h"
#include "cpu/fast_ops.h"
#include "ops/quant.h"

/* Whether every node that runs between src's writer and the QuantizeLinear q leaves src's
 * bytes alone (skip: the nodes that will not run), and q's output lies elsewhere. An engine
 * planned before plan.c kept the sources alive may have reused them: then the nodes run one
 * by one. */
static int source_safe(const struct yolo_graph *g, const struct yolo_uses *u, int32_t src,
                       int32_t q, const uint8_t *skip, const uint8_t *will_skip)
{
    if (yolo_cpu_tensors_overlap(g, src, g->nodes[q].out[0]))
        return 0;
    for (int32_t k = u->producer[src] + 1; k < q; k++)
        if (!skip[k] && !will_skip[k] && yolo_cpu_node_touches(g, &g->nodes[k], src, src, -1))
            return 0;
    return 1;
}

/* lut[b]: source byte b (of dtype sdt) dequantized by DequantizeLinear node dq and quantized
 * as QuantizeLinear node q does: the reference's arithmetic, so the same bytes. */
static void make_lut(const struct yolo_graph *g, const struct yolo_node *dq,
                     const struct yolo_cpu_concat_q *c, enum yolo_dtype qdt, uint8_t lut[256])
{
    enum yolo_dtype sdt = g->tensors[dq->in[0]].dtype;
    float s = yolo_quant_scale(g, dq, 0);
    int32_t zp = yolo_quant_zp(g, dq, 0);
    for (int b = 0; b < 256; b++) {
        int32_t v = sdt == YOLO_DT_I8 ? (int32_t)(int8_t)(uint8_t)b : b;
        float f = (float)(v - zp) * s;
        int32_t o = yolo_quant_value(f / c->scale, (float)c->zp, (float)c->lo, (float)c->hi);
        lut[b] = qdt == YOLO_DT_I8 ? (uint8_t)(int8_t)o : (uint8_t)o;
    }
}

/* Fills c for join cq if the pass applies (see cpu.h), marking the nodes it replaces in
 * will_skip; 0 otherwise. */
static int join_ok(const struct yolo_graph *g, const struct yolo_uses *u,
                   const struct yolo_concat_q *cq, const struct yolo_cpu_kernel *kernels,
                   const struct yolo_conv_packed *packs, const void **node_data,
                   const uint8_t *skip, uint8_t *will_skip, struct yolo_cpu_concat_q *c)
{
    const struct yolo_node *q = &g->nodes[cq->q];
    if (kernels[cq->q].fn != yolo_quantize_avx512 || skip[cq->q] || skip[cq->concat])
        return 0;
    memset(c, 0, sizeof *c);
    c->cq = *cq;
    c->y_c4 = node_data[cq->q] == &packs[cq->q] && packs[cq->q].y_c4;
    enum yolo_dtype qdt = (enum yolo_dtype)q->params[YOLO_QL_QDT];
    float lo, hi;
    yolo_quant_range(qdt, &lo, &hi);
    c->scale = yolo_quant_scale(g, q, 0);
    c->zp = yolo_quant_zp(g, q, 0);
    c->lo = (int32_t)lo;
    c->hi = (int32_t)hi;
    const struct yolo_node *cn = &g->nodes[cq->concat];
    will_skip[cq->concat] = 1;
    for (int i = 0; i < cq->n_parts; i++) {
        const struct yolo_cq_part *p = &cq->part[i];
        int64_t ch = g->tensors[cn->in[i]].shape[1];
        c->c0[i + 1] = c->c0[i] + ch;
        c->grid[i] = -1;
        if (c->y_c4 && ch % 4)
            return 0;
        if (p->kind == YOLO_CQ_FLOAT)
            continue;
        if (p->kind == YOLO_CQ_RESIZE) {
            if (skip[p->resize])
                return 0;
            will_skip[p->resize] = 1;
            continue;
        }
        /* the source as its writer left it: NCHW (a c4 tensor is read by VNNI QConvs only,
         * and this one is also read by the DequantizeLinear) */
        int32_t w = u->producer[p->src];
        if (skip[p->dq] || (p->resize >= 0 && skip[p->resize]) ||
            (w >= 0 && node_data[w] == &packs[w] && packs[w].y_c4))
            return 0;
        make_lut(g, &g->nodes[p->dq], c, qdt, c->lut[i]);
        int32_t dq_out = g->nodes[p->dq].out[0];
        if (p->resize >= 0) {
            will_skip[p->resize] = 1;
            if (yolo_uses_private(g, u, dq_out, p->resize))
                will_skip[p->dq] = 1;
        } else if (yolo_uses_private(g, u, dq_out, cq->concat)) {
            will_skip[p->dq] = 1;
        }
    }
    for (int i = 0; i < cq->n_parts; i++)
        if (!source_safe(g, u, cq->part[i].src, cq->q, skip, will_skip))
            return 0;
    return 1;
}

void yolo_concat_q_mark(const struct yolo_graph *g, enum yolo_isa isa, int vbmi,
                        struct yolo_cpu_kernel *kernels, const struct yolo_conv_packed *packs,
                        const void **node_data, uint8_t *skip, struct yolo_cpu_concat_q **cqs)
{
    *cqs = NULL;
    struct yolo_uses u;
    if (isa != YOLO_ISA_AVX512 || !vbmi ||
        !yolo_cpu_fusion_uses(g, isa, YOLO_OP_QUANTIZE_LINEAR, &u))
        return;
    int32_t n = 0, cap = 0;
    struct yolo_cpu_concat_q *all = NULL;
    uint8_t *will_skip = calloc((size_t)g->n_nodes, 1);
    for (int32_t i = 0; i < g->n_nodes && will_skip; i++) {
        struct yolo_concat_q cq;
        if (g->nodes[i].op != YOLO_OP_QUANTIZE_LINEAR || !yolo_concat_q_find(g, &u, i, &cq))
            continue;
        if (n == cap) {
            /* the entries are only pointed at once all are made: realloc may move them */
            int32_t nc = cap ? 2 * cap : 16;
            struct yolo_cpu_concat_q *m = realloc(all, sizeof *all * (size_t)nc);
            if (!m)
                break;
            all = m;
            cap = nc;
        }
        int ok = join_ok(g, &u, &cq, kernels, packs, node_data, skip, will_skip, &all[n]);
        /* the nodes join_ok may have flagged: the Concat, the parts' Resizes and DQs */
        for (int k = -1; k < cq.n_parts; k++) {
            int32_t nodes[2] = { k < 0 ? cq.concat : cq.part[k].dq, k < 0 ? -1 : cq.part[k].resize };
            for (int j = 0; j < 2; j++)
                if (nodes[j] >= 0 && will_skip[nodes[j]]) {
                    will_skip[nodes[j]] = 0;
                    if (ok)
                        skip[nodes[j]] = 2;
                }
        }
        n += ok;
    }
    for (int32_t j = 0; j < n; j++) {
        int32_t q = all[j].cq.q;
        node_data[q] = &all[j];
        kernels[q].fn = yolo_concat_q_avx512;
        kernels[q].name = all[j].y_c4 ? "concat-q-c4" : "concat-q";
        kernels[q].scratch = 0;
    }
    free(will_skip);
    yolo_uses_free(&u);
    *cqs = all;
}
