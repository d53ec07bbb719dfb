/* test_cuda_move.c: the CUDA copy kernels behind Concat and Split (core/cuda/kernels_move.cu,
 * yolo_cu_copy), the fused DFL (kernels_math.cu, yolo_cu_dfl) and the fused attention
 * (kernels_attn.cu, yolo_cu_attn) against host references.
 *
 * Copies: YOLO's head Concat as rows of three parts into a wider whole (FP16, runs of 200, 56
 * and 16 elements: 16-byte pieces, with a tail that leaves a thread's last pieces past the
 * end), its output Concat (an FP32 part and an FP16 part widened into FP32), a Split (the
 * source rows wider than the destination's), a flat copy of one storage, and the same shapes
 * with a run or an offset off the 16-byte grid (the element-wise kernels). Checked: every
 * destination element equals its source element (bit for bit, or the FP16 value widened
 * exactly) and no byte outside the destination's parts changes.
 * DFL: [n, 4, 16, anchors] bins at the head's strides in FP16 and FP32 storage, and 7 bins
 * (the general kernel), against a double reference: |err| <= 1e-5 * (1 + |ref|).
 * Attention: 3 heads of 400 tokens (YOLO11's at 640 x 640), 37 and 65 (partial query blocks
 * and key steps), q, k, v in FP16 and FP32 storage, y in FP32 and FP16, against a double
 * reference of the graph's nodes (scores, scale, softmax, product with v): |err| <= 1e-5 *
 * (1 + |ref|), plus 2^-11 |ref| for an FP16 y.
 * Needs CUDA=1 and a GPU; elsewhere it says so and passes, unless YOLO_TEST_REQUIRE_CUDA=1
 * (make test-cuda). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#ifdef YOLO_CUDA
#include <cuda_runtime_api.h>

#include "cuda/cuda_model.h"

static float half_value(uint16_t h)
{
    int e = (h >> 10) & 31, man = h & 1023;
    float v = e == 0 ? ldexpf((float)man, -24) : ldexpf((float)(man + 1024), e - 25);
    return h & 0x8000 ? -v : v;
}

/* a finite FP16 value of magnitude 2^-6 .. 2^3 */
static uint16_t rand_half(uint64_t *seed)
{
    uint64_t r = harness_rand(seed);
    return (uint16_t)((r & 0x8000) | ((9 + (r >> 16) % 9) << 10) | ((r >> 32) & 1023));
}

static size_t st_bytes(int st)
{
    return st == YOLO_CU_F16 ? 2 : 4;
}

/* value of element i of a buffer of storage st, as float bits or FP16 widened */
static float elem(const uint8_t *p, int st, int64_t i)
{
    if (st == YOLO_CU_F16) {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        return half_value(h);
    }
    float f;
    memcpy(&f, p + 4 * i, 4);
    return f;
}

/* One launch of n segments of 2-D rows from per-segment sources into one destination of
 * dst_bytes; *misses: elements that differ from the reference, *stray: bytes written outside
 * the segments. */
