/* test_cuda_plan.c: the host side of the tiled CUDA convolution (kernels_conv_tile.cu) that
 * needs no GPU: its plan (tile, slices of input channels, channel groups) on a grid of shapes
 * (1..512 channels in, 1..256 out, 1x1 to 7x7, stride 1 and 2, 1..160 pixels a side, batch 1
 * and 32) for five GPUs (no multiprocessors given or 132 or 2^20; 48 KiB or 227 KiB of shared
 * memory a block). Every call returns (the plan once looped forever when rounding a slice to
 * 8 channels gave the same slices back); every plan it accepts is one the launcher takes
 * (yolo_cu_conv_tile_valid) with weight bytes that hold every slice; and with no
 * multiprocessors given, the plan is one slice of all channels with every 16-channel tile in
 * one block (the kernel as it always ran) exactly when that fits the shared memory. Also the
 * kernels' multiply-and-shift division (check_div). Runs in CUDA=1 builds (CI runs it); elsewhere it says so
 * and passes. The kernel itself runs in test_cuda_conv, on the GPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#ifdef YOLO_CUDA
#include "cuda/kernels.h"

/* The kernels' division by a launch-fixed divisor (kernels.h, struct yolo_cu_div) against
 * n / d: every divisor to 4096 and the powers of two, their neighbours and large odd ones to
 * 2^30, each on 0..3d, the multiples of d and their neighbours up to 2^31 - 1 and a spread of
 * other values (the kernels divide pixel, row and k indices below 2^31). */
static void check_div(struct harness *h)
{
    uint32_t ds[4096 + 3 * 31 + 64];
    int nd = 0;
    for (uint32_t d = 1; d <= 4096; d++)
        ds[nd++] = d;
    for (int k = 12; k <= 30; k++) {
        ds[nd++] = (1u << k) - 1;
        ds[nd++] = 1u << k;
        ds[nd++] = (1u << k) + 1;
    }
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 64; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        ds[nd++] = (uint32_t)(x % (1u << 30)) | 1u;
    }
    for (int i = 0; i < nd; i++) {
        uint32_t d = ds[i], bad = 0, first = 0;
        struct yolo_cu_div v = yolo_cu_div_make(d);
        uint32_t ns[256];
        int nn = 0;
        for (uint32_t q = 1; q <= 40; q++) {
            uint64_t at = (uint64_t)(INT32_MAX / d / 40) * q * d;
            if (at > 0 && at < INT32_MAX) {
                ns[nn++] = (uint32_t)at - 1;
                ns[nn++] = (uint32_t)at;
            }
        }
        ns[nn++] = INT32_MAX;
        ns[nn++] = INT32_MAX - 1;
        for (int j = 0; j < 100; j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            ns[nn++] = (uint32_t)(x % INT32_MAX);
        }
        for (int j = 0; j < nn; j++)
            if (yolo_cu_div_host(ns[j], v) != ns[j] / d && !bad++)
                first = ns[j];
        for (uint64_t n = 0; n <= 3ull * d && n < 20000; n++)
            if (yolo_cu_div_host((uint32_t)n, v) != (uint32_t)n / d && !bad++)
                first = (uint32_t)n;
        CHECK(h, bad == 0, "division by %u (mul %u, shift %u): %u wrong quotients, first of %u",
              d, v.mul, v.shift, bad, first);
    }
}

static int whole_mt(int m)
{
    return (m + 15) / 16 < 4 ? (m + 15) / 16 : 4;
}

/* Whether the kernel takes planned p's shape as one slice of all channels with every
 * 16-channel tile (up to 4) in one block, on some tile: the plan must then choose just that
 * when it is not asked to split for parallelism. */
static int whole_fits(const struct yolo_cu_conv_tile *p)
{
    for (int tw = 8; tw <= 256; tw *= 2) {
        struct yolo_cu_conv_tile q = *p;
        q.ks = 1;
        q.cg = (q.c + 7) / 8;
        q.cs = q.cg * 8;
        q.mt = whole_mt(q.m);
        q.tw = tw;
        q.th = 256 / tw;
        if (q.cg <= 8 && yolo_cu_conv_tile_valid(&q))
            return 1;
    }
    return 0;
}

