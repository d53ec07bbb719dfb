/* cpu/select.c: which kernel the CPU backend runs for each node, and its scratch. Picked once
 * per node when a model is prepared (never per call): the ISA's vector kernel where its
 * conditions hold, a portable fast kernel where one exists, else the op's reference kernel.
 * Every kernel here computes what the reference computes (tests/test_backend_ops.c). */
#include <stdlib.h>
#include <string.h>

#include "cpu/conv_bf16.h"
#include "cpu/conv_gemm.h"
#include "cpu/conv_pack.h"
#include "cpu/fast_ops.h"
#include "cpu/qconv_pack.h"
#include "ops/quant.h"
#include "passes.h"

static yolo_kernel_fn by_isa(enum yolo_isa isa, yolo_kernel_fn k512, yolo_kernel_fn k2)
{
    return isa == YOLO_ISA_AVX512 ? k512 : isa == YOLO_ISA_AVX2 ? k2 : NULL;
}

/* The CPU's features come in as detected once by the caller: CPUID traps to the hypervisor
 * in a VM (a 100,000-node engine's load spent 65% of its 7.9 CPU s in yolo_cpu_detect when
 * every node's pick detected again). */

/* AVX512_VNNI at a usable avx512 */
static int has_vnni(const struct yolo_cpu *cpu)
{
    return cpu->avx512vnni && yolo_isa_usable_on(cpu, YOLO_ISA_AVX512) == YOLO_ISA_AVX512;
}

/* vpermi2b for the int8 table, unless $YOLO_VBMI is 0 (how tests reach the gather form) */
static int has_vbmi(const struct yolo_cpu *cpu)
{
    const char *e = getenv("YOLO_VBMI");
    return cpu->avx512vbmi && !(e && strcmp(e, "0") == 0);
}

/* AVX512_BF16 at an isa that allows avx512 (forced avx2 or ref runs the float kernels). */
static int has_bf16(const struct yolo_cpu *cpu, enum yolo_isa isa)
{
    return cpu->avx512bf16 && isa == YOLO_ISA_AVX512 &&
           yolo_isa_usable_on(cpu, isa) == YOLO_ISA_AVX512;
}

/* Winograd's GEMMs in bf16 for bf16 3x3 stride-1 convs; $YOLO_BF16_WINO=0: float32 Winograd
 * on the bf16 weights instead. Measured (2026-12-05, Zen 5, 1 thread): those convs 0.56-0.78x
 * the time of float32 Winograd (tests/perf/conv_bench with BF16=1). With Lavin & Gray's points
 * the rounding of U and V to 8 bits cost accuracy, most of it in the head's class branch, which
 * stayed on float32 Winograd; the bf16 points (conv_pack.h) halve that error, and the branch
 * now takes bf16 Winograd too. yolov8n_dq coco128 mAP50-95 against FP32 (all 128 / the last
 * 64 images, scripts/precision_val.sh), 2026-12-06: old points with the class branch in
 * float32 -0.0037 / -0.0012 (issue 11 allows 0.003); bf16 points everywhere and the stem
 * in float32 (build_model.c) -0.0002 / +0.0018; 1 thread 24.3 ms against 25.8-26.3 before,
 * FP32 35-37 ms on the same (loaded) machine. */
static int bf16_winograd(void)
{
    const char *e = getenv("YOLO_BF16_WINO");
    return !(e && strcmp(e, "0") == 0);
}

