/* cpu/arena_overlap.c: which activations share arena bytes, for the load-time fusions that
 * write a tensor earlier than the plan made it live (split_chain_mark.c, conv_tp_mark.c). */
#include "cpu/cpu.h"

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
