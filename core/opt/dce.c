/* dce.c: dead-node removal. A node is dead when every output is a constant (it was folded)
 * or is read by no live node and is not a graph output. One backward sweep suffices because
 * nodes are in topological order: a node's consumers all come after it. */
#include <stdlib.h>

#include "passes.h"

int yolo_opt_dce(struct yolo_graph *g, int *n_changed, struct yolo_diag *d)
{
    int32_t nn = g->n_nodes;
    uint8_t *dead = calloc((size_t)(nn ? nn : 1), 1);
    int32_t *uses = calloc((size_t)(g->n_tensors ? g->n_tensors : 1), sizeof(int32_t));
    if (!dead || !uses) {
        free(dead);
        free(uses);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory in dead-node removal");
    }
    for (int i = 0; i < g->n_outputs; i++)
        uses[g->outputs[i]]++;
    int changed = 0;
    for (int32_t i = nn - 1; i >= 0; i--) {
        const struct yolo_node *n = &g->nodes[i];
        int live = 0, folded = n->n_out > 0;
        for (int k = 0; k < n->n_out; k++) {
            int32_t t = n->out[k];
            if (t < 0)
                continue;
            if (!(g->tensors[t].flags & YOLO_TF_CONST))
                folded = 0;
            if (uses[t] > 0)
                live = 1;
        }
        if (folded || !live) {
            dead[i] = 1;
            changed++;
            continue;
        }
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0)
                uses[n->in[k]]++;
    }
    yolo_graph_remove_nodes(g, dead);
    free(dead);
    free(uses);
    if (n_changed)
        *n_changed = changed;
    return 0;
}