int64_t yolo_cpu_conv_pack_kind_on(const struct yolo_cpu *cpu, const struct yolo_graph *g,
                                   const struct yolo_node *n, enum yolo_isa isa)
{
    /* int8: the VNNI8 layout serves the AVX-512 VNNI kernel and the AVX2 ones alike */
    if (n->op == YOLO_OP_QCONV)
        return yolo_qconv_vnni_applies(g, n) && yolo_isa_usable_on(cpu, isa) >= YOLO_ISA_AVX2 &&
               isa >= YOLO_ISA_AVX2 ? YOLO_CONV_PACK_VNNI8 : YOLO_CONV_PACK_NONE;
    if (n->op != YOLO_OP_CONV || n->n_in < 2 || n->in[1] < 0)
        return YOLO_CONV_PACK_NONE;
    const struct yolo_tensor *W = &g->tensors[n->in[1]], *Y = &g->tensors[n->out[0]];
    if (!(W->flags & YOLO_TF_CONST) || W->dtype != YOLO_DT_F32 || W->ndim != 4 || Y->ndim != 4)
        return YOLO_CONV_PACK_NONE;
    /* Winograd F(4x4,3x3) for 3x3 stride-1 convs with at least one whole 4x4 output tile,
     * the GEMM8 panels for every other group-1 conv */
    int64_t kind = YOLO_CONV_PACK_GEMM8;
    if (yolo_conv_pack_applies(YOLO_CONV_PACK_WINO43, n, n->params[YOLO_CONV_GROUP]) &&
        Y->shape[2] >= 4 && Y->shape[3] >= 4)
        kind = YOLO_CONV_PACK_WINO43;
    /* bf16 Convs take the bf16 kernel where it is the faster one. Measured on yolov8n_dq
     * (Zen 5, loaded machine, 1 thread): Winograd F(4x4,3x3) in float32 did the 3x3
     * stride-1 convs in 0.55-0.75x the time of the direct bf16 kernel (it does 4x fewer
     * products, bf16 only 2x more per cycle), and the 27-row stem (C = 3) ran 1.35x faster
     * on gemm8-rows, where packing bf16 columns costs more than the products it feeds.
     * Those run in float32 on the bf16 weights: within the same error bound (core/bf16.h). */
    if (kind == YOLO_CONV_PACK_WINO43 && yolo_conv_bf16_applies(g, n) && has_bf16(cpu, isa) &&
        bf16_winograd())
        return YOLO_CONV_PACK_WINO43_BF16;
    if (yolo_conv_bf16_applies(g, n) && has_bf16(cpu, isa) && kind != YOLO_CONV_PACK_WINO43 &&
        W->shape[1] * W->shape[2] * W->shape[3] >= YOLO_CONV_BF16_KMIN)
        /* 3-wide stride-2 ones with rows of 32 and up read the converted input rows in
         * place (conv_bf16.h): 1 thread, conv_bench, 16 -> 32 at 320x320 2.13 -> 1.48-1.59 ms,
         * 32 -> 64 at 160x160 1.38-1.49 -> 1.13, 64 -> 64 at 80x80 0.78-0.84 -> 0.62 */
        return yolo_conv_bf16_s2_applies(g, n) ? YOLO_CONV_PACK_BF16_S2 : YOLO_CONV_PACK_BF16;
    /* Stride-2 convs with at least 32 outputs and output rows at least 32 wide, or a
     * multiple of 10: the channel-direct kernel, which reads the input in place where GEMM8
     * must gather every other pixel first (AVX-512 only). Measured 1 thread, conv_bench:
     * 16 -> 32 at 320x320 1.54 -> 1.32 ms, 64 -> 64 at 80x80 0.80 -> 0.59 ms, 64 -> 128 at
     * 80x80 1.36 -> 1.18 ms, 128 -> 128 at 40x40 (10-pixel tiles) 0.71 -> 0.61 ms. Narrower
     * rows would waste much of the 8-pixel tiles (20 = 8 + 8 + 4: 128 -> 256 at 40x40 went
     * 1.22 -> 1.52 ms before 10-pixel tiles), so they stay on GEMM8. */
    int64_t ow = Y->shape[3];
    if (kind == YOLO_CONV_PACK_GEMM8 && isa == YOLO_ISA_AVX512 &&
        yolo_isa_usable_on(cpu, isa) == YOLO_ISA_AVX512 && n->params[YOLO_CONV_SH] == 2 &&
        n->params[YOLO_CONV_SW] == 2 && W->shape[0] >= 32 && (ow >= 32 || ow % 10 == 0) &&
        yolo_conv_pack_applies(YOLO_CONV_PACK_CDIR32, n, n->params[YOLO_CONV_GROUP]))
        kind = YOLO_CONV_PACK_CDIR32;
    if (!yolo_conv_pack_applies(kind, n, n->params[YOLO_CONV_GROUP]) ||
        yolo_conv_packed_numel(kind, W->shape[0], W->shape[1], W->shape[2], W->shape[3]) <= 0)
        return YOLO_CONV_PACK_NONE;
    return kind;
}

int64_t yolo_cpu_conv_pack_kind(const struct yolo_graph *g, const struct yolo_node *n,
                                enum yolo_isa isa)
{
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    return yolo_cpu_conv_pack_kind_on(&cpu, g, n, isa);
}

