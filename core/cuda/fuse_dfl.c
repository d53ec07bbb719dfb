/* cuda/fuse_dfl.c: finds the DFL of a YOLOv8/11 detection head (a Transpose of the box
 * tensor, a Softmax over the 16 bins, maybe another Transpose, a 1x1 convolution to one
 * channel) and runs it as one kernel (yolo_cu_dfl) at the convolution; the other nodes of
 * the chain run nothing.
 *
 * Why: each of those nodes is a full pass over [N, 64, 8400] or its softmax: at batch 128
 * they took 2.1 ms of yolov8n_dq's 18.8 on an H200 (per-node profile: Transpose 0.45,
 * Softmax 0.63, Transpose 0.52, the FP32 convolution 0.51 ms), where one read of the box
 * tensor and one write of the [N, 4, 8400] result is what the arithmetic needs. Fused, the
 * whole network (FP16, CUDA graph) went from 19.7 to 18.0 ms at batch 128, 5.40 to 4.97 at
 * batch 32 and 0.80 to 0.78 ms at batch 1.
 *
 * When: the nodes are consecutive in the plan; each tensor between them has that one reader
 * and is no graph output; the convolution reduces over the softmax's axis (the strides of
 * the Transposes are composed into one strided view of the Transpose's input); and the
 * output's bytes do not overlap that input's (the planner may put the output where the input
 * was, since in the graph the input dies at the first Transpose); and every offset fits the
 * kernel's int32 arithmetic. YOLO_CUDA_FUSE=0 leaves
 * the chain as it is (for measuring what this buys). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_model.h"
#include "ops/op_params.h"

static int32_t readers(const struct yolo_graph *g, int32_t t)
{
    int32_t r = 0;
    for (int32_t i = 0; i < g->n_nodes; i++)
        for (int32_t k = 0; k < g->nodes[i].n_in; k++)
            r += g->nodes[i].in[k] == t;
    return r;
}

/* A tensor no one else needs: one reader, not a graph output, not kept for a caller. */
static int private_tensor(const struct yolo_graph *g, int32_t t)
{
    return t >= 0 && !(g->tensors[t].flags & (YOLO_TF_OUTPUT | YOLO_TF_KEEP | YOLO_TF_CONST)) &&
           readers(g, t) == 1;
}

/* Where tensor t's bytes lie in the context's arenas: 0 the FP32 one, 1 the FP16 one. */
static void span(const struct cuda_model *m, int32_t t, int *arena, uint64_t *lo, uint64_t *hi)
{
    const struct yolo_tensor *T = &m->g->tensors[t];
    int half = m->st[t] == YOLO_CU_F16 && T->dtype == YOLO_DT_F32;
    *arena = half;
    *lo = half ? m->off[t] / 2 : m->off[t];
    *hi = *lo + (half ? yolo_tensor_bytes(T) / 2 : yolo_tensor_bytes(T));
}

static int overlap(const struct cuda_model *m, int32_t a, int32_t b)
{
    int aa, ab;
    uint64_t alo, ahi, blo, bhi;
    span(m, a, &aa, &alo, &ahi);
    span(m, b, &ab, &blo, &bhi);
    return aa == ab && alo < bhi && blo < ahi;
}

