/* tensor.c: ONNX TensorProto (initializers, TENSOR attributes) -> CONST graph tensors. */
#include <inttypes.h>
#include <string.h>

#include "onnx_internal.h"

/* raw_data is little-endian (ONNX spec, TensorProto.raw_data); we copy it as is. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the ONNX importer assumes a little-endian host"
#endif

float yolo_onnx_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, bits;
    float f;
    if (exp == 0x1f) {                          /* inf, or NaN with its payload kept */
        bits = sign | 0x7f800000u | (man << 13);
    } else if (exp != 0) {                      /* normal: rebias 15 -> 127 */
        bits = sign | ((exp + 112u) << 23) | (man << 13);
    } else {                                    /* zero or subnormal: man * 2^-24, exact */
        f = (float)man * 0x1p-24f;
        return sign ? -f : f;
    }
    memcpy(&f, &bits, sizeof f);
    return f;
}

enum yolo_dtype yolo_onnx_dtype(int32_t onnx_type)
{
    switch (onnx_type) {
    case YOLO_DT_F32: case YOLO_DT_U8: case YOLO_DT_I8: case YOLO_DT_I32: case YOLO_DT_I64:
    case YOLO_DT_BOOL: case YOLO_DT_F16: case YOLO_DT_F64:
        return (enum yolo_dtype)onnx_type;      /* yolo dtypes use the ONNX numbers */
    default:
        return YOLO_DT_UNDEF;
    }
}

const char *yolo_onnx_dtype_name(int32_t onnx_type)
{
    static const char *const names[] = {
        "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
        "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"
    };
    if (onnx_type < 0 || onnx_type >= (int32_t)(sizeof names / sizeof names[0]))
        return "unknown";
    return names[onnx_type];
}

/* Where the values of a tensor of this type live when raw_data is not used. */
enum typed_field { TF_FLOAT, TF_INT32, TF_INT64, TF_DOUBLE };

struct conv {
    enum yolo_dtype dst;     /* dtype in the graph */
    size_t src_bytes;        /* element size in raw_data */
    enum typed_field field;
};

static int conv_for(int32_t onnx_type, struct conv *c)
{
    switch (onnx_type) {
    case 1:  *c = (struct conv){ YOLO_DT_F32,  4, TF_FLOAT };  return 0;   /* FLOAT */
    case 2:  *c = (struct conv){ YOLO_DT_U8,   1, TF_INT32 };  return 0;   /* UINT8 */
    case 3:  *c = (struct conv){ YOLO_DT_I8,   1, TF_INT32 };  return 0;   /* INT8 */
    case 6:  *c = (struct conv){ YOLO_DT_I32,  4, TF_INT32 };  return 0;   /* INT32 */
    case 7:  *c = (struct conv){ YOLO_DT_I64,  8, TF_INT64 };  return 0;   /* INT64 */
    case 9:  *c = (struct conv){ YOLO_DT_BOOL, 1, TF_INT32 };  return 0;   /* BOOL */
    case 10: *c = (struct conv){ YOLO_DT_F32,  2, TF_INT32 };  return 0;   /* FLOAT16 */
    case 11: *c = (struct conv){ YOLO_DT_F32,  8, TF_DOUBLE }; return 0;   /* DOUBLE */
    default: return -1;
    }
}

static const char *field_name(enum typed_field f)
{
    switch (f) {
    case TF_FLOAT:  return "float_data";
    case TF_INT32:  return "int32_data";
    case TF_INT64:  return "int64_data";
    case TF_DOUBLE: return "double_data";
    }
    return "?";
}

static size_t typed_count(const Onnx__TensorProto *tp, enum typed_field f)
{
    switch (f) {
    case TF_FLOAT:  return tp->n_float_data;
    case TF_INT32:  return tp->n_int32_data;
    case TF_INT64:  return tp->n_int64_data;
    case TF_DOUBLE: return tp->n_double_data;
    }
    return 0;
}

/* int32_data carries the narrow types widened to int32 (ONNX spec, TensorProto.int32_data):
 * the value must fit the type. FLOAT16 is its 16 bits, as uint16 (some writers sign-extend). */
static int narrow_ok(int32_t onnx_type, int32_t v)
{
    switch (onnx_type) {
    case 2:  return v >= 0 && v <= 255;
    case 3:  return v >= -128 && v <= 127;
    case 9:  return v == 0 || v == 1;
    case 10: return v >= -32768 && v <= 65535;
    default: return 1;
    }
}

static void convert_raw(int32_t onnx_type, const uint8_t *src, uint8_t *dst, int64_t n)
{
    switch (onnx_type) {
    case 9:                                     /* BOOL: any non-zero byte is true */
        for (int64_t i = 0; i < n; i++)
            dst[i] = src[i] != 0;
        break;
    case 10: {                                  /* FLOAT16 -> F32 */
        float *o = (float *)dst;
        for (int64_t i = 0; i < n; i++)
            o[i] = yolo_onnx_f16_to_f32((uint16_t)(src[2 * i] | (src[2 * i + 1] << 8)));
        break;
    }
    case 11: {                                  /* DOUBLE -> F32 */
        float *o = (float *)dst;
        for (int64_t i = 0; i < n; i++) {
            double v;
            memcpy(&v, src + 8 * i, sizeof v);
            o[i] = (float)v;
        }
        break;
    }
    default: {                                  /* same layout: FLOAT, INT*, UINT8 */
        struct conv c;
        conv_for(onnx_type, &c);
        memcpy(dst, src, (size_t)n * c.src_bytes);
        break;
    }
    }
}

