/* test_cuda_letterbox.c: the GPU letterbox (detect/cuda/letterbox_cuda.cu) against the CPU's
 * (postprocess/letterbox.c with its pure-C resize, itself bit-identical to OpenCV's): every
 * float of the tensor identical, on bus.jpg, zidane.jpg and 400 random sizes from 1x1 to
 * 2000x2000 (upscales, downscales, exact 2x reductions, no resize), BGR and RGB, and a
 * batch of 37 frames of their own sizes in one call (yolo_cuda_letterbox_batch).
 * Needs a build with CUDA=1 and a GPU; elsewhere it says so and passes, unless
 * YOLO_TEST_REQUIRE_CUDA=1 (make test-cuda), where a missing GPU fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "postprocess.h"
#include "yolo.h"

#ifdef YOLO_CUDA
#include <cuda_runtime_api.h>

#include "cuda/letterbox_cuda.h"

/* One image: CPU tensor vs GPU tensor. Returns the number of differing floats, -1 on error. */
static int64_t compare_one(const uint8_t *pix, int32_t w, int32_t h, int bgr, int32_t W, int32_t H,
                           struct yolo_workspace *ws, float *cpu, float *gpu_host, uint8_t *d_src,
                           float *d_dst)
{
    struct yolo_letterbox_params lp;
    yolo_letterbox_params_default(&lp);
    lp.dst_w = W;
    lp.dst_h = H;
    struct yolo_image_view v = { pix, w, h, (int64_t)w * 3, bgr ? YOLO_PIXFMT_BGR : YOLO_PIXFMT_RGB };
    struct yolo_letterbox_geom g;
    struct yolo_diag d = { 0 };
    if (yolo_letterbox(&v, &lp, ws, cpu, &g, &d))
        return -1;
    if (cudaMemcpy(d_src, pix, (size_t)w * h * 3, cudaMemcpyHostToDevice) != cudaSuccess)
        return -1;
    struct yolo_cuda_lb p = { d_src, w, h, (int64_t)w * 3, bgr, g.new_w, g.new_h, g.pad_left,
                              g.pad_top, W, H, d_dst };
    if (yolo_cuda_letterbox(&p, NULL) || cudaDeviceSynchronize() != cudaSuccess ||
        cudaMemcpy(gpu_host, d_dst, sizeof(float) * 3 * (size_t)W * H, cudaMemcpyDeviceToHost) !=
            cudaSuccess)
        return -1;
    int64_t bad = 0;
    for (size_t i = 0; i < 3 * (size_t)W * H; i++)
        bad += memcmp(&cpu[i], &gpu_host[i], sizeof(float)) != 0;
    return bad;
}

