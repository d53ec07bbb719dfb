/* test_cuda_conv.c: our FP16 convolution kernels (core/cuda/kernels_conv.cu, the implicit GEMM,
 * and kernels_conv_tile.cu, the tiled one, on its own shapes) against a double
 * precision reference on the same FP16-rounded inputs and weights, on shapes chosen to hit its
 * edges: channel counts that are not multiples of the 32/64-row tiles (7..130), K not a
 * multiple of 32 (27, 9, 13 * 9), pixel counts that leave partial tiles and odd per-image
 * counts (the scalar store path) or even ones (the paired path), batches whose pixels straddle
 * images inside a tile, strides, asymmetric-looking pads, dilation, 1x1 and 5x5, FP32 and FP16
 * input storage, FP32 and FP16 output storage, every fused activation; each on the planned
 * launch shape and on every tile shape, whole and with K split over 3 blocks (split-K: run
 * twice, bit-identical, its tile counters back at zero); and the pointwise kernel
 * (kernels_conv_pw.cu) on its 1x1 shapes, on both of its tiles; the channels-last kernels (the
 * patch kernel in both its forms: a block per tile, and streaming tiles through blocks that keep
 * their weights), the stem kernel (kernels_conv_stem.cu, FP32 products: the bound's K terms
 * are FP32 ones) and the channels-last depthwise convolution.
 *
 * Bound per element: FP32 accumulation of K products, |err| <= 1.2 * K * 2^-24 * sum|terms|
 * (times SiLU's slope, < 1.1), plus the output's rounding (2^-11 relative in FP16, 2^-24 in
 * FP32), plus 1e-6. Needs CUDA=1 and a GPU; elsewhere it says so and passes, unless
 * YOLO_TEST_REQUIRE_CUDA=1 (make test-cuda). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#ifdef YOLO_CUDA
#include <cuda_runtime_api.h>

#include "cuda/cuda_model.h"

/* float -> nearest FP16 value (ties to even), as a float; inputs stay inside FP16's range */
static float round_half(float v)
{
    float a = fabsf(v);
    if (a == 0.0f)
        return v;
    int e;
    frexpf(a, &e);
    float q = a >= 0x1p-14f ? ldexpf(1.0f, e - 11) : 0x1p-24f;
    return copysignf(nearbyintf(a / q) * q, v);
}

static double act_ref(double v, int act)
{
    switch (act) {
    case 1:  return v > 0 ? v : 0;
    case 2:  return 1 / (1 + exp(-v));
    case 3:  return v / (1 + exp(-v));
    default: return v;
    }
}

struct cc { int n, c, h, w, m, kh, kw, s, pad, dil, act, x_half, y_half; };

/* Outputs of case t (got, NCHW) outside the bound against a double reference on the same
 * FP16-rounded x and w; *worst: the largest err / bound. */
static int64_t count_outside(const struct cc *t, int oh, int ow, const float *x, const float *w,
                             const float *b, const float *got, double *worst)
{
    int64_t k = (int64_t)t->c * t->kh * t->kw, ny = (int64_t)t->n * t->m * oh * ow, bad = 0;
    *worst = 0;
    for (int64_t i = 0; i < ny; i++) {
        int64_t r = i, px = r % ow, py = (r /= ow) % oh, mo = (r /= oh) % t->m, img = r / t->m;
        double acc = b[mo], mag = fabs(b[mo]);
        for (int ci = 0; ci < t->c; ci++)
            for (int ky = 0; ky < t->kh; ky++)
                for (int kx = 0; kx < t->kw; kx++) {
                    int iy = (int)py * t->s - t->pad + ky * t->dil, ix = (int)px * t->s - t->pad + kx * t->dil;
                    if (iy < 0 || iy >= t->h || ix < 0 || ix >= t->w)
                        continue;
                    double v = (double)x[((img * t->c + ci) * t->h + iy) * t->w + ix] *
                               w[((int64_t)mo * t->c + ci) * t->kh * t->kw + ky * t->kw + kx];
                    acc += v;
                    mag += fabs(v);
                }
        double ref = act_ref(acc, t->act);
        double tol = 1.1 * 1.2 * (double)k * 0x1p-24 * mag +
                     (t->y_half ? 0x1p-11 : 0x1p-24) * fabs(ref) * 1.01 + 1e-6;
        double err = fabs(got[i] - ref);
        if (!(err <= tol))
            bad++;
        if (err / tol > *worst)
            *worst = err / tol;
    }
    return bad;
}

/* One case with the launch shape `tile`/`splits` (tile -1: yolo_cu_conv_plan's choice). */
/* A case's input (nx values), weights (m x k) and bias, the first two FP16-rounded. */
static void fill_case(const struct cc *t, int64_t k, int64_t nx, uint64_t *seed, float *x,
                      float *w, float *b)
{
    for (int64_t i = 0; i < nx; i++)
        x[i] = round_half(harness_randf(seed, -2, 2));
    for (int64_t i = 0; i < t->m * k; i++)
        w[i] = round_half(harness_randf(seed, -0.5f, 0.5f));
    for (int i = 0; i < t->m; i++)
        b[i] = harness_randf(seed, -1, 1);
}

