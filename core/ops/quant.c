/* ops/quant.c: see quant.h. */
#include "broadcast.h"
#include "quant.h"

int yolo_quant_import_axis(struct yolo_node *n, struct yolo_attrs *a, struct yolo_diag *d)
{
    int bad = 0;
    if (n->n_in < 2 || n->n_in > 3 || n->n_out != 1)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "expects 2 or 3 inputs and 1 output, has "
                               "%d and %d", n->n_in, n->n_out);
    int64_t axis = yolo_attr_int(a, "axis", 1, &bad);
    int64_t block = yolo_attr_int(a, "block_size", 0, &bad);
    (void)yolo_attr_int(a, "saturate", 1, &bad);   /* float8 outputs only */
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute axis, block_size or saturate "
                               "has the wrong type");
    if (block != 0)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "blocked quantization (block_size "
                               "%lld) is not supported", (long long)block);
    n->params[YOLO_QL_AXIS] = axis;
    return 0;
}

static const struct yolo_tensor *in_t(const struct yolo_graph *g, const struct yolo_node *n, int k)
{
    return k < n->n_in && n->in[k] >= 0 ? &g->tensors[n->in[k]] : NULL;
}

int yolo_quant_check(const struct yolo_graph *g, struct yolo_node *n, enum yolo_dtype qdt,
                     struct yolo_diag *d)
{
    const struct yolo_tensor *X = in_t(g, n, 0), *S = in_t(g, n, 1), *Z = in_t(g, n, 2);
    if (!S)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "the scale input is missing");
    if (!(S->flags & YOLO_TF_CONST) || (Z && !(Z->flags & YOLO_TF_CONST)))
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "scale and zero point must be "
                               "constants");
    if (S->dtype != YOLO_DT_F32)
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "scale is %s; only float32 is "
                               "supported", yolo_dtype_name(S->dtype));
    if (Z && Z->dtype != qdt)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "zero point is %s, the quantized tensor %s",
                               yolo_dtype_name(Z->dtype), yolo_dtype_name(qdt));
    if (S->ndim > 1 || (Z && Z->ndim > 1))
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "scale and zero point must be scalars "
                               "or 1-D (blocked quantization is not supported)");
    int64_t ns = yolo_tensor_numel(S);
    if (ns < 1 || (Z && yolo_tensor_numel(Z) != ns))
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "scale has %lld values, zero point %lld",
                               (long long)ns, Z ? (long long)yolo_tensor_numel(Z) : 0LL);
    int64_t inner = 1;
    if (S->ndim == 1 && !(ns == 1)) {
        int32_t ax = yolo_bc_axis(n->params[YOLO_QL_AXIS], X->ndim);
        if (ax < 0)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "axis %lld out of range for rank %d",
                                   (long long)n->params[YOLO_QL_AXIS], X->ndim);
        if (X->shape[ax] != ns)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "%lld scales for axis %d of size %lld",
                                   (long long)ns, ax, (long long)X->shape[ax]);
        for (int32_t i = ax + 1; i < X->ndim; i++)
            inner *= X->shape[i];
    } else {
        ns = 1;
    }
    const float *s = yolo_graph_const_data(g, n->in[1]);
    for (int64_t i = 0; i < ns; i++)
        if (!(s[i] > 0.0f) || !isfinite(s[i]) || !isfinite(1.0f / s[i]))
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "scale[%lld] = %g; scales must be "
                                   "finite and > 0", (long long)i, (double)s[i]);
    n->params[YOLO_QL_NCH] = ns;
    n->params[YOLO_QL_INNER] = inner;
    n->params[YOLO_QL_QDT] = qdt;
    return 0;
}

float yolo_quant_scale(const struct yolo_graph *g, const struct yolo_node *n, int64_t c)
{
    return ((const float *)yolo_graph_const_data(g, n->in[1]))[n->params[YOLO_QL_NCH] > 1 ? c : 0];
}

int32_t yolo_quant_zp(const struct yolo_graph *g, const struct yolo_node *n, int64_t c)
{
    if (n->n_in < 3 || n->in[2] < 0)
        return 0;
    return yolo_quant_load(yolo_graph_const_data(g, n->in[2]), g->tensors[n->in[2]].dtype,
                           n->params[YOLO_QL_NCH] > 1 ? c : 0);
}
