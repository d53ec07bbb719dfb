/* ops/qadd.c: QAdd, a project-internal op (no ONNX name): the sum of two quantized tensors
 * of one scale and zero point, in that same quantization:
 *   y = saturate(a + b - zp)   (uint8 or int8, elementwise, same shapes, no broadcast)
 * since (a - zp) s + (b - zp) s = ((a + b - zp) - zp) s. `yolo build --int8` makes it of a
 * YOLO residual Add whose addends and sum share one range (core/opt/push_q.c), so that the
 * C2f blocks with shortcuts stay in int8 too. params: [YOLO_QA_ZP] the zero point. */
#include <string.h>

#include "broadcast.h"
#include "op_params.h"
#include "quant.h"

static int qadd_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 2, 2, 1, d);
    if (rc)
        return rc;
    const struct yolo_tensor *A = &g->tensors[n->in[0]], *B = &g->tensors[n->in[1]];
    if ((A->dtype != YOLO_DT_U8 && A->dtype != YOLO_DT_I8) || B->dtype != A->dtype)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "inputs are %s and %s; both must be uint8 "
                               "or both int8", yolo_dtype_name(A->dtype),
                               yolo_dtype_name(B->dtype));
    if (A->ndim != B->ndim || memcmp(A->shape, B->shape, sizeof(int64_t) * (size_t)A->ndim))
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "inputs differ in shape");
    float lo, hi;
    yolo_quant_range(A->dtype, &lo, &hi);
    if (n->params[YOLO_QA_ZP] < (int64_t)lo || n->params[YOLO_QA_ZP] > (int64_t)hi)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "zero point %lld out of range",
                               (long long)n->params[YOLO_QA_ZP]);
    return yolo_bc_set_out(g, n, 0, A->dtype, A->ndim, A->shape, d);
}

static void qadd_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_tensor *A = &x->g->tensors[n->in[0]];
    const void *a = yolo_exec_ptr(x, n->in[0]), *b = yolo_exec_ptr(x, n->in[1]);
    void *y = yolo_exec_ptr(x, n->out[0]);
    int32_t zp = (int32_t)n->params[YOLO_QA_ZP], u8 = A->dtype == YOLO_DT_U8;
    int32_t lo = u8 ? 0 : -128, hi = u8 ? 255 : 127;
    int64_t s, e;
    yolo_bc_split(yolo_tensor_numel(A), ith, nth, &s, &e);
    for (int64_t i = s; i < e; i++) {
        int32_t v = yolo_quant_load(a, A->dtype, i) + yolo_quant_load(b, A->dtype, i) - zp;
        v = v < lo ? lo : v > hi ? hi : v;
        if (u8)
            ((uint8_t *)y)[i] = (uint8_t)v;
        else
            ((int8_t *)y)[i] = (int8_t)v;
    }
}

const struct yolo_op_impl yolo_op_qadd = {
    NULL, "QAdd", NULL, qadd_shape, qadd_ref, NULL
};
