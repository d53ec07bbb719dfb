/* concat_q.c: finds a QDQ model's Concat whose only reader is a QuantizeLinear (passes.h,
 * struct yolo_concat_q): YOLOv8's C2f and neck joins, where ONNX Runtime's quantizer leaves
 * the joined tensor in float and each part arrives dequantized (or upsampled after that).
 * The graph is not changed; the planner keeps each part's source alive to the
 * QuantizeLinear (plan.c) so the CPU backend can run the join as one pass there
 * (cpu/concat_q_mark.c). */
#include "passes.h"
#include "ops/op_params.h"
#include "ops/quant.h"

/* A DequantizeLinear with one scale from a uint8/int8 activation of t's shape, writing t. */
static int is_dq_of(const struct yolo_graph *g, const struct yolo_uses *u, int32_t t)
{
    int32_t d = u->producer[t];
    if (d < 0)
        return 0;
    const struct yolo_node *n = &g->nodes[d];
    if (n->op != YOLO_OP_DEQUANTIZE_LINEAR || n->n_out != 1 || n->out[0] != t ||
        n->params[YOLO_QL_NCH] != 1 || n->in[0] < 0)
        return 0;
    const struct yolo_tensor *S = &g->tensors[n->in[0]];
    return (S->dtype == YOLO_DT_U8 || S->dtype == YOLO_DT_I8) &&
           !(S->flags & YOLO_TF_CONST) && yolo_tensor_numel(S) == yolo_tensor_numel(&g->tensors[t]);
}

int yolo_concat_q_find(const struct yolo_graph *g, const struct yolo_uses *u, int32_t q,
                       struct yolo_concat_q *cq)
{
    const struct yolo_node *qn = &g->nodes[q];
    if (qn->op != YOLO_OP_QUANTIZE_LINEAR || qn->n_out != 1 || qn->out[0] < 0 ||
        qn->params[YOLO_QL_NCH] != 1 || qn->in[0] < 0)
        return 0;
    int32_t t = qn->in[0], c = u->producer[t];
    if (c < 0 || !yolo_uses_private(g, u, t, q))
        return 0;
    const struct yolo_node *cn = &g->nodes[c];
    const struct yolo_tensor *T = &g->tensors[t];
    if (cn->op != YOLO_OP_CONCAT || cn->n_out != 1 || T->ndim != 4 || T->dtype != YOLO_DT_F32 ||
        cn->params[YOLO_CC_AXIS_RES] != 1 || cn->n_in < 2 || cn->n_in > YOLO_CQ_MAX_PARTS)
        return 0;
    cq->q = q;
    cq->concat = c;
    cq->n_parts = cn->n_in;
    for (int i = 0; i < cn->n_in; i++) {
        int32_t p = cn->in[i];
        if (p < 0 || g->tensors[p].dtype != YOLO_DT_F32 || (g->tensors[p].flags & YOLO_TF_CONST))
            return 0;
        for (int j = 0; j < i; j++)   /* a tensor joined twice: keep it simple */
            if (cn->in[j] == p)
                return 0;
        struct yolo_cq_part *pt = &cq->part[i];
        *pt = (struct yolo_cq_part){ .kind = YOLO_CQ_FLOAT, .src = p, .dq = -1, .resize = -1 };
        int32_t r = u->producer[p];
        if (is_dq_of(g, u, p)) {
            pt->kind = YOLO_CQ_DQ;
            pt->dq = u->producer[p];
        } else if (r >= 0 && g->nodes[r].op == YOLO_OP_RESIZE && g->nodes[r].out[0] == p &&
                   yolo_uses_private(g, u, p, c) && yolo_resize_is_2x(g, &g->nodes[r]) &&
                   !(g->tensors[g->nodes[r].in[0]].flags & YOLO_TF_CONST)) {
            pt->resize = r;
            pt->src = g->nodes[r].in[0];
            pt->kind = YOLO_CQ_RESIZE;
            if (is_dq_of(g, u, pt->src)) {
                pt->kind = YOLO_CQ_RESIZE_DQ;
                pt->dq = u->producer[pt->src];
            }
        }
        if (pt->dq >= 0)
            pt->src = g->nodes[pt->dq].in[0];
    }
    return 1;
}
