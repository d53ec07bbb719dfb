/* ops/relu.c: Relu (ONNX opset 6, 13, 14): y = max(0, x), float32. NaN stays NaN;
 * -0 gives +0. No params. */
#include <math.h>

#include "broadcast.h"

static int relu_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    return yolo_bc_unary_shape(g, n, YOLO_DT_F32, d);
}

static void relu_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const float *X = yolo_exec_ptr(x, n->in[0]);
    float *Y = yolo_exec_ptr(x, n->out[0]);
    int64_t s, e;
    yolo_bc_split(yolo_tensor_numel(&x->g->tensors[n->out[0]]), ith, nth, &s, &e);
    for (int64_t i = s; i < e; i++)
        Y[i] = X[i] > 0.0f || isnan(X[i]) ? X[i] : 0.0f;
}

const struct yolo_op_impl yolo_op_relu = {
    "Relu", "Relu", NULL, relu_shape, relu_ref, NULL
};
