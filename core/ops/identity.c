/* ops/identity.c: Identity (ONNX opset 1, 13, 14, 16, 19, 21): output = input, any tensor
 * dtype. No params. The kernel copies bytes (nothing to do when output and input alias). */
#include "broadcast.h"

static int identity_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 1, 1, 1, d);
    if (rc)
        return rc;
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    return yolo_bc_set_out(g, n, 0, X->dtype, X->ndim, X->shape, d);
}

const struct yolo_op_impl yolo_op_identity = {
    "Identity", "Identity", NULL, identity_shape, yolo_bc_view_kernel, NULL
};
