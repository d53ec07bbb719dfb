/* ops/mul.c: Mul (ONNX opset 7+, 14): C = A * B with multidirectional (numpy) broadcasting.
 * Both inputs float32 or both int64. No attributes, no params. YOLO's SiLU (x * sigmoid(x))
 * is a same-shape Mul and x * scale a broadcast one; both become long runs in the broadcast
 * plan. int64 wraps around on overflow (two's complement), never undefined behaviour. */
#include "broadcast.h"
#include "kernels/fast_ops.h"

static inline int64_t mul_wrap(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a * (uint64_t)b);
}

YOLO_BC_RUN(mul_f32, float, float, float, a * b)
YOLO_BC_RUN(mul_i64, int64_t, int64_t, int64_t, mul_wrap(a, b))

static void mul_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    int f32 = x->g->tensors[n->in[0]].dtype == YOLO_DT_F32;
    yolo_bc_binary_kernel(x, n, ith, nth, f32 ? mul_f32 : mul_i64, NULL);
}

/* Same-shape float32 operands (YOLO's residual adds): kernels/x86/eltwise_body.h. */
static yolo_kernel_fn mul_select(const struct yolo_graph *g, const struct yolo_node *n,
                                enum yolo_isa isa)
{
    if (!yolo_binary_fast_applies(g, n))
        return NULL;
    isa = yolo_isa_usable(isa);
    return isa == YOLO_ISA_AVX512 ? yolo_mul_avx512 : isa == YOLO_ISA_AVX2 ? yolo_mul_avx2 : NULL;
}

const struct yolo_op_impl yolo_op_mul = {
    "Mul", "Mul", NULL, yolo_bc_arith_shape, mul_ref, mul_select, NULL, NULL
};
