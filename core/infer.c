/* infer.c: static shape inference over the whole graph, with constant folding.
 *
 * Nodes are visited in topological order; each op's shape_fn sets its outputs' dtype and
 * shape. A node whose inputs are all constants (or a Shape node, whose output depends only
 * on shapes) is then evaluated at build time with its reference kernel and its outputs
 * become constants: this is how shape-only subgraphs (Shape -> Gather -> Concat -> Reshape)
 * and Constant nodes disappear. Folded nodes are removed by yolo_opt_dce. */
#include <string.h>

#include "yolo_core.h"
#include "passes.h"

/* Folding materializes constants: ConstantOfShape, Expand or Tile of a few bytes can claim
 * gigabytes. Real models fold shape arithmetic and small grids (kilobytes), so folding may
 * add at most this much to the weights the file brings. */
#define FOLD_MAX_BYTES ((uint64_t)256 << 20)

static int all_inputs_const(const struct yolo_graph *g, const struct yolo_node *n)
{
    for (int k = 0; k < n->n_in; k++)
        if (n->in[k] >= 0 && !(g->tensors[n->in[k]].flags & YOLO_TF_CONST))
            return 0;
    return 1;
}

static int fold_node(struct yolo_graph *g, struct yolo_node *n, uint64_t limit,
                     struct yolo_diag *d)
{
    const struct yolo_op_impl *impl = yolo_op_impl_get(n->op);
    uint64_t need = g->consts_bytes;
    for (int k = 0; k < n->n_out; k++)
        if (n->out[k] >= 0)
            need += yolo_tensor_bytes(&g->tensors[n->out[k]]) + 64;
    if (need > limit)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "cannot fold: its constant output would "
                               "take the constants to %llu bytes (folding may add at most %llu MiB "
                               "to the weights)", (unsigned long long)need,
                               (unsigned long long)(FOLD_MAX_BYTES >> 20));
    for (int k = 0; k < n->n_out; k++) {
        if (n->out[k] < 0)
            continue;
        int rc = yolo_graph_make_const(g, n->out[k], d);
        if (rc)
            return yolo_node_error(d, rc, n, "cannot fold: %s", d ? d->msg : "");
    }
    /* make_const may move the blob: build the exec only now */
    struct yolo_exec x = { .g = g, .arena = NULL, .consts = g->consts };
    impl->ref_fn(&x, n, 0, 1);
    return 0;
}

int yolo_graph_infer(struct yolo_graph *g, int fold, struct yolo_diag *d)
{
    uint64_t fold_limit = g->consts_bytes + FOLD_MAX_BYTES;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        struct yolo_node *n = &g->nodes[i];
        const struct yolo_op_impl *impl = yolo_op_impl_get(n->op);
        if (!impl || !impl->shape_fn || !impl->ref_fn)
            return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "op not implemented in this build");
        for (int k = 0; k < n->n_in; k++) {
            int32_t t = n->in[k];
            if (t >= 0 && g->tensors[t].ndim < 0)
                return yolo_node_error(d, YOLO_ERR_FORMAT, n, "input '%s' has no known shape",
                                       g->tensors[t].name);
        }
        int rc = impl->shape_fn(g, n, d);
        if (rc)
            return rc;
        for (int k = 0; k < n->n_out; k++) {
            int32_t t = n->out[k];
            if (t < 0)
                continue;
            if (yolo_tensor_bytes(&g->tensors[t]) == 0 && yolo_tensor_numel(&g->tensors[t]) != 0)
                return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "output '%s' is too large or "
                                       "has no shape", g->tensors[t].name);
        }
        int already = n->n_out > 0;
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0 && !(g->tensors[n->out[k]].flags & YOLO_TF_CONST))
                already = 0;
        if (fold && !already && (all_inputs_const(g, n) || n->op == YOLO_OP_SHAPE)) {
            rc = fold_node(g, n, fold_limit, d);
            if (rc)
                return rc;
        }
    }
    for (int i = 0; i < g->n_outputs; i++)
        if (g->tensors[g->outputs[i]].ndim < 0)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "graph output '%s' is not produced by any node",
                                 g->tensors[g->outputs[i]].name);
    return 0;
}