static int convert_typed(const Onnx__TensorProto *tp, uint8_t *dst, int64_t n, struct yolo_diag *d)
{
    int32_t ty = tp->data_type;
    switch (ty) {
    case 1:
        memcpy(dst, tp->float_data, (size_t)n * sizeof(float));
        return 0;
    case 7:
        memcpy(dst, tp->int64_data, (size_t)n * sizeof(int64_t));
        return 0;
    case 6:
        memcpy(dst, tp->int32_data, (size_t)n * sizeof(int32_t));
        return 0;
    case 11: {
        float *o = (float *)dst;
        for (int64_t i = 0; i < n; i++)
            o[i] = (float)tp->double_data[i];
        return 0;
    }
    default:
        break;
    }
    for (int64_t i = 0; i < n; i++) {           /* narrow types carried in int32_data */
        int32_t v = tp->int32_data[i];
        if (!narrow_ok(ty, v))
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "int32_data[%" PRId64 "] = %" PRId32
                                 " is out of range for %s", i, v, yolo_onnx_dtype_name(ty));
        if (ty == 10)
            ((float *)dst)[i] = yolo_onnx_f16_to_f32((uint16_t)(v & 0xffff));
        else
            dst[i] = (uint8_t)(v & 0xff);       /* U8, I8 (two's complement), BOOL */
    }
    return 0;
}

int yolo_onnx_tensor_to_const(struct yolo_graph *g, const Onnx__TensorProto *tp,
                              const char *name, int32_t *out, struct yolo_diag *d)
{
    *out = -1;
    /* Data in a side file (ONNX spec: data_location EXTERNAL, external_data location=...) */
    if ((tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        || tp->n_external_data > 0)
        return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "data stored in an external file is not "
                             "supported (export the model with its weights inside the .onnx file)");
    if (!tp->has_data_type)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "no data type");
    struct conv c;
    if (conv_for(tp->data_type, &c))
        return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "data type %" PRId32 " (%s) is not supported",
                             tp->data_type, yolo_onnx_dtype_name(tp->data_type));
    if (tp->n_dims > YOLO_MAX_DIMS)
        return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "rank %zu exceeds the supported %d",
                             tp->n_dims, YOLO_MAX_DIMS);
    /* numel with overflow checks */
    int64_t numel = 1;
    for (size_t i = 0; i < tp->n_dims; i++) {
        int64_t dim = tp->dims[i];
        if (dim < 0)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "dims[%zu] = %" PRId64 " is negative", i, dim);
        if (dim > 0 && numel > INT64_MAX / dim)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "dims overflow: the element count exceeds "
                                 "2^63");
        numel *= dim;
    }
    /* Pick where the values are: raw_data, else the typed field; then check the amount of
     * data present against the claim, so a tiny file cannot make us allocate gigabytes. */
    size_t n_typed = typed_count(tp, c.field);
    int use_raw = (tp->has_raw_data && tp->raw_data.len > 0) || n_typed == 0;
    if (numel > 0 && use_raw && (!tp->has_raw_data || tp->raw_data.len == 0))
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "no data: dims claim %" PRId64 " elements but "
                             "neither raw_data nor %s is set", numel, field_name(c.field));
    if (use_raw) {
        size_t have = tp->has_raw_data ? tp->raw_data.len : 0;
        if ((uint64_t)numel > UINT64_MAX / c.src_bytes)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "raw_data has %zu bytes, far fewer than %"
                                 PRId64 " %s elements need", have, numel,
                                 yolo_onnx_dtype_name(tp->data_type));
        uint64_t need = (uint64_t)numel * c.src_bytes;
        if (have != need)
            return yolo_diag_set(d, YOLO_ERR_FORMAT, "raw_data has %zu bytes, but %" PRId64
                                 " %s elements need %" PRIu64, have, numel,
                                 yolo_onnx_dtype_name(tp->data_type), need);
    } else if ((uint64_t)n_typed != (uint64_t)numel) {
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s has %zu values, but dims claim %" PRId64,
                             field_name(c.field), n_typed, numel);
    }
    /* The data is in memory, so this only matters for widened types (FLOAT16 -> F32). */
    if ((uint64_t)numel > YOLO_MAX_TENSOR_BYTES / yolo_dtype_size(c.dst))
        return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%" PRId64 " elements, too large", numel);
    int64_t shape[YOLO_MAX_DIMS];
    for (size_t i = 0; i < tp->n_dims; i++)
        shape[i] = tp->dims[i];
    int32_t t = yolo_graph_add_const(g, name, c.dst, (int32_t)tp->n_dims, shape, NULL, d);
    if (t < 0)
        return d ? d->status : YOLO_ERR_NOMEM;
    uint8_t *dst = yolo_graph_const_data(g, t);
    if (numel > 0) {
        if (use_raw) {
            convert_raw(tp->data_type, tp->raw_data.data, dst, numel);
        } else {
            int rc = convert_typed(tp, dst, numel, d);
            if (rc)
                return rc;                      /* the tensor stays, unused: harmless */
        }
    }
    *out = t;
    return 0;
}
