/* cuda/fuse_attn.c: finds the attention of YOLO11's C2PSA block and runs it as one kernel
 * (kernels_attn.cu) at its second MatMul; the other nodes of the chain run nothing:
 *
 *   q [N, H, 32, L] -> Transpose (0, 1, 3, 2) -> MatMul with k [N, H, 32, L] -> Mul by a
 *   constant scalar (or none) -> Softmax over the last axis -> Transpose (0, 1, 3, 2) ->
 *   MatMul of v [N, H, 64, L] by it -> y [N, H, 64, L]
 *
 * each tensor between two nodes of the chain read by the next one only and no graph output.
 *
 * Why: the [L, L] scores (400 x 400 per head at 640 x 640) went through memory five times:
 * 1.35 ms of yolo11n_dq's 13.9 at batch 128 (H100, FP16).
 *
 * Memory: the fused kernel reads q and k at the second MatMul, later than the first one did,
 * and the device plan may have given their bytes to a tensor made in between (they died at the
 * first MatMul). The chain is fused only if no node that runs from the first Transpose to the
 * second MatMul (in step order with lanes, graph order without) writes bytes of q's or k's,
 * and the output does not overlap them. YOLO_CUDA_FUSE=0 leaves the chain as it is. */
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_model.h"
#include "ops/op_params.h"
#include "passes.h"

struct attn_chain {
    int32_t t1, mm1, mul, softmax, t2, mm2;   /* node indices (mul -1 when absent) */
    int32_t q, k, v;
    float scale;
};

static int swaps_last_two(const struct yolo_node *n)
{
    const int64_t *r = n->params + YOLO_TP_RES;
    return n->op == YOLO_OP_TRANSPOSE && n->params[YOLO_TP_N] == 4 && r[0] == 0 && r[1] == 1 &&
           r[2] == 3 && r[3] == 2;
}

static int is_scalar_const(const struct yolo_graph *g, int32_t t)
{
    return t >= 0 && (g->tensors[t].flags & YOLO_TF_CONST) && g->tensors[t].dtype == YOLO_DT_F32 &&
           yolo_tensor_numel(&g->tensors[t]) == 1;
}

/* The producer of t if t is an activation only `by` reads, else -1. */
static int32_t private_producer(const struct yolo_graph *g, const struct yolo_uses *u, int32_t t,
                                int32_t by)
{
    return t >= 0 && yolo_uses_private(g, u, t, by) ? u->producer[t] : -1;
}

static int shape4(const struct yolo_tensor *T, int64_t n, int64_t h, int64_t a, int64_t b)
{
    return T->ndim == 4 && T->shape[0] == n && T->shape[1] == h && T->shape[2] == a &&
           T->shape[3] == b;
}

/* The chain ending at MatMul node i; 0 if it is none. */
static int chain_at(const struct yolo_graph *g, const struct yolo_uses *u, int32_t i,
                    struct attn_chain *c)
{
    const struct yolo_node *b = &g->nodes[i];
    if (b->op != YOLO_OP_MATMUL || b->n_in != 2)
        return 0;
    c->mm2 = i;
    c->v = b->in[0];
    if ((c->t2 = private_producer(g, u, b->in[1], i)) < 0 || !swaps_last_two(&g->nodes[c->t2]))
        return 0;
    c->softmax = private_producer(g, u, g->nodes[c->t2].in[0], c->t2);
    if (c->softmax < 0 || g->nodes[c->softmax].op != YOLO_OP_SOFTMAX ||
        g->nodes[c->softmax].params[YOLO_SM_INNER] != 1)
        return 0;
    int32_t prev = private_producer(g, u, g->nodes[c->softmax].in[0], c->softmax);
    if (prev < 0)
        return 0;
    c->mul = -1;
    c->scale = 1.0f;
    if (g->nodes[prev].op == YOLO_OP_MUL) {
        const struct yolo_node *mu = &g->nodes[prev];
        if (mu->n_in != 2)
            return 0;
        int side = is_scalar_const(g, mu->in[1]) ? 0 : is_scalar_const(g, mu->in[0]) ? 1 : -1;
        if (side < 0)
            return 0;
        memcpy(&c->scale, g->consts + g->tensors[mu->in[1 - side]].offset, sizeof c->scale);
        c->mul = prev;
        if ((prev = private_producer(g, u, mu->in[side], prev)) < 0)
            return 0;
    }
    c->mm1 = prev;
    const struct yolo_node *a = &g->nodes[c->mm1];
    if (a->op != YOLO_OP_MATMUL || a->n_in != 2 ||
        (c->t1 = private_producer(g, u, a->in[0], c->mm1)) < 0 || !swaps_last_two(&g->nodes[c->t1]))
        return 0;
    c->q = g->nodes[c->t1].in[0];
    c->k = a->in[1];
    const struct yolo_tensor *Q = &g->tensors[c->q];
    if (Q->ndim != 4 || (Q->flags & YOLO_TF_CONST) || (g->tensors[c->k].flags & YOLO_TF_CONST) ||
        (g->tensors[c->v].flags & YOLO_TF_CONST))
        return 0;
    int64_t n = Q->shape[0], h = Q->shape[1], l = Q->shape[3];
    return shape4(Q, n, h, 32, l) && shape4(&g->tensors[c->k], n, h, 32, l) &&
           shape4(&g->tensors[c->v], n, h, 64, l) && shape4(&g->tensors[b->out[0]], n, h, 64, l) &&
           g->tensors[b->out[0]].dtype == YOLO_DT_F32 && Q->dtype == YOLO_DT_F32 &&
           n * h <= 65535 && l <= 65535;
}

