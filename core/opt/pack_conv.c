/* pack_conv.c: pre-packs every group-1 Conv's constant weights into the layout of the
 * project's own kernels (kernels/conv_pack.h): Winograd F(4x4, 3x3) for 3x3 stride-1
 * undilated convolutions whose output is at least one 4x4 tile, the GEMM8 panel layout for
 * the rest. The packed tensor becomes input in[3] and params[YOLO_CONV_PACK] its kind; the
 * original W stays for the reference kernel. Weights that are not constants (or not float32)
 * are left alone: those convs run on the unpacked kernels. */
#include <stdio.h>
#include <stdlib.h>

#include "kernels/conv_pack.h"
#include "passes.h"

int yolo_opt_pack_conv(struct yolo_graph *g, int winograd, int *n_changed, struct yolo_diag *d)
{
    int changed = 0;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        struct yolo_node *n = &g->nodes[i];
        if (n->op != YOLO_OP_CONV || n->n_in < 2 || n->n_in > 3 || n->params[YOLO_CONV_PACK] != 0)
            continue;
        const struct yolo_tensor *W = &g->tensors[n->in[1]], *Y = &g->tensors[n->out[0]];
        if (!(W->flags & YOLO_TF_CONST) || W->dtype != YOLO_DT_F32 || W->ndim != 4 || Y->ndim != 4)
            continue;
        int64_t kind = YOLO_CONV_PACK_GEMM8;
        if (winograd && yolo_conv_pack_applies(YOLO_CONV_PACK_WINO43, n, n->params[YOLO_CONV_GROUP]) &&
            Y->shape[2] >= 4 && Y->shape[3] >= 4)
            kind = YOLO_CONV_PACK_WINO43;
        if (!yolo_conv_pack_applies(kind, n, n->params[YOLO_CONV_GROUP]))
            continue;
        int64_t M = W->shape[0], cg = W->shape[1], KH = W->shape[2], KW = W->shape[3];
        int64_t numel = yolo_conv_packed_numel(kind, M, cg, KH, KW);
        if (numel <= 0)
            continue;
        float *buf = malloc(sizeof(float) * (size_t)numel);
        if (!buf)
            return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory packing the weights of '%s'",
                                 n->name);
        yolo_conv_pack_weights(kind, yolo_graph_const_data(g, n->in[1]), M, cg, KH, KW, buf);
        char name[YOLO_NAME_MAX];
        snprintf(name, sizeof name, "%s.packed", n->name);
        int32_t t = yolo_graph_add_const(g, name, YOLO_DT_F32, 1, &numel, buf, d);
        free(buf);
        if (t < 0)
            return d ? d->status : YOLO_ERR_NOMEM;
        n = &g->nodes[i];   /* add_const may not move nodes, but re-take it to be safe */
        if (n->n_in < 3)
            n->in[2] = -1;
        n->in[3] = t;
        n->n_in = 4;
        n->params[YOLO_CONV_PACK] = kind;
        changed++;
    }
    if (n_changed)
        *n_changed = changed;
    return 0;
}