/* The chain starting at Transpose node i, recorded on its convolution; 0 if it is none. */
static int fuse_at(struct cuda_model *m, int32_t i)
{
    const struct yolo_graph *g = m->g;
    const struct yolo_node *ta = &g->nodes[i];
    if (i + 2 >= g->n_nodes || ta->n_out != 1)
        return 0;
    const struct yolo_node *sm = &g->nodes[i + 1];
    int32_t x1 = ta->in[0], x2 = ta->out[0];
    if (sm->op != YOLO_OP_SOFTMAX || sm->in[0] != x2 || !private_tensor(g, x2) || x1 < 0 ||
        (g->tensors[x1].flags & YOLO_TF_CONST) || g->tensors[x1].dtype != YOLO_DT_F32)
        return 0;
    const struct yolo_tensor *X1 = &g->tensors[x1], *X2 = &g->tensors[x2];
    int32_t nd = X2->ndim, y2 = sm->out[0];
    /* the softmax axis: one dim of X2, the lanes around it */
    int64_t axis = sm->params[YOLO_SM_AXIS] < 0 ? sm->params[YOLO_SM_AXIS] + nd
                                                : sm->params[YOLO_SM_AXIS];
    if (axis < 0 || axis >= nd || X2->shape[axis] != sm->params[YOLO_SM_N])
        return 0;
    int64_t inner = 1;
    for (int32_t k = (int32_t)axis + 1; k < nd; k++)
        inner *= X2->shape[k];
    if (inner != sm->params[YOLO_SM_INNER] || !private_tensor(g, y2))
        return 0;
    /* X2's strides in X1 (contiguous): dim k of X2 is dim perm[k] of X1 */
    int64_t s1[YOLO_MAX_DIMS], s2[YOLO_MAX_DIMS], s3[YOLO_MAX_DIMS];
    int64_t s = 1;
    for (int32_t k = X1->ndim - 1; k >= 0; k--) {
        s1[k] = s;
        s *= X1->shape[k];
    }
    if (X1->ndim != nd)
        return 0;
    for (int32_t k = 0; k < nd; k++)
        s2[k] = s1[ta->params[YOLO_TP_RES + k]];
    /* maybe a second Transpose, then the convolution */
    int32_t ci = i + 2, x3 = y2, chan = (int32_t)axis;
    const struct yolo_node *tb = &g->nodes[i + 2];
    int64_t pb[YOLO_MAX_DIMS];
    for (int32_t k = 0; k < nd; k++)
        pb[k] = k;
    if (tb->op == YOLO_OP_TRANSPOSE && tb->in[0] == y2) {
        if (i + 3 >= g->n_nodes || !private_tensor(g, tb->out[0]))
            return 0;
        for (int32_t k = 0; k < nd; k++)
            pb[k] = tb->params[YOLO_TP_RES + k];
        x3 = tb->out[0];
        ci = i + 3;
    }
    for (int32_t k = 0; k < nd; k++)
        s3[k] = s2[pb[k]];
    const struct yolo_node *cv = &g->nodes[ci];
    if (cv->op != YOLO_OP_CONV || cv->in[0] != x3 || nd != 4 || pb[1] != chan)
        return 0;
    const struct yolo_tensor *W = &g->tensors[cv->in[1]], *Y = &g->tensors[cv->out[0]];
    const int64_t *p = cv->params;
    int has_bias = cv->n_in >= 3 && cv->in[2] >= 0;
    if (!(W->flags & YOLO_TF_CONST) || W->dtype != YOLO_DT_F32 || W->shape[0] != 1 ||
        W->shape[1] != X2->shape[axis] || W->shape[1] > 32 || W->shape[2] != 1 ||
        W->shape[3] != 1 || p[YOLO_CONV_GROUP] != 1 || p[YOLO_CONV_SH] != 1 ||
        p[YOLO_CONV_SW] != 1 || p[YOLO_CONV_PT] || p[YOLO_CONV_PL] || p[YOLO_CONV_PB] ||
        p[YOLO_CONV_PR] || p[YOLO_CONV_ACT] != YOLO_ACT_NONE ||
        (has_bias && !(g->tensors[cv->in[2]].flags & YOLO_TF_CONST)) ||
        Y->dtype != YOLO_DT_F32 || m->skip[i] || m->skip[i + 1] || m->skip[ci] ||
        (ci == i + 3 && m->skip[i + 2]) || overlap(m, x1, cv->out[0]) ||
        yolo_tensor_numel(X1) >= INT32_MAX / 2)   /* the kernel's int32 offsets */
        return 0;
    struct cuda_conv *c = &m->convs[ci];
    c->dfl = 1;
    c->dfl_src = x1;
    memcpy(c->dfl_st, s3, sizeof c->dfl_st);
    for (int32_t k = i; k < ci; k++)
        m->skip[k] = CUDA_SKIP_FUSED;
    return 1;
}

void cuda_fuse_dfl(struct cuda_model *m)
{
    const char *env = getenv("YOLO_CUDA_FUSE");
    if (env && strcmp(env, "0") == 0)
        return;
    for (int32_t i = 0; i < m->g->n_nodes; i++)
        if (m->g->nodes[i].op == YOLO_OP_TRANSPOSE && !m->skip[i])
            fuse_at(m, i);
}

void cuda_dfl_launch(const struct cuda_ctx *c, int32_t i, struct yolo_cu_dfl *a)
{
    const struct cuda_model *m = c->m;
    const struct yolo_graph *g = m->g;
    const struct yolo_node *n = &g->nodes[i];
    const struct cuda_conv *cv = &m->convs[i];
    const struct yolo_tensor *X3 = &g->tensors[n->in[0]];
    float bias = 0.0f;
    if (n->n_in >= 3 && n->in[2] >= 0)
        memcpy(&bias, g->consts + g->tensors[n->in[2]].offset, sizeof bias);
    *a = (struct yolo_cu_dfl){ .n = (int32_t)X3->shape[0], .bins = (int32_t)X3->shape[1],
                               .h = (int32_t)X3->shape[2], .w = (int32_t)X3->shape[3],
                               .x_st = m->st[cv->dfl_src], .y_st = m->st[n->out[0]],
                               .sn = cv->dfl_st[0], .sc = cv->dfl_st[1], .sh = cv->dfl_st[2],
                               .sw = cv->dfl_st[3], .x = cuda_tensor_ptr(c, cv->dfl_src),
                               .wt = (const float *)(m->dconst + g->tensors[n->in[1]].offset),
                               .bias = bias, .y = cuda_tensor_ptr(c, n->out[0]) };
}
