/* op_params.h: the params[] layouts of the ops whose optimized kernels live in a backend
 * (core/cpu/, later others), so a backend reads a node exactly as its op defines it. The op's
 * own file (ops/<op>.c) documents each slot; it is the one that fills them. Conv's layout is
 * in yolo_core.h (enum yolo_conv_param), which every pass needs. */
#ifndef YOLO_OP_PARAMS_H
#define YOLO_OP_PARAMS_H

#include "broadcast.h"
#include "yolo_core.h"

/* MatMul (ops/matmul.c): M, K, N of one product, the number of batch slices, then the batch
 * dims (at most YOLO_MM_MAX_BATCH_DIMS) with A's and B's strides (in matrices) per dim. */
enum { YOLO_MM_M, YOLO_MM_K, YOLO_MM_N, YOLO_MM_BATCH, YOLO_MM_NB, YOLO_MM_DIM = 5,
       YOLO_MM_ASTR = 9, YOLO_MM_BSTR = 13 };
#define YOLO_MM_MAX_BATCH_DIMS 4
/* A's and B's offsets (in matrices) of output batch slice s. */
void yolo_matmul_batch_offsets(const int64_t *params, int64_t s, int64_t *ao, int64_t *bo);

/* MaxPool (ops/maxpool.c). */
enum { YOLO_MP_KH, YOLO_MP_KW, YOLO_MP_SH, YOLO_MP_SW, YOLO_MP_PT, YOLO_MP_PL, YOLO_MP_PB,
       YOLO_MP_PR, YOLO_MP_DH, YOLO_MP_DW, YOLO_MP_CEIL, YOLO_MP_AUTO_PAD };
#define YOLO_MP_PARAM_MAX ((int64_t)1 << 20)

/* Resize (ops/resize.c): mode (0 nearest, 1 linear), coordinate transformation, nearest
 * rounding; per-axis scales are in fparams. */
enum { YOLO_RS_MODE, YOLO_RS_CTM, YOLO_RS_NEAREST, YOLO_RS_SCALES, YOLO_RS_SIZES, YOLO_RS_NAXES,
       YOLO_RS_AXES };
enum { YOLO_CTM_HALF_PIXEL, YOLO_CTM_ASYMMETRIC, YOLO_CTM_PYTORCH_HALF_PIXEL,
       YOLO_CTM_TF_HALF_PIXEL, YOLO_CTM_ALIGN };
enum { YOLO_NM_ROUND_FLOOR, YOLO_NM_ROUND_CEIL, YOLO_NM_FLOOR, YOLO_NM_CEIL, YOLO_NM_SIMPLE };
#define YOLO_RS_DIM_MAX ((int64_t)1 << 40)
/* The source index of output coordinate o along an axis in nearest mode, exactly as the
 * reference kernel computes it (every backend must pick the same pixels). */
int64_t yolo_resize_nearest_index(const int64_t *params, int64_t o, float scale, int64_t out_len,
                                  int64_t in_len);
/* Whether Resize n is nearest, float32, rank 4, N and C kept and H and W doubled with output
 * index j taken from input index j / 2 on both (asked of yolo_resize_nearest_index, so
 * coordinate modes and rounding are honoured): the backends' 2x upsampling kernels. */
int yolo_resize_is_2x(const struct yolo_graph *g, const struct yolo_node *n);

/* Transpose (ops/transpose.c): rank, the perm as given, the resolved perm from TP_RES on. */
enum { YOLO_TP_N = 0, YOLO_TP_PERM = 1, YOLO_TP_RES = 8 };

/* Softmax (ops/softmax.c): normalized over n at stride inner, outer times. */
enum { YOLO_SM_AXIS, YOLO_SM_LEGACY, YOLO_SM_OUTER, YOLO_SM_N, YOLO_SM_INNER };