static int in_chain(const struct attn_chain *c, int32_t j)
{
    return j == c->t1 || j == c->mm1 || j == c->mul || j == c->softmax || j == c->t2 ||
           j == c->mm2;
}

/* Whether reading q and k at the second MatMul is safe (see the top of the file). */
static int reads_safe(const struct cuda_model *m, const struct attn_chain *c)
{
    const struct yolo_graph *g = m->g;
    int32_t lo = cuda_node_step(m, c->t1), hi = cuda_node_step(m, c->mm2);
    int32_t y = g->nodes[c->mm2].out[0];
    if (cuda_bytes_overlap(m, y, c->q) || cuda_bytes_overlap(m, y, c->k))
        return 0;
    for (int32_t j = 0; j < g->n_nodes; j++) {
        if (m->skip[j] || in_chain(c, j) || cuda_node_step(m, j) < lo || cuda_node_step(m, j) > hi)
            continue;
        const struct yolo_node *n = &g->nodes[j];
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0 && (cuda_bytes_overlap(m, n->out[k], c->q) ||
                                   cuda_bytes_overlap(m, n->out[k], c->k)))
                return 0;
    }
    return 1;
}

int cuda_fuse_attn(struct cuda_model *m, struct yolo_diag *d)
{
    const char *env = getenv("YOLO_CUDA_FUSE");
    const struct yolo_graph *g = m->g;
    if ((env && strcmp(env, "0") == 0) || g->n_nodes == 0)
        return 0;
    struct yolo_uses u;
    if (yolo_uses_make(g, (size_t)g->n_tensors, &u, d))
        return -1;
    int rc = 0;
    for (int32_t i = 0; i < g->n_nodes && !rc; i++) {
        struct attn_chain c;
        if (m->skip[i] || !chain_at(g, &u, i, &c))
            continue;
        int32_t st = m->st[c.q], y_st = m->st[g->nodes[i].out[0]];
        if (m->skip[c.t1] || m->skip[c.mm1] || (c.mul >= 0 && m->skip[c.mul]) ||
            m->skip[c.softmax] || m->skip[c.t2] || m->st[c.k] != st || m->st[c.v] != st ||
            (st != YOLO_CU_F32 && st != YOLO_CU_F16) ||
            (y_st != YOLO_CU_F32 && y_st != YOLO_CU_F16) || !reads_safe(m, &c))
            continue;
        if (!m->attn) {
            m->attn = malloc(sizeof *m->attn * (size_t)g->n_nodes);
            if (!m->attn) {
                rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory fusing the attention");
                break;
            }
            for (int32_t j = 0; j < g->n_nodes; j++)
                m->attn[j] = (struct cuda_attn){ .q = -1, .k = -1 };
        }
        m->attn[i] = (struct cuda_attn){ .q = c.q, .k = c.k, .scale = c.scale };
        m->skip[c.t1] = m->skip[c.mm1] = m->skip[c.softmax] = m->skip[c.t2] = CUDA_SKIP_FUSED;
        if (c.mul >= 0)
            m->skip[c.mul] = CUDA_SKIP_FUSED;
    }
    yolo_uses_free(&u);
    return rc;
}

void cuda_attn_launch(const struct cuda_ctx *c, int32_t i, struct yolo_cu_attn *a)
{
    const struct cuda_model *m = c->m;
    const struct yolo_graph *g = m->g;
    const struct yolo_node *n = &g->nodes[i];
    const struct cuda_attn *at = &m->attn[i];
    const struct yolo_tensor *Q = &g->tensors[at->q];
    *a = (struct yolo_cu_attn){
        .heads = (int32_t)(Q->shape[0] * Q->shape[1]), .l = (int32_t)Q->shape[3],
        .dk = (int32_t)Q->shape[2], .dv = (int32_t)g->tensors[n->in[0]].shape[2],
        .q_st = m->st[at->q], .k_st = m->st[at->k], .v_st = m->st[n->in[0]],
        .y_st = m->st[n->out[0]], .scale = at->scale, .q = cuda_tensor_ptr(c, at->q),
        .k = cuda_tensor_ptr(c, at->k), .v = cuda_tensor_ptr(c, n->in[0]),
        .y = cuda_tensor_ptr(c, n->out[0]) };
}