static void run_copy(struct harness *hs, const char *what, struct yolo_cu_copy *seg, int n,
                     size_t dst_bytes, uint64_t *seed)
{
    uint8_t *host_src[YOLO_CU_MAXSEG] = { 0 }, *got = malloc(dst_bytes);
    uint8_t *mark = calloc(dst_bytes, 1);
    void *dsrc[YOLO_CU_MAXSEG] = { 0 }, *ddst = NULL;
    size_t src_bytes[YOLO_CU_MAXSEG];
    int ok = got && mark && cudaMalloc(&ddst, dst_bytes) == cudaSuccess &&
             cudaMemset(ddst, 0x5a, dst_bytes) == cudaSuccess;
    for (int s = 0; ok && s < n; s++) {
        int64_t rows = seg[s].ndim == 2 ? seg[s].shape[0] : 1;
        int64_t last = seg[s].src_off + (rows - 1) * (seg[s].ndim == 2 ? seg[s].ss[0] : 0) +
                       seg[s].shape[seg[s].ndim - 1];
        src_bytes[s] = (size_t)last * st_bytes(seg[s].src_st);
        host_src[s] = malloc(src_bytes[s]);
        ok = host_src[s] && cudaMalloc(&dsrc[s], src_bytes[s]) == cudaSuccess;
        for (size_t i = 0; ok && i < src_bytes[s] / 2; i++) {
            uint16_t h = rand_half(seed);
            memcpy(host_src[s] + 2 * i, &h, 2);
        }
        ok = ok && cudaMemcpy(dsrc[s], host_src[s], src_bytes[s], cudaMemcpyHostToDevice) ==
                       cudaSuccess;
        seg[s].src = dsrc[s];
        seg[s].dst = ddst;
        seg[s].numel = rows * seg[s].shape[seg[s].ndim - 1];
    }
    ok = ok && yolo_cu_copy(seg, n, NULL) == 0 && cudaDeviceSynchronize() == cudaSuccess &&
         cudaMemcpy(got, ddst, dst_bytes, cudaMemcpyDeviceToHost) == cudaSuccess;
    CHECK(hs, ok, "%s: CUDA error %s", what, cudaGetErrorString(cudaGetLastError()));
    int64_t misses = 0, stray = 0;
    for (int s = 0; ok && s < n; s++) {
        const struct yolo_cu_copy *c = &seg[s];
        int64_t rows = c->ndim == 2 ? c->shape[0] : 1, run = c->shape[c->ndim - 1];
        size_t ds = st_bytes(c->dst_st);
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < run; j++) {
                int64_t si = c->src_off + r * (c->ndim == 2 ? c->ss[0] : 0) + j;
                int64_t di = c->dst_off + r * (c->ndim == 2 ? c->ds[0] : 0) + j;
                float want = elem(host_src[s], c->src_st, si), have = elem(got, c->dst_st, di);
                misses += memcmp(&want, &have, sizeof want) != 0;
                memset(mark + di * ds, 1, ds);
            }
    }
    for (size_t i = 0; ok && i < dst_bytes; i++)
        stray += !mark[i] && got[i] != 0x5a;
    CHECK(hs, misses == 0, "%s: %lld elements differ from their source", what, (long long)misses);
    CHECK(hs, stray == 0, "%s: %lld bytes outside the parts written", what, (long long)stray);
    printf("  %s: %s\n", what, ok && !misses && !stray ? "ok" : "FAILED");
    for (int s = 0; s < n; s++) {
        cudaFree(dsrc[s]);
        free(host_src[s]);
    }
    cudaFree(ddst);
    free(got);
    free(mark);
}

/* Concat along the last axis of [rows, L_i] parts (FP16) into [rows, sum L + extra] */
static void concat_case(struct harness *hs, const char *what, int64_t rows, const int64_t *len,
                        int n, int64_t extra, int64_t off, uint64_t *seed)
{
    struct yolo_cu_copy seg[YOLO_CU_MAXSEG];
    int64_t total = extra, at = off;
    for (int s = 0; s < n; s++)
        total += len[s];
    for (int s = 0; s < n; s++) {
        seg[s] = (struct yolo_cu_copy){ .ndim = 2, .src_st = YOLO_CU_F16, .dst_st = YOLO_CU_F16,
                                        .shape = { rows, len[s] }, .ss = { len[s], 1 },
                                        .ds = { total, 1 }, .dst_off = at };
        at += len[s];
    }
    run_copy(hs, what, seg, n, (size_t)(rows * total + off) * 2, seed);
}

static double dfl_ref(const float *x, int64_t base, int64_t sc, int bins, const float *w, float b)
{
    double mx = -INFINITY, sum = 0, acc = 0;
    for (int i = 0; i < bins; i++)
        mx = x[base + i * sc] > mx ? x[base + i * sc] : mx;
    for (int i = 0; i < bins; i++)
        sum += exp(x[base + i * sc] - mx);
    for (int i = 0; i < bins; i++)
        acc += w[i] * exp(x[base + i * sc] - mx) / sum;
    return acc + b;
}

