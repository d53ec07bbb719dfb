/* conv_add.c: finds a residual Add of a convolution's output (passes.h, struct yolo_conv_add):
 * a YOLOv8 C2f bottleneck's shortcut, x + cv2(cv1(x)). The graph is not changed; the planner
 * starts the sum's life at the convolution (plan.c) so the CPU backend's convolution can write
 * the sum itself (cpu/conv_add_mark.c). */
#include <string.h>

#include "passes.h"

int yolo_conv_add_find(const struct yolo_graph *g, const struct yolo_uses *u, int32_t a,
                       struct yolo_conv_add *ca)
{
    const struct yolo_node *n = &g->nodes[a];
    if (n->op != YOLO_OP_ADD || n->n_in != 2 || n->n_out != 1 || n->out[0] < 0)
        return 0;
    const struct yolo_tensor *Z = &g->tensors[n->out[0]];
    if (Z->dtype != YOLO_DT_F32 || Z->ndim != 4)
        return 0;
    for (int k = 0; k < 2; k++) {
        int32_t y = n->in[k], r = n->in[1 - k], c = y >= 0 ? u->producer[y] : -1;
        if (c < 0 || r < 0 || r == y || !yolo_uses_private(g, u, y, a))
            continue;
        const struct yolo_node *cn = &g->nodes[c];
        const struct yolo_tensor *Y = &g->tensors[y], *R = &g->tensors[r];
        if ((cn->op != YOLO_OP_CONV && cn->op != YOLO_OP_QCONV) || cn->n_out != 1 ||
            (R->flags & YOLO_TF_CONST) || R->dtype != YOLO_DT_F32 || Y->dtype != YOLO_DT_F32 ||
            R->ndim != 4 || Y->ndim != 4 ||
            memcmp(R->shape, Z->shape, sizeof(int64_t) * 4) ||
            memcmp(Y->shape, Z->shape, sizeof(int64_t) * 4))
            continue;
        /* the residual is ready when the convolution runs */
        int32_t rp = u->producer[r];
        if (rp >= c)
            continue;
        ca->add = a;
        ca->conv = c;
        ca->res = r;
        return 1;
    }
    return 0;
}
