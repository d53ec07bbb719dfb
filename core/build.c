/* build.c: see build.h. */
#include <stdio.h>
#include <string.h>

#include "build.h"

int yolo_graph_optimize(struct yolo_graph *g, struct yolo_build_stats *st, struct yolo_diag *d)
{
    struct yolo_build_stats s;
    memset(&s, 0, sizeof s);
    s.nodes_imported = g->n_nodes;
    for (int i = 0; i < g->n_inputs; i++) {
        const struct yolo_tensor *t = &g->tensors[g->inputs[i]];
        if (yolo_tensor_numel(t) < 0)
            return yolo_diag_set(d, YOLO_ERR_ARG, "input '%s' has an unknown dimension", t->name);
    }
    int rc, n;
    if ((rc = yolo_graph_infer(g, 1, d)))
        return rc;
    if ((rc = yolo_opt_fuse_qdq(g, &s.n_qconv, d)))
        return rc;
    int32_t before = g->n_nodes;
    if ((rc = yolo_opt_dce(g, &n, d)))
        return rc;
    s.n_folded = before - g->n_nodes;
    if ((rc = yolo_opt_fold_bn(g, &s.n_bn_folded, d)) || (rc = yolo_opt_stem_s2d(g, &s.n_s2d, d)) ||
        (rc = yolo_opt_fuse_act(g, &s.n_act_fused, d)) ||
        (rc = yolo_opt_noop(g, &s.n_noops, d)) || (rc = yolo_opt_dce(g, &s.n_dead, d)))
        return rc;
    /* passes only rewire: a second inference proves shapes still agree */
    if ((rc = yolo_graph_infer(g, 0, d)) || (rc = yolo_graph_compact(g, d)) ||
        (rc = yolo_plan(g, &s.plan, d)))
        return rc;
    s.nodes_final = g->n_nodes;
    for (int32_t i = 0; i < g->n_nodes; i++)
        s.n_conv_float += g->nodes[i].op == YOLO_OP_CONV;
    snprintf(s.passes, sizeof s.passes, "fold,%sdce,fold_bn,%sfuse_act,noop,dce,compact,plan",
             s.n_qconv ? "fuse_qdq," : "", s.n_s2d ? "stem_s2d," : "");
    if (st)
        *st = s;
    return 0;
}
