/* ops/cast.c: Cast (ONNX opset 6, 9, 13, 19, 21) between float32, int64, int32 and bool.
 *
 * params[0] = `to` (attribute, an ONNX dtype number; required)
 *
 * Conversions are defined for every input value (never C undefined behaviour):
 *   float -> int: truncates toward zero; NaN -> 0; out of range saturates to the type's
 *                 min / max (ONNX leaves this undefined; ONNX Runtime's static_cast is UB).
 *   int64 -> int32: saturates.   int -> float: rounds to nearest (C conversion).
 *   x -> bool: x != 0 (NaN -> true, as C and ONNX Runtime).   bool -> x: 0 or 1 (any nonzero
 *   byte reads as 1).
 * The opset-19 `saturate` attribute only concerns float8 types and is ignored. */
#include <math.h>

#include "broadcast.h"

enum { CAST_TO };

static int cast_dtype_ok(int64_t t)
{
    return t == YOLO_DT_F32 || t == YOLO_DT_I64 || t == YOLO_DT_I32 || t == YOLO_DT_BOOL;
}

static int cast_import(struct yolo_graph *g, struct yolo_node *n, struct yolo_attrs *a,
                       struct yolo_diag *d)
{
    (void)g;
    int bad = 0;
    int64_t to = yolo_attr_int(a, "to", -1, &bad);
    (void)yolo_attr_int(a, "saturate", 1, &bad);
    if (bad || to < 0)
        return yolo_node_error(d, YOLO_ERR_FORMAT, n, "attribute 'to' (int) is required");
    n->params[CAST_TO] = to;
    return 0;
}

static int cast_shape(struct yolo_graph *g, struct yolo_node *n, struct yolo_diag *d)
{
    int rc = yolo_bc_check_io(g, n, 1, 1, 1, d);
    if (rc)
        return rc;
    const struct yolo_tensor *X = &g->tensors[n->in[0]];
    int64_t to = n->params[CAST_TO];
    if (!cast_dtype_ok(X->dtype) || !cast_dtype_ok(to))
        return yolo_node_error(d, YOLO_ERR_UNSUPPORTED, n, "cast from %s to dtype %lld; supported: "
                               "float32, int64, int32, bool", yolo_dtype_name(X->dtype),
                               (long long)to);
    return yolo_bc_set_out(g, n, 0, (enum yolo_dtype)to, X->ndim, X->shape, d);
}

static int64_t f32_to_i64(float v)
{
    if (isnan(v))
        return 0;
    if (v >= 0x1p63f)
        return INT64_MAX;
    if (v < -0x1p63f)
        return INT64_MIN;
    return (int64_t)v;
}

static int32_t f32_to_i32(float v)
{
    if (isnan(v))
        return 0;
    if (v >= 0x1p31f)
        return INT32_MAX;
    if (v < -0x1p31f)
        return INT32_MIN;
    return (int32_t)v;
}

static int32_t i64_to_i32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

static void cast_ref(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    enum yolo_dtype from = x->g->tensors[n->in[0]].dtype;
    enum yolo_dtype to = x->g->tensors[n->out[0]].dtype;
    const void *src = yolo_exec_ptr(x, n->in[0]);
    void *dst = yolo_exec_ptr(x, n->out[0]);
    int64_t s, e;
    yolo_bc_split(yolo_tensor_numel(&x->g->tensors[n->out[0]]), ith, nth, &s, &e);
    for (int64_t i = s; i < e; i++) {
        /* read into a float or an int64, never converting int through double (double
         * rounding would differ from the direct int64 -> float32 conversion) */
        int is_float = 0;
        float f = 0.0f;
        int64_t v = 0;
        switch (from) {
        case YOLO_DT_F32: is_float = 1; f = ((const float *)src)[i]; break;
        case YOLO_DT_I64: v = ((const int64_t *)src)[i]; break;
        case YOLO_DT_I32: v = ((const int32_t *)src)[i]; break;
        default: v = ((const uint8_t *)src)[i] != 0; break;
        }
        switch (to) {
        case YOLO_DT_F32: ((float *)dst)[i] = is_float ? f : (float)v; break;
        case YOLO_DT_I64: ((int64_t *)dst)[i] = is_float ? f32_to_i64(f) : v; break;
        case YOLO_DT_I32: ((int32_t *)dst)[i] = is_float ? f32_to_i32(f) : i64_to_i32(v); break;
        default: ((uint8_t *)dst)[i] = is_float ? (f != 0.0f) : (v != 0); break;
        }
    }
}

const struct yolo_op_impl yolo_op_cast = {
    "Cast", "Cast", cast_import, cast_shape, cast_ref, NULL
};
