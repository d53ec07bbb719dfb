/* ops/add.c: Add (ONNX opset 7+, 14): C = A + B with multidirectional (numpy) broadcasting.
 * Both inputs float32 or both int64. No attributes, no params. int64 wraps around on overflow
 * (two's complement) instead of being undefined behaviour. */
#include "broadcast.h"

static inline int64_t add_wrap(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

YOLO_BC_RUN(add_f32, float, float, float, a + b)
YOLO_BC_RUN(add_i64, int64_t, int64_t, int64_t, add_wrap(a, b))

static void add_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    int f32 = x->g->tensors[n->in[0]].dtype == YOLO_DT_F32;
    yolo_bc_binary_kernel(x, n, ith, nth, f32 ? add_f32 : add_i64, NULL);
}

const struct yolo_op_impl yolo_op_add = {
    "Add", "Add", NULL, yolo_bc_arith_shape, add_ref, NULL
};
