/* test_detect_api.c: the public detection API on a tiny generated detector with a dynamic
 * batch (the shared models all have a fixed batch of 1):
 *   - yolo_build with max batch 3 records format, classes, input size and batch;
 *   - yolo_detect_batch of 3 images equals 3 single yolo_detect calls, detection for detection;
 *   - yolo_detect_submit / collect: two batches in flight give the same, in order; misuse
 *     (a third batch, nothing to collect, a synchronous call in between) is refused;
 *   - a clone, a 3-thread context and a context outliving yolo_model_free give the same results;
 *   - bad arguments are refused with a status and a message, never a crash.
 * The model: x[N,3,64,64] -> Conv 8x8 stride 8 (6 channels) -> Sigmoid -> Reshape [0,6,-1] ->
 * Mul by [64,64,64,64,1,1] => a v8-style [N, 4+2, 64] output (cx, cy, w, h in pixels, 2 scores). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "onnx_writer.h"
#include "yolo.h"

static int make_model(const char *path)
{
    uint64_t s = 7;
    struct onnx_writer *w = onnx_writer_create(17);
    int64_t xd[4] = { -1, 3, 64, 64 }, wd[4] = { 6, 3, 8, 8 }, bd[1] = { 6 }, sd[1] = { 3 }, kd[3] = { 1, 6, 1 };
    float wt[6 * 3 * 8 * 8], b[6], k[6] = { 64, 64, 64, 64, 1, 1 };
    for (size_t i = 0; i < sizeof wt / sizeof *wt; i++)
        wt[i] = harness_randf(&s, -0.08f, 0.08f);
    for (int i = 0; i < 6; i++)
        b[i] = harness_randf(&s, -0.5f, 0.5f);
    int64_t shape[3] = { 0, 6, -1 };
    int rc = onnx_writer_input(w, "images", YOLO_DT_F32, 4, xd) || onnx_writer_output(w, "output0", YOLO_DT_F32) ||
             onnx_writer_initializer_f32(w, "W", 4, wd, wt) || onnx_writer_initializer_f32(w, "B", 1, bd, b) ||
             onnx_writer_initializer_f32(w, "K", 3, kd, k) ||
             onnx_writer_initializer_i64(w, "shape", 1, sd, shape);
    const char *c_in[] = { "images", "W", "B" }, *c_out[] = { "c" };
    rc = rc || onnx_writer_node(w, "Conv", "conv", 3, c_in, 1, c_out) ||
         onnx_writer_attr_ints(w, "kernel_shape", 2, (int64_t[]){ 8, 8 }) ||
         onnx_writer_attr_ints(w, "strides", 2, (int64_t[]){ 8, 8 });
    const char *s_in[] = { "c" }, *s_out[] = { "s" };
    rc = rc || onnx_writer_node(w, "Sigmoid", "sig", 1, s_in, 1, s_out);
    const char *r_in[] = { "s", "shape" }, *r_out[] = { "r" };
    rc = rc || onnx_writer_node(w, "Reshape", "reshape", 2, r_in, 1, r_out);
    const char *m_in[] = { "r", "K" }, *m_out[] = { "output0" };
    rc = rc || onnx_writer_node(w, "Mul", "scale", 2, m_in, 1, m_out) ||
         onnx_writer_metadata(w, "names", "{0: 'alpha', 1: 'beta'}") || onnx_writer_metadata(w, "stride", "32") ||
         onnx_writer_save(w, path);
    onnx_writer_free(w);
    return rc;
}

static uint8_t *random_image(uint64_t *s, int32_t h, int32_t stride)
{
    uint8_t *p = malloc((size_t)stride * (size_t)h);
    for (int64_t i = 0; i < (int64_t)stride * h; i++)
        p[i] = (uint8_t)(harness_rand(s) >> 56);
    return p;
}

/* copies results: the context reuses its buffer on the next call */
struct saved { struct yolo_det d[300]; int32_t n; };
static void save(struct saved *sv, const struct yolo_result *r)
{
    sv->n = r->n_dets;
    memcpy(sv->d, r->dets, sizeof(struct yolo_det) * (size_t)r->n_dets);
}

static int same(const struct saved *a, const struct saved *b, float tol)
{
    if (a->n != b->n)
        return 0;
    for (int32_t i = 0; i < a->n; i++) {
        const struct yolo_det *x = &a->d[i], *y = &b->d[i];
        if (x->cls != y->cls || fabsf(x->conf - y->conf) > tol || fabsf(x->x1 - y->x1) > tol * 64 ||
            fabsf(x->y1 - y->y1) > tol * 64 || fabsf(x->x2 - y->x2) > tol * 64 || fabsf(x->y2 - y->y2) > tol * 64 ||
            strcmp(x->name, y->name) != 0)
            return 0;
    }
    return 1;
}

