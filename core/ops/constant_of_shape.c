/* ops/constant_of_shape.c: ConstantOfShape (ONNX opset 9, 20, 21): a tensor of the shape given
 * by a constant int64 1-D input (dims >= 0; an empty shape gives a scalar), every element
 * equal to the `value` attribute: a one-element TENSOR (the importer made it a CONST graph
 * tensor, attr.tensor) whose dtype becomes the output's; default float32 0.
 *
 * params[0] = dtype of the value, params[1] = its bytes (little-endian, in the low bytes),
 *                                                           (from import_fn, no tensor kept)
 * params[2] = output rank, params[3 .. 3+rank) = output shape   (resolved by shape_fn) */
#include <string.h>

#include "broadcast.h"

enum { CS_DTYPE, CS_BITS, CS_RANK, CS_SHAPE };

static int cos_dtype_ok(int64_t t)
{
    return t == YOLO_DT_F32 || t == YOLO_DT_I64 || t == YOLO_DT_I32 || t == YOLO_DT_BOOL ||
           t == YOLO_DT_U8 || t == YOLO_DT_I8;
}

static int constant_of_shape_import(struct yolo_graph *g, struct yolo_node *n,
                                    struct yolo_attrs *a, struct yolo_diag *d)
{
    int bad = 0;
    int32_t t = yolo_attr_tensor(a, "value", &bad);
    if (bad)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute 'value' must be a tensor");
    n->params[CS_DTYPE] = YOLO_DT_F32;
    n->params[CS_BITS] = 0;
    if (t < 0)
        return 0;
    const void *p = yolo_graph_const_data(g, t);
    if (!p)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute 'value' is not a constant");
    const struct yolo_tensor *V = &g->tensors[t];
    if (yolo_tensor_numel(V) != 1)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute 'value' must hold one element");
    if (!cos_dtype_ok(V->dtype))
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "value dtype %s is not supported",
                               yolo_dtype_name(V->dtype));
    int64_t bits = 0;
    memcpy(&bits, p, yolo_dtype_size(V->dtype));
    n->params[CS_DTYPE] = V->dtype;
    n->params[CS_BITS] = bits;
    return 0;
}

static int constant_of_shape_shape(struct yolo_graph *g, struct yolo_node *n,
                                   struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 1, 1, 1, d);
    if (rc)
        return rc;
    if (!cos_dtype_ok(n->params[CS_DTYPE]))
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "value dtype %lld is not supported",
                               (long long)n->params[CS_DTYPE]);
    int64_t shape[YOLO_MAX_DIMS];
    int32_t r;
    rc = yolo_bc_const_i64(g, n, 0, "shape", YOLO_MAX_DIMS, shape, &r, d);
    if (rc)
        return rc;
    for (int32_t i = 0; i < r; i++)
        if (shape[i] < 0)
            return yolo_node_error(d, YOLO_ERR_FORMAT, n, "shape[%d] = %lld is negative", i,
                                   (long long)shape[i]);
    rc = yolo_bc_set_out(g, n, 0, (enum yolo_dtype)n->params[CS_DTYPE], r, shape, d);
    if (rc)
        return rc;
    n->params[CS_RANK] = r;
    for (int32_t i = 0; i < YOLO_MAX_DIMS; i++)
        n->params[CS_SHAPE + i] = i < r ? shape[i] : 0;
    return 0;
}

static void constant_of_shape_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                                  int nth)
{
    const struct yolo_tensor *YT = &x->g->tensors[n->out[0]];
    uint8_t *Y = yolo_exec_ptr(x, n->out[0]);
    size_t es = yolo_dtype_size(YT->dtype);
    int64_t bits = n->params[CS_BITS], s, e;
    yolo_bc_split(yolo_tensor_numel(YT), ith, nth, &s, &e);
    for (int64_t i = s; i < e; i++)
        memcpy(Y + (size_t)i * es, &bits, es);
}

const struct yolo_op_impl yolo_op_constant_of_shape = {
    "ConstantOfShape", "ConstantOfShape", constant_of_shape_import, constant_of_shape_shape,
    constant_of_shape_ref, NULL
};
