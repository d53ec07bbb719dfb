/* fold_bn.c: Conv -> BatchNormalization folded into the Conv.
 *   y = s * (conv(x, W) + b - mean) / sqrt(var + eps) + beta
 *     = conv(x, W * k) + (b - mean) * k + beta,   k = s / sqrt(var + eps)   (per output channel)
 * Applies when the Conv's output feeds only the BN, all BN inputs and the Conv's weights are
 * constants, and the Conv has no fused activation yet. BatchNormalization params: fparams[0]
 * is epsilon (ops/batch_norm.c). New constants are added; the old ones become unused and are
 * dropped by yolo_graph_compact. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"

static int fold_one(struct yolo_graph *g, int32_t ci, int32_t bi, struct yolo_diag *d)
{
    struct yolo_node conv = g->nodes[ci];
    const struct yolo_node bn = g->nodes[bi];
    const struct yolo_tensor *W = &g->tensors[conv.in[1]];
    int64_t m = W->shape[0], per = yolo_tensor_numel(W) / (m ? m : 1);
    const float *w = yolo_graph_const_data(g, conv.in[1]);
    const float *b = conv.in[2] >= 0 ? yolo_graph_const_data(g, conv.in[2]) : NULL;
    const float *s = yolo_graph_const_data(g, bn.in[1]);
    const float *beta = yolo_graph_const_data(g, bn.in[2]);
    const float *mean = yolo_graph_const_data(g, bn.in[3]);
    const float *var = yolo_graph_const_data(g, bn.in[4]);
    float eps = bn.fparams[0];
    float *nw = malloc(sizeof(float) * (size_t)(m * per));
    float *nb = malloc(sizeof(float) * (size_t)m);
    if (!nw || !nb) {
        free(nw);
        free(nb);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory folding BatchNormalization");
    }
    for (int64_t o = 0; o < m; o++) {
        float k = s[o] / sqrtf(var[o] + eps);
        for (int64_t i = 0; i < per; i++)
            nw[o * per + i] = w[o * per + i] * k;
        nb[o] = ((b ? b[o] : 0.0f) - mean[o]) * k + beta[o];
    }
    char name[YOLO_NAME_MAX];
    int64_t wshape[YOLO_MAX_DIMS];
    memcpy(wshape, W->shape, sizeof wshape);
    int32_t wdim = W->ndim;
    snprintf(name, sizeof name, "%s.bn_weight", conv.name);
    int32_t tw = yolo_graph_add_const(g, name, YOLO_DT_F32, wdim, wshape, nw, d);
    snprintf(name, sizeof name, "%s.bn_bias", conv.name);
    int32_t tb = tw < 0 ? -1 : yolo_graph_add_const(g, name, YOLO_DT_F32, 1, &m, nb, d);
    free(nw);
    free(nb);
    if (tw < 0 || tb < 0)
        return d ? d->status : YOLO_ERR_NOMEM;
    conv.in[1] = tw;
    conv.in[2] = tb;
    if (conv.n_in < 3)
        conv.n_in = 3;
    conv.out[0] = bn.out[0];
    g->nodes[ci] = conv;
    return 0;
}

static int is_f32_const_vec(const struct yolo_graph *g, int32_t t, int64_t m)
{
    return t >= 0 && (g->tensors[t].flags & YOLO_TF_CONST) && g->tensors[t].dtype == YOLO_DT_F32 &&
           yolo_tensor_numel(&g->tensors[t]) == m;
}

int yolo_opt_fold_bn(struct yolo_graph *g, int *n_changed, struct yolo_diag *d)
{
    int changed = 0;
    /* producer and reader count of every tensor present now, built once (a scan of the
     * nodes per BatchNormalization made the pass quadratic). Only activations are looked
     * up: the constants fold_one adds are never a BatchNormalization's input. Nodes marked
     * dead stay counted, as they stay in g->nodes until the end of the pass. */
    int32_t nt = g->n_tensors;
    uint8_t *dead = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), 1);
    int32_t *producer = malloc(sizeof(int32_t) * (size_t)(nt ? nt : 1));
    int32_t *n_reads = calloc((size_t)(nt ? nt : 1), sizeof(int32_t));
    if (!dead || !producer || !n_reads) {
        free(dead);
        free(producer);
        free(n_reads);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory folding BatchNormalization");
    }
    for (int32_t t = 0; t < nt; t++)
        producer[t] = -1;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0 && n->out[k] < nt && producer[n->out[k]] < 0)
                producer[n->out[k]] = i;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0 && n->in[k] < nt)
                n_reads[n->in[k]]++;
    }
    for (int32_t bi = 0; bi < g->n_nodes; bi++) {
        const struct yolo_node *bn = &g->nodes[bi];
        if (bn->op != YOLO_OP_BATCH_NORM || bn->n_out != 1 || bn->n_in < 5)
            continue;
        int32_t y = bn->in[0];
        int32_t ci = y >= 0 && y < nt ? producer[y] : -1;
        if (ci < 0 || dead[ci])
            continue;
        const struct yolo_node *cv = &g->nodes[ci];
        if (cv->op != YOLO_OP_CONV || cv->params[YOLO_CONV_ACT] != YOLO_ACT_NONE ||
            n_reads[y] != 1 || yolo_graph_is_output(g, y))
            continue;
        const struct yolo_tensor *W = &g->tensors[cv->in[1]];
        if (!(W->flags & YOLO_TF_CONST) || W->dtype != YOLO_DT_F32 || W->ndim < 1)
            continue;
        int64_t m = W->shape[0];
        if ((cv->in[2] >= 0 && !is_f32_const_vec(g, cv->in[2], m)) ||
            !is_f32_const_vec(g, bn->in[1], m) || !is_f32_const_vec(g, bn->in[2], m) ||
            !is_f32_const_vec(g, bn->in[3], m) || !is_f32_const_vec(g, bn->in[4], m))
            continue;
        int rc = fold_one(g, ci, bi, d);
        if (rc) {
            free(dead);
            free(producer);
            free(n_reads);
            return rc;
        }
        /* the Conv now writes the BN's output (it comes first); y is written by no node */
        producer[y] = -1;
        if (bn->out[0] >= 0 && bn->out[0] < nt)
            producer[bn->out[0]] = ci;
        dead[bi] = 1;
        changed++;
    }
    yolo_graph_remove_nodes(g, dead);
    free(dead);
    free(producer);
    free(n_reads);
    if (n_changed)
        *n_changed = changed;
    return 0;
}
