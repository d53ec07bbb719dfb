/* cuda/kernels.h: the CUDA backend's own kernels (kernels_*.cu), called from C.
 *
 * Every kernel takes its operands as device pointers with a storage type each, so one kernel
 * serves an FP32 run, an FP16 run and the mixed tensors between them (a float tensor is
 * stored as float32 or float16, chosen per tensor by backend_cuda.c; integer tensors as they
 * are). Loads widen to float and stores narrow, so the arithmetic is always FP32. A launcher
 * returns 0 or a cudaError_t; it never synchronises.
 *
 * Shapes arrive already simplified by the host (dims of size 1 dropped, contiguous dims
 * merged), so the per-element index arithmetic stays short. */
#ifndef YOLO_CUDA_KERNELS_H
#define YOLO_CUDA_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct CUstream_st *yolo_cu_stream;   /* cudaStream_t without the CUDA headers */

/* How a tensor's elements are stored. Same-storage moves copy bytes; float <-> half convert. */
enum yolo_cu_st { YOLO_CU_F32 = 0, YOLO_CU_F16 = 1, YOLO_CU_I64 = 2, YOLO_CU_I32 = 3,
                  YOLO_CU_U8 = 4 /* u8, i8, bool: bytes */ };

#define YOLO_CU_MAXD 12   /* Tile of a 6-D tensor interleaves repeats with dims: 12 */
#define YOLO_CU_MAXSEG 8  /* pieces of one Concat/Split launch */

/* dst[dst_off + sum idx[k] * ds[k]] = src[src_off + sum idx[k] * ss[k]] for every index of
 * shape (element strides and offsets; stride 0 = broadcast). */
struct yolo_cu_copy {
    int32_t ndim, src_st, dst_st;
    int64_t numel, src_off, dst_off;
    int64_t shape[YOLO_CU_MAXD], ss[YOLO_CU_MAXD], ds[YOLO_CU_MAXD];
    const void *src;
    void *dst;
};
int yolo_cu_copy(const struct yolo_cu_copy *seg, int32_t n_seg, yolo_cu_stream s);

enum yolo_cu_binop { YOLO_CU_ADD, YOLO_CU_SUB, YOLO_CU_MUL, YOLO_CU_DIV, YOLO_CU_POW,
                     YOLO_CU_MOD_FLOOR, YOLO_CU_MOD_TRUNC, YOLO_CU_FMOD };
/* y = a op b, a and b read at their strides over y's shape, y contiguous, or with inner > 0
 * image by image: element i at (i / inner) * yn + i % inner (then the shape is [images, inner]
 * and a and b's image strides are sa[0] and sb[0]). Float operands in any float storage;
 * integer ops need all three I64. */
struct yolo_cu_binary {
    int32_t op, ndim, a_st, b_st, y_st;
    int64_t numel, inner, yn;
    int64_t shape[6], sa[6], sb[6];
    const void *a, *b;
    void *y;
};
int yolo_cu_binary(const struct yolo_cu_binary *p, yolo_cu_stream s);

enum yolo_cu_unop { YOLO_CU_SIGMOID, YOLO_CU_SILU, YOLO_CU_RELU, YOLO_CU_CAST };
/* y[i] = op(x[i]); CAST converts between any storages as ops/cast.c does (saturating
 * float -> int, NaN -> 0, nonzero -> 1 for bool). */
int yolo_cu_unary(int32_t op, const void *x, int32_t x_st, void *y, int32_t y_st, int64_t n,
                  int32_t y_is_bool, yolo_cu_stream s);

/* A convolution's epilogue, in place or into y: y[i] = act(c[i] + bias[channel]) with
 * channel = (i / hw) % m; bias may be NULL (float32). act: enum yolo_act. cn, yn: elements
 * from one image of c (of y) to the next, 0 when packed (m * hw). */
int yolo_cu_conv_epilogue(const void *c, int32_t c_st, void *y, int32_t y_st, const float *bias,
                          int64_t n, int64_t hw, int64_t m, int32_t act, int64_t cn, int64_t yn,
                          yolo_cu_stream s);

