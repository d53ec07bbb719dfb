/* ops/div.c: Div (ONNX opset 7+, 14): C = A / B with multidirectional (numpy) broadcasting.
 * Both inputs float32 (IEEE: x/0 is +-inf or NaN) or both int64. int64 division truncates
 * toward zero like C (and ONNX Runtime); it defines what C leaves undefined: x / 0 = 0 and
 * INT64_MIN / -1 = INT64_MIN (wrap-around). No attributes, no params. */
#include "broadcast.h"

static inline int64_t div_i64_safe(int64_t a, int64_t b)
{
    if (b == 0)
        return 0;
    if (b == -1)
        return (int64_t)(0 - (uint64_t)a);
    return a / b;
}

YOLO_BC_RUN(div_f32, float, float, float, a / b)
YOLO_BC_RUN(div_i64, int64_t, int64_t, int64_t, div_i64_safe(a, b))

static void div_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    int f32 = x->g->tensors[n->in[0]].dtype == YOLO_DT_F32;
    yolo_bc_binary_kernel(x, n, ith, nth, f32 ? div_f32 : div_i64, NULL);
}

const struct yolo_op_impl yolo_op_div = {
    "Div", "Div", NULL, yolo_bc_arith_shape, div_ref, NULL
};
