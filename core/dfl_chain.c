/* dfl_chain.c: finds the DFL of a YOLOv8/11 detection head (passes.h, struct
 * yolo_dfl_chain): a Transpose of the box tensor, a Softmax over the bins, maybe a second
 * Transpose, then a 1x1 convolution to one channel (both backends run it as one pass at the
 * convolution: cpu/dfl_mark.c, cuda/fuse_dfl.c) or, in a QDQ model, the QuantizeLinear
 * before that convolution's int8 form (the CPU backend runs the chain up to it as one pass).
 * The graph is not changed. */
#include "passes.h"
#include "ops/op_params.h"
#include "ops/quant.h"

/* The Transpose -> Softmax -> (Transpose) start of both forms at node i, the chain's
 * tensors between private to their next node: dc->conv is the node after it, reading *x3;
 * the bins are dim 1 of *x3, whose dims lie in dc->src (the first Transpose's input) at
 * strides dc->st[]. */
static int dfl_start(const struct yolo_graph *g, const struct yolo_uses *u, int32_t i,
                     struct yolo_dfl_chain *dc, int32_t *x3)
{
    const struct yolo_node *ta = &g->nodes[i];
    if (ta->op != YOLO_OP_TRANSPOSE || i + 2 >= g->n_nodes || ta->n_out != 1)
        return 0;
    const struct yolo_node *sm = &g->nodes[i + 1];
    int32_t x1 = ta->in[0], x2 = ta->out[0];
    if (sm->op != YOLO_OP_SOFTMAX || sm->in[0] != x2 || !yolo_uses_private(g, u, x2, i + 1) ||
        x1 < 0 || (g->tensors[x1].flags & YOLO_TF_CONST) || g->tensors[x1].dtype != YOLO_DT_F32)
        return 0;
    const struct yolo_tensor *X1 = &g->tensors[x1], *X2 = &g->tensors[x2];
    int32_t nd = X2->ndim, y2 = sm->out[0];
    if (X1->ndim != nd || nd != 4)
        return 0;
    /* the softmax axis: one dim of X2, the lanes around it */
    int64_t axis = sm->params[YOLO_SM_AXIS] < 0 ? sm->params[YOLO_SM_AXIS] + nd
                                                : sm->params[YOLO_SM_AXIS];
    if (axis < 0 || axis >= nd || X2->shape[axis] != sm->params[YOLO_SM_N])
        return 0;
    int64_t inner = 1;
    for (int32_t k = (int32_t)axis + 1; k < nd; k++)
        inner *= X2->shape[k];
    if (inner != sm->params[YOLO_SM_INNER])
        return 0;
    /* X2's strides in X1 (contiguous): dim k of X2 is dim perm[k] of X1 */
    int64_t s1[4], s2[4], pb[4] = { 0, 1, 2, 3 };
    int64_t s = 1;
    for (int32_t k = nd - 1; k >= 0; k--) {
        s1[k] = s;
        s *= X1->shape[k];
    }
    for (int32_t k = 0; k < nd; k++)
        s2[k] = s1[ta->params[YOLO_TP_RES + k]];
    /* maybe a second Transpose, then the node that ends the chain */
    int32_t ci = i + 2;
    *x3 = y2;
    const struct yolo_node *tb = &g->nodes[i + 2];
    if (tb->op == YOLO_OP_TRANSPOSE && tb->in[0] == y2) {
        if (i + 3 >= g->n_nodes || !yolo_uses_private(g, u, y2, i + 2) ||
            !yolo_uses_private(g, u, tb->out[0], i + 3))
            return 0;
        for (int32_t k = 0; k < nd; k++)
            pb[k] = tb->params[YOLO_TP_RES + k];
        *x3 = tb->out[0];
        ci = i + 3;
    } else if (!yolo_uses_private(g, u, y2, i + 2)) {
        return 0;
    }
    if (pb[1] != axis || g->nodes[ci].in[0] != *x3)
        return 0;
    dc->first = i;
    dc->conv = ci;
    dc->src = x1;
    for (int32_t k = 0; k < nd; k++)
        dc->st[k] = s2[pb[k]];
    return 1;
}

int yolo_dfl_chain_find(const struct yolo_graph *g, const struct yolo_uses *u, int32_t i,
                        struct yolo_dfl_chain *dc)
{
    int32_t x3;
    if (!dfl_start(g, u, i, dc, &x3))
        return 0;
    const struct yolo_tensor *X3 = &g->tensors[x3];
    const struct yolo_node *cv = &g->nodes[dc->conv];
    if (cv->op != YOLO_OP_CONV || cv->n_in < 2 || cv->in[1] < 0)
        return 0;
    const struct yolo_tensor *W = &g->tensors[cv->in[1]], *Y = &g->tensors[cv->out[0]];
    const int64_t *p = cv->params;
    int has_bias = cv->n_in >= 3 && cv->in[2] >= 0;
    if (!(W->flags & YOLO_TF_CONST) || W->dtype != YOLO_DT_F32 || W->ndim != 4 || W->shape[0] != 1 ||
        W->shape[1] != X3->shape[1] || W->shape[1] > YOLO_DFL_MAX_BINS || W->shape[2] != 1 ||
        W->shape[3] != 1 || p[YOLO_CONV_GROUP] != 1 || p[YOLO_CONV_SH] != 1 ||
        p[YOLO_CONV_SW] != 1 || p[YOLO_CONV_PT] || p[YOLO_CONV_PL] || p[YOLO_CONV_PB] ||
        p[YOLO_CONV_PR] || p[YOLO_CONV_ACT] != YOLO_ACT_NONE ||
        (has_bias && !(g->tensors[cv->in[2]].flags & YOLO_TF_CONST)) || Y->dtype != YOLO_DT_F32)
        return 0;
    return 1;
}

int yolo_dfl_q_find(const struct yolo_graph *g, const struct yolo_uses *u, int32_t i,
                    struct yolo_dfl_chain *dc)
{
    int32_t x3;
    if (!dfl_start(g, u, i, dc, &x3))
        return 0;
    const struct yolo_node *q = &g->nodes[dc->conv];
    return q->op == YOLO_OP_QUANTIZE_LINEAR && q->n_out == 1 && q->out[0] >= 0 &&
           q->params[YOLO_QL_NCH] == 1 && g->tensors[x3].shape[1] <= YOLO_DFL_MAX_BINS;
}