static void run_case(struct harness *hs, const struct cc *t, int sms, int tile, int splits,
                     uint64_t *seed)
{
    int oh = (t->h + 2 * t->pad - t->dil * (t->kh - 1) - 1) / t->s + 1;
    int ow = (t->w + 2 * t->pad - t->dil * (t->kw - 1) - 1) / t->s + 1;
    int64_t k = (int64_t)t->c * t->kh * t->kw, kpad = (k + 31) / 32 * 32;
    int64_t mpad = (t->m + YOLO_CU_CONV_MPAD - 1) / YOLO_CU_CONV_MPAD * YOLO_CU_CONV_MPAD;
    int64_t nx = (int64_t)t->n * t->c * t->h * t->w, ny = (int64_t)t->n * t->m * oh * ow;
    float *x = malloc(sizeof(float) * nx), *w = malloc(sizeof(float) * t->m * k);
    float *b = malloc(sizeof(float) * t->m), *got = malloc(sizeof(float) * ny);
    int32_t *tab = malloc(sizeof(int32_t) * 2 * kpad);
    fill_case(t, k, nx, seed, x, w, b);
    cuda_igemm_table(tab, t->c, t->h, t->w, t->kh, t->kw, t->dil, t->dil);

    /* the weights as the backend prepares them (FP16 rows of kpad, zero pad: a NaN there
     * would show), x in the storage under test, the output widened to FP32 in yf */
    void *dx32 = NULL, *dx = NULL, *dw32 = NULL, *dw = NULL, *db = NULL, *dtab = NULL;
    void *dy = NULL, *dyf = NULL, *dpart = NULL, *dcount = NULL;
    int64_t npix = (int64_t)t->n * oh * ow;
    /* split-K scratch for up to 16 splits of any tile shape */
    int64_t part_floats = 16 * (npix + 128) * (t->m + 64), n_count = (npix / 64 + 2) * (t->m / 32 + 2);
    int ok = cudaMalloc(&dx32, sizeof(float) * nx) == cudaSuccess &&
             cudaMalloc(&dx, sizeof(float) * nx) == cudaSuccess &&
             cudaMalloc(&dw32, sizeof(float) * t->m * k) == cudaSuccess &&
             cudaMalloc(&dw, 2 * mpad * kpad) == cudaSuccess &&
             cudaMalloc(&db, sizeof(float) * t->m) == cudaSuccess &&
             cudaMalloc(&dtab, sizeof(int32_t) * 2 * kpad) == cudaSuccess &&
             cudaMalloc(&dy, sizeof(float) * ny) == cudaSuccess &&
             cudaMalloc(&dyf, sizeof(float) * ny) == cudaSuccess &&
             cudaMalloc(&dpart, sizeof(float) * part_floats) == cudaSuccess &&
             cudaMalloc(&dcount, sizeof(uint32_t) * n_count) == cudaSuccess &&
             cudaMemset(dcount, 0, sizeof(uint32_t) * n_count) == cudaSuccess &&
             cudaMemcpy(dx32, x, sizeof(float) * nx, cudaMemcpyHostToDevice) == cudaSuccess &&
             cudaMemcpy(dw32, w, sizeof(float) * t->m * k, cudaMemcpyHostToDevice) == cudaSuccess &&
             cudaMemcpy(db, b, sizeof(float) * t->m, cudaMemcpyHostToDevice) == cudaSuccess &&
             cudaMemcpy(dtab, tab, sizeof(int32_t) * 2 * kpad, cudaMemcpyHostToDevice) == cudaSuccess &&
             cudaMemset(dw, 0, 2 * mpad * kpad) == cudaSuccess;
    struct yolo_cu_copy cw = { .ndim = 2, .src_st = YOLO_CU_F32, .dst_st = YOLO_CU_F16,
                               .numel = t->m * k, .shape = { t->m, k }, .ss = { k, 1 },
                               .ds = { kpad, 1 }, .src = dw32, .dst = dw };
    struct yolo_cu_copy cx = { .ndim = 1, .src_st = YOLO_CU_F32,
                               .dst_st = t->x_half ? YOLO_CU_F16 : YOLO_CU_F32, .numel = nx,
                               .shape = { nx }, .ss = { 1 }, .ds = { 1 }, .src = dx32, .dst = dx };
    ok = ok && yolo_cu_copy(&cw, 1, NULL) == 0 && yolo_cu_copy(&cx, 1, NULL) == 0;
    struct yolo_cu_conv p = { .h = t->h, .w = t->w, .m = t->m, .oh = oh, .ow = ow, .sh = t->s,
                              .sw = t->s, .ph = t->pad, .pw = t->pad, .npix = t->n * oh * ow,
                              .kpad = (int32_t)kpad, .x_st = t->x_half ? YOLO_CU_F16 : YOLO_CU_F32,
                              .y_st = t->y_half ? YOLO_CU_F16 : YOLO_CU_F32, .act = t->act,
                              .chw = (int64_t)t->c * t->h * t->w, .x = dx, .wt = dw,
                              .ktab = dtab, .bias = db, .y = dy, .part = dpart, .count = dcount };
    int64_t pf = 0, tiles = 0;
    yolo_cu_conv_plan(&p, sms, &pf, &tiles);
    if (tile >= 0) {
        p.tile = tile;
        p.splits = splits;
    }
    /* twice: the split-K counters must be back at zero, and the sums bit-identical */
    float *first = malloc(sizeof(float) * ny);
    ok = ok && first && yolo_cu_conv_igemm(&p, NULL) == 0 && cudaDeviceSynchronize() == cudaSuccess &&
         cudaMemcpy(first, dy, (t->y_half ? 2 : 4) * ny, cudaMemcpyDeviceToHost) == cudaSuccess &&
         yolo_cu_conv_igemm(&p, NULL) == 0;
    struct yolo_cu_copy cy = { .ndim = 1, .src_st = p.y_st, .dst_st = YOLO_CU_F32, .numel = ny,
                               .shape = { ny }, .ss = { 1 }, .ds = { 1 }, .src = dy, .dst = dyf };
    ok = ok && yolo_cu_copy(&cy, 1, NULL) == 0 && cudaDeviceSynchronize() == cudaSuccess &&
         cudaMemcpy(got, dyf, sizeof(float) * ny, cudaMemcpyDeviceToHost) == cudaSuccess;
    CHECK(hs, ok, "case n%d c%d %dx%d m%d k%dx%d s%d: CUDA error %s", t->n, t->c, t->h, t->w, t->m,
          t->kh, t->kw, t->s, cudaGetErrorString(cudaGetLastError()));
    float *again = malloc(sizeof(float) * ny);
    uint32_t *cnt = malloc(sizeof(uint32_t) * n_count);
    int same = ok && again && cnt &&
               cudaMemcpy(again, dy, (t->y_half ? 2 : 4) * ny, cudaMemcpyDeviceToHost) == cudaSuccess &&
               cudaMemcpy(cnt, dcount, sizeof(uint32_t) * n_count, cudaMemcpyDeviceToHost) == cudaSuccess &&
               memcmp(first, again, (t->y_half ? 2 : 4) * ny) == 0;
    for (int64_t i = 0; same && i < n_count; i++)
        same = cnt[i] == 0;
    CHECK(hs, same, "case n%d c%d %dx%d m%d tile %d splits %d: a second launch differs or left a "
          "split-K counter set", t->n, t->c, t->h, t->w, t->m, p.tile, p.splits);
    free(first);
    free(again);
    free(cnt);
    double worst = 0;
    int64_t bad = ok ? count_outside(t, oh, ow, x, w, b, got, &worst) : 0;
    CHECK(hs, ok && bad == 0, "case n%d c%d %dx%d m%d k%dx%d s%d pad%d dil%d act%d x%s y%s tile %d "
          "splits %d: %lld of %lld outside the bound (worst err/bound %.3g)", t->n, t->c, t->h,
          t->w, t->m, t->kh, t->kw, t->s, t->pad, t->dil, t->act, t->x_half ? "16" : "32",
          t->y_half ? "16" : "32", p.tile, p.splits, (long long)bad, (long long)ny, worst);
    if (tile < 0)
        printf("  n%d c%d %dx%d m%d k%dx%d s%d pad%d dil%d act%d x%s y%s (tile %d, splits %d): "
               "worst err/bound %.3f\n", t->n, t->c, t->h, t->w, t->m, t->kh, t->kw, t->s, t->pad,
               t->dil, t->act, t->x_half ? "16" : "32", t->y_half ? "16" : "32", p.tile, p.splits,
               worst);
    cudaFree(dx32); cudaFree(dx); cudaFree(dw32); cudaFree(dw); cudaFree(db); cudaFree(dtab);
    cudaFree(dy); cudaFree(dyf); cudaFree(dpart); cudaFree(dcount);
    free(x); free(w); free(b); free(got); free(tab);
}

/* One case on the tiled kernel (kernels_conv_tile.cu), planned for a GPU of sms
 * multiprocessors with smem_max bytes of shared memory a block (more multiprocessors than
 * there are: the most slices and channel groups the shape allows): its weight layout made on
 * the device as the backend makes it (conv_tile.c), run twice (bit-identical), against the
 * reference. */
static void run_tile_case(struct harness *hs, const struct cc *t, int sms, int smem_max,
                          int nhwc, uint64_t *seed)
{
    int oh = (t->h + 2 * t->pad - t->dil * (t->kh - 1) - 1) / t->s + 1;
    int ow = (t->w + 2 * t->pad - t->dil * (t->kw - 1) - 1) / t->s + 1;
    int64_t k = (int64_t)t->c * t->kh * t->kw;
    int64_t nx = (int64_t)t->n * t->c * t->h * t->w, ny = (int64_t)t->n * t->m * oh * ow;
    int ysz = t->y_half ? 2 : 4;
    float *x = malloc(sizeof(float) * nx), *w = malloc(sizeof(float) * t->m * k);
    float *b = malloc(sizeof(float) * t->m), *got = malloc(sizeof(float) * ny);
    uint8_t *first = malloc((size_t)ysz * ny), *again = malloc((size_t)ysz * ny);
    fill_case(t, k, nx, seed, x, w, b);
    struct yolo_cu_conv_tile p = { .n = t->n, .c = t->c, .h = t->h, .w = t->w, .m = t->m,
                                   .oh = oh, .ow = ow, .kh = t->kh, .kw = t->kw, .sh = t->s,
                                   .sw = t->s, .ph = t->pad, .pw = t->pad, .dh = t->dil,
                                   .dw = t->dil, .x_st = t->x_half ? YOLO_CU_F16 : YOLO_CU_F32,
                                   .y_st = t->y_half ? YOLO_CU_F16 : YOLO_CU_F32, .act = t->act,
                                   .sms = sms, .smem_max = smem_max };
    if (nhwc) {   /* the output channels-last (the stem of a channels-last run) */
        p.yc = 1;
        p.yp = t->m;
        p.yn = (int64_t)t->m * oh * ow;
    }
    int planned = yolo_cu_conv_tile_plan(&p);
    int64_t wbytes = planned ? yolo_cu_conv_tile_weight_bytes(&p) : 0;
    CHECK(hs, planned, "tile case n%d c%d %dx%d m%d k%dx%d s%d: the plan refuses it", t->n, t->c,
          t->h, t->w, t->m, t->kh, t->kw, t->s);
    void *dx32 = NULL, *dx = NULL, *dw32 = NULL, *dw = NULL, *db = NULL, *dy = NULL, *dyf = NULL;
    int ok = planned && x && w && b && got && first && again &&
             cudaMalloc(&dx32, sizeof(float) * nx) == cudaSuccess &&
             cudaMalloc(&dx, sizeof(float) * nx) == cudaSuccess &&
             cudaMalloc(&dw32, sizeof(float) * t->m * k) == cudaSuccess &&
             cudaMalloc(&dw, (size_t)wbytes) == cudaSuccess &&
             cudaMalloc(&db, sizeof(float) * t->m) == cudaSuccess &&
             cudaMalloc(&dy, sizeof(float) * ny) == cudaSuccess &&
             cudaMalloc(&dyf, sizeof(float) * ny) == cudaSuccess &&
             cudaMemcpy(dx32, x, sizeof(float) * nx, cudaMemcpyHostToDevice) == cudaSuccess &&
             cudaMemcpy(dw32, w, sizeof(float) * t->m * k, cudaMemcpyHostToDevice) == cudaSuccess &&
             cudaMemcpy(db, b, sizeof(float) * t->m, cudaMemcpyHostToDevice) == cudaSuccess &&
             cudaMemset(dw, 0, (size_t)wbytes) == cudaSuccess;
    struct yolo_cu_copy cx = { .ndim = 1, .src_st = YOLO_CU_F32, .dst_st = p.x_st, .numel = nx,
                               .shape = { nx }, .ss = { 1 }, .ds = { 1 }, .src = dx32, .dst = dx };
    ok = ok && yolo_cu_conv_tile_weights(&p, dw32, dw, NULL) == 0 &&
         yolo_cu_copy(&cx, 1, NULL) == 0;
    p.x = dx;
    p.wt = dw;
    p.bias = db;
    p.y = dy;
    ok = ok && yolo_cu_conv_tile(&p, NULL) == 0 && cudaDeviceSynchronize() == cudaSuccess &&
         cudaMemcpy(first, dy, (size_t)ysz * ny, cudaMemcpyDeviceToHost) == cudaSuccess &&
         cudaMemset(dy, 0xff, (size_t)ysz * ny) == cudaSuccess &&   /* NaNs: every output written */
         yolo_cu_conv_tile(&p, NULL) == 0;
    int64_t ohw = (int64_t)oh * ow;
    struct yolo_cu_copy cy = { .ndim = 3, .src_st = p.y_st, .dst_st = YOLO_CU_F32, .numel = ny,
                               .shape = { t->n, t->m, ohw },
                               .ss = { t->m * ohw, nhwc ? 1 : ohw, nhwc ? t->m : 1 },
                               .ds = { t->m * ohw, ohw, 1 }, .src = dy, .dst = dyf };
    ok = ok && yolo_cu_copy(&cy, 1, NULL) == 0 && cudaDeviceSynchronize() == cudaSuccess &&
         cudaMemcpy(got, dyf, sizeof(float) * ny, cudaMemcpyDeviceToHost) == cudaSuccess &&
         cudaMemcpy(again, dy, (size_t)ysz * ny, cudaMemcpyDeviceToHost) == cudaSuccess;
    CHECK(hs, !planned || ok, "tile case n%d c%d %dx%d m%d k%dx%d s%d: CUDA error %s", t->n, t->c,
          t->h, t->w, t->m, t->kh, t->kw, t->s, cudaGetErrorString(cudaGetLastError()));
    CHECK(hs, !ok || memcmp(first, again, (size_t)ysz * ny) == 0, "tile case n%d c%d %dx%d m%d: "
          "a second launch differs", t->n, t->c, t->h, t->w, t->m);
    double worst = 0;
    int64_t bad = ok ? count_outside(t, oh, ow, x, w, b, got, &worst) : 0;
    CHECK(hs, bad == 0, "tile case n%d c%d %dx%d m%d k%dx%d s%d pad%d dil%d act%d x%s y%s%s "
          "(tile %dx%d, %d slices of %d, %d channel tiles a block): %lld of %lld outside the "
          "bound (worst err/bound %.3g)", t->n, t->c, t->h, t->w, t->m, t->kh, t->kw, t->s,
          t->pad, t->dil, t->act, t->x_half ? "16" : "32", t->y_half ? "16" : "32",
          nhwc ? " nhwc" : "", p.th, p.tw, p.ks, p.cs, p.mt, (long long)bad, (long long)ny, worst);
    if (ok)
        printf("  tile n%d c%d %dx%d m%d k%dx%d s%d pad%d dil%d act%d x%s y%s%s (tile %dx%d, %d "
               "slices of %d, %d channel tiles a block): worst err/bound %.3f\n", t->n, t->c,
               t->h, t->w, t->m, t->kh, t->kw, t->s, t->pad, t->dil, t->act,
               t->x_half ? "16" : "32", t->y_half ? "16" : "32", nhwc ? " nhwc" : "", p.th, p.tw,
               p.ks, p.cs, p.mt, worst);
    cudaFree(dx32); cudaFree(dx); cudaFree(dw32); cudaFree(dw); cudaFree(db); cudaFree(dy);
    cudaFree(dyf);
    free(x); free(w); free(b); free(got); free(first); free(again);
}

