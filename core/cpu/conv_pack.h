/* conv_pack.h: Conv weights packed into the layouts of the CPU backend's own convolution
 * kernels (core/cpu/x86/conv_body.h), and those kernels' entry points.
 *
 *   load:  the CPU backend (cpu/backend_cpu.c) packs, for each eligible Conv (group 1,
 *          constant float32 W), a copy of W into one of the layouts below, once per model;
 *          every context and clone reads it through its node data (struct yolo_conv_packed).
 *          The engine stores W once, as the model defines it: the reference kernel and the
 *          OpenBLAS fallback read that.
 *
 * Packed layouts (M output channels, K = C/group * KH * KW, Mp = M rounded up to 8, rows
 * m >= M zero). The layouts are the same for AVX2 and AVX-512, so an engine runs on both:
 *   GEMM8   [Mp/8][K][8]      W as an M x K matrix, cut into panels of 8 rows, each panel
 *                             stored k-major so the micro-kernel broadcasts 8 consecutive
 *                             floats per k (k = (c*KH + kh)*KW + kw).
 *   WINO43  [36][Mp/8][C][8]  Winograd F(4x4, 3x3): U = G g G^T (6x6) of every 3x3 filter
 *                             (computed in double; points below), position xi = 6*i + j of U holding the
 *                             GEMM8-style panel of the M x C matrix U[.][.][i][j].
 *   WINO43_BF16  [36][Mp/8][C2][8][2]  U of the bf16 points, rounded to bfloat16 (C2 = ceil(C/2)
 *                             channel pairs, an odd C's last pair half zero), each panel
 *                             stored as conv_bf16.h's pairs: per pair, each of the 8
 *                             channels' two values side by side in one 32-bit word.
 *   CDIR32  [M32/32][K][32]   W transposed per block of 32 output channels (M32 = M rounded
 *                             up to 32): 32 consecutive floats per k, the two vectors the
 *                             channel-direct kernel loads. AVX-512 only.
 */
#ifndef YOLO_CONV_PACK_H
#define YOLO_CONV_PACK_H

#include "yolo_core.h"

/* Winograd F(4x4, 3x3)'s interpolation points: 0, +-b, +-a and infinity (conv_pack.c builds G
 * from them, x86/wino_body.h's transforms B^T and A^T take them). float32 keeps Lavin & Gray's
 * 0, +-1, +-2: small integer coefficients, and its rounding is far below anything that matters.
 * bf16 rounds U and V to 8 significant bits, and the output transform adds those errors with
 * its coefficients (up to 8 with +-2): 0, +-2/3, +-3/2 (a b = 1, coefficients up to 3.4)
 * halve the rounding error of the output (a simulation of 64-channel tiles with both factors
 * rounded: 2.1% -> 1.1% relative RMS error; the best of the symmetric sets drawn from 0, +-1/4
 * .. +-4), for the same number of operations. */
#define YOLO_WINO_F32_A 2.0
#define YOLO_WINO_F32_B 1.0
#define YOLO_WINO_BF16_A 1.5
#define YOLO_WINO_BF16_B (2.0 / 3.0)

enum yolo_conv_pack {
    YOLO_CONV_PACK_NONE   = 0,
    YOLO_CONV_PACK_GEMM8  = 1,
    YOLO_CONV_PACK_WINO43 = 2,
    YOLO_CONV_PACK_VNNI8  = 3,   /* QConv's int8 weights for vpdpbusd (cpu/qconv_pack.h) */
    YOLO_CONV_PACK_BF16   = 4,   /* bf16 Conv weight pairs for vdpbf16ps (cpu/conv_bf16.h) */
    YOLO_CONV_PACK_CDIR32 = 5,   /* the channel-direct kernel's blocks (x86/conv_cdir_avx512.c) */
    YOLO_CONV_PACK_WINO43_BF16 = 6,  /* bf16 Winograd F(4x4, 3x3) (x86/conv_wino_avx512bf16.c) */
    YOLO_CONV_PACK_BF16_S2 = 7       /* bf16 stride-2 rows (cpu/conv_bf16.h) */
};
#define YOLO_CONV_PACK_MR 8          /* rows per packed panel */

/* A Conv's prepared weights: the node data of a packed Conv (yolo_exec_node_data). */
struct yolo_conv_packed {
    int64_t      kind;                /* enum yolo_conv_pack */
    const float *w;                   /* yolo_conv_packed_numel floats, 64-byte aligned */
    int32_t      x_c4, y_c4;          /* VNNI QConv: its input / output is held in the c4
                                         layout (cpu/qconv_pack.h), set by yolo_qconv_mark_c4 */
    int32_t      tp_out;              /* with tp_group > 0: the GEMM8 kernel writes tensor
                                         tp_out [N, M / tp_group, OH * OW, tp_group] instead of
                                         its output (cpu/conv_tp_mark.c) */
    int32_t      tp_group;
    int32_t      tp_act;              /* with tp_group: the activation (enum yolo_act) the
                                         tiles get instead of the node's: 2, the Sigmoid of
                                         a split chain whose Concat output tp_out is */
    int32_t      cat_out;             /* with cat_cs > 0: a float32 output written into
                                         tensor cat_out instead (cpu/conv_cat_mark.c): image
                                         b, channel m, pixel p at element cat_base + b *
                                         cat_is + m * cat_cs + p */
    int64_t      cat_base, cat_cs, cat_is;
    int32_t      cat_act;             /* with cat_cs: the activation the rows get instead of
                                         the node's (none): 2, the Sigmoid whose output
                                         cat_out then is */
    int32_t      add_on, add_out, add_res; /* with add_on: a float32 output written as
                                         add_res + output into tensor add_out, a residual
                                         Add's sum (cpu/conv_add_mark.c) */
    int32_t      grid_u8;             /* VNNI QConv with a float output on a grid: writes the
                                         grid's bytes instead, NCHW from the start of its
                                         output's bytes (cpu/qconv_grid_mark.c) */
};
/* Per-thread scratch a GEMM8 conv of M output channels needs beyond yolo_conv_pack_scratch
 * when it writes the transposed layout (tp_group): one tile of M rows x 48 columns. */
