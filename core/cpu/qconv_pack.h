/* qconv_pack.h: the int8 convolution (QConv, ops/qconv.c) on AVX-512 VNNI: its packed
 * weights, its work geometry and its kernel (core/cpu/x86/qconv_avx512vnni.c).
 *
 * vpdpbusd multiplies 4 unsigned bytes by 4 signed bytes and adds the 4 products to an int32
 * lane. The kernel puts 16 output pixels in the lanes of a vector (so a vector of results is
 * 16 consecutive pixels of one output channel: a plain NCHW store) and broadcasts 4 weights
 * of one output channel. That needs the activations 4 channels at a time per pixel: each
 * thread copies the input rows of a band of output rows into scratch as
 *   [C4][rows][SW phases][ws][4] uint8     C4 = ceil(C / 4), ws >= padded width / SW
 * padded with the zero point (so pads contribute nothing), split into SW column phases (a
 * stride-2 tap then reads consecutive pixels) and, for int8 input, with the sign bit flipped
 * (x + 128 as uint8, zero point + 128: the same differences x - zp).
 * Packed weights (node data, struct yolo_conv_packed with kind YOLO_CONV_PACK_VNNI8):
 *   int32 sumw[Mp]                            sum over k of w[m][k] (zero-point correction:
 *                                             sum (x - zp) w = sum x w - zp * sumw)
 *   int8  w[Mp/8][KH*KW][C4][8][4]            8 output channels x 4 input channels per
 *                                             (tap, c4); channels >= C and rows >= M are 0
 * Mp = M rounded up to 8. Group-1 QConvs with a uint8/int8 input only; others run the
 * reference kernel.
 *
 * Flat bands (stride 1, VNNI kernel only): a tile covers 32 consecutive pixels of an output
 * row, so a 20- or 40-pixel row wastes 12 or 24 of 32 or 64 lanes. With stride 1 the band's
 * rows are instead stored back to back with the pitch of the padded row, rp = OW + (KW-1)*DW:
 * output pixel (row, col) is flat index p = row * rp + col and reads band pixel
 * p + ky*DH*rp + kx*DW, the same for every p, so a tile runs over 32 consecutive p across
 * rows. The columns col >= OW in each row (KW-1 of them) are computed and never stored;
 * waste drops to (KW-1)/rp (80 wide 3x3: 2/82 instead of 16/96). Each 4-channel plane has
 * slack after its last row for the last tile's over-read.
 * Stride 2 (SH = SW = 2) goes flat the same way once the band is split by row parity as
 * well as column parity: 4 planes [row phase][column phase][prow][ws], ws = OW + (KW-1)*DW/2,
 * each plane's rows back to back. Input row r goes to plane (r % 2, phase), row r / 2, so
 * output pixel (row, col) at tap (ky, kx) reads plane ((ky*DH) % 2, (kx*DW) % 2), pixel
 * row * ws + col + ((ky*DH) / 2) * ws + (kx*DW) / 2: again flat index p plus a per-tap
 * constant. Waste is 1/ws (80 wide: 1/81 instead of 16/96; 20 wide: 1/21 instead of 12/32).
 *
 * The c4 layout: an int8 activation that one VNNI QConv writes and only VNNI QConvs read (as
 * their X) is held as [N][C/4][H][W][4] instead of NCHW, when C is a multiple of 4 (the same
 * bytes, so the planner's sizes stand). The writer packs 4 channels' bytes per pixel in its
 * epilogue (one 64-byte store per 16 pixels instead of four narrowing ones) and a reader's
 * band loader copies rows of 4-byte pixels as they are, instead of interleaving 4 channel
 * rows byte by byte. A 1x1 stride-1 unpadded reader of a uint8 input copies nothing: the
 * tensor's rows are its band, read in place (yolov8n_int8_qdq's 1x1 convs at 1 thread:
 * 30.99 -> 30.50 ms for the model, median of 8 alternating runs). Only these kernels ever
 * see such a tensor: yolo_qconv_mark_c4 decides at load, from the kernels picked, so an
 * engine file is the same either way. */
#ifndef YOLO_QCONV_PACK_H
#define YOLO_QCONV_PACK_H

#include "cpu/conv_pack.h"

#define YOLO_QCONV_MR 8     /* output channels per micro-tile (broadcast weights) */
#define YOLO_QCONV_NR 32    /* output pixels per micro-tile (2 vectors of 16) */

