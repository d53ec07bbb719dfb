/* quant.h: what QuantizeLinear, DequantizeLinear and the int8 convolution (ops/qconv.c)
 * share: the scale / zero-point operands (per tensor or per axis) and the rounding rule.
 *
 * ONNX (QuantizeLinear, opsets 10..21): y = saturate(round_half_even(x / y_scale) + zp);
 * DequantizeLinear: x = (q - zp) * scale. Scale and zero point are per tensor (scalars or
 * 1-element 1-D tensors) or per axis (1-D, one value per index of `axis`). Here both must be
 * constants (every QDQ exporter writes them as initializers), scales finite and > 0, and the
 * quantized type uint8 or int8 (int32 too for DequantizeLinear: biases). Opset 21's blocked
 * quantization (block_size > 0) is refused. */
#ifndef YOLO_OPS_QUANT_H
#define YOLO_OPS_QUANT_H

#include <math.h>

#include "yolo_core.h"

/* params of QuantizeLinear and DequantizeLinear */
enum { YOLO_QL_AXIS,   /* the attribute (may be negative), resolved by shape_fn */
       YOLO_QL_NCH,    /* values of scale: 1 = per tensor */
       YOLO_QL_INNER,  /* elements per index of the axis (product of the dims after it) */
       YOLO_QL_QDT,    /* the quantized dtype (QuantizeLinear: output; DQ: input) */
       YOLO_QL_ODT };  /* QuantizeLinear only: opset 21 output_dtype attribute, 0 = absent */

/* The range of a quantized dtype. */
static inline void yolo_quant_range(enum yolo_dtype dt, float *lo, float *hi)
{
    *lo = dt == YOLO_DT_I8 ? -128.0f : 0.0f;
    *hi = dt == YOLO_DT_I8 ? 127.0f : 255.0f;
}

/* round_half_even(v) + zp, saturated to [lo, hi]; NaN goes to the zero point. rintf rounds
 * half to even in the default rounding mode, which the library never changes. */
static inline int32_t yolo_quant_value(float v, float zp, float lo, float hi)
{
    float r = rintf(v) + zp;
    if (!(r == r))
        r = zp;
    r = r < lo ? lo : r > hi ? hi : r;
    return (int32_t)r;
}

/* Reads element i of a quantized/int tensor (u8, i8, i32) as int32. */
static inline int32_t yolo_quant_load(const void *p, enum yolo_dtype dt, int64_t i)
{
    switch (dt) {
    case YOLO_DT_U8: return ((const uint8_t *)p)[i];
    case YOLO_DT_I8: return ((const int8_t *)p)[i];
    case YOLO_DT_I32: return ((const int32_t *)p)[i];
    default: return 0;
    }
}

/* Shape checks shared by QuantizeLinear and DequantizeLinear: input 0 is x (quantized
 * dtype qdt for DQ, float32 for Q), input 1 the scale, input 2 the optional zero point of
 * dtype qdt. Resolves axis, checks scale values (finite, > 0) and the zero point's range, and
 * fills YOLO_QL_NCH / YOLO_QL_INNER. */
int yolo_quant_check(const struct yolo_graph *g, struct yolo_node *n, enum yolo_dtype qdt,
                     struct yolo_diag *d);

/* Scale and zero point of channel c (0 when per tensor); zp 0 when absent. The node must
 * have passed yolo_quant_check (its scale and zero point are constants). */
float   yolo_quant_scale(const struct yolo_graph *g, const struct yolo_node *n, int64_t c);
int32_t yolo_quant_zp(const struct yolo_graph *g, const struct yolo_node *n, int64_t c);

/* The attributes both ops read: axis (default 1) and block_size (must be 0). */
int yolo_quant_import_axis(struct yolo_node *n, struct yolo_attrs *a, struct yolo_diag *d);

#endif