static void pick_conv(const struct yolo_graph *g, const struct yolo_node *n, enum yolo_isa isa,
                      int64_t kind, int nth, struct yolo_cpu_kernel *k)
{
    if (kind == YOLO_CONV_PACK_BF16 || kind == YOLO_CONV_PACK_BF16_S2) {
        /* packed only at avx512 with AVX512_BF16 */
        int rows = kind == YOLO_CONV_PACK_BF16_S2;
        k->fn = isa != YOLO_ISA_AVX512 ? NULL : rows ? yolo_conv_bf16_s2_avx512 : yolo_conv_bf16_avx512;
        k->name = rows ? "bf16-rows-s2" : "bf16-gemm";
        k->scratch = yolo_conv_bf16_scratch(g, n, nth, rows);
        return;
    }
    if (kind == YOLO_CONV_PACK_WINO43_BF16) {   /* packed only at avx512 with AVX512_BF16 */
        k->fn = isa == YOLO_ISA_AVX512 ? yolo_conv_wino_bf16_avx512 : NULL;
        k->name = "winograd-f4x4-bf16";
        k->scratch = yolo_conv_pack_scratch(g, n, kind, nth);
        return;
    }
    if (kind == YOLO_CONV_PACK_CDIR32) {   /* packed only at avx512 */
        k->fn = isa == YOLO_ISA_AVX512 ? yolo_conv_cdir_avx512 : NULL;
        k->name = "cdir";
        k->scratch = yolo_conv_pack_scratch(g, n, kind, nth);
        return;
    }
    if (kind != YOLO_CONV_PACK_NONE) {
        struct yolo_conv_geom geo;
        yolo_conv_geom_make(g, n, kind, nth, &geo);
        k->fn = by_isa(isa, yolo_conv_pack_avx512, yolo_conv_pack_avx2);
        k->name = kind == YOLO_CONV_PACK_WINO43 ? "winograd-f4x4" : geo.rows ? "gemm8-rows" : "gemm8";
        k->scratch = yolo_conv_pack_scratch(g, n, kind, nth);
        return;
    }
    if (yolo_conv_dw_applies(g, n)) {
        int64_t hp, wp;
        yolo_conv_dw_padded(g, n, &hp, &wp);
        k->fn = by_isa(isa, yolo_conv_dw_avx512, yolo_conv_dw_avx2);
        k->name = "depthwise";
        k->scratch = (uint64_t)hp * (uint64_t)wp * sizeof(float);
        return;
    }
    k->fn = yolo_conv_gemm;
    k->name = "openblas-im2col";
    k->scratch = yolo_conv_gemm_scratch(g, n, nth);
}

/* The own MatMul kernel (x86/matmul_body.h) for K up to YOLO_MATMUL_FAST_KMAX, else OpenBLAS. */
int64_t yolo_matmul_fast_mb(const struct yolo_node *n, int nth)
{
    const int64_t *p = n->params;
    int64_t units64 = p[YOLO_MM_BATCH] * ((p[YOLO_MM_M] + 63) / 64);
    return units64 >= 2 * (int64_t)nth ? 64 : 32;
}

uint64_t yolo_matmul_fast_scratch(const struct yolo_graph *g, const struct yolo_node *n, int nth)
{
    (void)g;
    const int64_t *p = n->params;
    if (p[YOLO_MM_K] > YOLO_MATMUL_FAST_KMAX)
        return 0;
    uint64_t k = p[YOLO_MM_K] > 0 ? (uint64_t)p[YOLO_MM_K] : 1;
    return ((uint64_t)yolo_matmul_fast_mb(n, nth) * k + YOLO_CONV_PANEL_FLOATS + 64) * sizeof(float);
}

/* The separable kernel of x86/maxpool_body.h for unit horizontal stride and dilations
 * (YOLO's SPPF); the reference otherwise. */
int yolo_maxpool_fast_applies(const struct yolo_node *n)
{
    return n->params[YOLO_MP_SW] == 1 && n->params[YOLO_MP_DW] == 1 && n->params[YOLO_MP_DH] == 1;
}

uint64_t yolo_maxpool_fast_scratch(const struct yolo_graph *g, const struct yolo_node *n, int nth)
{
    (void)nth;
    if (!yolo_maxpool_fast_applies(n))
        return 0;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Y = &g->tensors[n->out[0]];
    /* the row pass's output, then the padded copy of the plane (maxpool_body.h) */
    uint64_t ldh = (uint64_t)((Y->shape[3] + 15) / 16 * 16);
    uint64_t padlen = (ldh + (uint64_t)n->params[YOLO_MP_KW] - 1 + 15) / 16 * 16;
    return (uint64_t)X->shape[2] * (ldh + padlen) * sizeof(float);
}

