/* conv_tp.c: finds the Conv -> Reshape -> Transpose pattern of passes.h (struct yolo_conv_tp):
 * YOLOv5's head, whose Transpose's output the planner makes live from the Conv on (plan.c) so
 * the CPU backend's Conv can write it directly (cpu/conv_tp_mark.c). The graph is not
 * changed. */
#include <string.h>

#include "passes.h"
#include "ops/op_params.h"

int yolo_conv_tp_find(const struct yolo_graph *g, const struct yolo_uses *u, int32_t tp,
                      struct yolo_conv_tp *ct)
{
    memset(ct, 0, sizeof *ct);
    const struct yolo_node *t = &g->nodes[tp];
    if (t->op != YOLO_OP_TRANSPOSE || t->n_in < 1 || t->n_out != 1 || t->in[0] < 0 ||
        t->out[0] < 0)
        return 0;
    int32_t R = t->in[0];
    const struct yolo_tensor *RT = &g->tensors[R];
    int r = RT->ndim;
    if (r < 4 || RT->dtype != YOLO_DT_F32 || !yolo_uses_private(g, u, R, tp))
        return 0;
    /* perm (0, 1, 3, ..., r - 1, 2): axis 2 to the end, the others in order */
    const int64_t *p = t->params;
    for (int i = 0; i < r; i++)
        if (p[YOLO_TP_RES + i] != (i < 2 ? i : i == r - 1 ? 2 : i + 1))
            return 0;
    int32_t v = u->producer[R];
    if (v < 0 || g->nodes[v].op != YOLO_OP_RESHAPE || g->nodes[v].n_out != 1 ||
        g->nodes[v].in[0] < 0 || !yolo_uses_private(g, u, g->nodes[v].in[0], v))
        return 0;
    int32_t Y = g->nodes[v].in[0], c = u->producer[Y];
    if (c < 0 || g->nodes[c].op != YOLO_OP_CONV || g->nodes[c].n_out != 1 ||
        g->nodes[c].out[0] != Y)
        return 0;
    const struct yolo_tensor *YT = &g->tensors[Y];
    if (YT->ndim != 4 || YT->dtype != YOLO_DT_F32 || RT->shape[0] != YT->shape[0] ||
        RT->shape[1] * RT->shape[2] != YT->shape[1] || RT->shape[2] < 1)
        return 0;
    int64_t rest = 1;
    for (int i = 3; i < r; i++)
        rest *= RT->shape[i];
    if (rest != YT->shape[2] * YT->shape[3])
        return 0;
    *ct = (struct yolo_conv_tp){ c, v, tp, RT->shape[2] };
    return 1;
}