int main(void)
{
    HARNESS_INIT(h, "test_detect_api");
    printf("seed 7 (weights), 11 (images)\n");
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char onnx[512], engine[512];
    snprintf(onnx, sizeof onnx, "%s/yolo_api_%ld.onnx", tmp, (long)getpid());
    snprintf(engine, sizeof engine, "%s/yolo_api_%ld.engine", tmp, (long)getpid());
    CHECK(&h, make_model(onnx) == 0, "writing %s", onnx);

    struct yolo_diag d = { 0 };
    struct yolo_build_params bp;
    yolo_build_params_default(&bp);
    bp.max_batch = 3;
    struct yolo_build_report rep;
    int rc = yolo_build(onnx, engine, &bp, &rep, &d);
    CHECK(&h, rc == 0, "build: %s", d.msg);
    if (rc)
        return harness_finish(&h);
    CHECK(&h, rep.max_batch == 3 && rep.n_classes == 2 && strcmp(rep.format, "v8") == 0 && rep.input_h == 64,
          "report: batch %d classes %d format %s input %d", rep.max_batch, rep.n_classes, rep.format, rep.input_h);

    struct yolo_model *m = NULL;
    struct yolo_ctx *c = NULL, *c2 = NULL, *c3 = NULL;
    CHECK(&h, yolo_model_load(engine, NULL, &m, &d) == 0, "load: %s", d.msg);
    struct yolo_model_info info;
    yolo_model_get_info(m, &info);
    CHECK(&h, info.max_batch == 3 && info.n_classes == 2 && info.input_w == 64 && info.format == YOLO_FORMAT_V8 &&
              strcmp(info.class_names[1], "beta") == 0, "info: batch %d classes %d", info.max_batch, info.n_classes);
    struct yolo_ctx_params cp;
    yolo_ctx_params_default(&cp);
    cp.conf = 0.3f;
    CHECK(&h, yolo_ctx_create(m, &cp, &c, &d) == 0, "ctx: %s", d.msg);

    uint64_t s = 11;
    const int32_t ws[3] = { 50, 64, 100 }, hs[3] = { 40, 64, 30 };
    struct yolo_image imgs[3];
    for (int i = 0; i < 3; i++)
        imgs[i] = (struct yolo_image){ random_image(&s, hs[i], ws[i] * 3 + 5), ws[i], hs[i], ws[i] * 3 + 5,
                                       i == 2 ? YOLO_PIXEL_RGB : YOLO_PIXEL_BGR };
    struct saved single[3], batched[3], other;
    struct yolo_result r[3];
    int total = 0;
    for (int i = 0; i < 3; i++) {
        CHECK(&h, yolo_detect(c, &imgs[i], &r[0], &d) == 0, "detect %d: %s", i, d.msg);
        save(&single[i], &r[0]);
        total += single[i].n;
        CHECK(&h, r[0].width == ws[i] && r[0].height == hs[i], "result size");
        for (int32_t k = 0; k < r[0].n_dets; k++)
            CHECK(&h, r[0].dets[k].x1 >= 0 && r[0].dets[k].x2 <= ws[i] && r[0].dets[k].y2 <= hs[i] &&
                      r[0].dets[k].conf > 0.3f && (k == 0 || r[0].dets[k].conf <= r[0].dets[k - 1].conf),
                  "det %d of image %d out of bounds or order", k, i);
    }
    CHECK(&h, total > 0, "the synthetic model detected nothing: the test would prove nothing");
    CHECK(&h, yolo_detect_batch(c, imgs, 3, r, &d) == 0, "batch: %s", d.msg);
    for (int i = 0; i < 3; i++) {
        save(&batched[i], &r[i]);
        CHECK(&h, same(&single[i], &batched[i], 0), "image %d: batch of 3 differs from single (%d vs %d dets)", i,
              batched[i].n, single[i].n);
    }

    /* submit / collect: two batches in flight, results in submission order and equal to the
     * synchronous calls'; a third submit, a collect of nothing and a synchronous call while
     * batches are in flight are refused */
    {
        struct yolo_result r2[3];
        int32_t n1 = 0, n2 = 0;
        CHECK(&h, yolo_detect_submit(c, imgs, 3, &d) == 0, "submit 1: %s", d.msg);
        CHECK(&h, yolo_detect_submit(c, &imgs[1], 1, &d) == 0, "submit 2: %s", d.msg);
        CHECK(&h, yolo_ctx_in_flight(c) == 2, "in flight %d, not 2", yolo_ctx_in_flight(c));
        CHECK(&h, yolo_detect_submit(c, imgs, 1, &d) == YOLO_ERR_ARG && strstr(d.msg, "in flight"),
              "a third submit: %s", d.msg);
        CHECK(&h, yolo_detect_batch(c, imgs, 1, r2, &d) == YOLO_ERR_ARG && strstr(d.msg, "collect"),
              "detect_batch with batches in flight: %s", d.msg);
        CHECK(&h, yolo_detect_collect(c, r, &n1, &d) == 0 && n1 == 3, "collect 1: %d, %s", n1, d.msg);
        for (int i = 0; i < 3; i++) {
            save(&other, &r[i]);
            CHECK(&h, same(&single[i], &other, 0), "submitted batch, image %d differs", i);
        }
        CHECK(&h, yolo_detect_collect(c, r2, &n2, &d) == 0 && n2 == 1, "collect 2: %d, %s", n2, d.msg);
        save(&other, &r2[0]);
        CHECK(&h, same(&single[1], &other, 0), "second submitted batch differs");
        CHECK(&h, yolo_detect_collect(c, r2, &n2, &d) == YOLO_ERR_ARG && n2 == 0,
              "collect with nothing in flight: %s", d.msg);
        struct yolo_image bad = imgs[0];
        bad.data = NULL;
        CHECK(&h, yolo_detect_submit(c, &bad, 1, &d) == YOLO_ERR_ARG && yolo_ctx_in_flight(c) == 0,
              "a failed submit was queued: %s", d.msg);
        CHECK(&h, yolo_detect_batch(c, imgs, 3, r, &d) == 0, "detect_batch after collects: %s", d.msg);
    }

    /* a clone, and a context with 3 threads, give the same detections */
    CHECK(&h, yolo_ctx_clone(c, &c2, &d) == 0, "clone: %s", d.msg);
    cp.n_threads = 3;
    CHECK(&h, yolo_ctx_create(m, &cp, &c3, &d) == 0, "ctx3: %s", d.msg);
    for (int i = 0; i < 3 && c2 && c3; i++) {
        yolo_detect(c2, &imgs[i], &r[0], &d);
        save(&other, &r[0]);
        CHECK(&h, same(&single[i], &other, 0), "image %d: clone differs", i);
        yolo_detect(c3, &imgs[i], &r[0], &d);
        save(&other, &r[0]);
        CHECK(&h, same(&single[i], &other, 1e-5f), "image %d: 3 threads differ", i);
    }
    CHECK(&h, yolo_ctx_memory_bytes(c2) > 0, "memory bytes");

    struct yolo_ctx *c4 = NULL;
    cp.iou = 1.5;
    CHECK(&h, yolo_ctx_create(m, &cp, &c4, &d) == YOLO_ERR_ARG && c4 == NULL, "iou 1.5 accepted");

    /* the model lives as long as a context needs it */
    yolo_model_free(m);
    m = NULL;
    CHECK(&h, yolo_detect(c2, &imgs[1], &r[0], &d) == 0, "detect after model free: %s", d.msg);
    save(&other, &r[0]);
    CHECK(&h, same(&single[1], &other, 0), "after model free: differs");

    /* bad arguments */
    CHECK(&h, yolo_detect_batch(c, imgs, 4, r, &d) == YOLO_ERR_ARG && strstr(d.msg, "batch"), "4 > max batch: %s",
          d.msg);
    struct yolo_image bad = imgs[0];
    bad.stride_bytes = 10;
    CHECK(&h, yolo_detect(c, &bad, &r[0], &d) == YOLO_ERR_ARG, "short stride accepted");
    bad = imgs[0];
    bad.data = NULL;
    CHECK(&h, yolo_detect(c, &bad, &r[0], &d) == YOLO_ERR_ARG, "NULL pixels accepted");
    CHECK(&h, yolo_model_load("/nonexistent.engine", NULL, &m, &d) != 0 && strstr(d.msg, "/nonexistent.engine"),
          "missing engine: %s", d.msg);
    CHECK(&h, yolo_model_load(onnx, NULL, &m, &d) == YOLO_ERR_FORMAT, "an ONNX file loaded as an engine: %s", d.msg);

    for (int i = 0; i < 3; i++)
        free((void *)imgs[i].data);
    yolo_ctx_free(c);
    yolo_ctx_free(c2);
    yolo_ctx_free(c3);
    yolo_model_free(m);
    unlink(onnx);
    unlink(engine);
    return harness_finish(&h);
}