/* One case on the pointwise kernel (kernels_conv_pw.cu: 1x1, stride 1, FP16 input, h * w a
 * multiple of 8) with the implicit GEMM's weight rows, on the tile `wide` (0: 64 x 64, 1:
 * 64 x 128): run twice over an output of NaNs in between (every output written, the same
 * bits), against the reference. */
static void run_pw_case(struct harness *hs, const struct cc *t, int wide, uint64_t *seed)
{
    int64_t k = t->c, kpad = (k + 31) / 32 * 32;
    int64_t mpad = (t->m + YOLO_CU_CONV_MPAD - 1) / YOLO_CU_CONV_MPAD * YOLO_CU_CONV_MPAD;
    int64_t nx = (int64_t)t->n * t->c * t->h * t->w, ny = (int64_t)t->n * t->m * t->h * t->w;
    int ysz = t->y_half ? 2 : 4;
    float *x = malloc(sizeof(float) * nx), *w = malloc(sizeof(float) * t->m * k);
    float *b = malloc(sizeof(float) * t->m), *got = malloc(sizeof(float) * ny);
    uint8_t *first = malloc((size_t)ysz * ny), *again = malloc((size_t)ysz * ny);
    fill_case(t, k, nx, seed, x, w, b);
    struct yolo_cu_conv_pw p = { .n = t->n, .c = t->c, .hw = t->h * t->w, .m = t->m,
                                 .kpad = (int32_t)kpad, .act = t->act, .wide = wide,
                                 .y_st = t->y_half ? YOLO_CU_F16 : YOLO_CU_F32 };
    int fits = yolo_cu_conv_pw_ok(&p);
    CHECK(hs, fits, "pw case n%d c%d %dx%d m%d: refused", t->n, t->c, t->h, t->w, t->m);
    void *dx32 = NULL, *dx = NULL, *dw32 = NULL, *dw = NULL, *db = NULL, *dy = NULL, *dyf = NULL;
    int ok = fits && x && w && b && got && first && again &&
             cudaMalloc(&dx32, sizeof(float) * nx) == cudaSuccess &&
             cudaMalloc(&dx, 2 * nx) == cudaSuccess &&
             cudaMalloc(&dw32, sizeof(float) * t->m * k) == cudaSuccess &&
             cudaMalloc(&dw, 2 * mpad * kpad) == cudaSuccess &&
             cudaMalloc(&db, sizeof(float) * t->m) == cudaSuccess &&
             cudaMalloc(&dy, (size_t)ysz * ny) == cudaSuccess &&
             cudaMalloc(&dyf, sizeof(float) * ny) == cudaSuccess &&
             cudaMemcpy(dx32, x, sizeof(float) * nx, cudaMemcpyHostToDevice) == cudaSuccess &&
             cudaMemcpy(dw32, w, sizeof(float) * t->m * k, cudaMemcpyHostToDevice) == cudaSuccess &&
             cudaMemcpy(db, b, sizeof(float) * t->m, cudaMemcpyHostToDevice) == cudaSuccess &&
             cudaMemset(dw, 0, 2 * mpad * kpad) == cudaSuccess &&
             cudaMemset(dy, 0xff, (size_t)ysz * ny) == cudaSuccess;
    struct yolo_cu_copy cw = { .ndim = 2, .src_st = YOLO_CU_F32, .dst_st = YOLO_CU_F16,
                               .numel = t->m * k, .shape = { t->m, k }, .ss = { k, 1 },
                               .ds = { kpad, 1 }, .src = dw32, .dst = dw };
    struct yolo_cu_copy cx = { .ndim = 1, .src_st = YOLO_CU_F32, .dst_st = YOLO_CU_F16,
                               .numel = nx, .shape = { nx }, .ss = { 1 }, .ds = { 1 },
                               .src = dx32, .dst = dx };
    ok = ok && yolo_cu_copy(&cw, 1, NULL) == 0 && yolo_cu_copy(&cx, 1, NULL) == 0;
    p.x = dx;
    p.wt = dw;
    p.bias = db;
    p.y = dy;
    ok = ok && yolo_cu_conv_pw(&p, NULL) == 0 && cudaDeviceSynchronize() == cudaSuccess &&
         cudaMemcpy(first, dy, (size_t)ysz * ny, cudaMemcpyDeviceToHost) == cudaSuccess &&
         cudaMemset(dy, 0xff, (size_t)ysz * ny) == cudaSuccess &&   /* NaNs: every output written */
         yolo_cu_conv_pw(&p, NULL) == 0;
    struct yolo_cu_copy cy = { .ndim = 1, .src_st = p.y_st, .dst_st = YOLO_CU_F32, .numel = ny,
                               .shape = { ny }, .ss = { 1 }, .ds = { 1 }, .src = dy, .dst = dyf };
    ok = ok && yolo_cu_copy(&cy, 1, NULL) == 0 && cudaDeviceSynchronize() == cudaSuccess &&
         cudaMemcpy(got, dyf, sizeof(float) * ny, cudaMemcpyDeviceToHost) == cudaSuccess &&
         cudaMemcpy(again, dy, (size_t)ysz * ny, cudaMemcpyDeviceToHost) == cudaSuccess;
    CHECK(hs, !fits || ok, "pw case n%d c%d %dx%d m%d: CUDA error %s", t->n, t->c, t->h, t->w,
          t->m, cudaGetErrorString(cudaGetLastError()));
    CHECK(hs, !ok || memcmp(first, again, (size_t)ysz * ny) == 0, "pw case n%d c%d %dx%d m%d: "
          "a second launch differs", t->n, t->c, t->h, t->w, t->m);
    double worst = 0;
    int64_t bad = ok ? count_outside(t, t->h, t->w, x, w, b, got, &worst) : 0;
    CHECK(hs, bad == 0, "pw case n%d c%d %dx%d m%d act%d y%s (%s): %lld of %lld outside the "
          "bound (worst err/bound %.3g)", t->n, t->c, t->h, t->w, t->m, t->act,
          t->y_half ? "16" : "32", wide ? "64x128" : "64x64", (long long)bad, (long long)ny, worst);
    if (ok)
        printf("  pw n%d c%d %dx%d m%d act%d y%s (%s): worst err/bound %.3f\n", t->n, t->c, t->h,
               t->w, t->m, t->act, t->y_half ? "16" : "32", wide ? "64x128" : "64x64", worst);
    cudaFree(dx32); cudaFree(dx); cudaFree(dw32); cudaFree(dw); cudaFree(db); cudaFree(dy);
    cudaFree(dyf);
    free(x); free(w); free(b); free(got); free(first); free(again);
}