static int64_t blocks_of(const struct yolo_cu_conv_tile *p)
{
    int64_t groups = ((p->m + 15) / 16 + p->mt - 1) / p->mt;
    return (int64_t)p->n * ((p->oh + p->th - 1) / p->th) * ((p->ow + p->tw - 1) / p->tw) *
           groups * p->ks;
}

int main(void)
{
    HARNESS_INIT(h, "test_cuda_plan");
    static const int cs[] = { 1, 3, 8, 9, 16, 17, 24, 32, 48, 63, 64, 65, 72, 96, 128, 200, 256,
                              384, 512 };
    static const int ms[] = { 1, 7, 16, 17, 32, 48, 64, 80, 130, 255, 256 };
    static const int ks[] = { 1, 3, 5, 7 }, sizes[] = { 1, 7, 20, 40, 80, 160 };
    static const int gpus[][2] = { { 0, 0 }, { 132, 0 }, { 0, 232448 }, { 132, 232448 },
                                   { 1 << 20, 232448 } };
    int64_t plans = 0, refused = 0, split = 0, most = 0;
    for (size_t ci = 0; ci < sizeof cs / sizeof *cs; ci++)
        for (size_t mi = 0; mi < sizeof ms / sizeof *ms; mi++)
            for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++)
                for (int s = 1; s <= 2; s++)
                    for (size_t zi = 0; zi < sizeof sizes / sizeof *sizes; zi++)
                        for (int n = 1; n <= 32; n += 31) {
                            int k = ks[ki], hw = sizes[zi], pad = k / 2;
                            int o = (hw + 2 * pad - k) / s + 1;
                            if (o < 1)
                                continue;
                            for (size_t gi = 0; gi < sizeof gpus / sizeof *gpus; gi++) {
                                struct yolo_cu_conv_tile p = {
                                    .n = n, .c = cs[ci], .h = hw, .w = hw, .m = ms[mi], .oh = o,
                                    .ow = o, .kh = k, .kw = k, .sh = s, .sw = s, .ph = pad,
                                    .pw = pad, .dh = 1, .dw = 1, .x_st = YOLO_CU_F16,
                                    .y_st = YOLO_CU_F16, .act = 3, .sms = gpus[gi][0],
                                    .smem_max = gpus[gi][1] };
                                plans++;
                                if (!yolo_cu_conv_tile_plan(&p)) {
                                    refused++;
                                    continue;
                                }
                                split += p.ks > 1;
                                int64_t mp = (p.m + 15) / 16 * 16;
                                int64_t need = (int64_t)p.ks * mp *
                                               yolo_cu_conv_tile_kpad(p.cs, p.kh, p.kw) * 2;
                                CHECK(&h, yolo_cu_conv_tile_valid(&p) &&
                                              yolo_cu_conv_tile_weight_bytes(&p) == need,
                                      "n%d c%d %dx%d m%d k%d s%d gpu %d/%d: plan tile %dx%d, %d "
                                      "slices of %d, %d tiles a block: not one the launcher "
                                      "takes", n, p.c, hw, hw, p.m, k, s, gpus[gi][0],
                                      gpus[gi][1], p.th, p.tw, p.ks, p.cs, p.mt);
                                if (gpus[gi][0] == 0)   /* no split for parallelism */
                                    CHECK(&h, whole_fits(&p) == (p.ks == 1 &&
                                                                 p.mt == whole_mt(p.m)),
                                          "n%d c%d %dx%d m%d k%d s%d gpu 0/%d: %d slices, %d "
                                          "tiles a block, whole fits %d", n, p.c, hw, hw, p.m, k,
                                          s, gpus[gi][1], p.ks, p.mt, whole_fits(&p));
                                most = blocks_of(&p) > most ? blocks_of(&p) : most;
                            }
                        }
    check_div(&h);
    printf("test_cuda_plan: %lld plans, %lld refused, %lld split over slices, at most %lld "
           "blocks\n", (long long)plans, (long long)refused, (long long)split, (long long)most);
    CHECK(&h, plans > 100000 && split > 1000, "the grid planned too little: %lld plans, %lld split",
          (long long)plans, (long long)split);
    return harness_finish(&h);
}

#else

int main(void)
{
    HARNESS_INIT(h, "test_cuda_plan");
    printf("test_cuda_plan: built without CUDA: skipped (CI runs it from the CUDA=1 build)\n");
    return harness_finish(&h);
}

#endif
