/* ops/sigmoid.c: Sigmoid (ONNX opset 6, 13): y = 1 / (1 + exp(-x)), float32. This form never
 * makes a NaN from a finite x: exp overflows to +inf for x < -88 and 1/inf = 0; for large x
 * exp(-x) underflows to 0 and y = 1. No params. */
#include <math.h>

#include "broadcast.h"

static int sigmoid_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    return yolo_bc_unary_shape(g, n, YOLO_DT_F32, d);
}

static void sigmoid_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const float *X = yolo_exec_ptr(x, n->in[0]);
    float *Y = yolo_exec_ptr(x, n->out[0]);
    int64_t s, e;
    yolo_bc_split(yolo_tensor_numel(&x->g->tensors[n->out[0]]), ith, nth, &s, &e);
    for (int64_t i = s; i < e; i++)
        Y[i] = 1.0f / (1.0f + expf(-X[i]));
}

const struct yolo_op_impl yolo_op_sigmoid = {
    "Sigmoid", "Sigmoid", NULL, sigmoid_shape, sigmoid_ref, NULL
};