/* Layouts of one operand of the channels-last kernel: NCHW (storage from the case), NHWC
 * packed (FP16), NHWC inside a whole 16 channels wider at channel offset 8 (a Concat part) */
enum { LAY_NCHW, LAY_NHWC, LAY_PART };

/* Element strides (image, channel, pixel) and the first element's offset, for an operand of
 * ch channels over hw pixels in layout lay; *total: the buffer's elements. */
static void lay_strides(int lay, int n, int ch, int64_t hw, int64_t st[3], int64_t *first,
                        int64_t *total)
{
    int64_t rows = lay == LAY_PART ? ch + 16 : ch;
    st[0] = rows * hw;
    st[1] = lay == LAY_NCHW ? hw : 1;
    st[2] = lay == LAY_NCHW ? 1 : rows;
    *first = lay == LAY_PART ? 8 : 0;
    *total = (int64_t)n * rows * hw;
}

/* FP16 elements of an LAY_PART whole (yt of them, m channels of the part at 8 in rows of
 * m + 16) outside the part that are no longer the 0x7b bytes the whole was filled with */
static int64_t part_spill(const uint8_t *y, int64_t yt, int m)
{
    int64_t spill = 0;
    for (int64_t i = 0; i < yt; i++) {
        int64_t ch = i % (m + 16);
        if (ch < 8 || ch >= 8 + m)
            spill += y[2 * i] != 0x7b || y[2 * i + 1] != 0x7b;
    }
    return spill;
}

static const char *lay_name(int lay)
{
    return lay == LAY_NCHW ? "nchw" : lay == LAY_NHWC ? "nhwc" : "part";
}

/* The residual (p->res, a folded Add: fuse_add.c) on case t's launch p, whose output without
 * it was got (NCHW floats): r random FP16 in a part of a wider whole (16-byte rows where m
 * allows, else the element path); y = p's output + r within both roundings to FP16. */
static void check_residual(struct harness *hs, const struct cc *t, struct yolo_cu_conv_nhwc *p,
                           int64_t ny, const int64_t ys[3], int64_t y0, const float *got,
                           uint64_t *seed, const char *kn)
{
    int64_t ohw = (int64_t)p->oh * p->ow, rs[3], r0, rt;
    lay_strides(LAY_PART, t->n, t->m, ohw, rs, &r0, &rt);
    float *r = malloc(sizeof(float) * ny), *got2 = malloc(sizeof(float) * ny);
    void *dr32 = NULL, *dr = NULL, *dyf = NULL;
    for (int64_t i = 0; r && i < ny; i++)
        r[i] = round_half(harness_randf(seed, -2, 2));
    int ok = r && got2 && cudaMalloc(&dr32, sizeof(float) * ny) == cudaSuccess &&
             cudaMalloc(&dr, 2 * rt) == cudaSuccess &&
             cudaMalloc(&dyf, sizeof(float) * ny) == cudaSuccess &&
             cudaMemcpy(dr32, r, sizeof(float) * ny, cudaMemcpyHostToDevice) == cudaSuccess;
    struct yolo_cu_copy cr = { .ndim = 3, .src_st = YOLO_CU_F32, .dst_st = YOLO_CU_F16,
                               .numel = ny, .shape = { t->n, t->m, ohw },
                               .ss = { t->m * ohw, ohw, 1 }, .ds = { rs[0], rs[1], rs[2] },
                               .dst_off = r0, .src = dr32, .dst = dr };
    struct yolo_cu_copy cy = { .ndim = 3, .src_st = YOLO_CU_F16, .dst_st = YOLO_CU_F32,
                               .numel = ny, .shape = { t->n, t->m, ohw },
                               .ss = { ys[0], ys[1], ys[2] }, .ds = { t->m * ohw, ohw, 1 },
                               .src_off = y0, .src = p->y, .dst = dyf };
    cy.src = (const uint8_t *)p->y - y0 * 2;
    p->res = (const uint8_t *)dr + r0 * 2;
    p->rn = rs[0];
    p->rp = rs[2];
    ok = ok && yolo_cu_copy(&cr, 1, NULL) == 0 && yolo_cu_conv_nhwc(p, NULL) == 0 &&
         yolo_cu_copy(&cy, 1, NULL) == 0 && cudaDeviceSynchronize() == cudaSuccess &&
         cudaMemcpy(got2, dyf, sizeof(float) * ny, cudaMemcpyDeviceToHost) == cudaSuccess;
    p->res = NULL;
    int64_t bad = 0;
    for (int64_t i = 0; ok && i < ny; i++) {
        double want = (double)got[i] + r[i];
        double bound = (fabs((double)got[i]) + fabs((double)r[i])) * 0x1p-10 + 0x1p-23;
        bad += !(fabs(got2[i] - want) <= bound);
    }
    CHECK(hs, ok && bad == 0, "%s case n%d c%d %dx%d m%d k%dx%d s%d with a residual: %s, %lld of "
          "%lld off", kn, t->n, t->c, t->h, t->w, t->m, t->kh, t->kw, t->s,
          ok ? "ran" : cudaGetErrorString(cudaGetLastError()), (long long)bad, (long long)ny);
    cudaFree(dr32); cudaFree(dr); cudaFree(dyf);
    free(r); free(got2);
}

/* The channels-last kernel (kernels_conv_nhwc.cu; patch: the patch kernel,
 * kernels_conv_patch.cu, checked to take it) on case t with x and y in layouts xl and yl: x
 * converted from NCHW FP32 by the copy kernel, the output gathered back to NCHW FP32; the
 * bytes of a whole around a part are checked untouched; a second launch bit-identical. */
