/* test_cuda_host_frames.c: frames in yolo_host_alloc memory, and the GPU pipeline's stage
 * timing. Everywhere: the allocator's contract (NULL for 0 bytes, 64-byte alignment, the bytes
 * usable, free of NULL). With a GPU
 * (a CUDA=1 build, --device cuda paths) the memory is page-locked and the context uploads such
 * frames from where they are, with no staging copy (detect/cuda/pre_cuda.c); then, on
 * yolov8n_dq at batch 2, FP32 and FP16, on bus.jpg and zidane.jpg:
 *   - detections from page-locked frames, with padded rows, are bit-identical to those of the
 *     same pixels in ordinary memory (which go up through the context's own page-locked buffer);
 *   - a batch that mixes both kinds gives each image its single-image detections;
 *   - a page-locked frame overwritten as soon as yolo_detect_submit returns still gives its
 *     own detections (submit's promise: the images may be reused when it returns);
 *   - yolo_ctx_time_stages: none before it is on; then every stage >= 0, the network's > 0,
 *     their sum within the call's wall time, detections unchanged; a CPU context refuses it.
 * Without a GPU it checks the allocator and says the rest was skipped, failing only when
 * YOLO_TEST_REQUIRE_CUDA=1 (make test-cuda). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "yolo.h"

#ifdef YOLO_CUDA
#include <cuda_runtime_api.h>
#endif

static void check_allocator(struct harness *h)
{
    CHECK(h, yolo_host_alloc(0) == NULL, "0 bytes: NULL");
    yolo_host_free(NULL);
    uint8_t *p = yolo_host_alloc(1000003);
    CHECK(h, p && ((uintptr_t)p & 63) == 0, "1000003 bytes: %p, 64-byte aligned", (void *)p);
    if (p) {
        memset(p, 0x5a, 1000003);
        CHECK(h, p[0] == 0x5a && p[1000002] == 0x5a, "the bytes are usable");
    }
    yolo_host_free(p);
}

#ifdef YOLO_CUDA
#define MAX_DET 300

static double clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

struct dets {
    int32_t n;
    struct yolo_det d[MAX_DET];
};

static void keep(const struct yolo_result *r, struct dets *out)
{
    out->n = r->n_dets < MAX_DET ? r->n_dets : MAX_DET;
    for (int32_t i = 0; i < out->n; i++) {
        out->d[i] = r->dets[i];
        out->d[i].name = NULL;   /* pointers may differ; the numbers must not */
    }
}

static int same(const struct dets *a, const struct dets *b)
{
    return a->n == b->n && memcmp(a->d, b->d, sizeof(struct yolo_det) * (size_t)a->n) == 0;
}

/* A copy of img in yolo_host_alloc memory, rows padded by 96 bytes of noise. */
static struct yolo_image locked_copy(const struct yolo_image *img, uint8_t **block)
{
    int32_t stride = img->width * 3 + 96;
    uint8_t *p = yolo_host_alloc((uint64_t)stride * (uint64_t)img->height);
    *block = p;
    if (!p)
        return (struct yolo_image){ 0 };
    for (int32_t y = 0; y < img->height; y++) {
        memcpy(p + (size_t)y * stride, img->data + (size_t)y * img->stride_bytes, (size_t)img->width * 3);
        memset(p + (size_t)y * stride + (size_t)img->width * 3, 0xa5 ^ (y & 0xff), 96);
    }
    return (struct yolo_image){ p, img->width, img->height, stride, img->format };
}

static int detect_one(struct yolo_ctx *c, const struct yolo_image *im, struct dets *out,
                      struct yolo_diag *d)
{
    struct yolo_result r;
    if (yolo_detect(c, im, &r, d))
        return 1;
    keep(&r, out);
    return 0;
}