/* A 2-D convolution (groups 1) in FP16 on the tensor cores with FP32 accumulation, its
 * epilogue fused: y = act(conv(x, w) + bias), NCHW, y packed. x in F32 or F16 storage
 * (rounded to FP16 as it is read), y in either. The weights were prepared at load as FP16
 * rows [m rounded up to YOLO_CU_CONV_MPAD][kpad], k = (c * kh + ky) * kw + kx, zeros beyond
 * m and k; ktab holds per k (kpad of them) the pair { c * h * w + dy * w + dx, dy << 16 | dx }
 * (dy, dx: the tap's offset with dilation), and for k >= c * kh * kw a dy that is never inside
 * the image. Limits the host checks: h, w < 8192, npix and c * h * w < 2^31.
 *
 * tile: the block tile, YOLO_CU_TILE_*: 32 or 64 channels x 64 or 128 pixels. splits > 1
 * divides K among that many blocks per tile (split-K, for layers with too few tiles to fill
 * the GPU): each writes its FP32 partial sums to part, the last of a tile to finish (count[tile]
 * counts them, and is left at 0 again) adds them in split order and runs the epilogue, so the
 * result does not depend on which finishes last. part: splits * tiles * BM * BN floats; count:
 * tiles zeroed counters (yolo_cu_conv_scratch). */
#define YOLO_CU_CONV_MPAD 128
#define YOLO_CU_CONV_KPAD 32
enum yolo_cu_tile { YOLO_CU_TILE_32x128, YOLO_CU_TILE_32x64, YOLO_CU_TILE_64x128,
                    YOLO_CU_TILE_64x64, YOLO_CU_TILE_COUNT };
struct yolo_cu_conv {
    int32_t h, w, m, oh, ow, sh, sw, ph, pw, npix, kpad, x_st, y_st, act, tile, splits;
    int64_t chw;                  /* x's image stride: c * h * w when its images are packed */
    int64_t yn;                   /* y's image stride: m * oh * ow when packed */
    const void *x, *wt;
    const int32_t *ktab;
    const float *bias;
    void *y;
    float *part;
    uint32_t *count;
};
int yolo_cu_conv_igemm(const struct yolo_cu_conv *p, yolo_cu_stream s);
/* The tile and split count for a convolution of m channels, npix pixels and kpad k values on
 * a GPU with sms multiprocessors (tile and splits of p are set), and the scratch it then
 * needs: *part_floats for part, *tiles for count. */
void yolo_cu_conv_plan(struct yolo_cu_conv *p, int32_t sms, int64_t *part_floats, int64_t *tiles);

/* A pointwise convolution (1x1, stride 1, no padding, groups 1) in FP16 on the tensor cores,
 * one GEMM per image (kernels_conv_pw.cu): y = act(w * x + bias), NCHW, y packed. x in F16
 * storage, y in F16 or F32; x, y and wt 16-byte aligned; hw = h * w a multiple of 8. The
 * weights are yolo_cu_conv_igemm's FP16 rows ([m rounded up to YOLO_CU_CONV_MPAD][kpad], zeros
 * beyond m and c). yolo_cu_conv_pw_ok: whether a shape fits; yolo_cu_conv_pw_plan: the tile
 * (wide: BM x 128, else BM x 64; BM 32 when m <= 32, else 64) for a GPU of sms
 * multiprocessors. The activation is computed in the fast form (act_fast in device.cuh). */
struct yolo_cu_conv_pw {
    int32_t n, c, hw, m, kpad, y_st, act, wide;
    int64_t xn, yn;               /* image strides: c * hw and m * hw when packed */
    const void *x, *wt;
    const float *bias;
    void *y;
};
int yolo_cu_conv_pw_ok(const struct yolo_cu_conv_pw *p);
void yolo_cu_conv_pw_plan(struct yolo_cu_conv_pw *p, int32_t sms);
int yolo_cu_conv_pw(const struct yolo_cu_conv_pw *p, yolo_cu_stream s);