static void run_nhwc_case(struct harness *hs, const struct cc *t, int xl, int yl, int sms,
                          int patch, uint64_t *seed)
{
    int oh = (t->h + 2 * t->pad - t->dil * (t->kh - 1) - 1) / t->s + 1;
    int ow = (t->w + 2 * t->pad - t->dil * (t->kw - 1) - 1) / t->s + 1;
    int64_t k = (int64_t)t->c * t->kh * t->kw, kpad = (k + 31) / 32 * 32;
    int64_t mpad = (t->m + YOLO_CU_CONV_MPAD - 1) / YOLO_CU_CONV_MPAD * YOLO_CU_CONV_MPAD;
    int64_t hw = (int64_t)t->h * t->w, ohw = (int64_t)oh * ow;
    int64_t nx = (int64_t)t->n * t->c * hw, ny = (int64_t)t->n * t->m * ohw;
    int64_t xs[3], ys[3], x0, y0, xt, yt;
    lay_strides(xl, t->n, t->c, hw, xs, &x0, &xt);
    lay_strides(yl, t->n, t->m, ohw, ys, &y0, &yt);
    int x_st = xl == LAY_NCHW && !t->x_half ? YOLO_CU_F32 : YOLO_CU_F16;
    int y_st = yl == LAY_NCHW && !t->y_half ? YOLO_CU_F32 : YOLO_CU_F16;
    size_t ysz = y_st == YOLO_CU_F16 ? 2 : 4;
    float *x = malloc(sizeof(float) * nx), *w = malloc(sizeof(float) * t->m * k);
    float *b = malloc(sizeof(float) * t->m), *got = malloc(sizeof(float) * ny);
    uint8_t *first = malloc(ysz * yt), *again = malloc(ysz * yt);
    fill_case(t, k, nx, seed, x, w, b);
    void *dx32 = NULL, *dx = NULL, *dw32 = NULL, *dw = NULL, *db = NULL, *dy = NULL, *dyf = NULL;
    int ok = x && w && b && got && first && again &&
             cudaMalloc(&dx32, sizeof(float) * nx) == cudaSuccess &&
             cudaMalloc(&dx, sizeof(float) * xt) == cudaSuccess &&
             cudaMalloc(&dw32, sizeof(float) * t->m * k) == cudaSuccess &&
             cudaMalloc(&dw, 2 * mpad * kpad) == cudaSuccess &&
             cudaMalloc(&db, sizeof(float) * t->m) == cudaSuccess &&
             cudaMalloc(&dy, ysz * yt) == cudaSuccess &&
             cudaMalloc(&dyf, sizeof(float) * ny) == cudaSuccess &&
             cudaMemcpy(dx32, x, sizeof(float) * nx, cudaMemcpyHostToDevice) == cudaSuccess &&
             cudaMemcpy(dw32, w, sizeof(float) * t->m * k, cudaMemcpyHostToDevice) == cudaSuccess &&
             cudaMemcpy(db, b, sizeof(float) * t->m, cudaMemcpyHostToDevice) == cudaSuccess &&
             cudaMemset(dx, 0xff, sizeof(float) * xt) == cudaSuccess &&   /* NaN around a part */
             cudaMemset(dw, 0, 2 * mpad * kpad) == cudaSuccess &&
             cudaMemset(dy, 0x7b, ysz * yt) == cudaSuccess;
    struct yolo_cu_conv_nhwc p = { .n = t->n, .c = t->c, .h = t->h, .w = t->w, .m = t->m,
                                   .oh = oh, .ow = ow, .kh = t->kh, .kw = t->kw, .sh = t->s,
                                   .sw = t->s, .ph = t->pad, .pw = t->pad, .dh = t->dil,
                                   .dw = t->dil, .x_st = x_st, .y_st = y_st, .act = t->act,
                                   .kpad = (int32_t)kpad, .xn = xs[0], .xc = xs[1], .xp = xs[2],
                                   .yn = ys[0], .yc = ys[1], .yp = ys[2] };
    yolo_cu_conv_nhwc_plan(&p, sms);
    CHECK(hs, yolo_cu_conv_nhwc_ok(&p), "nhwc case n%d c%d %dx%d m%d: refused", t->n, t->c, t->h,
          t->w, t->m);
    struct yolo_cu_copy cx = { .ndim = 3, .src_st = YOLO_CU_F32, .dst_st = x_st, .numel = nx,
                               .shape = { t->n, t->c, hw }, .ss = { t->c * hw, hw, 1 },
                               .ds = { xs[0], xs[1], xs[2] }, .dst_off = x0, .src = dx32,
                               .dst = dx };
    ok = ok && yolo_cu_copy(&cx, 1, NULL) == 0 &&
         yolo_cu_conv_nhwc_weights(&p, dw32, dw, NULL) == 0;
    p.x = (const uint8_t *)dx + x0 * (x_st == YOLO_CU_F16 ? 2 : 4);
    p.y = (uint8_t *)dy + y0 * ysz;
    p.wt = dw;
    p.bias = db;
    p.patch = patch;
    CHECK(hs, !patch || yolo_cu_conv_patch_ok(&p), "patch case n%d c%d %dx%d m%d: refused",
          t->n, t->c, t->h, t->w, t->m);
    ok = ok && yolo_cu_conv_nhwc(&p, NULL) == 0 && cudaDeviceSynchronize() == cudaSuccess &&
         cudaMemcpy(first, dy, ysz * yt, cudaMemcpyDeviceToHost) == cudaSuccess &&
         yolo_cu_conv_nhwc(&p, NULL) == 0;
    struct yolo_cu_copy cy = { .ndim = 3, .src_st = y_st, .dst_st = YOLO_CU_F32, .numel = ny,
                               .shape = { t->n, t->m, ohw }, .ss = { ys[0], ys[1], ys[2] },
                               .ds = { t->m * ohw, ohw, 1 }, .src_off = y0, .src = dy,
                               .dst = dyf };
    ok = ok && yolo_cu_copy(&cy, 1, NULL) == 0 && cudaDeviceSynchronize() == cudaSuccess &&
         cudaMemcpy(got, dyf, sizeof(float) * ny, cudaMemcpyDeviceToHost) == cudaSuccess &&
         cudaMemcpy(again, dy, ysz * yt, cudaMemcpyDeviceToHost) == cudaSuccess;
    const char *xn = lay_name(xl), *yn = lay_name(yl), *kn = patch ? "patch" : "nhwc";
    CHECK(hs, ok, "nhwc case n%d c%d %dx%d m%d x %s y %s: CUDA error %s", t->n, t->c, t->h, t->w,
          t->m, xn, yn, cudaGetErrorString(cudaGetLastError()));
    CHECK(hs, !ok || memcmp(first, again, ysz * yt) == 0, "nhwc case n%d c%d %dx%d m%d x %s y %s: "
          "a second launch differs", t->n, t->c, t->h, t->w, t->m, xn, yn);
    int64_t spill = ok && yl == LAY_PART ? part_spill(first, yt, t->m) : 0;
    CHECK(hs, spill == 0, "nhwc case n%d c%d %dx%d m%d: %lld elements of the whole outside the "
          "part written", t->n, t->c, t->h, t->w, t->m, (long long)spill);
    double worst = 0;
    int64_t bad = ok ? count_outside(t, oh, ow, x, w, b, got, &worst) : 0;
    if (y_st == YOLO_CU_F16 && !t->y_half) {   /* FP16 output where the case says FP32: */
        struct cc t16 = *t;                    /* bound its rounding as FP16 */
        t16.y_half = 1;
        bad = ok ? count_outside(&t16, oh, ow, x, w, b, got, &worst) : 0;
    }
    CHECK(hs, bad == 0, "%s case n%d c%d %dx%d m%d k%dx%d s%d act%d x %s y %s (%dx%d tile): %lld "
          "of %lld outside the bound (worst err/bound %.3g)", kn, t->n, t->c, t->h, t->w, t->m,
          t->kh, t->kw, t->s, t->act, xn, yn, p.bm, p.bn, (long long)bad, (long long)ny, worst);
    if (ok)
        printf("  %s n%d c%d %dx%d m%d k%dx%d s%d x %s y %s (%dx%d): worst err/bound %.3f\n", kn,
               t->n, t->c, t->h, t->w, t->m, t->kh, t->kw, t->s, xn, yn, p.bm, p.bn, worst);
    if (ok && y_st == YOLO_CU_F16 && yl != LAY_NCHW && t->c % 8 == 0)   /* not the direct kernel */
        check_residual(hs, t, &p, ny, ys, y0, got, seed, kn);
    cudaFree(dx32); cudaFree(dx); cudaFree(dw32); cudaFree(dw); cudaFree(db); cudaFree(dy);
    cudaFree(dyf);
    free(x); free(w); free(b); free(got); free(first); free(again);
}

/* The stem kernel (kernels_conv_stem.cu) on case t (3 channels, 3x3, stride 2): x NCHW in the
 * case's storage with images xpad elements apart beyond their own, y channels-last in layout
 * yl (NHWC or a part of a wider whole, whose other bytes are checked untouched); a second
 * launch bit-identical. */
static void run_stem_case(struct harness *hs, const struct cc *t, int yl, int64_t xpad,
                          uint64_t *seed)
{
    int oh = (t->h + 2 * t->pad - 3) / 2 + 1, ow = (t->w + 2 * t->pad - 3) / 2 + 1;
    int64_t k = 27, hw = (int64_t)t->h * t->w, ohw = (int64_t)oh * ow;
    int64_t xn = 3 * hw + xpad, nx = (int64_t)t->n * 3 * hw, ny = (int64_t)t->n * t->m * ohw;
    int64_t ys[3], y0, yt;
    lay_strides(yl, t->n, t->m, ohw, ys, &y0, &yt);
    int x_st = t->x_half ? YOLO_CU_F16 : YOLO_CU_F32;
    float *x = malloc(sizeof(float) * nx), *w = malloc(sizeof(float) * t->m * k);
    float *b = malloc(sizeof(float) * t->m), *got = malloc(sizeof(float) * ny);
    uint8_t *first = malloc(2 * yt), *again = malloc(2 * yt);
    fill_case(t, k, nx, seed, x, w, b);
    void *dx32 = NULL, *dx = NULL, *dy = NULL, *dyf = NULL;
    int ok = x && w && b && got && first && again &&
             cudaMalloc(&dx32, sizeof(float) * nx) == cudaSuccess &&
             cudaMalloc(&dx, sizeof(float) * xn * t->n) == cudaSuccess &&
             cudaMalloc(&dy, 2 * yt) == cudaSuccess &&
             cudaMalloc(&dyf, sizeof(float) * ny) == cudaSuccess &&
             cudaMemcpy(dx32, x, sizeof(float) * nx, cudaMemcpyHostToDevice) == cudaSuccess &&
             cudaMemset(dx, 0xff, sizeof(float) * xn * t->n) == cudaSuccess &&   /* NaN between */
             cudaMemset(dy, 0x7b, 2 * yt) == cudaSuccess;
    struct yolo_cu_conv_stem p = { .n = t->n, .h = t->h, .w = t->w, .m = t->m, .oh = oh,
                                   .ow = ow, .ph = t->pad, .pw = t->pad, .x_st = x_st,
                                   .act = t->act, .xn = xn, .yn = ys[0], .yp = ys[2], .x = dx,
                                   .y = (uint8_t *)dy + y0 * 2 };
    if (w && b) {
        memcpy(p.wt, w, sizeof(float) * t->m * k);
        memcpy(p.bias, b, sizeof(float) * t->m);
    }
    CHECK(hs, yolo_cu_conv_stem_ok(&p), "stem case n%d %dx%d m%d: refused", t->n, t->h, t->w,
          t->m);
    struct yolo_cu_copy cx = { .ndim = 2, .src_st = YOLO_CU_F32, .dst_st = x_st, .numel = nx,
                               .shape = { t->n, 3 * hw }, .ss = { 3 * hw, 1 }, .ds = { xn, 1 },
                               .src = dx32, .dst = dx };
    ok = ok && yolo_cu_copy(&cx, 1, NULL) == 0 && yolo_cu_conv_stem(&p, NULL) == 0 &&
         cudaDeviceSynchronize() == cudaSuccess &&
         cudaMemcpy(first, dy, 2 * yt, cudaMemcpyDeviceToHost) == cudaSuccess &&
         yolo_cu_conv_stem(&p, NULL) == 0;
    struct yolo_cu_copy cy = { .ndim = 3, .src_st = YOLO_CU_F16, .dst_st = YOLO_CU_F32,
                               .numel = ny, .shape = { t->n, t->m, ohw },
                               .ss = { ys[0], ys[1], ys[2] }, .ds = { t->m * ohw, ohw, 1 },
                               .src_off = y0, .src = dy, .dst = dyf };
    ok = ok && yolo_cu_copy(&cy, 1, NULL) == 0 && cudaDeviceSynchronize() == cudaSuccess &&
         cudaMemcpy(got, dyf, sizeof(float) * ny, cudaMemcpyDeviceToHost) == cudaSuccess &&
         cudaMemcpy(again, dy, 2 * yt, cudaMemcpyDeviceToHost) == cudaSuccess;
    const char *yn = lay_name(yl);
    CHECK(hs, ok, "stem case n%d %dx%d m%d y %s: CUDA error %s", t->n, t->h, t->w, t->m, yn,
          cudaGetErrorString(cudaGetLastError()));
    CHECK(hs, !ok || memcmp(first, again, 2 * yt) == 0, "stem case n%d %dx%d m%d y %s: a second "
          "launch differs", t->n, t->h, t->w, t->m, yn);
    int64_t spill = ok && yl == LAY_PART ? part_spill(first, yt, t->m) : 0;
    CHECK(hs, spill == 0, "stem case n%d %dx%d m%d: %lld elements of the whole outside the part "
          "written", t->n, t->h, t->w, t->m, (long long)spill);
    struct cc t16 = *t;   /* FP16 output */
    t16.y_half = 1;
    double worst = 0;
    int64_t bad = ok ? count_outside(&t16, oh, ow, x, w, b, got, &worst) : 0;
    CHECK(hs, bad == 0, "stem case n%d %dx%d m%d pad%d act%d x %s y %s: %lld of %lld outside the "
          "bound (worst err/bound %.3g)", t->n, t->h, t->w, t->m, t->pad, t->act,
          t->x_half ? "f16" : "f32", yn, (long long)bad, (long long)ny, worst);
    if (ok)
        printf("  stem n%d %dx%d m%d pad%d x %s y %s: worst err/bound %.3f\n", t->n, t->h, t->w,
               t->m, t->pad, t->x_half ? "f16" : "f32", yn, worst);
    cudaFree(dx32); cudaFree(dx); cudaFree(dy); cudaFree(dyf);
    free(x); free(w); free(b); free(got); free(first); free(again);
}

