/* ops/silu.c: SiLU, a project-internal op (no ONNX name): y = x * sigmoid(x), float32, one
 * input. A graph pass fuses YOLO's Sigmoid + Mul pair into it. The sigmoid is computed exactly
 * as ops/sigmoid.c does and then multiplied, so the fused op gives the same bits as the pair.
 * No params. */
#include <math.h>

#include "broadcast.h"

static int silu_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    return yolo_bc_unary_shape(g, n, YOLO_DT_F32, d);
}

static void silu_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const float *X = yolo_exec_ptr(x, n->in[0]);
    float *Y = yolo_exec_ptr(x, n->out[0]);
    int64_t s, e;
    yolo_bc_split(yolo_tensor_numel(&x->g->tensors[n->out[0]]), ith, nth, &s, &e);
    for (int64_t i = s; i < e; i++) {
        float v = X[i];
        float sig = 1.0f / (1.0f + expf(-v));
        Y[i] = v * sig;
    }
}

const struct yolo_op_impl yolo_op_silu = {
    NULL, "SiLU", NULL, silu_shape, silu_ref, NULL
};