/* [n, 4, bins, anchors] in storage st (its elements widened here for the reference) */
static void dfl_case(struct harness *hs, int n, int bins, int anchors, int st, uint64_t *seed)
{
    int64_t sc = anchors, sh = (int64_t)bins * anchors, sn = 4 * sh, nx = n * sn;
    int64_t ny = (int64_t)n * 4 * anchors;
    size_t es = st_bytes(st);
    uint8_t *raw = malloc((size_t)nx * es);
    float *x = malloc(sizeof(float) * nx), *got = malloc(sizeof(float) * ny), w[32];
    void *dx = NULL, *dw = NULL, *dy = NULL;
    int ok = raw && x && got;
    for (int64_t i = 0; ok && i < nx; i++) {
        uint16_t h = rand_half(seed);
        x[i] = half_value(h);
        if (st == YOLO_CU_F16)
            memcpy(raw + 2 * i, &h, 2);
        else
            memcpy(raw + 4 * i, &x[i], 4);
    }
    for (int i = 0; i < bins; i++)
        w[i] = (float)i;
    ok = ok && cudaMalloc(&dx, (size_t)nx * es) == cudaSuccess &&
         cudaMalloc(&dw, sizeof w) == cudaSuccess &&
         cudaMalloc(&dy, sizeof(float) * ny) == cudaSuccess &&
         cudaMemcpy(dx, raw, (size_t)nx * es, cudaMemcpyHostToDevice) == cudaSuccess &&
         cudaMemcpy(dw, w, sizeof w, cudaMemcpyHostToDevice) == cudaSuccess;
    struct yolo_cu_dfl p = { .n = n, .bins = bins, .h = 4, .w = anchors, .x_st = st,
                             .y_st = YOLO_CU_F32, .sn = sn, .sc = sc, .sh = sh, .sw = 1,
                             .x = dx, .wt = dw, .bias = 0.25f, .y = dy };
    ok = ok && yolo_cu_dfl(&p, NULL) == 0 && cudaDeviceSynchronize() == cudaSuccess &&
         cudaMemcpy(got, dy, sizeof(float) * ny, cudaMemcpyDeviceToHost) == cudaSuccess;
    CHECK(hs, ok, "dfl n%d bins%d anchors%d st%d: CUDA error %s", n, bins, anchors, st,
          cudaGetErrorString(cudaGetLastError()));
    int64_t bad = 0;
    double worst = 0;
    for (int64_t o = 0; ok && o < ny; o++) {
        int64_t ox = o % anchors, r = o / anchors, oy = r % 4, img = r / 4;
        double ref = dfl_ref(x, img * sn + oy * sh + ox, sc, bins, w, 0.25f);
        double err = fabs(got[o] - ref) / (1e-5 * (1 + fabs(ref)));
        bad += !(err <= 1);
        worst = err > worst ? err : worst;
    }
    CHECK(hs, bad == 0, "dfl n%d bins%d anchors%d st%d: %lld of %lld outside 1e-5 (worst "
          "err/bound %.3g)", n, bins, anchors, st, (long long)bad, (long long)ny, worst);
    printf("  dfl n%d bins%d anchors%d %s: worst err/bound %.3f\n", n, bins, anchors,
           st == YOLO_CU_F16 ? "fp16" : "fp32", worst);
    cudaFree(dx); cudaFree(dw); cudaFree(dy);
    free(raw); free(x); free(got);
}