int main(void)
{
    HARNESS_INIT(h, "test_cuda_letterbox");
    int n_dev = 0;
    if (cudaGetDeviceCount(&n_dev) != cudaSuccess || n_dev == 0) {
        const char *req = getenv("YOLO_TEST_REQUIRE_CUDA");
        printf("test_cuda_letterbox: no CUDA device here: skipped (the GPU run is make test-cuda)\n");
        CHECK(&h, !(req && strcmp(req, "1") == 0), "YOLO_TEST_REQUIRE_CUDA=1 but no CUDA device");
        return harness_finish(&h);
    }
    const int32_t W = 640, H = 640, MAXS = 2000;
    struct yolo_workspace ws = { 0 };
    float *cpu = malloc(sizeof(float) * 3 * W * H), *gpu = malloc(sizeof(float) * 3 * W * H);
    uint8_t *pix = malloc((size_t)MAXS * MAXS * 3), *d_src = NULL;
    float *d_dst = NULL;
    CHECK(&h, cpu && gpu && pix && cudaMalloc((void **)&d_src, (size_t)MAXS * MAXS * 3) == cudaSuccess &&
          cudaMalloc((void **)&d_dst, sizeof(float) * 3 * W * H) == cudaSuccess, "allocations");
    const char *shared = harness_shared_dir();
    const char *names[] = { "bus.jpg", "zidane.jpg" };
    for (int k = 0; k < 2; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/data/images/%s", shared, names[k]);
        struct yolo_image im = { 0 };
        struct yolo_diag d = { 0 };
        if (yolo_image_read(path, &im, &d)) {
            CHECK(&h, 0, "%s", d.msg);
            continue;
        }
        int64_t bad = im.width <= MAXS && im.height <= MAXS && im.stride_bytes == 3 * im.width
                    ? compare_one(im.data, im.width, im.height, 1, W, H, &ws, cpu, gpu, d_src, d_dst)
                    : -1;
        printf("%-10s %dx%d: %lld floats differ\n", names[k], im.width, im.height, (long long)bad);
        CHECK(&h, bad == 0, "%s: %lld floats differ (-1: error)", names[k], (long long)bad);
        yolo_image_free(&im);
    }
    uint64_t s = 20261204u;
    int n_bad_sizes = 0;
    for (int t = 0; t < 400; t++) {
        int32_t w, hh;
        switch (t % 4) {
        case 0: w = 1 + (int32_t)(harness_rand(&s) % 64); hh = 1 + (int32_t)(harness_rand(&s) % 64); break;
        case 1: w = 2 * W, hh = 2 * (int32_t)(1 + harness_rand(&s) % H); break;     /* 2x2 area */
        default: w = 1 + (int32_t)(harness_rand(&s) % MAXS); hh = 1 + (int32_t)(harness_rand(&s) % MAXS);
        }
        if (t == 3)
            w = W, hh = H;                                                         /* no resize */
        for (size_t i = 0; i < (size_t)w * hh * 3; i++)
            pix[i] = (uint8_t)(harness_rand(&s) >> 24);
        int64_t bad = compare_one(pix, w, hh, t & 1, W, H, &ws, cpu, gpu, d_src, d_dst);
        if (bad != 0 && n_bad_sizes++ < 5)
            printf("  %dx%d (%s): %lld floats differ\n", w, hh, t & 1 ? "BGR" : "RGB", (long long)bad);
    }
    printf("test_cuda_letterbox: 400 random sizes, %d differ\n", n_bad_sizes);
    CHECK(&h, n_bad_sizes == 0, "%d of 400 sizes differ", n_bad_sizes);
    /* a batch: 37 frames of their own sizes and orders in one call (two launches: 32 + 5),
     * each tensor against the CPU's of that frame alone */
    enum { NB = 37, BS = 300 };
    uint8_t *bsrc = NULL;
    float *bdst = NULL;
    struct yolo_cuda_lb lbs[NB];
    struct yolo_letterbox_geom geo[NB];
    int32_t bw[NB], bh[NB];
    int ok = cudaMalloc((void **)&bsrc, (size_t)NB * BS * BS * 3) == cudaSuccess &&
             cudaMalloc((void **)&bdst, sizeof(float) * 3 * W * H * NB) == cudaSuccess;
    uint8_t *bpix = malloc((size_t)NB * BS * BS * 3);
    ok = ok && bpix;
    for (int i = 0; ok && i < NB; i++) {
        bw[i] = 1 + (int32_t)(harness_rand(&s) % BS);
        bh[i] = 1 + (int32_t)(harness_rand(&s) % BS);
        uint8_t *px = bpix + (size_t)i * BS * BS * 3;
        for (size_t k = 0; k < (size_t)bw[i] * bh[i] * 3; k++)
            px[k] = (uint8_t)(harness_rand(&s) >> 24);
        struct yolo_letterbox_params lp;
        yolo_letterbox_params_default(&lp);
        lp.dst_w = W;
        lp.dst_h = H;
        struct yolo_image_view v = { px, bw[i], bh[i], (int64_t)bw[i] * 3,
                                     i & 1 ? YOLO_PIXFMT_BGR : YOLO_PIXFMT_RGB };
        struct yolo_diag d = { 0 };
        ok = yolo_letterbox(&v, &lp, &ws, cpu, &geo[i], &d) == 0;
        lbs[i] = (struct yolo_cuda_lb){ bsrc + (size_t)i * BS * BS * 3, bw[i], bh[i],
                                        (int64_t)bw[i] * 3, i & 1, geo[i].new_w, geo[i].new_h,
                                        geo[i].pad_left, geo[i].pad_top, W, H,
                                        bdst + (size_t)i * 3 * W * H };
    }
    ok = ok && cudaMemcpy(bsrc, bpix, (size_t)NB * BS * BS * 3, cudaMemcpyHostToDevice) == cudaSuccess &&
         yolo_cuda_letterbox_batch(lbs, NB, NULL) == 0 && cudaDeviceSynchronize() == cudaSuccess;
    CHECK(&h, ok, "batch of %d: CUDA error %s", NB, cudaGetErrorString(cudaGetLastError()));
    int n_bad_batch = 0;
    for (int i = 0; ok && i < NB; i++) {
        struct yolo_letterbox_params lp;
        yolo_letterbox_params_default(&lp);
        lp.dst_w = W;
        lp.dst_h = H;
        struct yolo_image_view v = { bpix + (size_t)i * BS * BS * 3, bw[i], bh[i],
                                     (int64_t)bw[i] * 3, i & 1 ? YOLO_PIXFMT_BGR : YOLO_PIXFMT_RGB };
        struct yolo_diag d = { 0 };
        struct yolo_letterbox_geom g;
        if (yolo_letterbox(&v, &lp, &ws, cpu, &g, &d) ||
            cudaMemcpy(gpu, bdst + (size_t)i * 3 * W * H, sizeof(float) * 3 * W * H,
                       cudaMemcpyDeviceToHost) != cudaSuccess ||
            memcmp(cpu, gpu, sizeof(float) * 3 * W * H) != 0)
            n_bad_batch++;
    }
    printf("test_cuda_letterbox: a batch of %d sizes in one call, %d differ\n", NB, n_bad_batch);
    CHECK(&h, ok && n_bad_batch == 0, "a batch of %d: %d frames differ", NB, n_bad_batch);
    cudaFree(bsrc);
    cudaFree(bdst);
    free(bpix);
    cudaFree(d_src);
    cudaFree(d_dst);
    free(cpu);
    free(gpu);
    free(pix);
    yolo_workspace_free(&ws);
    return harness_finish(&h);
}
#else
int main(void)
{
    return harness_without_cuda("test_cuda_letterbox");
}
#endif