/* A 2-D convolution (groups 1) in FP16 on the tensor cores, by output tiles staged in shared
 * memory (kernels_conv_tile.cu): y = act(conv(x, w) + bias), NCHW, y packed, x in F32 or F16
 * storage (rounded to FP16 as it is read), y in either, as yolo_cu_conv_igemm. A block owns
 * th x tw = 256 outputs of one image, mt tiles of 16 output channels and one slice of cs input
 * channels; with ks > 1 slices, the ks blocks of one output tile form a thread-block cluster
 * and add their FP32 partial sums through each other's shared memory, in slice order, before
 * the epilogue (so the result does not depend on timing). c <= 8 * 64.
 * Weights: prepared at load by yolo_cu_conv_tile_weights as FP16, slice after slice, each
 * [m rounded up to 16][yolo_cu_conv_tile_kpad(cs, kh, kw)] with k = ((ky * kw + kx) * cs / 8 +
 * c / 8) * 8 + c % 8 (c counted within the slice): the channels of a tap contiguous; zeros in
 * every padding. yolo_cu_conv_tile_plan, called once on the shape (n, c, h, w, m, oh, ow, kh,
 * kw, sh, sw, ph, pw, dh, dw, the storages, and the GPU: sms, smem_max) fills cg, th, tw, mt,
 * ks and cs (a 1x1 stride-1 convolution becomes one row of h * w per image; ks and mt grow
 * until the grid has a block per multiprocessor, where the shape allows) and returns 0 when
 * the shape does not fit this kernel. Limits the host checks: h * w, n * m * oh * ow and
 * c * h * w < 2^31, n < 65536. */
struct yolo_cu_conv_tile {
    int32_t n, c, h, w, m, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw;
    int32_t x_st, y_st, act;
    int64_t xn, yn;               /* image strides: c * h * w and m * oh * ow when packed */
    int64_t yc, yp;               /* yp > 0: y channels-last, channel and pixel strides */
    int32_t sms, smem_max;        /* the GPU's multiprocessors; shared memory a block may opt
                                   * in to (0: the default 48 KiB) */
    int32_t cg, th, tw;           /* set by yolo_cu_conv_tile_plan: cs / 8; the tile */
    int32_t mt, ks, cs;           /* and: 16-channel tiles per block; slices; channels each */
    const void *x, *wt;
    const float *bias;
    void *y;
};
int32_t yolo_cu_conv_tile_kpad(int32_t c, int32_t kh, int32_t kw);
int yolo_cu_conv_tile_plan(struct yolo_cu_conv_tile *p);
/* Whether planned p is one the kernel runs (the launcher refuses any other with
 * cudaErrorInvalidValue); host code, no GPU needed. */
int yolo_cu_conv_tile_valid(const struct yolo_cu_conv_tile *p);
/* The weights' bytes for planned p, and their layout made from FP32 [m][c][kh][kw] w32 (both
 * on the device) into wt (zeroed by the caller: the padding stays as it is). */
int64_t yolo_cu_conv_tile_weight_bytes(const struct yolo_cu_conv_tile *p);
int yolo_cu_conv_tile_weights(const struct yolo_cu_conv_tile *p, const float *w32, void *wt,
                              yolo_cu_stream s);
int yolo_cu_conv_tile(const struct yolo_cu_conv_tile *p, yolo_cu_stream s);

/* A 2-D convolution (groups 1) in FP16 on the tensor cores, FP32 accumulation, as an implicit
 * GEMM over output pixels (kernels_conv_nhwc.cu), for channels-last activations:
 * y = act(conv(x, w) + bias) with x and y each at any strides: element (image, channel,
 * pixel) of x at image * xn + channel * xc + pixel * xp (NHWC: xc 1, xp the pixel stride, at
 * least c; NCHW: xc h * w, xp 1), pixel = row * w + column; y likewise (yn, yc, yp). x in F32
 * or F16 storage (rounded to FP16 as it is read), y in either; NHWC FP16 operands with 8-channel
 * aligned rows move in 16-byte pieces, anything else one element at a time. Weights: FP16 rows
 * [m rounded up to YOLO_CU_CONV_MPAD][kpad], k = (ky * kw + kx) * c + c_in, zeros beyond m and
 * k (yolo_cu_conv_nhwc_weights writes them from FP32 [m][c][kh][kw]; wt zeroed by the caller).
 * yolo_cu_conv_nhwc_ok: whether a shape fits (int32 pixel and k counts); _plan: the tile (bm
 * 64 or 128 pixels, bn 32 or 64 channels) for a GPU of sms multiprocessors. */