/* heads x [32][l] q and k, [64][l] v, in storage st; y in y_st */
static void attn_case(struct harness *hs, int heads, int l, int st, int y_st, uint64_t *seed)
{
    int64_t nq = (int64_t)heads * 32 * l, nv = (int64_t)heads * 64 * l;
    size_t es = st_bytes(st), ys = st_bytes(y_st);
    float *q = malloc(sizeof(float) * nq), *k = malloc(sizeof(float) * nq);
    float *v = malloc(sizeof(float) * nv);
    uint8_t *raw = malloc((size_t)nv * 4), *got = malloc((size_t)nv * ys);
    double *row = malloc(sizeof(double) * l);
    void *dq = NULL, *dk = NULL, *dv = NULL, *dy = NULL;
    int ok = q && k && v && raw && got && row;
    float *all[3] = { q, k, v };
    void **dev[3] = { &dq, &dk, &dv };
    for (int t = 0; ok && t < 3; t++) {
        int64_t n = t == 2 ? nv : nq;
        for (int64_t i = 0; i < n; i++) {
            uint16_t h = rand_half(seed);
            all[t][i] = half_value(h) / 4;   /* |x| < 2: scores of tens, as a trained head's */
            uint16_t hq = (uint16_t)(h - (2u << 10));   /* the same value / 4 as FP16 */
            if (st == YOLO_CU_F16)
                memcpy(raw + 2 * i, &hq, 2);
            else
                memcpy(raw + 4 * i, &all[t][i], 4);
        }
        ok = cudaMalloc(dev[t], (size_t)n * es) == cudaSuccess &&
             cudaMemcpy(*dev[t], raw, (size_t)n * es, cudaMemcpyHostToDevice) == cudaSuccess;
    }
    ok = ok && cudaMalloc(&dy, (size_t)nv * ys) == cudaSuccess;
    float scale = 0.1767767f;   /* 32^-0.5 */
    struct yolo_cu_attn p = { .heads = heads, .l = l, .dk = 32, .dv = 64, .q_st = st,
                              .k_st = st, .v_st = st, .y_st = y_st, .scale = scale, .q = dq,
                              .k = dk, .v = dv, .y = dy };
    CHECK(hs, yolo_cu_attn_ok(&p), "attn heads%d l%d: refused", heads, l);
    ok = ok && yolo_cu_attn(&p, NULL) == 0 && cudaDeviceSynchronize() == cudaSuccess &&
         cudaMemcpy(got, dy, (size_t)nv * ys, cudaMemcpyDeviceToHost) == cudaSuccess;
    CHECK(hs, ok, "attn heads%d l%d: CUDA error %s", heads, l,
          cudaGetErrorString(cudaGetLastError()));
    int64_t bad = 0;
    double worst = 0;
    for (int h = 0; ok && h < heads; h++)
        for (int i = 0; i < l; i++) {
            const float *qh = q + (int64_t)h * 32 * l, *kh = k + (int64_t)h * 32 * l;
            const float *vh = v + (int64_t)h * 64 * l;
            double mx = -INFINITY, sum = 0;
            for (int j = 0; j < l; j++) {
                double s = 0;
                for (int c = 0; c < 32; c++)
                    s += (double)qh[(int64_t)c * l + i] * kh[(int64_t)c * l + j];
                row[j] = s * scale;
                mx = row[j] > mx ? row[j] : mx;
            }
            for (int j = 0; j < l; j++)
                sum += row[j] = exp(row[j] - mx);
            for (int d = 0; d < 64; d++) {
                double ref = 0;
                for (int j = 0; j < l; j++)
                    ref += vh[(int64_t)d * l + j] * row[j] / sum;
                int64_t at = ((int64_t)h * 64 + d) * l + i;
                double tol = 1e-5 * (1 + fabs(ref)) + (y_st == YOLO_CU_F16 ? 0x1p-11 * fabs(ref) : 0);
                double err = fabs(elem(got, y_st, at) - ref) / tol;
                bad += !(err <= 1);
                worst = err > worst ? err : worst;
            }
        }
    CHECK(hs, bad == 0, "attn heads%d l%d st%d y_st%d: %lld of %lld outside the bound (worst "
          "err/bound %.3g)", heads, l, st, y_st, (long long)bad, (long long)nv, worst);
    printf("  attn heads%d l%d %s -> %s: worst err/bound %.3f\n", heads, l,
           st == YOLO_CU_F16 ? "fp16" : "fp32", y_st == YOLO_CU_F16 ? "fp16" : "fp32", worst);
    cudaFree(dq); cudaFree(dk); cudaFree(dv); cudaFree(dy);
    free(q); free(k); free(v); free(raw); free(got); free(row);
}

