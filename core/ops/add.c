/* ops/add.c: Add (ONNX opset 7+, 14): C = A + B with multidirectional (numpy) broadcasting.
 * Both inputs float32 or both int64. No attributes, no params. int64 wraps around on overflow
 * (two's complement) instead of being undefined behaviour. */
#include "broadcast.h"
#include "kernels/fast_ops.h"

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

/* Same-shape float32 operands (YOLO's residual adds): kernels/x86/eltwise_body.h. */
static yolo_kernel_fn add_select(const struct yolo_graph *g, const struct yolo_node *n,
                                enum yolo_isa isa)
{
    if (!yolo_binary_fast_applies(g, n))
        return NULL;
    isa = yolo_isa_usable(isa);
    return isa == YOLO_ISA_AVX512 ? yolo_add_avx512 : isa == YOLO_ISA_AVX2 ? yolo_add_avx2 : NULL;
}

const struct yolo_op_impl yolo_op_add = {
    "Add", "Add", NULL, yolo_bc_arith_shape, add_ref, add_select, NULL, NULL
};
