/* fuse_qconv_q.c: a QConv whose float output (after its fused activation) is read only by
 * QuantizeLinear nodes with one scale, zero point and dtype between them writes that
 * quantized tensor itself:
 *   QConv(float, act) -> t -> QuantizeLinear(s, zp) -> q   =>   QConv(act, then / s, round,
 *                                                                 + zp, saturate) -> q
 * (ops/qconv.c, fparams[YOLO_QC_FP_OSC]). The epilogue does what QuantizeLinear did, on the
 * same float value, so the result is the same bytes; the float tensor is never written or
 * read back. `yolo build --int8` leaves such pairs wherever a conv feeds only the next conv
 * (core/opt/quantize.c gives each conv input its own QuantizeLinear). */
#include <stdlib.h>

#include "ops/op_params.h"
#include "ops/quant.h"
#include "passes.h"

/* Whether Q node qn quantizes per tensor with constant scale and zero point; fills them. */
static int q_per_tensor(const struct yolo_graph *g, const struct yolo_node *qn, float *s,
                        int32_t *zp, int64_t *qdt)
{
    if (qn->op != YOLO_OP_QUANTIZE_LINEAR || qn->n_out != 1 || qn->params[YOLO_QL_NCH] != 1)
        return 0;
    *s = yolo_quant_scale(g, qn, 0);
    *zp = yolo_quant_zp(g, qn, 0);
    *qdt = qn->params[YOLO_QL_QDT];
    return *s > 0 && (*qdt == YOLO_DT_U8 || *qdt == YOLO_DT_I8);
}

int yolo_opt_fuse_qconv_q(struct yolo_graph *g, int *n_changed, struct yolo_diag *d)
{
    int changed = 0;
    uint8_t *dead = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), 1);
    if (!dead)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory fusing QConv and QuantizeLinear");
    for (int32_t ci = 0; ci < g->n_nodes; ci++) {
        struct yolo_node *c = &g->nodes[ci];
        if (c->op != YOLO_OP_QCONV || c->params[YOLO_QC_ODT] != YOLO_DT_F32 ||
            c->in[YOLO_QC_IN_LUT] >= 0 || c->fparams[YOLO_QC_FP_OSC] != 0 ||
            c->fparams[YOLO_QC_FP_DQS] != 0)
            continue;
        int32_t t = c->out[0];
        if (yolo_graph_is_output(g, t))
            continue;
        /* every reader of t: a per-tensor Q agreeing with the first one */
        int32_t first = -1, ok = 1;
        float s = 0;
        int32_t zp = 0;
        int64_t qdt = 0;
        for (int32_t j = ci + 1; j < g->n_nodes && ok; j++) {
            const struct yolo_node *r = &g->nodes[j];
            int reads = 0;
            for (int k = 0; k < r->n_in; k++)
                reads += r->in[k] == t;
            if (!reads)
                continue;
            float s2;
            int32_t zp2;
            int64_t qdt2;
            ok = reads == 1 && r->in[0] == t && q_per_tensor(g, r, &s2, &zp2, &qdt2) &&
                 !yolo_graph_is_output(g, r->out[0]);
            if (ok && first < 0) {
                first = j, s = s2, zp = zp2, qdt = qdt2;
            } else if (ok) {
                ok = s2 == s && zp2 == zp && qdt2 == qdt;
            }
        }
        if (!ok || first < 0)
            continue;
        int32_t q = g->nodes[first].out[0];
        for (int32_t j = first; j < g->n_nodes; j++) {
            struct yolo_node *r = &g->nodes[j];
            if (r->op == YOLO_OP_QUANTIZE_LINEAR && r->in[0] == t && !dead[j]) {
                if (j != first)
                    yolo_graph_replace_input(g, r->out[0], q);
                dead[j] = 1;
            }
        }
        c->out[0] = q;
        c->params[YOLO_QC_ODT] = qdt;
        c->params[YOLO_QC_YZP] = zp;
        c->fparams[YOLO_QC_FP_OSC] = s;
        changed++;
    }
    yolo_graph_remove_nodes(g, dead);
    free(dead);
    if (n_changed)
        *n_changed = changed;
    return 0;
}
