/* noop.c: bypasses nodes that compute nothing: Identity, and Reshape / Flatten / Squeeze /
 * Unsqueeze / Cast whose output has exactly the input's dtype and shape. Consumers read the
 * input instead. A node whose output is a graph output is kept (the output keeps its name). */
#include <stdlib.h>
#include <string.h>

#include "passes.h"

static int is_view_op(enum yolo_op op)
{
    return op == YOLO_OP_IDENTITY || op == YOLO_OP_RESHAPE || op == YOLO_OP_FLATTEN ||
           op == YOLO_OP_SQUEEZE || op == YOLO_OP_UNSQUEEZE || op == YOLO_OP_CAST;
}

static int same_shape(const struct yolo_tensor *a, const struct yolo_tensor *b)
{
    return a->dtype == b->dtype && a->ndim == b->ndim &&
           memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)(a->ndim > 0 ? a->ndim : 0)) == 0;
}

int yolo_opt_noop(struct yolo_graph *g, int *n_changed, struct yolo_diag *d)
{
    int changed = 0;
    uint8_t *dead = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), 1);
    if (!dead)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory removing no-op nodes");
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const struct yolo_node *n = &g->nodes[i];
        if (!is_view_op(n->op) || n->n_out != 1 || n->in[0] < 0 || n->out[0] < 0)
            continue;
        int32_t in = n->in[0], out = n->out[0];
        if (!same_shape(&g->tensors[in], &g->tensors[out]) || yolo_graph_is_output(g, out))
            continue;
        yolo_graph_replace_input(g, out, in);
        dead[i] = 1;
        changed++;
    }
    yolo_graph_remove_nodes(g, dead);
    free(dead);
    if (n_changed)
        *n_changed = changed;
    return 0;
}