static void run_precision(struct harness *h, const char *engine, const char *precision,
                          const struct yolo_image *imgs, int n_img)
{
    struct yolo_diag d = { 0 };
    struct yolo_model_params mp;
    yolo_model_params_default(&mp);
    mp.backend = "cuda";
    mp.precision = precision;
    struct yolo_model *m = NULL;
    struct yolo_ctx *c = NULL;
    if (yolo_model_load(engine, &mp, &m, &d) || yolo_ctx_create(m, NULL, &c, &d)) {
        CHECK(h, 0, "%s: %s", precision, d.msg);
        yolo_model_free(m);
        return;
    }
    static struct dets plain[2], locked, pair[2];
    uint8_t *block[2] = { NULL, NULL };
    struct yolo_image lk[2];
    for (int i = 0; i < n_img; i++) {
        lk[i] = locked_copy(&imgs[i], &block[i]);
        CHECK(h, lk[i].data != NULL, "yolo_host_alloc of image %d", i);
        if (!lk[i].data)
            goto out;
        struct cudaPointerAttributes a;
        CHECK(h, cudaPointerGetAttributes(&a, lk[i].data) == cudaSuccess &&
                     a.type == cudaMemoryTypeHost, "yolo_host_alloc memory is page-locked");
        int rc = detect_one(c, &imgs[i], &plain[i], &d) || detect_one(c, &lk[i], &locked, &d);
        CHECK(h, !rc, "%s image %d: %s", precision, i, d.msg);
        CHECK(h, !rc && plain[i].n > 0 && same(&plain[i], &locked),
              "%s image %d: %d detections from ordinary memory, %d from page-locked, bit-identical",
              precision, i, plain[i].n, locked.n);
    }
    /* a batch of both kinds: ordinary image 1, page-locked image 0 */
    struct yolo_image mix[2] = { imgs[1], lk[0] };
    struct yolo_result r[2];
    int rc = yolo_detect_batch(c, mix, 2, r, &d);
    CHECK(h, !rc, "%s mixed batch: %s", precision, d.msg);
    if (!rc) {
        keep(&r[0], &pair[0]);
        keep(&r[1], &pair[1]);
        CHECK(h, same(&pair[0], &plain[1]) && same(&pair[1], &plain[0]),
              "%s mixed batch: each image its own detections", precision);
    }
    /* the stage timing */
    struct yolo_stage_times st;
    CHECK(h, yolo_ctx_stage_times(c, &st) == -1, "%s: no stage times before timing is on", precision);
    rc = yolo_ctx_time_stages(c, 1, &d);
    CHECK(h, !rc, "%s yolo_ctx_time_stages: %s", precision, d.msg);
    for (int i = 0; i < n_img && !rc; i++) {
        double t0 = (double)clock_ms();
        rc = detect_one(c, i ? &imgs[i] : &lk[0], &locked, &d);
        double wall = (double)clock_ms() - t0;
        CHECK(h, !rc && same(&locked, &plain[i]), "%s timed image %d: its detections", precision, i);
        CHECK(h, !rc && yolo_ctx_stage_times(c, &st) == 0, "%s timed image %d: stage times", precision, i);
        double sum = st.upload_ms + st.letterbox_ms + st.network_ms + st.select_ms + st.download_ms;
        CHECK(h, st.upload_ms >= 0 && st.letterbox_ms >= 0 && st.network_ms > 0 && st.select_ms >= 0 &&
                     st.download_ms >= 0 && sum <= wall + 0.05,
              "%s image %d (%s memory): upload %.3f letterbox %.3f network %.3f decode+NMS %.3f "
              "download %.3f ms, sum %.3f within the call's %.3f", precision, i,
              i ? "ordinary" : "page-locked", st.upload_ms, st.letterbox_ms, st.network_ms,
              st.select_ms, st.download_ms, sum, wall);
        printf("%s image %d (%s memory): upload %.3f letterbox %.3f network %.3f decode+NMS %.3f "
               "download %.3f ms, call %.3f ms\n", precision, i, i ? "ordinary" : "page-locked",
               st.upload_ms, st.letterbox_ms, st.network_ms, st.select_ms, st.download_ms, wall);
    }
    CHECK(h, yolo_ctx_time_stages(c, 0, &d) == 0, "timing off: %s", d.msg);
    /* overwritten once submit returns: the upload must have read it by then */
    for (int i = 0; i < n_img; i++) {
        int32_t nr = 0;
        rc = yolo_detect_submit(c, &lk[i], 1, &d);
        if (!rc)
            memset((uint8_t *)lk[i].data, i ? 0xff : 0x00, (size_t)lk[i].stride_bytes * lk[i].height);
        rc = rc || yolo_detect_collect(c, r, &nr, &d);
        CHECK(h, !rc && nr == 1, "%s submit/collect: %s", precision, d.msg);
        if (!rc) {
            keep(&r[0], &locked);
            CHECK(h, same(&locked, &plain[i]), "%s image %d overwritten after submit: its own "
                  "detections (%d, want %d)", precision, i, locked.n, plain[i].n);
        }
    }
out:
    yolo_host_free(block[0]);
    yolo_host_free(block[1]);
    yolo_ctx_free(c);
    yolo_model_free(m);
}
#endif

