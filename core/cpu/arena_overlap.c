/* cpu/arena_overlap.c: what the load-time fusions that write a tensor earlier (or read one
 * later) than its node would share: which activations share arena bytes, and the readers of
 * every tensor (split_chain_mark.c, conv_tp_mark.c, conv_cat_mark.c, conv_add_mark.c). */
#include "cpu/cpu.h"
#include "passes.h"

int yolo_cpu_fusion_uses(const struct yolo_graph *g, enum yolo_isa isa, enum yolo_op op,
                         struct yolo_uses *u)
{
    if (isa == YOLO_ISA_REF)
        return 0;
    int any = 0;
    for (int32_t i = 0; i < g->n_nodes && !any; i++)
        any = g->nodes[i].op == op;
    return any && yolo_uses_make(g, (size_t)g->n_tensors, u, NULL) == 0;
}

int yolo_cpu_tensors_overlap(const struct yolo_graph *g, int32_t a, int32_t b)
{
    const struct yolo_tensor *A = &g->tensors[a], *B = &g->tensors[b];
    uint64_t ae = A->offset + yolo_tensor_bytes(A), be = B->offset + yolo_tensor_bytes(B);
    return A->offset < be && B->offset < ae;
}

int yolo_cpu_node_touches(const struct yolo_graph *g, const struct yolo_node *n, int32_t t,
                          int32_t not_a, int32_t not_b)
{
    for (int k = 0; k < n->n_in + n->n_out; k++) {
        int32_t u = k < n->n_in ? n->in[k] : n->out[k - n->n_in];
        if (u >= 0 && u != not_a && u != not_b && !(g->tensors[u].flags & YOLO_TF_CONST) &&
            yolo_cpu_tensors_overlap(g, u, t))
            return 1;
    }
    return 0;
}
