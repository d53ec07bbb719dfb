/* conv_cat.c: finds convolution outputs joined along the last axis (passes.h, struct
 * yolo_conv_cat): a YOLOv8/11 head's box and class maps of its three levels, flattened by
 * Reshapes and concatenated over the anchors. The graph is not changed; the planner starts
 * the joined tensor's life at the first of the convolutions (plan.c) so the CPU backend's
 * convolutions can write their rows into it (cpu/conv_cat_mark.c). */
#include "passes.h"
#include "ops/op_params.h"

/* A Conv or QConv writing t, a 4-D float32 tensor read by its next node only (by). */
static int conv_of(const struct yolo_graph *g, const struct yolo_uses *u, int32_t t, int32_t by)
{
    int32_t k = u->producer[t];
    if (k < 0 || !yolo_uses_private(g, u, t, by))
        return -1;
    const struct yolo_node *n = &g->nodes[k];
    const struct yolo_tensor *T = &g->tensors[t];
    if ((n->op != YOLO_OP_CONV && n->op != YOLO_OP_QCONV) || n->n_out != 1 || n->out[0] != t ||
        T->ndim != 4 || T->dtype != YOLO_DT_F32)
        return -1;
    return k;
}

/* Adds conv k (output channels from chan, columns from col) to cc; 0 when full. */
static int add(struct yolo_conv_cat *cc, int32_t k, int64_t chan, int64_t col)
{
    if (cc->n >= YOLO_CV_MAX_CONVS)
        return 0;
    cc->conv[cc->n] = k;
    cc->chan[cc->n] = chan;
    cc->col[cc->n++] = col;
    return 1;
}

int yolo_conv_cat_find(const struct yolo_graph *g, const struct yolo_uses *u, int32_t c,
                       struct yolo_conv_cat *cc)
{
    const struct yolo_node *cn = &g->nodes[c];
    if (cn->op != YOLO_OP_CONCAT || cn->n_out != 1 || cn->out[0] < 0 || cn->n_in < 1)
        return 0;
    const struct yolo_tensor *T = &g->tensors[cn->out[0]];
    if (T->ndim != 3 || T->dtype != YOLO_DT_F32 || cn->params[YOLO_CC_AXIS_RES] != 2)
        return 0;
    cc->concat = c;
    cc->n = cc->n_inner = 0;
    int64_t col = 0;
    for (int i = 0; i < cn->n_in; i++) {
        /* a Reshape [N, R, H, W] -> [N, R, H * W], read by the Concat only */
        int32_t v = cn->in[i], r = v >= 0 ? u->producer[v] : -1;
        if (r < 0 || g->nodes[r].op != YOLO_OP_RESHAPE || !yolo_uses_private(g, u, v, c) ||
            g->nodes[r].in[0] < 0)
            return 0;
        int32_t s = g->nodes[r].in[0];
        const struct yolo_tensor *S = &g->tensors[s], *V = &g->tensors[v];
        if (S->ndim != 4 || S->dtype != YOLO_DT_F32 || S->shape[0] != T->shape[0] ||
            S->shape[1] != T->shape[1] || V->shape[2] != S->shape[2] * S->shape[3])
            return 0;
        int32_t k = conv_of(g, u, s, r);
        if (k >= 0) {
            if (!add(cc, k, 0, col))
                return 0;
        } else {
            /* or an axis-1 Concat of conv outputs (YOLO11: each level's box and class maps) */
            int32_t ic = u->producer[s];
            if (ic < 0 || !yolo_uses_private(g, u, s, r) || cc->n_inner >= YOLO_CV_MAX_CONVS)
                return 0;
            const struct yolo_node *in = &g->nodes[ic];
            if (in->op != YOLO_OP_CONCAT || in->n_out != 1 || in->params[YOLO_CC_AXIS_RES] != 1)
                return 0;
            int64_t chan = 0;
            for (int j = 0; j < in->n_in; j++) {
                int32_t kj = in->in[j] >= 0 ? conv_of(g, u, in->in[j], ic) : -1;
                if (kj < 0 || !add(cc, kj, chan, col))
                    return 0;
                chan += g->tensors[in->in[j]].shape[1];
            }
            cc->inner[cc->n_inner++] = ic;
        }
        col += V->shape[2];
    }
    /* a Sigmoid alone reading the join, after convolutions without an activation */
    cc->sigmoid = -1;
    int32_t t = cn->out[0], s = u->reader[t];
    if (s >= 0 && yolo_uses_private(g, u, t, s) && g->nodes[s].op == YOLO_OP_SIGMOID &&
        g->nodes[s].n_out == 1 && g->nodes[s].out[0] >= 0 &&
        yolo_tensor_numel(&g->tensors[g->nodes[s].out[0]]) == yolo_tensor_numel(T))
        cc->sigmoid = s;
    for (int k = 0; k < cc->n; k++)
        if (g->nodes[cc->conv[k]].params[YOLO_CONV_ACT] != YOLO_ACT_NONE)
            cc->sigmoid = -1;
    return 1;
}
