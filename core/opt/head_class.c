/* head_class.c: the class-score branch of a YOLOv8/11-style detection head (passes.h,
 * yolo_head_class_conv).
 *
 * The head's Sigmoid reads the class logits: a Concat of the scales of views of the logits
 * Convs' outputs (exports that concatenate box and class tensors apart), or one output k of a
 * Split along the channels of such a Concat of views of per-scale Concats along the channels
 * (Ultralytics' own export), whose input k then holds the logits where their parts have the
 * Split's sizes. The Conv making the logits and the Convs before it (up to two, each the
 * producer of the next one's input) are the branch. Found by structure alone, so engines
 * built before this file have the same branch. */
#include "passes.h"
#include "ops/op_params.h"

#define BRANCH_CONVS 3   /* the 1x1 logits Conv and the two 3x3 Convs before it */

static const struct yolo_node *producer(const struct yolo_graph *g, int32_t t)
{
    int32_t p = t >= 0 ? yolo_graph_producer(g, t) : -1;
    return p >= 0 ? &g->nodes[p] : NULL;
}

/* Whether per-scale Concat c splits its channels as Split s does. */
static int same_parts(const struct yolo_graph *g, const struct yolo_node *c, const struct yolo_node *s)
{
    if (c->params[YOLO_CC_AXIS_RES] != 1 || c->n_in != s->n_out)
        return 0;
    for (int k = 0; k < c->n_in; k++) {
        if (c->in[k] < 0 || s->out[k] < 0)
            return 0;
        const struct yolo_tensor *A = &g->tensors[c->in[k]], *B = &g->tensors[s->out[k]];
        if (A->ndim < 2 || B->ndim < 2 || A->shape[1] != B->shape[1])
            return 0;
    }
    return 1;
}

/* Whether Conv node `conv` makes, or feeds within the branch, the logits behind tensor t: t
 * holds them (split is NULL), or holds them as part k of Split split's channels. */
static int logits_of(const struct yolo_graph *g, int32_t t, const struct yolo_node *split, int k,
                     const struct yolo_node *conv, int steps)
{
    const struct yolo_node *p = producer(g, t);
    if (!p || steps == 0)
        return 0;
    if (yolo_op_is_view(p->op))
        return logits_of(g, p->in[0], split, k, conv, steps - 1);
    if (p->op == YOLO_OP_CONCAT && p->params[YOLO_CC_AXIS_RES] == 1)   /* the channels */
        return split && same_parts(g, p, split) &&
               logits_of(g, p->in[k], NULL, 0, conv, steps - 1);
    if (p->op == YOLO_OP_CONCAT) {   /* the scales */
        for (int s = 0; s < p->n_in; s++)
            if (logits_of(g, p->in[s], split, k, conv, steps - 1))
                return 1;
        return 0;
    }
    if (p->op == YOLO_OP_SPLIT && !split && p->params[YOLO_SP_AXIS_RES] == 1) {
        int j = 0;
        while (j < p->n_out && p->out[j] != t)
            j++;
        return j < p->n_out && logits_of(g, p->in[0], p, j, conv, steps - 1);
    }
    for (int depth = 0; depth < BRANCH_CONVS && !split && p && p->op == YOLO_OP_CONV; depth++) {
        if (p == conv)
            return 1;
        p = producer(g, p->in[0]);
    }
    return 0;
}

int yolo_head_class_conv(const struct yolo_graph *g, int32_t conv)
{
    for (int32_t i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == YOLO_OP_SIGMOID && g->nodes[i].n_in >= 1 &&
            logits_of(g, g->nodes[i].in[0], NULL, 0, &g->nodes[conv], 8))
            return 1;
    return 0;
}