int main(void)
{
    HARNESS_INIT(hs, "test_cuda_move");
    int ndev = 0;
    if (cudaGetDeviceCount(&ndev) != cudaSuccess || ndev == 0) {
        const char *req = getenv("YOLO_TEST_REQUIRE_CUDA");
        printf("test_cuda_move: no CUDA device here: skipped (the GPU run is make test-cuda)\n");
        CHECK(&hs, !(req && strcmp(req, "1") == 0), "YOLO_TEST_REQUIRE_CUDA=1 but no CUDA device");
        return harness_finish(&hs);
    }
    uint64_t seed = 20261206u;
    static const int64_t head[3] = { 200, 56, 16 }, odd[3] = { 200, 57, 16 };
    concat_case(&hs, "head concat, 16-byte pieces", 37, head, 3, 0, 0, &seed);
    concat_case(&hs, "head concat into a wider whole", 1000, head, 3, 8, 8, &seed);
    concat_case(&hs, "concat, a run off the grid", 37, odd, 3, 0, 0, &seed);
    concat_case(&hs, "concat, offset off the grid", 37, head, 3, 0, 3, &seed);
    /* the output Concat: [rows, 4 A] FP32 and [rows, 80 A] FP16 into [rows, 84 A] FP32 */
    for (int a = 0; a < 2; a++) {
        int64_t A = a ? 37 : 40, rows = 3;
        struct yolo_cu_copy seg[2] = {
            { .ndim = 2, .src_st = YOLO_CU_F32, .dst_st = YOLO_CU_F32, .shape = { rows, 4 * A },
              .ss = { 4 * A, 1 }, .ds = { 84 * A, 1 } },
            { .ndim = 2, .src_st = YOLO_CU_F16, .dst_st = YOLO_CU_F32, .shape = { rows, 80 * A },
              .ss = { 80 * A, 1 }, .ds = { 84 * A, 1 }, .dst_off = 4 * A } };
        run_copy(&hs, a ? "output concat, widening, 37 anchors" : "output concat, widening",
                 seg, 2, (size_t)(rows * 84 * A) * 4, &seed);
    }
    /* a Split part: rows of 64 A out of rows of 144 A; a flat copy of 100003 floats */
    struct yolo_cu_copy split = { .ndim = 2, .src_st = YOLO_CU_F16, .dst_st = YOLO_CU_F16,
                                  .shape = { 5, 64 * 40 }, .ss = { 144 * 40, 1 },
                                  .ds = { 64 * 40, 1 }, .src_off = 80 * 40 };
    run_copy(&hs, "split part", &split, 1, 5 * 64 * 40 * 2, &seed);
    for (int k = 0; k < 2; k++) {
        int64_t len = k ? 100003 : 100000;
        struct yolo_cu_copy flat = { .ndim = 1, .src_st = YOLO_CU_F32, .dst_st = YOLO_CU_F32,
                                     .shape = { len }, .ss = { 1 }, .ds = { 1 } };
        run_copy(&hs, k ? "flat copy, odd length" : "flat copy", &flat, 1, (size_t)len * 4,
                 &seed);
    }
    dfl_case(&hs, 2, 16, 8400 / 16, YOLO_CU_F16, &seed);
    dfl_case(&hs, 3, 16, 37, YOLO_CU_F32, &seed);
    dfl_case(&hs, 2, 7, 41, YOLO_CU_F16, &seed);
    attn_case(&hs, 3, 400, YOLO_CU_F16, YOLO_CU_F16, &seed);
    attn_case(&hs, 2, 400, YOLO_CU_F32, YOLO_CU_F32, &seed);
    attn_case(&hs, 2, 37, YOLO_CU_F16, YOLO_CU_F32, &seed);
    attn_case(&hs, 1, 65, YOLO_CU_F32, YOLO_CU_F16, &seed);
    return harness_finish(&hs);
}

#else

int main(void)
{
    return harness_without_cuda("test_cuda_move");
}
#endif