/* The channels-last depthwise convolution (yolo_cu_dwconv_nhwc: the 3x3 kernel and the
 * generic one) against a double reference on the same FP16 values: input and output rows
 * inside wider wholes (pixel strides xp, yp), FP32 sums, FP16 output. */
struct dwc { int n, c, h, w, k, s, pad, dil, act, xp, yp; };

static void run_dw_case(struct harness *hs, const struct dwc *t, uint64_t *seed)
{
    int oh = (t->h + 2 * t->pad - t->dil * (t->k - 1) - 1) / t->s + 1;
    int ow = (t->w + 2 * t->pad - t->dil * (t->k - 1) - 1) / t->s + 1;
    int64_t npx = (int64_t)t->n * t->h * t->w, nopx = (int64_t)t->n * oh * ow;
    int64_t nx = npx * t->c, ny = nopx * t->c, nw = (int64_t)t->c * t->k * t->k;
    float *x = malloc(sizeof(float) * nx), *w = malloc(sizeof(float) * nw);
    float *b = malloc(sizeof(float) * t->c), *got = malloc(sizeof(float) * ny);
    void *dx32 = NULL, *dx = NULL, *dw32 = NULL, *dw = NULL, *db = NULL, *dy = NULL, *dyf = NULL;
    for (int64_t i = 0; i < nx; i++)
        x[i] = round_half(harness_randf(seed, -2, 2));
    for (int64_t i = 0; i < nw; i++)
        w[i] = round_half(harness_randf(seed, -0.5f, 0.5f));
    for (int i = 0; i < t->c; i++)
        b[i] = harness_randf(seed, -1, 1);
    int ok = cudaMalloc(&dx32, sizeof(float) * nx) == cudaSuccess &&
             cudaMalloc(&dx, 2 * npx * t->xp) == cudaSuccess &&
             cudaMalloc(&dw32, sizeof(float) * nw) == cudaSuccess &&
             cudaMalloc(&dw, 2 * nw) == cudaSuccess &&
             cudaMalloc(&db, sizeof(float) * t->c) == cudaSuccess &&
             cudaMalloc(&dy, 2 * nopx * t->yp) == cudaSuccess &&
             cudaMalloc(&dyf, sizeof(float) * ny) == cudaSuccess &&
             cudaMemcpy(dx32, x, sizeof(float) * nx, cudaMemcpyHostToDevice) == cudaSuccess &&
             cudaMemcpy(dw32, w, sizeof(float) * nw, cudaMemcpyHostToDevice) == cudaSuccess &&
             cudaMemcpy(db, b, sizeof(float) * t->c, cudaMemcpyHostToDevice) == cudaSuccess &&
             cudaMemset(dx, 0xff, 2 * npx * t->xp) == cudaSuccess &&   /* NaN between rows */
             cudaMemset(dy, 0x7b, 2 * nopx * t->yp) == cudaSuccess;
    struct yolo_cu_copy cx = { .ndim = 2, .src_st = YOLO_CU_F32, .dst_st = YOLO_CU_F16,
                               .numel = nx, .shape = { npx, t->c }, .ss = { t->c, 1 },
                               .ds = { t->xp, 1 }, .src = dx32, .dst = dx };
    struct yolo_cu_copy cw = { .ndim = 1, .src_st = YOLO_CU_F32, .dst_st = YOLO_CU_F16,
                               .numel = nw, .shape = { nw }, .ss = { 1 }, .ds = { 1 },
                               .src = dw32, .dst = dw };
    struct yolo_cu_nhwc_pool p = { .n = t->n, .h = t->h, .w = t->w, .c = t->c, .oh = oh,
                                   .ow = ow, .kh = t->k, .kw = t->k, .sh = t->s, .sw = t->s,
                                   .pt = t->pad, .pl = t->pad, .dh = t->dil, .dw = t->dil,
                                   .st = YOLO_CU_F16, .act = t->act, .xp = t->xp, .yp = t->yp,
                                   .x = dx, .wt = dw, .bias = db, .y = dy };
    struct yolo_cu_copy cy = { .ndim = 2, .src_st = YOLO_CU_F16, .dst_st = YOLO_CU_F32,
                               .numel = ny, .shape = { nopx, t->c }, .ss = { t->yp, 1 },
                               .ds = { t->c, 1 }, .src = dy, .dst = dyf };
    ok = ok && x && w && b && got && yolo_cu_copy(&cx, 1, NULL) == 0 &&
         yolo_cu_copy(&cw, 1, NULL) == 0 && yolo_cu_dwconv_nhwc(&p, NULL) == 0 &&
         yolo_cu_copy(&cy, 1, NULL) == 0 && cudaDeviceSynchronize() == cudaSuccess &&
         cudaMemcpy(got, dyf, sizeof(float) * ny, cudaMemcpyDeviceToHost) == cudaSuccess;
    CHECK(hs, ok, "depthwise n%d c%d %dx%d k%d s%d: CUDA error %s", t->n, t->c, t->h, t->w, t->k,
          t->s, cudaGetErrorString(cudaGetLastError()));
    int64_t bad = 0;
    double worst = 0;
    for (int64_t q = 0; ok && q < nopx; q++) {
        int img = (int)(q / ((int64_t)oh * ow)), oy = (int)(q / ow % oh), ox = (int)(q % ow);
        for (int ch = 0; ch < t->c; ch++) {
            double acc = b[ch], mag = fabs(b[ch]);
            for (int ky = 0; ky < t->k; ky++)
                for (int kx = 0; kx < t->k; kx++) {
                    int iy = oy * t->s - t->pad + ky * t->dil, ix = ox * t->s - t->pad + kx * t->dil;
                    if (iy < 0 || iy >= t->h || ix < 0 || ix >= t->w)
                        continue;
                    double v = x[(((int64_t)img * t->h + iy) * t->w + ix) * t->c + ch] *
                               (double)w[((int64_t)ch * t->k + ky) * t->k + kx];
                    acc += v;
                    mag += fabs(v);
                }
            double ref = act_ref(acc, t->act), bound = fabs(ref) * 0x1p-10 + mag * 0x1p-18 + 1e-6;
            double err = fabs(got[q * t->c + ch] - ref);
            worst = err / bound > worst ? err / bound : worst;
            bad += !(err <= bound);
        }
    }
    CHECK(hs, bad == 0, "depthwise n%d c%d %dx%d k%d s%d pad%d dil%d act%d xp%d yp%d: %lld of %lld "
          "outside the bound (worst err/bound %.3g)", t->n, t->c, t->h, t->w, t->k, t->s, t->pad,
          t->dil, t->act, t->xp, t->yp, (long long)bad, (long long)ny, worst);
    if (ok)
        printf("  depthwise n%d c%d %dx%d k%d s%d xp%d yp%d: worst err/bound %.3f\n", t->n, t->c,
               t->h, t->w, t->k, t->s, t->xp, t->yp, worst);
    cudaFree(dx32); cudaFree(dx); cudaFree(dw32); cudaFree(dw); cudaFree(db); cudaFree(dy);
    cudaFree(dyf);
    free(x); free(w); free(b); free(got);
}