struct yolo_qconv_geom {
    int64_t N, C, H, W, M, Mp, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL;
    int64_t C4, wpad;       /* 4-channel groups; padded input width */
    int64_t ws;             /* pixels per phase row in scratch (slack for 32-pixel reads);
                               the pitch of the band's phase rows */
    int64_t flat;           /* 1: flat band (see above; SH = SW = 1, ws = rp, no slack) */
    int64_t c4p;            /* pitch of a 4-channel plane in pixels */
    int64_t pp;             /* flat bands: pitch of a phase plane in pixels (band_row) */
    int64_t wst;            /* ws rounded up to 16: a phase row in the loader's tmp rows */
    int64_t br, nband;      /* output rows per band, bands per image */
    int64_t in_rows;        /* input rows a band holds */
    uint64_t band_bytes, tmp_bytes;
};

/* Where input row r (of the band) at column phase ph starts, in pixels from its 4-channel
 * plane: rows interleaved with their phases, or for a flat band in their row-phase planes. */
static inline int64_t yolo_qconv_band_row(const struct yolo_qconv_geom *q, int64_t r, int64_t ph)
{
    if (!q->flat)
        return (r * q->SW + ph) * q->ws;
    return ((r % q->SH) * q->SW + ph) * q->pp + (r / q->SH) * q->ws;
}

/* Whether the VNNI kernel runs node n (a QConv of group 1). */
int      yolo_qconv_vnni_applies(const struct yolo_graph *g, const struct yolo_node *n);
/* Floats (4-byte units) of the packed weights; -1 if out of range. */
int64_t  yolo_qconv_packed_numel(int64_t M, int64_t C, int64_t KH, int64_t KW);
/* Fills out (yolo_qconv_packed_numel * 4 bytes) from w [M][C][KH][KW] int8. */
void     yolo_qconv_pack_weights(const int8_t *w, int64_t M, int64_t C, int64_t KH, int64_t KW,
                                 void *out);
/* flat_ok: the kernel handles flat bands (the VNNI kernel; the AVX2 ones pass 0). */
void     yolo_qconv_geom_make(const struct yolo_graph *g, const struct yolo_node *n, int nth,
                              int flat_ok, struct yolo_qconv_geom *q);
/* The integers a QConv's epilogue saturates to: its quantized output's dtype range, or the
 * grid's with a fused QuantizeLinear -> DequantizeLinear pair (ops/qconv.c YOLO_QC_FP_DQS). */
void     yolo_qconv_out_range(const struct yolo_node *n, int32_t *lo, int32_t *hi);
uint64_t yolo_qconv_scratch(const struct yolo_graph *g, const struct yolo_node *n, int nth,
                            int flat_ok);
/* The kernel: thread ith of nth takes every band (image, rows) b with b % nth == ith. */
void     yolo_qconv_avx512vnni(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                               int nth);
/* The same with the table (a QConv's optional LUT input) looked up by vpermi2b instead of a
 * gather: for CPUs with AVX512_VBMI. Bit-identical. */
void     yolo_qconv_avx512vnni_vbmi(const struct yolo_exec *x, const struct yolo_node *n, int ith,
                                    int nth);
/* Sets x_c4 / y_c4 in packs[] (per node) for the tensors that qualify for the c4 layout:
 * written by a VNNI QConv (kernels[i].fn) with a quantized output or by QuantizeLinear's
 * AVX-512 kernel (which then gets node_data[i] = &packs[i]), read only by VNNI QConvs as X,
 * 4-D, C % 4 == 0, not an input, output, kept, aliased or constant tensor; kernels[] names
 * get "-c4". Leaves everything NCHW if it cannot allocate its tables. */
struct yolo_cpu_kernel;
void     yolo_qconv_mark_c4(const struct yolo_graph *g, struct yolo_cpu_kernel *kernels,
                            struct yolo_conv_packed *packs, const void **node_data);
/* The AVX2 kernels on the same layouts (x86/qconv_avx2.c), for CPUs without AVX512_VNNI:
 * vpdpbusd on ymm where CPUID reports AVX-VNNI, else the same sums by vpmaddwd (exact). */
void     yolo_qconv_avxvnni(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);
void     yolo_qconv_avx2(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth);

#endif