/* A CPU context has no GPU stages: yolo_ctx_time_stages says so. */
static void check_cpu_refuses_timing(struct harness *h)
{
    char onnx[600];
    snprintf(onnx, sizeof onnx, "%s/data/models/yolov8n_dq.onnx", harness_shared_dir());
    char engine[600];
    snprintf(engine, sizeof engine, "%s/yolo_host_frames_cpu_%ld.engine",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
    struct yolo_diag d = { 0 };
    struct yolo_build_params bp;
    yolo_build_params_default(&bp);
    struct yolo_build_report rep;
    struct yolo_model *m = NULL;
    struct yolo_ctx *c = NULL;
    int rc = yolo_build(onnx, engine, &bp, &rep, &d) || yolo_model_load(engine, NULL, &m, &d) ||
             yolo_ctx_create(m, NULL, &c, &d);
    CHECK(h, !rc, "cpu context of %s: %s", onnx, d.msg);
    if (!rc) {
        struct yolo_stage_times st;
        CHECK(h, yolo_ctx_time_stages(c, 1, &d) == YOLO_ERR_UNSUPPORTED && strstr(d.msg, "GPU"),
              "a CPU context refuses the stage timing: %s", d.msg);
        CHECK(h, yolo_ctx_stage_times(c, &st) == -1, "and has no stage times");
    }
    yolo_ctx_free(c);
    yolo_model_free(m);
    unlink(engine);
}

int main(void)
{
    HARNESS_INIT(h, "test_cuda_host_frames");
    check_allocator(&h);
    check_cpu_refuses_timing(&h);
    const char *req = getenv("YOLO_TEST_REQUIRE_CUDA");
    int required = req && strcmp(req, "1") == 0;
#ifdef YOLO_CUDA
    int n_dev = 0;
    if (cudaGetDeviceCount(&n_dev) != cudaSuccess || n_dev == 0) {
        printf("test_cuda_host_frames: no CUDA device: the GPU part skipped (make test-cuda)\n");
        CHECK(&h, !required, "YOLO_TEST_REQUIRE_CUDA=1 but no CUDA device");
        return harness_finish(&h);
    }
    char onnx[600], engine[600], path[2][600];
    const char *sh = harness_shared_dir();
    snprintf(onnx, sizeof onnx, "%s/data/models/yolov8n_dq.onnx", sh);
    snprintf(path[0], sizeof path[0], "%s/data/images/bus.jpg", sh);
    snprintf(path[1], sizeof path[1], "%s/data/images/zidane.jpg", sh);
    snprintf(engine, sizeof engine, "%s/yolo_host_frames_%ld.engine",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
    struct yolo_diag d = { 0 };
    struct yolo_build_params bp;
    yolo_build_params_default(&bp);
    bp.max_batch = 2;
    struct yolo_build_report rep;
    struct yolo_image imgs[2] = { { 0 }, { 0 } };
    int rc = yolo_build(onnx, engine, &bp, &rep, &d);
    CHECK(&h, rc == 0, "build %s: %s", onnx, d.msg);
    for (int i = 0; i < 2 && !rc; i++) {
        rc = yolo_image_read(path[i], &imgs[i], &d);
        CHECK(&h, rc == 0, "%s: %s", path[i], d.msg);
    }
    if (!rc) {
        run_precision(&h, engine, "fp32", imgs, 2);
        run_precision(&h, engine, "fp16", imgs, 2);
    }
    yolo_image_free(&imgs[0]);
    yolo_image_free(&imgs[1]);
    unlink(engine);
#else
    printf("test_cuda_host_frames: built without CUDA: ordinary memory checked, the GPU part "
           "skipped\n");
    CHECK(&h, !required, "YOLO_TEST_REQUIRE_CUDA=1 in a build without CUDA");
#endif
    return harness_finish(&h);
}