/* n / d for 0 <= n < 2^31 as a multiply-high, an add and a shift, the divisor fixed for a
 * launch: q = (mulhi(n, mul) + n) >> shift with shift = ceil(log2 d) and mul = 2^32 (2^shift
 * - d) / d + 1, the round-up method of Granlund and Montgomery (PyTorch's IntDivider). Why:
 * an integer division by a runtime divisor is ~20 instructions on the GPU, and the channels-
 * last convolutions' index arithmetic (pixel -> image, row, column; k -> tap, channel) made
 * them issue-bound (ncu, H100: ALU the busiest pipe). yolo_cu_div_host is the same on the host. */
struct yolo_cu_div { uint32_t d, mul, shift; };
static inline struct yolo_cu_div yolo_cu_div_make(uint32_t d)
{
    uint32_t shift = 0;
    while (shift < 31 && (1u << shift) < d)
        shift++;
    uint64_t mul = ((uint64_t)1 << 32) * (((uint64_t)1 << shift) - d) / d + 1;
    return (struct yolo_cu_div){ d, (uint32_t)mul, shift };
}
static inline uint32_t yolo_cu_div_host(uint32_t n, struct yolo_cu_div v)
{
    return (uint32_t)((((uint64_t)n * v.mul) >> 32) + n) >> v.shift;
}

struct yolo_cu_conv_nhwc {
    int32_t n, c, h, w, m, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw;
    int32_t x_st, y_st, act, kpad;
    int32_t bm, bn, sms;          /* set by yolo_cu_conv_nhwc_plan (sms: the GPU's SMs) */
    int32_t patch;                /* 1: the patch kernel runs it (kernels_conv_patch.cu) */
    int32_t y_vec;                /* set by the launcher */
    struct yolo_cu_div div_ohw, div_ow, div_c, div_kw;   /* by oh * ow, ow, c, kw: launcher */
    struct yolo_cu_div div_tx, div_ty;   /* the patch kernel's: by its tile columns, rows */
    int64_t xn, xc, xp, yn, yc, yp;
    int64_t rn, rp;               /* res's image and pixel strides */
    const void *x, *wt;
    const float *bias;
    const void *res;              /* or NULL: y = act(conv + bias) + res, res channels-last
                                   * FP16 of y's shape (a residual Add: fuse_add.c) */
    void *y;
};
int yolo_cu_conv_nhwc_ok(const struct yolo_cu_conv_nhwc *p);
void yolo_cu_conv_nhwc_plan(struct yolo_cu_conv_nhwc *p, int32_t sms);
int yolo_cu_conv_nhwc(const struct yolo_cu_conv_nhwc *p, yolo_cu_stream s);
int yolo_cu_conv_nhwc_weights(const struct yolo_cu_conv_nhwc *p, const float *w32, void *wt,
                              yolo_cu_stream s);
/* The patch kernel (kernels_conv_patch.cu): 3x3, stride 1 or 2, padding 1 on an NHWC FP16
 * input of c % 16 == 0 channels, the implicit GEMM's weights; whether it can run p (pointers
 * included), the shared memory a block of it needs for c input and m output channels at that
 * stride, the launch. */
int yolo_cu_conv_patch_ok(const struct yolo_cu_conv_nhwc *p);
int yolo_cu_conv_patch_smem(int32_t c, int32_t m, int32_t stride);
int yolo_cu_conv_patch(const struct yolo_cu_conv_nhwc *p, yolo_cu_stream s);

/* YOLO11's attention as one kernel (kernels_attn.cu): for each of `heads` (images x heads),
 * y[d][i] = sum_j v[d][j] * softmax_j(scale * sum_c q[c][i] * k[c][j]); q and k [dk][l], v
 * and y [dv][l], packed, heads after one another. dk 32, dv 64 (YOLO11's key and head dims);
 * q, k and v in one float storage, y in either. */
