/* cuda/storage.c: how each tensor is stored on the device.
 *
 * FP32 runs store every tensor as the graph says. FP16 runs store a float tensor as FP16 when
 * it is read or written by a convolution that runs in FP16, or made by a node all of whose
 * float inputs are FP16 (so the head's Concat/Split/Resize/MaxPool stay FP16 and move half the
 * bytes); graph inputs and outputs stay FP32 (the caller's buffers are float), and so does
 * everything the FP32 head computes (the DFL convolution, with one output channel, stays FP32,
 * so do the box decode's Sub/Add/Mul after it). A node whose input storage differs from what
 * it computes in converts on the way: every kernel takes a storage per operand.
 *
 * Tensors the device plan made share bytes (a view of its input, a Split output inside its
 * input, a Concat input inside its output: one tree of plan_cuda.c's) must share a storage:
 * they are grouped first (union-find) and the storage is chosen per group. FP16 tensors live in a second arena at half the
 * planner's offsets, so a group keeps its internal layout and never meets an FP32 tensor. */
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_model.h"
#include "ops/op_params.h"

int32_t cuda_uf_find(int32_t *parent, int32_t t)
{
    while (parent[t] != t) {
        parent[t] = parent[parent[t]];
        t = parent[t];
    }
    return t;
}

void cuda_uf_unite(int32_t *parent, int32_t a, int32_t b)
{
    a = cuda_uf_find(parent, a);
    b = cuda_uf_find(parent, b);
    if (a != b)
        parent[a] = b;
}

static int arena_tensor(const struct yolo_graph *g, int32_t t)
{
    return t >= 0 && !(g->tensors[t].flags & YOLO_TF_CONST);
}

/* In an FP16 run a Conv computes in FP16 when it has at least 8 output channels: the DFL
 * head's convolution (one output channel, weights 0..15) keeps its box distances in FP32. */
int cuda_conv_is_half(const struct cuda_model *m, const struct yolo_node *n)
{
    return m->half && n->op == YOLO_OP_CONV && m->g->tensors[n->in[1]].shape[0] >= 8;
}

static int is_float(const struct yolo_graph *g, int32_t t)
{
    return t >= 0 && g->tensors[t].dtype == YOLO_DT_F32;
}

int cuda_storage_plan(struct cuda_model *m, struct yolo_diag *d)
{
    const struct yolo_graph *g = m->g;
    int32_t nt = g->n_tensors;
    size_t cnt = (size_t)(nt ? nt : 1);
    int32_t *parent = malloc(sizeof(int32_t) * cnt);
    uint8_t *half = calloc(cnt, 1), *keep32 = calloc(cnt, 1);
    m->st = calloc(cnt, 1);
    if (!parent || !half || !keep32 || !m->st) {
        free(parent), free(half), free(keep32);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory planning device storage");
    }
    for (int32_t t = 0; t < nt; t++)
        parent[t] = t;
    for (int32_t t = 0; t < nt; t++)
        if (arena_tensor(g, t))
            cuda_uf_unite(parent, t, m->root[t]);
    if (m->half) {
        for (int32_t k = 0; k < g->n_inputs; k++)
            keep32[cuda_uf_find(parent, g->inputs[k])] = 1;
        for (int32_t k = 0; k < g->n_outputs; k++)
            keep32[cuda_uf_find(parent, g->outputs[k])] = 1;
        for (int32_t i = 0; i < g->n_nodes; i++) {
            const struct yolo_node *n = &g->nodes[i];
            if (m->skip[i])
                continue;
            int make_half = cuda_conv_is_half(m, n);
            if (!make_half && n->op != YOLO_OP_CONV) {
                /* everything else follows its float inputs: FP16 only if all of them are, and
                 * never arithmetic with a float constant (the decode's grids, anchors and
                 * strides: pixel coordinates up to 640 would keep 0.5 px in FP16) */
                int n_float = 0, n_half = 0, with_const = 0;
                /* a Resize reads only its first input (the others are its scales) */
                int n_data = n->op == YOLO_OP_RESIZE ? 1 : n->n_in;
                for (int k = 0; k < n_data; k++) {
                    if (n->in[k] >= 0 && is_float(g, n->in[k]) && !arena_tensor(g, n->in[k]))
                        with_const = 1;
                    if (arena_tensor(g, n->in[k]) && is_float(g, n->in[k])) {
                        n_float++;
                        n_half += half[cuda_uf_find(parent, n->in[k])];
                    }
                }
                make_half = n_float > 0 && n_half == n_float && !with_const;
            }
            if (cuda_conv_is_half(m, n) && arena_tensor(g, n->in[0]))
                half[cuda_uf_find(parent, n->in[0])] = 1;
            for (int k = 0; make_half && k < n->n_out; k++)
                if (is_float(g, n->out[k]))
                    half[cuda_uf_find(parent, n->out[k])] = 1;
        }
    }
    uint64_t half_end = 0;
    for (int32_t t = 0; t < nt; t++) {
        const struct yolo_tensor *T = &g->tensors[t];
        switch (T->dtype) {
        case YOLO_DT_F32: {
            int32_t r = cuda_uf_find(parent, t);
            int h = arena_tensor(g, t) && half[r] && !keep32[r];
            m->st[t] = h ? YOLO_CU_F16 : YOLO_CU_F32;
            /* a part's bytes lie inside its root's, which is FP16 too */
            int32_t pr = m->root[t];
            uint64_t end = m->off[pr] / 2 + yolo_tensor_bytes(&g->tensors[pr]) / 2;
            if (h && end > half_end)
                half_end = end;
            break;
        }
        case YOLO_DT_I64: m->st[t] = YOLO_CU_I64; break;
        case YOLO_DT_I32: m->st[t] = YOLO_CU_I32; break;
        default:          m->st[t] = YOLO_CU_U8; break;
        }
    }
    m->half_arena_bytes = half_end;
    free(parent);
    free(half);
    free(keep32);
    return 0;
}
