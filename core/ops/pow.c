/* ops/pow.c: Pow (ONNX opset 7+, 12, 13, 15): Z = X ^ Y with multidirectional (numpy)
 * broadcasting. Supported: float32 base with a float32 or int64 exponent (YOLOv5's head
 * squares with a float32 scalar 2); the output has the base's dtype. Computed with powf, so
 * powf's special cases apply (negative base, non-integer exponent: NaN), except that an
 * exponent of exactly 2 gives a * a: the correctly rounded square, which glibc 2.36's powf
 * is not (it is 1 ulp off for ~1.5M of the 2^32 floats, checked exhaustively: normal
 * results, results near overflow, subnormal results). a * a agrees with powf on every
 * special case (+-0, +-inf, NaN stays NaN) and lets the CPU's vector kernel
 * (x86/eltwise_body.h) match this one bit for bit. No params. */
#include <math.h>

#include "broadcast.h"

YOLO_BC_RUN(pow_f32, float, float, float, b == 2.0f ? a * a : powf(a, b))
YOLO_BC_RUN(pow_f32_i64, float, int64_t, float, b == 2 ? a * a : powf(a, (float)b))

static int pow_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 2, 2, 1, d);
    if (rc)
        return rc;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Y = &g->tensors[n->in[1]];
    if (X->dtype != YOLO_DT_F32 || (Y->dtype != YOLO_DT_F32 && Y->dtype != YOLO_DT_I64))
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "base %s with exponent %s; supported: "
                               "float32 base, float32 or int64 exponent",
                               yolo_dtype_name(X->dtype), yolo_dtype_name(Y->dtype));
    return yolo_bc_binary_shape(g, n, YOLO_DT_F32, d);
}

static void pow_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    int f32 = x->g->tensors[n->in[1]].dtype == YOLO_DT_F32;
    yolo_bc_binary_kernel(x, n, ith, nth, f32 ? pow_f32 : pow_f32_i64, NULL);
}

const struct yolo_op_impl yolo_op_pow = {
    "Pow", "Pow", NULL, pow_shape, pow_ref, NULL
};