uint64_t yolo_conv_tp_scratch(int64_t M);

/* Floats of the packed tensor for a conv with M outputs, C/group = cg input channels and a
 * KH x KW kernel; -1 if the kind is unknown or does not apply (WINO43 needs 3x3). */
int64_t yolo_conv_packed_numel(int64_t kind, int64_t M, int64_t cg, int64_t KH, int64_t KW);
/* Whether `kind` may be used for node n (group 1; WINO43: 3x3, stride 1, dilation 1;
 * CDIR32: dilation 1, SW * 9 + KW <= 32: a 10-pixel tile's input columns fit 32 floats). */
int     yolo_conv_pack_applies(int64_t kind, const struct yolo_node *n, int64_t group);
/* Fills out (yolo_conv_packed_numel floats) from w [M][cg][KH][KW] (float32; int8 for
 * YOLO_CONV_PACK_VNNI8). */
void    yolo_conv_pack_weights(int64_t kind, const void *w, int64_t M, int64_t cg, int64_t KH,
                               int64_t KW, float *out);

/* The geometry every packed kernel works from (filled from the node's checked shapes). */
struct yolo_conv_geom {
    int64_t N, C, H, W, M, Mp, OH, OW, P, K;
    int64_t KH, KW, SH, SW, DH, DW, PT, PL;
    int64_t kind, act;
    const float *w;           /* the packed weights (set by the kernel from its node data) */
    /* CDIR32: Mp is M rounded up to 32, br output rows per band, nband bands per image */
    int64_t TH, TW, T;        /* WINO43: 4x4 output tiles per column, per row, in all */
    int64_t tb, nblk, tbp;    /* tiles per work block, blocks per image, V/Y row stride */
    int64_t wino_vs, wino_ys; /* floats between consecutive matrices of V, of Y (bf16: 32-bit
                                 words of V, one per channel pair and tile) */
    /* GEMM8 by rows (any non-1x1 conv whose output rows fill vectors well): input rows are
     * copied per band of output rows, split into SW column phases with zero margins, and the
     * micro-kernel reads B rows through pointers into them (no im2col panel). */
    int64_t rows;             /* 1: that path */
    int64_t br, nband;        /* output rows per band, bands per image */
    int64_t in_rows;          /* input rows a band holds */
    int64_t ml, seg;          /* left margin, floats per phase segment (16-multiple) */
    uint64_t band_floats;     /* C * in_rows * SW * seg */
};
void yolo_conv_geom_make(const struct yolo_graph *g, const struct yolo_node *n, int64_t kind,
                         int nth, struct yolo_conv_geom *cg);
/* Floats of one GEMM8 B panel in scratch: KC x NR with NR = 48 (AVX-512) or 24 (AVX2), so
 * KC = 1152 or 2304 rows (216 KiB, L2): measured on stride-2 3x3 convs, K blocks that fit L1
 * (KC 144) ran up to 12% slower than one block for K up to 1152 (fewer C read-modify-writes;
 * the A panels are what the micro-kernel streams, B sits in L2 either way). */
#define YOLO_CONV_PANEL_FLOATS 55296

/* Kernels (core/cpu/x86/conv_avx512.c, conv_avx2.c). The node must have passed the Conv
 * shape_fn and have a struct yolo_conv_packed as node data. Each thread uses x->scratch +
 * ith * x->scratch_bytes, at least yolo_conv_pack_scratch(g, n, kind, nth) bytes. */
void yolo_conv_pack_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_conv_pack_avx2(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
/* Depthwise (group == C == M), stride 1, at most 64 taps, unpacked weights. */
/* bf16 Winograd (YOLO_CONV_PACK_WINO43_BF16; built with -mavx512bf16), scratch
 * yolo_conv_pack_scratch. */
void yolo_conv_wino_bf16_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                                int nth);
/* Channel-direct (YOLO_CONV_PACK_CDIR32), scratch yolo_conv_pack_scratch. */
void yolo_conv_cdir_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_conv_dw_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void yolo_conv_dw_avx2(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
uint64_t yolo_conv_pack_scratch(const struct yolo_graph *g, const struct yolo_node *n, int64_t kind,
                                int nth);
int      yolo_conv_dw_applies(const struct yolo_graph *g, const struct yolo_node *n);
/* The depthwise kernel's zero-padded copy of one input plane: hp rows of wp floats (its
 * per-thread scratch is hp * wp floats). */
void     yolo_conv_dw_padded(const struct yolo_graph *g, const struct yolo_node *n, int64_t *hp,
                             int64_t *wp);

#endif
