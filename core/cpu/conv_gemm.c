/* kernels/conv_gemm.c: Conv as im2col + cblas_sgemm (see conv_gemm.h).
 *
 * For batch b and group g, Y_bg [Mg, OH*OW] = W_g [Mg, K] @ col_bg [K, OH*OW] with
 * K = Cg*KH*KW, row k = (c*KH + kh)*KW + kw of col holding input pixel
 * (c, oy*SH - PT + kh*DH, ox*SW - PL + kw*DW) for output column oy*OW + ox (0 in the pads).
 * The columns are cut into tiles of `tw` columns: the work units are (b, g, tile), dealt out
 * to the threads in contiguous runs. A tile's im2col panel (K x tw floats, the per-thread
 * scratch) is built, multiplied and the output tile finished with bias + activation while
 * it is still in cache. tw is sized so the panel stays within COL_BUDGET bytes (1 MiB
 * measured best on 1-2 MiB L2 Xeons, yolov8n's convs), and small enough that there are at
 * least nth units (a multiple of nth when there is a single plane).
 * A 1x1 stride-1 unpadded convolution needs no im2col: the input plane already is col
 * (ldb = H*W); its tiles keep the Mg x tw output tile within COL_BUDGET for the epilogue.
 * The epilogue's sigmoid is written so GCC vectorizes it at -O2 (SSE2 here; the AVX
 * kernels of core/kernels/x86 are the place for wider vectors).
 * COL_BUDGET and DIRECT_MIN_TW may be overridden with -D for tuning runs.
 */
#include <cblas.h>
#include <string.h>

#include "cpu/conv_gemm.h"

#ifndef COL_BUDGET
#define COL_BUDGET (1u << 20)   /* bytes of one im2col panel */
#endif
#define TILE_ALIGN 16           /* columns: keep tiles a multiple of a vector width */
#ifndef DIRECT_MIN_TW
#define DIRECT_MIN_TW 256       /* narrowest 1x1 tile: below this sgemm loses efficiency */
#endif

struct conv_plan {
    int64_t N, C, H, W, M, OH, OW, G, Cg, Mg, K, P;  /* P = OH*OW columns */
    int64_t tw, n_tiles;
    int direct;                                       /* 1x1, stride 1, no pad */
};

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

static void plan_make(const struct yolo_graph *g, const struct yolo_node *n, int nth,
                      struct conv_plan *pl)
{
    const int64_t *p = n->params;
    const struct yolo_tensor *X = &g->tensors[n->in[0]], *Wt = &g->tensors[n->in[1]];
    const struct yolo_tensor *Y = &g->tensors[n->out[0]];
    pl->N = X->shape[0];
    pl->C = X->shape[1];
    pl->H = X->shape[2];
    pl->W = X->shape[3];
    pl->M = Y->shape[1];
    pl->OH = Y->shape[2];
    pl->OW = Y->shape[3];
    pl->G = p[YOLO_CONV_GROUP];
    pl->Cg = Wt->shape[1];
    pl->Mg = pl->M / pl->G;
    pl->K = pl->Cg * p[YOLO_CONV_KH] * p[YOLO_CONV_KW];
    pl->P = pl->OH * pl->OW;
    pl->direct = p[YOLO_CONV_KH] == 1 && p[YOLO_CONV_KW] == 1 && p[YOLO_CONV_SH] == 1 &&
                 p[YOLO_CONV_SW] == 1 && p[YOLO_CONV_PT] == 0 && p[YOLO_CONV_PL] == 0 &&
                 p[YOLO_CONV_PB] == 0 && p[YOLO_CONV_PR] == 0;
    if (nth < 1)
        nth = 1;
    /* im2col: the K x tw panel fits the budget; direct: the Mg x tw output tile does, so
     * the epilogue finds it in cache (but no narrower than DIRECT_MIN_TW columns) */
    int64_t rows = pl->direct ? pl->Mg : pl->K;
    int64_t tw_max = (int64_t)COL_BUDGET / (rows * (int64_t)sizeof(float));
    tw_max = tw_max / TILE_ALIGN * TILE_ALIGN;
    if (tw_max < (pl->direct ? DIRECT_MIN_TW : TILE_ALIGN))
        tw_max = pl->direct ? DIRECT_MIN_TW : TILE_ALIGN;
    if (tw_max > pl->P)
        tw_max = pl->P;
    int64_t tiles = ceil_div(pl->P, tw_max);
    int64_t planes = pl->N * pl->G;
    int64_t cap = ceil_div(pl->P, TILE_ALIGN);  /* tiles no narrower than 16 columns */
    if (planes * tiles < nth) {                 /* too few units: cut finer */
        int64_t want = ceil_div(nth, planes);
        tiles = want < cap ? want : cap;
    }
    if (planes == 1 && tiles % nth != 0) {      /* one plane: equal shares per thread */
        int64_t even = ceil_div(tiles, nth) * nth;
        tiles = even < cap ? even : cap;
    }
    int64_t tw = ceil_div(pl->P, tiles);
    if (tw < pl->P)
        tw = ceil_div(tw, TILE_ALIGN) * TILE_ALIGN;
    if (tw > tw_max)
        tw = tw_max;
    pl->tw = tw;
    pl->n_tiles = ceil_div(pl->P, tw);
}

