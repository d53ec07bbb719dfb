/* ops/dequantize_linear.c: DequantizeLinear (ONNX opsets 10, 13, 19, 21): uint8, int8 or
 * int32 -> float32, x = (q - zero_point) * scale, per tensor or per axis (quant.h).
 * Inputs x, x_scale f32 (const), optional x_zero_point of x's dtype (const). params: enum
 * YOLO_QL_* (quant.h). The difference q - zp is formed in int32 and converted once, as the
 * ONNX reference does, so int32 biases dequantize exactly as ONNX Runtime does them. */
#include "broadcast.h"
#include "quant.h"

static int dql_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                      struct yolo_diag *d)
{
    (void)g;
    int bad = 0;
    int rc = yolo_quant_import_axis(n, a, d);
    (void)yolo_attr_int(a, "output_dtype", 0, &bad);
    if (!rc && bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute output_dtype has the wrong type");
    return rc;
}

static int dql_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 2, 3, 1, d);
    if (rc)
        return rc;
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    if (X->dtype != YOLO_DT_U8 && X->dtype != YOLO_DT_I8 && X->dtype != YOLO_DT_I32)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "input is %s; only uint8, int8 and "
                               "int32 are supported", yolo_dtype_name(X->dtype));
    if ((rc = yolo_quant_check(g, n, X->dtype, d)))
        return rc;
    return yolo_bc_set_out(g, n, 0, YOLO_DT_F32, X->ndim, X->shape, d);
}

static void dql_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_graph *g = x->g;
    const void *X = yolo_exec_ptr(x, n->in[0]);
    const float *S = yolo_exec_ptr(x, n->in[1]);
    const void *Z = n->n_in > 2 && n->in[2] >= 0 ? yolo_exec_ptr(x, n->in[2]) : NULL;
    enum yolo_dtype qdt = (enum yolo_dtype)n->params[YOLO_QL_QDT];
    int64_t nch = n->params[YOLO_QL_NCH], inner = n->params[YOLO_QL_INNER];
    float *Y = yolo_exec_ptr(x, n->out[0]);
    int64_t s, e;
    yolo_bc_split(yolo_tensor_numel(&g->tensors[n->out[0]]), ith, nth, &s, &e);
    for (int64_t i = s; i < e; i++) {
        int64_t c = nch > 1 ? (i / inner) % nch : 0;
        int64_t q = yolo_quant_load(X, qdt, i), zp = Z ? yolo_quant_load(Z, qdt, c) : 0;
        Y[i] = (float)(q - zp) * S[c];
    }
}

const struct yolo_op_impl yolo_op_dequantize_linear = {
    "DequantizeLinear", "DequantizeLinear", dql_import, dql_shape, dql_ref, NULL
};