/* The slots of the ops below are documented at the top of their ops/<op>.c. */
/* concat */
enum { YOLO_CC_AXIS, YOLO_CC_AXIS_RES };
/* QAdd (ops/qadd.c) */
enum { YOLO_QA_ZP };
/* SpaceToDepth (ops/space_to_depth.c) */
enum { YOLO_S2D_BS };
/* split */
enum { YOLO_SP_AXIS, YOLO_SP_MODE, YOLO_SP_AXIS_RES, YOLO_SP_NUM, YOLO_SP_SIZES };
enum { YOLO_SP_EQUAL, YOLO_SP_ATTR, YOLO_SP_INPUT, YOLO_SP_NUM_OUTPUTS };
/* slice */
enum { YOLO_SL_START = 0, YOLO_SL_STEP = 6, YOLO_SL_ATTR = 12, YOLO_SL_NATTR = 13,
       YOLO_SL_ASTARTS = 14, YOLO_SL_AENDS = 20, YOLO_SL_AAXES = 26 };
/* tile */
enum { YOLO_TL_RANK, YOLO_TL_REPEATS };
/* gather */
enum { YOLO_GA_AXIS, YOLO_GA_OUTER, YOLO_GA_DIM, YOLO_GA_INNER, YOLO_GA_NIDX };
/* gather_elements */
enum { YOLO_GE_AXIS, YOLO_GE_AXIS_N };
/* reduce_max */
enum { YOLO_RM_KEEPDIMS, YOLO_RM_NOOP, YOLO_RM_AXES,
       YOLO_RM_MASK = YOLO_RM_AXES + YOLO_BC_AXES_PARAMS };
/* mod */
enum { YOLO_MOD_FMOD };
/* topk */
enum { YOLO_TK_AXIS, YOLO_TK_LARGEST, YOLO_TK_SORTED, YOLO_TK_K, YOLO_TK_AXIS_N, YOLO_TK_OUTER,
       YOLO_TK_DIM, YOLO_TK_INNER };

/* Conv's shape checks (ops/conv.c) for a node with Conv's params and inputs X, W, optional
 * float32 bias in slots 0..2 (at most max_in inputs), of dtypes xdt, wdt; sets the output
 * [N, M, OH, OW] of dtype ydt. QConv (ops/qconv.c) shares them. */
int yolo_conv_check(struct yolo_graph *g, struct yolo_node *n, int max_in, enum yolo_dtype xdt,
                    enum yolo_dtype wdt, enum yolo_dtype ydt, struct yolo_diag *d);

/* QConv (ops/qconv.c): Conv's params (enum yolo_conv_param) then these. */
enum { YOLO_QC_XZP = 16,  /* X's zero point */
       YOLO_QC_YZP,       /* Y's zero point (quantized outputs) */
       YOLO_QC_ODT,       /* Y's dtype: uint8, int8 or float32 */
       YOLO_QC_GDT };     /* a float Y's grid: uint8 or int8 (with YOLO_QC_FP_DQS), else 0 */
/* QConv fparams: OSC 0, or the scale of a quantized output made from the activated float
 * value (a fused QuantizeLinear: q = sat(round_half_even(act(v) / osc) + y_zp)); DQS 0, or
 * on a float output the scale of a fused QuantizeLinear -> DequantizeLinear pair: the value
 * is rounded to the GDT grid first, act((sat(round_half_even(v) + y_zp) - y_zp) * dqs). */
enum { YOLO_QC_FP_OSC = 0, YOLO_QC_FP_DQS };
/* The name an engine stores a QConv with a grid (YOLO_QC_FP_DQS) under: a build from before
 * the grid would read the node as a plain float QConv and compute something else, so it must
 * meet an op it does not know and refuse the file ("rebuild"), as for any newer op. */
#define YOLO_QC_GRID_STORED_NAME "QConvGrid"
/* The name node n is stored and shown under: its op's, but YOLO_QC_GRID_STORED_NAME for a
 * QConv with a grid (so `yolo info` counts what the file holds). */
static inline const char *yolo_node_stored_name(const struct yolo_node *n)
{
    return n->op == YOLO_OP_QCONV && n->fparams[YOLO_QC_FP_DQS] != 0 ? YOLO_QC_GRID_STORED_NAME
                                                                     : yolo_op_name(n->op);
}
/* Inputs of QConv. */
enum { YOLO_QC_IN_X, YOLO_QC_IN_W, YOLO_QC_IN_B, YOLO_QC_IN_WS, YOLO_QC_IN_LUT, YOLO_QC_N_IN };

#endif
