/* conv_bf16.h: the CPU backend's bfloat16 convolution (Convs with params[YOLO_CONV_PREC] =
 * YOLO_CONV_PREC_BF16, group 1, on CPUs with AVX512_BF16): weights packed at load, the
 * geometry and scratch of the kernel, and its entry point (x86/conv_avx512bf16.c).
 *
 * Packed weights (YOLO_CONV_PACK_BF16): W as an M x K matrix (K = C*KH*KW, k = (c*KH + kh)*KW
 * + kw), K2 = ceil(K/2) pairs of k, [Mp/8][K2][8][2] bfloat16: for each panel of 8 output
 * channels and each pair (2p, 2p+1), each channel's two weights side by side in one 32-bit
 * word, which is what vdpbf16ps broadcasts. Rows m >= M and the odd K's last k are zero.
 *
 * Per work unit (image, column tile, chunk of channel panels) the kernel packs the tile's
 * im2col columns into scratch as [K2][twp][2] bfloat16 (rounded to nearest even by
 * vcvtne2ps2bf16; twp = tile width rounded up to 16, zero beyond), then every 8 x 48 output
 * block sums 24 float32 accumulators over the K2 pairs (3 loads, 8 broadcasts, 24
 * vdpbf16ps per pair) and finishes with bias + activation in float32 (x86/simd.h). */
/* Stride-2 rows (YOLO_CONV_PACK_BF16_S2: KW 3, stride 2 across, dilation 1, output rows at
 * least YOLO_CONV_BF16_S2_OWMIN wide): no im2col at all. With the input row stored as bfloat16
 * shifted by the left pad, r[i] = x[i - PL], the 32-bit word m of r is (x[2m - PL],
 * x[2m + 1 - PL]): the taps kw 0 and 1 of output column m, side by side as vdpbf16ps wants
 * them; tap 2 is the low half of word m + 1. So the weights are packed per (c, kh) as two
 * pairs, (w[kh][0], w[kh][1]) and (w[kh][2], 0): [Mp/8][C*KH*2][8][2], and the B rows of the
 * micro-kernel are words m.. of the converted input rows, read in place through a table of
 * row pointers. A quarter of the products multiply zero, against the gather, convert and
 * interleave per k pair the packed kernel pays (3x3 stride 2 is where that costs most: each
 * k row is another strided gather). Per unit (image, band of output rows) the band's input
 * rows are converted once, [C][in_rows][Lw] words, rows outside the input pointing at a zero
 * row. */
#ifndef YOLO_CONV_BF16_H
#define YOLO_CONV_BF16_H

#include "yolo_core.h"

/* Fewest products per output (K = C*KH*KW) for which the CPU backend picks the bf16 kernel
 * (cpu/select.c says why). */
#define YOLO_CONV_BF16_KMIN 32
/* Narrowest output rows the stride-2 rows path takes (narrower ones waste most of a 16-column
 * vector per row: they stay on the packed kernel). */
#define YOLO_CONV_BF16_S2_OWMIN 32

struct yolo_conv_bf16_plan {
    int64_t N, C, H, W, M, Mp, OH, OW, P, K, K2;
    int64_t KH, KW, SH, SW, DH, DW, PT, PL, act;
    int64_t tw, n_tiles;        /* columns per tile (a multiple of 16 unless one tile), tiles */
    int64_t n_msplit;           /* chunks the Mp/8 channel panels are dealt into */
    int64_t units;              /* N * n_tiles * n_msplit (rows: N * n_tiles) */
    /* BF16_S2 rows: tw is output rows per band (n_tiles bands), K2 = C*KH*2 pairs */
    int64_t rows, lw, in_rows;  /* 1 for the rows path; words per converted row; rows a band holds */
};
/* rows: 1 for the BF16_S2 rows path's plan */
void     yolo_conv_bf16_plan_make(const struct yolo_graph *g, const struct yolo_node *n, int nth,
                                  int rows, struct yolo_conv_bf16_plan *pl);
/* Per-thread scratch bytes for nth threads. */
uint64_t yolo_conv_bf16_scratch(const struct yolo_graph *g, const struct yolo_node *n, int nth,
                                int rows);
/* Whether node n may take the bf16 kernel (PREC bf16, group 1, constant float32 W, K2 within
 * the kernel's bound); the CPU's AVX512_BF16 is checked by the caller. */
int      yolo_conv_bf16_applies(const struct yolo_graph *g, const struct yolo_node *n);
/* ... and its stride-2 rows path (see above). */
int      yolo_conv_bf16_s2_applies(const struct yolo_graph *g, const struct yolo_node *n);
int64_t  yolo_conv_bf16_s2_packed_words(int64_t M, int64_t cg, int64_t KH, int64_t KW);
void     yolo_conv_bf16_s2_pack(const float *w, int64_t M, int64_t cg, int64_t KH, int64_t KW,
                                void *out);
/* 32-bit words (weight pairs) of the packed tensor, -1 if the shape is out of bounds. */
int64_t  yolo_conv_bf16_packed_words(int64_t M, int64_t cg, int64_t KH, int64_t KW);
/* Fills out (yolo_conv_bf16_packed_words words) from float32 w [M][cg][KH][KW]. */
void     yolo_conv_bf16_pack(const float *w, int64_t M, int64_t cg, int64_t KH, int64_t KW,
                             void *out);
/* The kernel (built with -mavx512bf16): node data is a struct yolo_conv_packed of kind
 * YOLO_CONV_PACK_BF16; x->scratch_bytes >= yolo_conv_bf16_scratch(g, n, nth). */
void     yolo_conv_bf16_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                               int nth);
void     yolo_conv_bf16_s2_avx512(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                                  int nth);

#endif