struct yolo_cu_attn {
    int32_t heads, l, dk, dv, q_st, k_st, v_st, y_st;
    float scale;
    const void *q, *k, *v;
    void *y;
};
int yolo_cu_attn_ok(const struct yolo_cu_attn *p);
int yolo_cu_attn(const struct yolo_cu_attn *p, yolo_cu_stream s);

/* The stem (kernels_conv_stem.cu): a 3x3 stride-2 convolution (groups 1, pads ph top and pw
 * left, at most 2) of a 3-channel NCHW image (F32 or F16 storage, packed planes, images xn
 * elements apart) into channels-last FP16 (pixels yp elements apart, a multiple of 8; images
 * yn), m = 16 or YOLO_CU_STEM_MAXM outputs, FP32 products, y = act(conv(x, w) + bias) with
 * the FP16 kernels' fast activations. wt [m][3][3][3] and bias travel in the launch's
 * parameters (host memory). */
#define YOLO_CU_STEM_MAXM 32
struct yolo_cu_conv_stem {
    int32_t n, h, w, m, oh, ow, ph, pw, x_st, act;
    struct yolo_cu_div div_pixels, div_ow;   /* by oh * ow and ow: set by the launcher */
    int64_t xn, yn, yp;
    const void *x;
    void *y;
    float wt[YOLO_CU_STEM_MAXM * 27], bias[YOLO_CU_STEM_MAXM];
};
int yolo_cu_conv_stem_ok(const struct yolo_cu_conv_stem *p);
int yolo_cu_conv_stem(const struct yolo_cu_conv_stem *p, yolo_cu_stream s);

/* Channels-last windows (kernels_nhwc.cu): a tensor as rows of c channels, one row per pixel
 * of every image, rows xp (yp) elements apart, one float storage on both sides.
 * Max pooling of a [n, h, w, c] tensor into [n, oh, ow, c]; the nearest 2x upsampling of
 * [n, h, w, c] into [n, 2h, 2w, c]; the depthwise convolution (groups = c, FP16 storage)
 * y = act(bias + sum over the window of x * wt), wt FP16 [c][kh][kw], FP32 sums. */
struct yolo_cu_nhwc_pool {
    int32_t n, h, w, c, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw, st, act;
    struct yolo_cu_div div_cg, div_ow, div_oh;   /* by c / 8, ow, oh: set by the launcher */
    int64_t xp, yp;
    const void *x, *wt;           /* wt, bias, act: the depthwise convolution's */
    const float *bias;
    void *y;
};
int yolo_cu_maxpool_nhwc(const struct yolo_cu_nhwc_pool *p, yolo_cu_stream s);
int yolo_cu_upsample2_nhwc(const struct yolo_cu_nhwc_pool *p, yolo_cu_stream s);
int yolo_cu_dwconv_nhwc(const struct yolo_cu_nhwc_pool *p, yolo_cu_stream s);
/* A convolution's epilogue channels-last, FP16 both sides: y[r * yp + ch] = act(c[r * m + ch] +
 * bias[ch]) for rows r of m channels (in place when c == y and yp == m); bias may be NULL. */
int yolo_cu_epilogue_nhwc(const void *c, void *y, const float *bias, int64_t rows, int32_t m,
                          int64_t yp, int32_t act, yolo_cu_stream s);

struct yolo_cu_pool {     /* NCHW max pooling; planes = N * C */
    int64_t planes, h, w, oh, ow;
    int64_t c, xn, yn;    /* channels per image and the image strides; 0: packed */
    int32_t kh, kw, sh, sw, pt, pl, dh, dw;
    const void *x;
    void *y;
    int32_t x_st, y_st;
};
int yolo_cu_maxpool(const struct yolo_cu_pool *p, yolo_cu_stream s);

/* Nearest resize: y[idx] = x[sum table_k[idx_k] * xs[k]], y contiguous (or, 4-D only, its
 * images yn elements apart: 0 packed); tables on the device, axis k's at tables + toff[k]. */