uint64_t yolo_conv_gemm_scratch(const struct yolo_graph *g, const struct yolo_node *n, int nth)
{
    struct conv_plan pl;
    plan_make(g, n, nth, &pl);
    return pl.direct ? 0 : (uint64_t)pl.K * (uint64_t)pl.tw * sizeof(float);
}

/* Columns [p0, p0 + cols) of col for one group's input planes xg. */
static void im2col_tile(const struct conv_plan *pl, const int64_t *p, const float *xg,
                        int64_t p0, int64_t cols, float *col)
{
    int64_t KH = p[YOLO_CONV_KH], KW = p[YOLO_CONV_KW], SH = p[YOLO_CONV_SH], SW = p[YOLO_CONV_SW];
    int64_t H = pl->H, W = pl->W, OW = pl->OW;
    for (int64_t c = 0; c < pl->Cg; c++) {
        const float *xc = xg + c * H * W;
        for (int64_t kh = 0; kh < KH; kh++)
            for (int64_t kw = 0; kw < KW; kw++) {
                float *row = col + ((c * KH + kh) * KW + kw) * cols;
                int64_t base = kw * p[YOLO_CONV_DW] - p[YOLO_CONV_PL];   /* ix = ox*SW + base */
                /* output columns ox in [ox_lo, ox_hi) read inside the row */
                int64_t ox_lo = base >= 0 ? 0 : ceil_div(-base, SW);
                int64_t ox_hi = W - 1 - base < 0 ? 0 : (W - 1 - base) / SW + 1;
                int64_t oy = p0 / OW, ox = p0 % OW;
                for (int64_t j = 0; j < cols;) {
                    int64_t seg = OW - ox < cols - j ? OW - ox : cols - j;
                    int64_t iy = oy * SH - p[YOLO_CONV_PT] + kh * p[YOLO_CONV_DH];
                    float *dst = row + j;
                    if (iy < 0 || iy >= H) {
                        memset(dst, 0, sizeof(float) * (size_t)seg);
                    } else {
                        const float *xr = xc + iy * W;
                        int64_t t_lo = ox_lo - ox, t_hi = ox_hi - ox;
                        t_lo = t_lo < 0 ? 0 : t_lo > seg ? seg : t_lo;
                        t_hi = t_hi < t_lo ? t_lo : t_hi > seg ? seg : t_hi;
                        if (t_lo > 0)
                            memset(dst, 0, sizeof(float) * (size_t)t_lo);
                        if (SW == 1 && t_hi > t_lo) {
                            memcpy(dst + t_lo, xr + ox + t_lo + base,
                                   sizeof(float) * (size_t)(t_hi - t_lo));
                        } else if (t_hi > t_lo) {
                            for (int64_t t = t_lo; t < t_hi; t++)
                                dst[t] = xr[(ox + t) * SW + base];
                        }
                        if (t_hi < seg)
                            memset(dst + t_hi, 0, sizeof(float) * (size_t)(seg - t_hi));
                    }
                    j += seg;
                    ox = 0;
                    oy++;
                }
            }
    }
}

static inline uint32_t float_bits(float f) { uint32_t u; memcpy(&u, &f, sizeof u); return u; }
static inline float bits_float(uint32_t u) { float f; memcpy(&f, &u, sizeof f); return f; }

/* 1 / (1 + e^-v) within 2e-7 relative for v >= -80 (1.7e-38 absolute below). Written without
 * float compares or libm calls so that fixed-count loops of it vectorize at -O2 (float
 * compares may trap, which blocks if-conversion). e = e^-|v| with |v| clamped to 87 in the
 * integer domain (so 2^n stays a normal float): x = -|v| = n*ln2 + r, |r| <= ln2/2, e^r by
 * its degree-7 Taylor polynomial (truncation < 6e-9), 2^n put in the exponent bits. Then
 * sigmoid(v) = 1/(1+e) for v >= 0 and e/(1+e) for v < 0, picked with the sign bit. */