int main(void)
{
    HARNESS_INIT(hs, "test_cuda_conv");
    int ndev = 0;
    if (cudaGetDeviceCount(&ndev) != cudaSuccess || ndev == 0) {
        const char *req = getenv("YOLO_TEST_REQUIRE_CUDA");
        printf("test_cuda_conv: no CUDA device here: skipped (the GPU run is make test-cuda)\n");
        CHECK(&hs, !(req && strcmp(req, "1") == 0), "YOLO_TEST_REQUIRE_CUDA=1 but no CUDA device");
        return harness_finish(&hs);
    }
    int sms = 0;
    cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
    static const struct cc cases[] = {
        /* n  c   h   w    m  kh kw s pad dil act xh yh */
        { 1,  3, 37, 41,  16, 3, 3, 2, 1, 1, 3, 0, 1 },   /* a YOLO stem: K 27, FP32 input */
        { 2, 16, 20, 22,  32, 3, 3, 2, 1, 1, 3, 1, 1 },   /* batch 2, even per-image pixels */
        { 1, 13, 17, 19,   7, 3, 3, 1, 1, 1, 3, 1, 1 },   /* 7 channels, odd pixel count */
        { 3, 24, 11, 13,  80, 1, 1, 1, 0, 1, 0, 1, 0 },   /* 1x1, FP32 output, 3 images */
        { 1, 64, 20, 20, 130, 3, 3, 1, 1, 1, 3, 1, 1 },   /* 130 channels: 3 row tiles */
        { 2, 33, 15, 15,  64, 3, 3, 1, 1, 1, 2, 1, 1 },   /* sigmoid, 225 px per image */
        { 1,  9, 23, 29,  40, 5, 5, 1, 4, 2, 1, 1, 1 },   /* 5x5 dilation 2, relu */
        { 1, 40, 80, 80,  64, 1, 1, 1, 0, 1, 3, 1, 1 },   /* 6400 px: the large-tile path */
        { 4, 32, 40, 40,  64, 3, 3, 1, 1, 1, 3, 1, 1 },   /* 6400 px over 4 images */
        { 1, 256, 5, 5,  255, 1, 1, 1, 0, 1, 0, 1, 0 },   /* deep, tiny: K 256, 255 outputs */
        { 1,  8,  1,  1,  16, 3, 3, 1, 1, 1, 3, 1, 1 },   /* 1x1 image, all taps but one pad */
        { 1, 256, 20, 20, 256, 3, 3, 1, 1, 1, 3, 1, 1 },  /* batch-1 deep layer: planned split-K */
    };
    uint64_t seed = 20261204u;
    /* each case as planned, then on every tile shape, whole and split 3 ways where K has
     * 3+ steps of 32 */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct cc *t = &cases[i];
        int steps = (t->c * t->kh * t->kw + 31) / 32;
        run_case(&hs, t, sms, -1, 1, &seed);
        for (int tile = 0; tile < YOLO_CU_TILE_COUNT; tile++)
            for (int sp = 1; sp <= 3; sp += 2)
                if (sp <= steps)
                    run_case(&hs, t, sms, tile, sp, &seed);
    }
    /* the tiled kernel on its shapes: C 3 (FP32 and FP16 input), 16, 24, 32, 48, 64; M 7..64;
     * stride 1 and 2; odd widths (scalar loads) and widths of 4k (vector loads); partial
     * tiles; batches; 1x1 (flattened rows, odd pixel counts: scalar stores); 5x5 dilated */
    static const struct cc tcases[] = {
        /* n  c   h   w    m  kh kw s pad dil act xh yh */
        { 2,  3, 37, 41,  16, 3, 3, 2, 1, 1, 3, 0, 1 },   /* stem, FP32 input, odd width */
        { 1,  3, 64, 64,  16, 3, 3, 2, 1, 1, 3, 0, 1 },   /* stem, FP32 input, vector loads */
        { 2,  3, 30, 34,  16, 6, 6, 2, 2, 1, 3, 0, 1 },   /* yolov5n's 6x6 stem */
        { 2,  3, 40, 48,  16, 3, 3, 2, 1, 1, 1, 1, 0 },   /* FP16 in, FP32 out, relu */
        { 2, 16, 30, 36,  32, 3, 3, 2, 1, 1, 3, 1, 1 },   /* model.1-like */
        { 3, 16, 20, 20,  16, 3, 3, 1, 1, 1, 3, 1, 1 },   /* model.2.m-like, 3 images */
        { 1, 16, 17, 19,  16, 3, 3, 1, 1, 1, 2, 1, 1 },   /* odd sizes, sigmoid */
        { 1, 32, 24, 28,  32, 3, 3, 1, 1, 1, 0, 1, 0 },   /* 32 channels, FP32 out */
        { 2, 16, 21, 22,  64, 3, 3, 1, 1, 1, 3, 1, 0 },   /* 64 outputs, width 2 mod 4 */
        { 1, 24, 15, 16,  40, 3, 3, 1, 1, 1, 3, 1, 1 },   /* 3 channel groups, 3 channel tiles */
        { 1, 16, 33, 35,  32, 3, 3, 2, 1, 1, 0, 0, 1 },   /* s2, FP32 input, odd width */
        { 2, 48, 20, 20,  32, 1, 1, 1, 0, 1, 3, 1, 1 },   /* 1x1 rows: 6 groups (odd pitch) */
        { 1, 64,  9, 11,  64, 1, 1, 1, 0, 1, 3, 1, 0 },   /* 1x1, 99 px: scalar stores */
        { 1,  5, 12, 12,  16, 1, 1, 2, 0, 1, 3, 1, 1 },   /* 1x1 stride 2: not flattened */
        { 1,  9, 23, 29,   7, 5, 5, 1, 4, 2, 1, 1, 1 },   /* 5x5 dilation 2, 7 outputs */
        { 1,  8,  1,  1,  16, 3, 3, 1, 1, 1, 3, 1, 1 },   /* 1x1 image */
        { 4, 16, 40, 40,  32, 3, 3, 1, 1, 1, 3, 1, 1 },   /* 4 images, whole tiles */
        { 1, 16, 80, 80,  16, 3, 3, 2, 1, 1, 3, 1, 1 },   /* 40x40 out: tiles past the edge */
    };
    /* each as one block per tile (the plan of a large grid) and split as far as it goes */
    int optin = 0;
    cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, 0);
    for (size_t i = 0; i < sizeof tcases / sizeof tcases[0]; i++) {
        run_tile_case(&hs, &tcases[i], 0, 0, 0, &seed);
        run_tile_case(&hs, &tcases[i], 1 << 20, optin, 0, &seed);
        if (i < 3)   /* the stems, into channels-last, whole and split */
            for (int sp = 0; sp < 2; sp++)
                run_tile_case(&hs, &tcases[i], sp ? 1 << 20 : 0, sp ? optin : 0, 1, &seed);
    }
    /* deep layers (more than 64 channels either side): slices of input channels, some of them
     * partial (72 = 40 + 32, 200 = 64 * 3 + 8), several channel groups (80 = 48 + 32, 130,
     * 256), as the plan for this GPU picks them at batch 1 and split as far as they go; a
     * 7x7 kernel over 64 channels needs slices to fit at all */
    static const struct cc dcases[] = {
        /* n  c   h   w    m  kh kw s pad dil act xh yh */
        { 1, 64, 40, 40,  64, 3, 3, 1, 1, 1, 3, 1, 1 },   /* yolov8n model.6.m */
        { 1, 128, 40, 40, 256, 3, 3, 2, 1, 1, 3, 1, 1 },  /* model.7: 20x20 out */
        { 1, 128, 20, 20, 128, 3, 3, 1, 1, 1, 3, 1, 1 },  /* model.8.m */
        { 1, 64, 80, 80,  80, 3, 3, 1, 1, 1, 3, 1, 1 },   /* head cv3.0.0: 80 outputs */
        { 1, 256, 20, 20,  64, 3, 3, 1, 1, 1, 3, 1, 0 },  /* head cv2.2.0, FP32 out */
        { 2, 72, 13, 15, 130, 3, 3, 1, 1, 1, 2, 1, 1 },   /* partial slice, odd width, sigmoid */
        { 1, 200, 9, 10,  40, 3, 3, 2, 1, 1, 0, 1, 0 },   /* 3 slices + 8 channels, s2 */
        { 1, 512, 20, 20, 256, 1, 1, 1, 0, 1, 3, 1, 1 },  /* model.9.cv2: 1x1, 8 slices */
        { 1, 96, 10, 11,  96, 1, 1, 1, 0, 1, 1, 1, 0 },   /* 1x1, 110 px: scalar stores */
        { 1, 64, 14, 14,  16, 7, 7, 1, 3, 1, 3, 1, 1 },   /* 7x7 */
    };
    for (size_t i = 0; i < sizeof dcases / sizeof dcases[0]; i++) {
        run_tile_case(&hs, &dcases[i], sms, optin, 0, &seed);
        run_tile_case(&hs, &dcases[i], 1 << 20, optin, 0, &seed);
    }
    /* the pointwise kernel: C not a multiple of 32 (3, 24, 40, 48), C 256; M 7..255 (partial
     * 64-row tiles, two and four of them); pixel counts that leave partial 64/128 tiles (8,
     * 120, 400) and whole ones; 1-4 images; FP16 and FP32 output; every activation; each on
     * both tiles */
    static const struct cc pcases[] = {
        /* n  c   h   w    m  kh kw s pad dil act xh yh */
        { 1,  3,  4,  2,   7, 1, 1, 1, 0, 1, 3, 1, 1 },   /* 8 px, 3 channels, 7 outputs */
        { 3, 24, 10, 12,  80, 1, 1, 1, 0, 1, 0, 1, 0 },   /* 120 px, FP32 out, 2 row tiles */
        { 2, 48, 20, 20,  32, 1, 1, 1, 0, 1, 3, 1, 1 },   /* 400 px: a partial pixel tile */
        { 1, 256, 5,  8, 255, 1, 1, 1, 0, 1, 2, 1, 1 },   /* K 256, 255 outputs, sigmoid */
        { 1, 40, 80, 80,  64, 1, 1, 1, 0, 1, 1, 1, 1 },   /* 6400 px, relu */
        { 4, 64, 40, 40, 144, 1, 1, 1, 0, 1, 3, 1, 0 },   /* 4 images, 3 row tiles */
    };
    for (size_t i = 0; i < sizeof pcases / sizeof pcases[0]; i++)
        for (int wide = 0; wide <= 1; wide++)
            run_pw_case(&hs, &pcases[i], wide, &seed);
    /* the channels-last kernel: C a multiple of 8 (16-byte pieces) and not (3, 13: gathered),
     * M 7..130 (partial 32/64 tiles), 1x1, 3x3 s1/s2, 5x5 dilated, a 1x1 image; every pair of
     * layouts on each (NCHW FP32/FP16 in the case's storage, NHWC, NHWC parts of a wider
     * whole), on the tile the plan picks for this GPU and on the small-grid one */
    static const struct cc ncases[] = {
        /* n  c   h   w    m  kh kw s pad dil act xh yh */
        { 2,  3, 37, 41,  16, 3, 3, 2, 1, 1, 3, 0, 1 },   /* stem: FP32 NCHW input (direct) */
        { 1,  5, 19, 17,  24, 3, 3, 1, 1, 1, 2, 0, 0 },   /* direct, 32-wide, K 45 */
        { 2,  3, 30, 34,  16, 6, 6, 2, 2, 1, 3, 0, 1 },   /* yolov5n's stem: direct, K 108 */
        { 2, 16, 20, 22,  32, 3, 3, 2, 1, 1, 3, 1, 1 },   /* model.1-like */
        { 1, 64, 16, 16,  80, 3, 3, 1, 1, 1, 3, 1, 1 },   /* 80 outputs: 32-wide tiles */
        { 1, 13, 17, 19,   7, 3, 3, 1, 1, 1, 3, 1, 1 },   /* 13 channels, 7 outputs */
        { 3, 24, 11, 13,  80, 1, 1, 1, 0, 1, 0, 1, 0 },   /* 1x1, 3 images */
        { 1, 64, 20, 20, 130, 3, 3, 1, 1, 1, 3, 1, 1 },   /* 130 outputs: partial tile */
        { 2, 32, 15, 15,  64, 3, 3, 1, 1, 1, 2, 1, 1 },   /* sigmoid */
        { 1, 16, 23, 29,  40, 5, 5, 1, 4, 2, 1, 1, 1 },   /* 5x5 dilation 2, relu */
        { 4, 64, 40, 40,  64, 3, 3, 1, 1, 1, 3, 1, 1 },   /* 6400 px over 4 images */
        { 1,  8,  1,  1,  16, 3, 3, 1, 1, 1, 3, 1, 1 },   /* 1x1 image */
        { 1, 256, 20, 20, 256, 3, 3, 1, 1, 1, 3, 1, 1 },  /* deep: K 2304 */
        /* for the patch kernel too: 16 and 48 channels (16-channel stages, 1 and 3 of them),
         * 16, 24 and 40 outputs (16-wide blocks, partial), images that leave partial 8 x 16
         * tiles, one exactly a tile; stride 2 */
        { 2, 16, 23, 29,  16, 3, 3, 1, 1, 1, 3, 1, 1 },
        { 1, 48,  9, 35,  24, 3, 3, 1, 1, 1, 3, 1, 1 },
        { 3, 16, 17,  8,  40, 3, 3, 1, 1, 1, 1, 1, 0 },
        { 1, 32,  8, 16,  32, 3, 3, 1, 1, 1, 3, 1, 1 },
        { 1, 32, 21, 35,  48, 3, 3, 2, 1, 1, 3, 1, 1 },   /* stride 2, odd sizes */
        { 2, 64, 32, 32, 128, 3, 3, 2, 1, 1, 3, 1, 1 },   /* stride 2, 64-wide blocks */
    };
    for (size_t i = 0; i < sizeof ncases / sizeof ncases[0]; i++) {
        const struct cc *t = &ncases[i];
        int patchable = t->kh == 3 && t->kw == 3 && (t->s == 1 || t->s == 2) && t->pad == 1 &&
                        t->dil == 1 && t->c % 16 == 0;
        for (int xl = LAY_NCHW; xl <= LAY_PART; xl++)
            for (int yl = LAY_NCHW; yl <= LAY_PART; yl++) {
                run_nhwc_case(&hs, t, xl, yl, sms, 0, &seed);
                if (xl == LAY_PART && yl == LAY_PART)
                    run_nhwc_case(&hs, t, xl, yl, 1 << 20, 0, &seed);
                if (patchable && xl != LAY_NCHW) {   /* the patch kernel reads NHWC FP16 */
                    run_nhwc_case(&hs, t, xl, yl, sms, 1, &seed);
                    /* one stage of channels: the streaming kernel, on a grid as for a GPU of
                     * one SM (each block walks several tiles), and the block-per-tile one */
                    run_nhwc_case(&hs, t, xl, yl, 1, 1, &seed);
                    setenv("YOLO_CUDA_PATCH_STREAM", "0", 1);
                    run_nhwc_case(&hs, t, xl, yl, sms, 1, &seed);
                    unsetenv("YOLO_CUDA_PATCH_STREAM");
                }
            }
    }
    /* the stem kernel: FP32 and FP16 images, odd and even sizes (the last output's taps past
     * the image on the right and bottom, or not), pads 0, 1, 2, 16 and 32 outputs, every
     * activation, a batch with padded image strides, a 1x1 image; each into NHWC and into a
     * part of a wider whole */
    static const struct cc scases[] = {
        /* n  c   h   w    m  kh kw s pad dil act xh yh */
        { 2,  3, 37, 41,  16, 3, 3, 2, 1, 1, 3, 0, 1 },
        { 1,  3, 64, 64,  16, 3, 3, 2, 1, 1, 3, 0, 1 },
        { 3,  3, 30, 34,  32, 3, 3, 2, 1, 1, 2, 1, 1 },
        { 1,  3, 17, 20,  16, 3, 3, 2, 0, 1, 1, 0, 1 },
        { 2,  3, 23, 19,  32, 3, 3, 2, 2, 1, 0, 1, 1 },
        { 1,  3,  1,  1,  16, 3, 3, 2, 1, 1, 3, 0, 1 },
        { 2,  3, 640, 480, 16, 3, 3, 2, 1, 1, 3, 0, 1 },  /* a letterboxed frame's size */
    };
    for (size_t i = 0; i < sizeof scases / sizeof scases[0]; i++)
        for (int yl = LAY_NHWC; yl <= LAY_PART; yl++)
            run_stem_case(&hs, &scases[i], yl, i % 2 ? 24 : 0, &seed);
    /* the depthwise convolution: 3x3 stride 1 and 2 (the 3x3 kernel), dilated and 5x5 (the
     * generic one), 8-channel pieces with rows inside wider wholes, every activation */
    static const struct dwc dwcases[] = {
        /* n  c    h   w  k  s pad dil act  xp   yp */
        { 2,  80, 20, 20, 3, 1, 1, 1, 3,  80,  80 },
        { 3,  64, 17, 13, 3, 1, 1, 1, 3, 128,  96 },
        { 1, 256,  9,  7, 3, 2, 1, 1, 0, 256, 264 },
        { 2,  16,  1,  1, 3, 1, 1, 1, 2,  24,  16 },
        { 1,  32, 12, 11, 3, 1, 2, 2, 1,  32,  32 },
        { 2,  24, 10,  9, 5, 1, 2, 1, 3,  24,  32 },
    };
    for (size_t i = 0; i < sizeof dwcases / sizeof dwcases[0]; i++)
        run_dw_case(&hs, &dwcases[i], &seed);
    return harness_finish(&hs);
}

#else

int main(void)
{
    return harness_without_cuda("test_cuda_conv");
}

#endif
