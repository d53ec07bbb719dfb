/* ops/sub.c: Sub (ONNX opset 7+, 14): C = A - B with multidirectional (numpy) broadcasting.
 * Both inputs float32 or both int64. No attributes, no params. int64 wraps around on overflow
 * (two's complement) instead of being undefined behaviour. */
#include "broadcast.h"

static inline int64_t sub_wrap(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a - (uint64_t)b);
}

YOLO_BC_RUN(sub_f32, float, float, float, a - b)
YOLO_BC_RUN(sub_i64, int64_t, int64_t, int64_t, sub_wrap(a, b))

static void sub_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    int f32 = x->g->tensors[n->in[0]].dtype == YOLO_DT_F32;
    yolo_bc_binary_kernel(x, n, ith, nth, f32 ? sub_f32 : sub_i64, NULL);
}

const struct yolo_op_impl yolo_op_sub = {
    "Sub", "Sub", NULL, yolo_bc_arith_shape, sub_ref, NULL
};
