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
    int32_t nt = g->n_tensors;
    uint8_t *dead = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), 1);
    /* Bypassed outputs are renamed lazily: rename[t] is what a reader of t reads instead,
     * applied to each node's inputs when the walk reaches it. Nodes are in topological order,
     * so no node before a bypassed one reads its output; one pass over the nodes replaces
     * rewriting every node per bypass (quadratic in chains of no-ops). */
    int32_t *rename = malloc(sizeof(int32_t) * (size_t)(nt ? nt : 1));
    if (!dead || !rename) {
        free(dead);
        free(rename);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory removing no-op nodes");
    }
    for (int32_t t = 0; t < nt; t++)
        rename[t] = t;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        struct yolo_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0 && n->in[k] < nt)
                n->in[k] = rename[n->in[k]];
        if (!is_view_op(n->op) || n->n_out != 1 || n->in[0] < 0 || n->out[0] < 0)
            continue;
        int32_t in = n->in[0], out = n->out[0];
        if (!same_shape(&g->tensors[in], &g->tensors[out]) || yolo_graph_is_output(g, out))
            continue;
        rename[out] = in;   /* in is already final: this node's inputs were just renamed */
        dead[i] = 1;
        changed++;
    }
    yolo_graph_remove_nodes(g, dead);
    free(dead);
    free(rename);
    if (n_changed)
        *n_changed = changed;
    return 0;
}