/* Concat / Split: enough rows before the axis that per-row copies pay (with one row, or a
 * few, the reference's memmoves are long ones, and the planner may have made the node a
 * no-op: core/plan.c, "in place"), and every part's bytes per row a multiple of 4. */
int yolo_rows_fast_applies(const struct yolo_graph *g, const struct yolo_node *n)
{
    int split = n->op == YOLO_OP_SPLIT;
    const struct yolo_tensor *T = &g->tensors[split ? n->in[0] : n->out[0]];
    int64_t axis = n->params[split ? YOLO_SP_AXIS_RES : YOLO_CC_AXIS_RES], outer = 1;
    int64_t inner = (int64_t)yolo_dtype_size(T->dtype);
    if (inner == 0 || axis < 0 || axis >= T->ndim || yolo_tensor_numel(T) <= 0)
        return 0;
    for (int64_t k = 0; k < axis; k++)
        outer *= T->shape[k];
    for (int k = (int)axis + 1; k < T->ndim; k++)
        inner *= T->shape[k];
    return outer >= YOLO_ROWS_FAST_MIN && inner % 4 == 0;
}

void yolo_cpu_kernel_pick_on(const struct yolo_cpu *cpu, const struct yolo_graph *g,
                             const struct yolo_node *n, enum yolo_isa isa, int64_t packed_kind,
                             int nth, struct yolo_cpu_kernel *k)
{
    const struct yolo_op_impl *impl = yolo_op_impl_get(n->op);
    enum yolo_isa want = isa;     /* asked for; the portable fast kernels need only this */
    isa = yolo_isa_usable_on(cpu, isa);
    memset(k, 0, sizeof *k);
    if (nth < 1)
        nth = 1;
    if (want != YOLO_ISA_REF) {
        const struct yolo_tensor *Y = n->n_out > 0 && n->out[0] >= 0 ? &g->tensors[n->out[0]] : NULL;
        switch (n->op) {
        case YOLO_OP_CONV:
            if (isa != YOLO_ISA_REF)
                pick_conv(g, n, isa, packed_kind, nth, k);
            break;
        case YOLO_OP_QCONV:
            /* AVX512_VNNI, else AVX2 (AVX-VNNI's ymm vpdpbusd where the CPU has it and
             * $YOLO_AVXVNNI is not 0, else vpmaddwd); the reference kernel below AVX2 */
            if (packed_kind == YOLO_CONV_PACK_VNNI8 && isa != YOLO_ISA_REF) {
                const char *av = getenv("YOLO_AVXVNNI");
                if (isa == YOLO_ISA_AVX512 && has_vnni(cpu)) {
                    struct yolo_qconv_geom q;
                    yolo_qconv_geom_make(g, n, nth, 1, &q);
                    int vbmi = n->in[YOLO_QC_IN_LUT] >= 0 && has_vbmi(cpu);
                    k->fn = vbmi ? yolo_qconv_avx512vnni_vbmi : yolo_qconv_avx512vnni;
                    k->name = q.flat ? (vbmi ? "vnni-int8-flat-vbmi" : "vnni-int8-flat")
                                     : (vbmi ? "vnni-int8-vbmi" : "vnni-int8");
                } else if (cpu->avxvnni && !(av && strcmp(av, "0") == 0)) {
                    k->fn = yolo_qconv_avxvnni;
                    k->name = "avxvnni-int8";
                } else {
                    k->fn = yolo_qconv_avx2;
                    k->name = "avx2-int8";
                }
                k->scratch = yolo_qconv_scratch(g, n, nth, k->fn == yolo_qconv_avx512vnni ||
                                                           k->fn == yolo_qconv_avx512vnni_vbmi);
            }
            break;
        case YOLO_OP_QUANTIZE_LINEAR:
            if (n->params[YOLO_QL_NCH] == 1)
                k->fn = by_isa(isa, yolo_quantize_avx512, NULL);
            break;
        case YOLO_OP_QADD:
            k->fn = by_isa(isa, yolo_qadd_avx512, NULL);
            break;
        case YOLO_OP_DEQUANTIZE_LINEAR:
            if (n->params[YOLO_QL_NCH] == 1 && g->tensors[n->in[0]].dtype != YOLO_DT_I32)
                k->fn = by_isa(isa, yolo_dequantize_avx512, NULL);
            break;
        case YOLO_OP_ADD:   /* float32, same shapes or a one-element operand */
            if (yolo_binary_fast_applies(g, n))
                k->fn = by_isa(isa, yolo_add_avx512, yolo_add_avx2);
            break;
        case YOLO_OP_MUL:
            if (yolo_binary_fast_applies(g, n))
                k->fn = by_isa(isa, yolo_mul_avx512, yolo_mul_avx2);
            break;
        case YOLO_OP_POW:
            if (yolo_pow2_fast_applies(g, n))
                k->fn = by_isa(isa, yolo_pow2_avx512, yolo_pow2_avx2);
            break;
        case YOLO_OP_SIGMOID:
            k->fn = by_isa(isa, yolo_sigmoid_avx512, yolo_sigmoid_avx2);
            break;
        case YOLO_OP_SILU:
            k->fn = by_isa(isa, yolo_silu_avx512, yolo_silu_avx2);
            break;
        case YOLO_OP_SOFTMAX:
            k->fn = by_isa(isa, yolo_softmax_avx512, yolo_softmax_avx2);
            break;
        case YOLO_OP_MAXPOOL:
            if (yolo_maxpool_fast_applies(n)) {
                k->fn = by_isa(isa, yolo_maxpool_avx512, yolo_maxpool_avx2);
                k->scratch = yolo_maxpool_fast_scratch(g, n, nth);
            }
            break;
        case YOLO_OP_MATMUL:
            if (n->params[YOLO_MM_K] > YOLO_MATMUL_FAST_KMAX || isa == YOLO_ISA_REF) {
                k->fn = yolo_matmul_blas;
                k->name = "openblas";
            } else {
                k->fn = by_isa(isa, yolo_matmul_avx512, yolo_matmul_avx2);
                k->scratch = yolo_matmul_fast_scratch(g, n, nth);
            }
            break;
        case YOLO_OP_RESIZE:
            if (yolo_resize_is_2x(g, n)) {
                k->fn = by_isa(isa, yolo_upsample2x_avx512, yolo_upsample2x_avx2);
            } else if (n->params[YOLO_RS_MODE] == 0 && Y && Y->ndim >= 1 && yolo_tensor_numel(Y) > 0) {
                k->fn = yolo_resize_nearest_fast;
                for (int32_t i = 0; i < Y->ndim; i++)   /* an index table per dim */
                    k->scratch += (uint64_t)Y->shape[i] * sizeof(int64_t);
            }
            break;
        case YOLO_OP_SPACE_TO_DEPTH:
            if (n->params[YOLO_S2D_BS] == 2 && g->tensors[n->in[0]].dtype == YOLO_DT_F32)
                k->fn = by_isa(isa, yolo_space_to_depth2_avx512, yolo_space_to_depth2_avx2);
            break;
        case YOLO_OP_CONCAT:
            if (yolo_rows_fast_applies(g, n))
                k->fn = by_isa(isa, yolo_concat_avx512, yolo_concat_avx2);
            break;
        case YOLO_OP_SPLIT:
            if (yolo_rows_fast_applies(g, n))
                k->fn = by_isa(isa, yolo_split_avx512, yolo_split_avx2);
            break;
        case YOLO_OP_TRANSPOSE: {
            const struct yolo_tensor *X = &g->tensors[n->in[0]];
            int r = X->ndim;
            if (r >= 2 && yolo_dtype_size(X->dtype) == 4 && n->params[YOLO_TP_RES + r - 1] != r - 1 &&
                yolo_tensor_numel(X) > 0)
                k->fn = isa == YOLO_ISA_REF ? yolo_transpose_tiled
                                            : by_isa(isa, yolo_transpose_avx512, yolo_transpose_avx2);
            else if (r >= 1 && n->params[YOLO_TP_RES + r - 1] == r - 1 && yolo_tensor_numel(X) > 0 &&
                     yolo_dtype_size(X->dtype) > 0) {
                k->fn = yolo_transpose_rows;
                k->name = "rows";
            }
            break;
        }
        default:
            break;
        }
    }
    if (!k->fn) {
        k->fn = impl->ref_fn;
        k->name = "ref";
        k->scratch = 0;
    } else if (!k->name) {
        k->name = isa == YOLO_ISA_REF ? "portable" : yolo_isa_name(isa);
    }
    k->scratch = (k->scratch + 63) & ~(uint64_t)63;
}

void yolo_cpu_kernel_pick(const struct yolo_graph *g, const struct yolo_node *n, enum yolo_isa isa,
                          int64_t packed_kind, int nth, struct yolo_cpu_kernel *k)
{
    struct yolo_cpu cpu;
    yolo_cpu_detect(&cpu);
    yolo_cpu_kernel_pick_on(&cpu, g, n, isa, packed_kind, nth, k);
}