static inline float sigmoid_fast(float v)
{
    uint32_t vb = float_bits(v), ab = vb & 0x7fffffffu;
    ab = ab < 0x42ae0000u ? ab : 0x42ae0000u;                 /* 87.0f */
    float x = -bits_float(ab);
    float n = (x * 1.44269504089f - 12582912.0f) + 12582912.0f; /* round to nearest */
    float r = x - n * 0.693145751953125f - n * 1.428606765330187e-06f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.6666667e-1f + r * (4.1666668e-2f +
              r * (8.3333338e-3f + r * (1.3888889e-3f + r * 1.9841270e-4f))))));
    float e = p * bits_float((uint32_t)((int32_t)n + 127) << 23);
    uint32_t neg = 0u - (vb >> 31);
    float num = bits_float((float_bits(e) & neg) | (0x3f800000u & ~neg));
    return num / (1.0f + e);
}

#define ACT_BLOCK 16   /* fixed trip counts let GCC's -O2 (very cheap) cost model vectorize */

static void bias_block(float *r, float b)
{
    for (int i = 0; i < ACT_BLOCK; i++)
        r[i] += b;
}

static void relu_block(float *r, float b)
{
    for (int i = 0; i < ACT_BLOCK; i++) {
        float v = r[i] + b;
        r[i] = v > 0.0f ? v : 0.0f;
    }
}

static void sigmoid_block(float *r, float b)
{
    for (int i = 0; i < ACT_BLOCK; i++)
        r[i] = sigmoid_fast(r[i] + b);
}

static void silu_block(float *r, float b)
{
    for (int i = 0; i < ACT_BLOCK; i++) {
        float v = r[i] + b;
        r[i] = v * sigmoid_fast(v);
    }
}

/* y[m][0..cols) = act(y + bias[m]) for the rows of one output tile (row stride ld): whole
 * blocks through the vectorized helpers, the tail through a padded copy of it. */
static void epilogue(float *y, int64_t rows, int64_t cols, int64_t ld, const float *bias,
                     int64_t act)
{
    void (*blk)(float *, float) = act == YOLO_ACT_RELU ? relu_block
                                : act == YOLO_ACT_SIGMOID ? sigmoid_block
                                : act == YOLO_ACT_SILU ? silu_block : bias_block;
    if (act == YOLO_ACT_NONE && !bias)
        return;
    for (int64_t m = 0; m < rows; m++) {
        float *r = y + m * ld, b = bias ? bias[m] : 0.0f;
        int64_t j = 0;
        for (; j + ACT_BLOCK <= cols; j += ACT_BLOCK)
            blk(r + j, b);
        if (j < cols) {
            float tail[ACT_BLOCK] = { 0 };
            memcpy(tail, r + j, sizeof(float) * (size_t)(cols - j));
            blk(tail, b);
            memcpy(r + j, tail, sizeof(float) * (size_t)(cols - j));
        }
    }
}

void yolo_conv_gemm(const struct yolo_exec *x, const struct yolo_node *n, int ith, int nth)
{
    struct conv_plan pl;
    plan_make(x->g, n, nth, &pl);
    const float *xd = yolo_exec_ptr(x, n->in[0]), *wd = yolo_exec_ptr(x, n->in[1]);
    const float *bd = (n->n_in > 2 && n->in[2] >= 0) ? yolo_exec_ptr(x, n->in[2]) : NULL;
    float *yd = yolo_exec_ptr(x, n->out[0]);
    float *col = (float *)(x->scratch + (uint64_t)ith * x->scratch_bytes);
    int64_t units = pl.N * pl.G * pl.n_tiles;
    int64_t u0 = units * ith / nth, u1 = units * (ith + 1) / nth;
    for (int64_t u = u0; u < u1; u++) {
        int64_t tile = u % pl.n_tiles, bg = u / pl.n_tiles, grp = bg % pl.G, b = bg / pl.G;
        int64_t p0 = tile * pl.tw, cols = pl.P - p0 < pl.tw ? pl.P - p0 : pl.tw;
        const float *xg = xd + (b * pl.C + grp * pl.Cg) * pl.H * pl.W;
        const float *bmat;
        int64_t ldb;
        if (pl.direct) {
            bmat = xg + p0;
            ldb = pl.P;
        } else {
            im2col_tile(&pl, n->params, xg, p0, cols, col);
            bmat = col;
            ldb = cols;
        }
        float *yt = yd + (b * pl.M + grp * pl.Mg) * pl.P + p0;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)pl.Mg, (int)cols, (int)pl.K,
                    1.0f, wd + grp * pl.Mg * pl.K, (int)pl.K, bmat, (int)ldb, 0.0f, yt, (int)pl.P);
        epilogue(yt, pl.Mg, cols, pl.P, bd ? bd + grp * pl.Mg : NULL, n->params[YOLO_CONV_ACT]);
    }
}
