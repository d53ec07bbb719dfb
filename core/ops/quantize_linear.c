/* ops/quantize_linear.c: QuantizeLinear (ONNX opsets 10, 13, 19, 21): float32 -> uint8 or
 * int8, per tensor or per axis (quant.h has the rule and the limits).
 * Inputs x f32, y_scale f32 (const), optional y_zero_point u8/i8 (const; absent: uint8 0, or
 * the opset-21 output_dtype). params: enum YOLO_QL_* (quant.h). */
#include "broadcast.h"
#include "quant.h"

static int ql_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                     struct yolo_diag *d)
{
    (void)g;
    int bad = 0;
    int rc = yolo_quant_import_axis(n, a, d);
    if (rc)
        return rc;
    int64_t odt = yolo_attr_int(a, "output_dtype", 0, &bad);
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute output_dtype has the wrong type");
    if (odt != 0 && odt != YOLO_DT_U8 && odt != YOLO_DT_I8)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "output_dtype %lld; only uint8 (2) and "
                               "int8 (3) are supported", (long long)odt);
    n->params[YOLO_QL_ODT] = odt;
    return 0;
}

static int ql_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 2, 3, 1, d);
    if (rc)
        return rc;
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    if (X->dtype != YOLO_DT_F32)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "input is %s; only float32 is "
                               "supported", yolo_dtype_name(X->dtype));
    int64_t odt = n->params[YOLO_QL_ODT];
    enum yolo_dtype qdt = YOLO_DT_U8;
    if (n->n_in > 2 && n->in[2] >= 0)
        qdt = g->tensors[n->in[2]].dtype;
    else if (odt)
        qdt = (enum yolo_dtype)odt;
    if (qdt != YOLO_DT_U8 && qdt != YOLO_DT_I8)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "quantizing to %s; only uint8 and int8 "
                               "are supported", yolo_dtype_name(qdt));
    if (odt && (enum yolo_dtype)odt != qdt)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "output_dtype %s differs from the zero "
                               "point's %s", yolo_dtype_name((enum yolo_dtype)odt),
                               yolo_dtype_name(qdt));
    if ((rc = yolo_quant_check(g, n, qdt, d)))
        return rc;
    return yolo_bc_set_out(g, n, 0, qdt, X->ndim, X->shape, d);
}

static void ql_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    const struct yolo_graph *g = x->g;
    const float *X = yolo_exec_ptr(x, n->in[0]);
    const float *S = yolo_exec_ptr(x, n->in[1]);
    const void *Z = n->n_in > 2 && n->in[2] >= 0 ? yolo_exec_ptr(x, n->in[2]) : NULL;
    enum yolo_dtype qdt = (enum yolo_dtype)n->params[YOLO_QL_QDT];
    int64_t nch = n->params[YOLO_QL_NCH], inner = n->params[YOLO_QL_INNER];
    float lo, hi;
    yolo_quant_range(qdt, &lo, &hi);
    uint8_t *Y = yolo_exec_ptr(x, n->out[0]);
    int64_t s, e;
    yolo_bc_split(yolo_tensor_numel(&g->tensors[n->out[0]]), ith, nth, &s, &e);
    for (int64_t i = s; i < e; i++) {
        int64_t c = nch > 1 ? (i / inner) % nch : 0;
        float zp = Z ? (float)yolo_quant_load(Z, qdt, c) : 0.0f;
        int32_t q = yolo_quant_value(X[i] / S[c], zp, lo, hi);
        Y[i] = qdt == YOLO_DT_I8 ? (uint8_t)(int8_t)q : (uint8_t)q;
    }
}

const struct yolo_op_impl yolo_op_quantize_linear = {
    "QuantizeLinear", "QuantizeLinear", ql_import, ql_shape, ql_ref, NULL
};