struct yolo_cu_resize {
    int32_t ndim, x_st, y_st;
    int64_t yn;
    int32_t up2;                  /* the host found it an exact 2x on the last two of 4 dims
                                   * (identity on the first two), even input width, one
                                   * float storage: rows doubled by vector moves */
    int64_t numel;
    int64_t shape[6], xs[6], toff[6];
    const int64_t *tables;
    const void *x;
    void *y;
};
int yolo_cu_resize_nearest(const struct yolo_cu_resize *p, yolo_cu_stream s);

/* The DFL of a YOLOv8/11 head as one kernel (cuda/fuse_dfl.c finds it): for every output
 * (img, oy, ox) of a 1x1 convolution with one output channel, y = bias + sum over c of
 * w[c] * softmax(x over c)[c], where bin c of output o is x[img * sn + c * sc + oy * sh +
 * ox * sw] (the strided view the Transposes between the softmax and the convolution made).
 * bins <= 32; the same float operations in the same order as yolo_cu_softmax followed by a
 * sum of products in c order. */
struct yolo_cu_dfl {
    int32_t n, h, w, bins, x_st, y_st;
    int64_t sn, sc, sh, sw;
    const void *x;
    const float *wt;
    float bias;
    void *y;
};
int yolo_cu_dfl(const struct yolo_cu_dfl *p, yolo_cu_stream s);

/* Softmax over len elements at stride inner, outer * inner lanes (ops/softmax.c). rows: a
 * contiguous axis (inner 1) longer than 32 runs one warp per row (YOLO_CUDA_SOFTMAX_ROWS=0: never). */
int yolo_cu_softmax(const void *x, int32_t x_st, void *y, int32_t y_st, int64_t outer,
                    int64_t len, int64_t inner, int rows, yolo_cu_stream s);

/* Max over the reduced dims (rs/rst) for each output element (kept dims ks/kst walk the
 * output); NaN propagates as in ops/reduce_max.c. Float storages or I64. */
struct yolo_cu_reduce {
    int32_t nk, nr, x_st, y_st;
    int64_t n_out, n_red;
    int64_t ks[6], kst[6], rs[6], rst[6];
    const void *x;
    void *y;
};
int yolo_cu_reduce_max(const struct yolo_cu_reduce *p, yolo_cu_stream s);

/* Batched C[b] = A[aoff[b]] x B[boff[b]] (row-major M x K times K x N), offsets in matrices,
 * on the device; FP32 accumulation. */
struct yolo_cu_matmul {
    int64_t m, k, n, batch;
    const int64_t *aoff, *boff;
    const void *a, *b;
    void *y;
    int32_t a_st, b_st, y_st;
};
int yolo_cu_matmul(const struct yolo_cu_matmul *p, yolo_cu_stream s);

/* TopK (ops/topk.c): the K best of each slice, stable (earlier index first on ties), NaN
 * above every number; x float storage or I64 (x_st), values in y_st, indices int64. */
struct yolo_cu_topk {
    int64_t outer, dim, inner, k;
    int32_t largest, x_st, y_st;
    const void *x;
    void *vals;
    int64_t *idx;
};
int yolo_cu_topk(const struct yolo_cu_topk *p, yolo_cu_stream s);

/* Gather (ops/gather.c): rows of `row` elements; out row r = (o, j) takes input row
 * o * dim + index[j] (negative indices count from the end; out of range gives zeros). */
struct yolo_cu_gather {
    int64_t outer, nidx, dim, row;
    const void *x, *index;
    void *y;
    int32_t x_st, y_st, idx_i32;
};
int yolo_cu_gather(const struct yolo_cu_gather *p, yolo_cu_stream s);

/* GatherElements (ops/gather_elements.c): y[i] = x at i's multi-index with the axis
 * coordinate replaced by index[i]. */
struct yolo_cu_gather_el {
    int32_t ndim, axis, x_st, y_st, idx_i32;
    int64_t numel, dim;
    int64_t shape[6], xs[6];
    const void *x, *index;
    void *y;
};
int yolo_cu_gather_elements(const struct yolo_cu_gather_el *p, yolo_cu_stream s);

#ifdef __cplusplus
}
#endif
#endif
