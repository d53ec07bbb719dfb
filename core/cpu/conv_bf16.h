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
/* Stride-2 rows (YOLO_CONV_PACK_BF16_S2: KW 3, stride 2 across, dilation 1): no im2col at
 * all (narrow rows: see YOLO_CONV_BF16_S2_OWMIN). The pairs vdpbf16ps multiplies are
 * two input channels (2cp, 2cp + 1) at one tap. Each input row of a channel pair is stored
 * once per band as two phases of bfloat16 pairs, with s[j] = x[j - PL] (the row shifted by
 * the left pad): word i of the even phase is (s_a[2i], s_b[2i]), of the odd phase (s_a[2i +
 * 1], s_b[2i + 1]). Output column m reads s[2m + kw]: tap 0 is even word m, tap 1 odd word m,
 * tap 2 even word m + 1, so 16 output columns of any tap are 16 consecutive words. The
 * weights are packed per (cp, kh, kw) as (w[2cp][kh][kw], w[2cp + 1][kh][kw]) (zero past
 * the last channel): [Mp/8][ceil(C/2)*KH*3][8][2], and the B rows of the micro-kernel are
 * read in place through a table of row pointers. Per unit (image, band of output rows) the
 * band's input rows are converted once, [ceil(C/2)][in_rows][2 phases][lw] words, rows
 * outside the input pointing at a zero row. (The first layout paired taps 0 and 1 of one
 * channel and tap 2 with a zero: a quarter of the products multiplied zero; 1 thread,
 * conv_bench: 16 -> 32 at 320x320 1.20-1.46 -> 1.02-1.08 ms, 32 -> 64 at 160x160 0.88-0.93
 * -> 0.73, 64 -> 128 at 80x80 0.98 -> 0.77, 64 -> 64 at 80x80 0.54 -> 0.44.) */
#ifndef YOLO_CONV_BF16_H
#define YOLO_CONV_BF16_H

#include "yolo_core.h"

/* Fewest products per output (K = C*KH*KW) for which the CPU backend picks the bf16 kernel
 * (cpu/select.c says why). */
#define YOLO_CONV_BF16_KMIN 32
/* Narrowest output rows the stride-2 rows path multiplies in place. Narrower ones would waste
 * much of the 16-column vectors of each row (conv_bench, 1 thread, 128 -> 256 at 40x40,
 * 20-wide rows: im2col 0.80 ms, in place 0.95), so they are "narrow": the band's converted
 * rows are copied into packed columns, [48-column block][K2][48] words, whole rows one after
 * the other, and the packed micro-kernel runs on those. The copy is of whole bf16 words, where
 * im2col gathered and converted every float of every tap. */
#define YOLO_CONV_BF16_S2_OWMIN 32

struct yolo_conv_bf16_plan {
    int64_t N, C, H, W, M, Mp, OH, OW, P, K, K2;
    int64_t KH, KW, SH, SW, DH, DW, PT, PL, act;
    int64_t tw, n_tiles;        /* columns per tile (a multiple of 16 unless one tile), tiles */
    int64_t n_msplit;           /* chunks the Mp/8 channel panels are dealt into */
    int64_t units;              /* N * n_tiles * n_msplit (rows: N * n_tiles) */
    /* BF16_S2 rows: tw is output rows per band (n_tiles bands), K2 = ceil(C/2)*KH*3 pairs */
    int64_t rows, lw, in_rows;  /* 1 for the rows path; words per converted row; rows a band holds */
    int64_t C2;                 /* rows path: channel pairs, ceil(C / 2) */
    int64_t narrow;             /* rows path: OW < YOLO_CONV_BF16_S2_OWMIN, packed columns */
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
