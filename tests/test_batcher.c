/* test_batcher.c: the dynamic batcher of yolo.h. Many producer threads, each feeding its
 * own stream while a consumer thread per stream takes the results, with random group
 * sizes, timeouts, instance counts, stream depths and pauses: every result must come back
 * to its stream in submission order and equal the unbatched yolo_detect result of the same
 * image, on an engine of batch 1 (groups run one frame per engine call) and one of batch 4
 * (groups run in engine batches). Then: groups really form, the timeout really waits,
 * close and free with frames still queued, argument errors.
 * A tiny random-weight detector (32x32 input, 3 classes, stride 8) keeps it fast. */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "onnx_writer.h"
#include "yolo.h"
#include "clock.h"

#define NC        3
#define MAX_DET   50
#define N_IMAGES  24
#define MAX_STREAMS 6

/* images [B,3,32,32] -> box conv (4 ch) | sigmoid(class conv (3 ch)) -> [B,7,4,4] -> [B,7,16]:
 * the v8 layout with 16 anchors. Boxes land inside the 32x32 input (bias 16 for the centre,
 * 8 for the size), class scores around 0.5, so every image has a few detections. */
static int write_model(const char *path, int dynamic_batch, uint64_t seed)
{
    struct onnx_writer *w = onnx_writer_create(13);
    if (!w)
        return -1;
    int64_t xd[4] = { dynamic_batch ? -1 : 1, 3, 32, 32 };
    onnx_writer_input(w, "images", YOLO_DT_F32, 4, xd);
    float wb[4 * 3 * 64], bb[4] = { 16, 16, 8, 8 }, wc[NC * 3 * 64], bc[NC] = { 0, 0, 0 };
    for (size_t i = 0; i < sizeof wb / sizeof *wb; i++)
        wb[i] = harness_randf(&seed, -0.08f, 0.08f);
    for (size_t i = 0; i < sizeof wc / sizeof *wc; i++)
        wc[i] = harness_randf(&seed, -0.03f, 0.03f);
    int64_t wbd[4] = { 4, 3, 8, 8 }, bbd[1] = { 4 }, wcd[4] = { NC, 3, 8, 8 }, bcd[1] = { NC };
    onnx_writer_initializer_f32(w, "wb", 4, wbd, wb);
    onnx_writer_initializer_f32(w, "bb", 1, bbd, bb);
    onnx_writer_initializer_f32(w, "wc", 4, wcd, wc);
    onnx_writer_initializer_f32(w, "bc", 1, bcd, bc);
    int64_t shape[3] = { -1, 4 + NC, 16 }, shd[1] = { 3 };
    onnx_writer_initializer_i64(w, "shape", 1, shd, shape);
    const char *cb_in[] = { "images", "wb", "bb" }, *cb_out[] = { "box" };
    onnx_writer_node(w, "Conv", "conv_box", 3, cb_in, 1, cb_out);
    onnx_writer_attr_ints(w, "kernel_shape", 2, (int64_t[]){ 8, 8 });
    onnx_writer_attr_ints(w, "strides", 2, (int64_t[]){ 8, 8 });
    const char *cc_in[] = { "images", "wc", "bc" }, *cc_out[] = { "cls_logit" };
    onnx_writer_node(w, "Conv", "conv_cls", 3, cc_in, 1, cc_out);
    onnx_writer_attr_ints(w, "kernel_shape", 2, (int64_t[]){ 8, 8 });
    onnx_writer_attr_ints(w, "strides", 2, (int64_t[]){ 8, 8 });
    const char *sg_in[] = { "cls_logit" }, *sg_out[] = { "cls" };
    onnx_writer_node(w, "Sigmoid", "sig", 1, sg_in, 1, sg_out);
    const char *ct_in[] = { "box", "cls" }, *ct_out[] = { "cat" };
    onnx_writer_node(w, "Concat", "cat", 2, ct_in, 1, ct_out);
    onnx_writer_attr_int(w, "axis", 1);
    const char *rs_in[] = { "cat", "shape" }, *rs_out[] = { "output0" };
    onnx_writer_node(w, "Reshape", "reshape", 2, rs_in, 1, rs_out);
    onnx_writer_output(w, "output0", YOLO_DT_F32);
    onnx_writer_metadata(w, "names", "{0: 'red', 1: 'green', 2: 'blue'}");
    onnx_writer_metadata(w, "stride", "8");
    int rc = onnx_writer_save(w, path);
    onnx_writer_free(w);
    return rc;
}

struct ref { int32_t n; struct yolo_det dets[MAX_DET]; };

struct world {
    struct yolo_image imgs[N_IMAGES];
    struct ref refs[N_IMAGES];
};

static int same_dets(const struct yolo_det *a, int32_t na, const struct yolo_det *b, int32_t nb)
{
    if (na != nb)
        return 0;
    for (int32_t i = 0; i < na; i++)
        if (a[i].cls != b[i].cls || a[i].conf != b[i].conf || a[i].x1 != b[i].x1 || a[i].y1 != b[i].y1 ||
            a[i].x2 != b[i].x2 || a[i].y2 != b[i].y2 || !a[i].name || strcmp(a[i].name, b[i].name) != 0)
            return 0;
    return 1;
}

static void sleep_us(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ concurrent scenario */

struct lane {
    const struct world *w;
    struct yolo_batcher_stream *s;
    sem_t submitted;                  /* one post per frame queued: the consumer never asks early */
    int id, n_frames, max_pause_us;
    uint64_t seed;
    int errors;                       /* written by the lane's threads, read after join */
    char first_error[256];
};

static int frame_image(const struct lane *l, int k) { return (l->id * 7 + k * 5) % N_IMAGES; }

static void *producer(void *arg)
{
    struct lane *l = arg;
    uint64_t seed = l->seed;
    for (int k = 0; k < l->n_frames; k++) {
        struct yolo_diag d = { 0 };
        if (yolo_batcher_submit(l->s, &l->w->imgs[frame_image(l, k)], (void *)(intptr_t)(k + 1), &d)) {
            l->errors++;
            snprintf(l->first_error, sizeof l->first_error, "submit %d: %s", k, d.msg);
            return NULL;
        }
        sem_post(&l->submitted);
        if (l->max_pause_us)
            sleep_us((long)(harness_rand(&seed) % (uint64_t)l->max_pause_us));
    }
    return NULL;
}

static void *consumer(void *arg)
{
    struct lane *l = arg;
    struct yolo_det dets[MAX_DET];
    for (int k = 0; k < l->n_frames; k++) {
        sem_wait(&l->submitted);
        struct yolo_result res;
        void *user = NULL;
        struct yolo_diag d = { 0 };
        int rc = yolo_batcher_next(l->s, dets, MAX_DET, &res, &user, &d);
        const struct ref *r = &l->w->refs[frame_image(l, k)];
        const struct yolo_image *im = &l->w->imgs[frame_image(l, k)];
        const char *what = rc ? d.msg : user != (void *)(intptr_t)(k + 1) ? "out of order"
                         : res.width != im->width || res.height != im->height ? "wrong size"
                         : !same_dets(res.dets, res.n_dets, r->dets, r->n) ? "detections differ" : NULL;
        if (what) {
            if (!l->errors++)
                snprintf(l->first_error, sizeof l->first_error, "frame %d (tag %ld, %d dets vs %d): %s", k,
                         (long)(intptr_t)user, res.n_dets, r->n, what);
        }
    }
    return NULL;
}

static void run_scenario(struct harness *h, const struct world *w, const struct yolo_ctx *ctx, int engine_batch,
                         uint64_t seed)
{
    uint64_t s0 = seed;
    struct yolo_batcher_params bp;
    yolo_batcher_params_default(&bp);
    bp.n_instances = 1 + (int32_t)(harness_rand(&seed) % 3);
    bp.max_batch = 1 + (int32_t)(harness_rand(&seed) % 6);
    bp.timeout_ms = (double)(harness_rand(&seed) % 4);
    int n_streams = 2 + (int)(harness_rand(&seed) % (MAX_STREAMS - 1));
    struct yolo_batcher *b = NULL;
    struct yolo_diag d = { 0 };
    int rc = yolo_batcher_create(ctx, &bp, &b, &d);
    CHECK(h, rc == 0, "create: %s", d.msg);
    if (rc)
        return;
    struct lane lanes[MAX_STREAMS];
    pthread_t prod[MAX_STREAMS], cons[MAX_STREAMS];
    int total = 0;
    for (int i = 0; i < n_streams; i++) {
        struct lane *l = &lanes[i];
        memset(l, 0, sizeof *l);
        l->w = w;
        l->id = i;
        l->n_frames = 10 + (int)(harness_rand(&seed) % 20);
        l->max_pause_us = (int)(harness_rand(&seed) % 3) * 400;
        l->seed = harness_rand(&seed) | 1;
        total += l->n_frames;
        sem_init(&l->submitted, 0, 0);
        int32_t depth = 1 + (int32_t)(harness_rand(&seed) % 6);
        rc = yolo_batcher_stream_open(b, depth, &l->s, &d);
        CHECK(h, rc == 0, "stream_open depth %d: %s", depth, d.msg);
    }
    for (int i = 0; i < n_streams; i++) {
        pthread_create(&prod[i], NULL, producer, &lanes[i]);
        pthread_create(&cons[i], NULL, consumer, &lanes[i]);
    }
    for (int i = 0; i < n_streams; i++) {
        pthread_join(prod[i], NULL);
        pthread_join(cons[i], NULL);
    }
    struct yolo_batcher_stats st;
    yolo_batcher_get_stats(b, &st);
    for (int i = 0; i < n_streams; i++) {
        CHECK(h, lanes[i].errors == 0, "seed %llu, engine batch %d, %d instances, batch %d, timeout %g ms, "
              "stream %d: %d errors, first: %s", (unsigned long long)s0, engine_batch, bp.n_instances,
              bp.max_batch, bp.timeout_ms, i, lanes[i].errors, lanes[i].first_error);
        yolo_batcher_stream_close(lanes[i].s);
        sem_destroy(&lanes[i].submitted);
    }
    CHECK(h, st.n_frames == total && st.max_group >= 1 && st.max_group <= bp.max_batch &&
          st.engine_max_batch == engine_batch && st.n_engine_calls >= st.n_groups &&
          st.n_engine_calls <= st.n_frames && (engine_batch > 1 || st.n_engine_calls == st.n_frames),
          "seed %llu: stats frames %lld (want %d), groups %lld, calls %lld, largest %d (batch %d)",
          (unsigned long long)s0, (long long)st.n_frames, total, (long long)st.n_groups,
          (long long)st.n_engine_calls, st.max_group, bp.max_batch);
    yolo_batcher_free(b);
}

/* ------------------------------------------------------------------ deterministic checks */

static void check_grouping(struct harness *h, const struct world *w, const struct yolo_ctx *ctx, int engine_batch)
{
    /* one worker, groups of 4, a long timeout: 8 quick submits make exactly two full groups */
    struct yolo_batcher_params bp = { 1, 4, 5000 };
    struct yolo_batcher *b = NULL;
    struct yolo_batcher_stream *s = NULL;
    struct yolo_diag d = { 0 };
    if (yolo_batcher_create(ctx, &bp, &b, &d) || yolo_batcher_stream_open(b, 8, &s, &d)) {
        CHECK(h, 0, "grouping setup: %s", d.msg);
        yolo_batcher_free(b);
        return;
    }
    for (int k = 0; k < 8; k++)
        yolo_batcher_submit(s, &w->imgs[k], NULL, &d);
    struct yolo_det dets[MAX_DET];
    int bad = 0;
    for (int k = 0; k < 8; k++) {
        struct yolo_result res;
        bad += yolo_batcher_next(s, dets, MAX_DET, &res, NULL, &d) != 0 ||
               !same_dets(res.dets, res.n_dets, w->refs[k].dets, w->refs[k].n);
    }
    struct yolo_batcher_stats st;
    yolo_batcher_get_stats(b, &st);
    CHECK(h, bad == 0 && st.n_groups == 2 && st.max_group == 4 &&
          st.n_engine_calls == (engine_batch == 1 ? 8 : 2),
          "engine batch %d: %d bad results, %lld groups, largest %d, %lld engine calls", engine_batch, bad,
          (long long)st.n_groups, st.max_group, (long long)st.n_engine_calls);

    /* a lone frame waits for its group up to the timeout, then runs alone */
    yolo_batcher_free(b);
    b = NULL;
    struct yolo_batcher_params bt = { 2, 4, 60 };
    if (yolo_batcher_create(ctx, &bt, &b, &d) || yolo_batcher_stream_open(b, 4, &s, &d)) {
        CHECK(h, 0, "timeout setup: %s", d.msg);
        yolo_batcher_free(b);
        return;
    }
    double t0 = yolo_now_ms();
    yolo_batcher_submit(s, &w->imgs[3], NULL, &d);
    struct yolo_result res;
    int rc = yolo_batcher_next(s, dets, MAX_DET, &res, NULL, &d);
    double waited = yolo_now_ms() - t0;
    CHECK(h, rc == 0 && waited >= 55 && same_dets(res.dets, res.n_dets, w->refs[3].dets, w->refs[3].n),
          "timeout 60 ms: rc %d, result after %.1f ms", rc, waited);
    yolo_batcher_free(b);   /* also closes s */
}

static void check_errors(struct harness *h, const struct world *w, const struct yolo_ctx *ctx)
{
    struct yolo_diag d = { 0 };
    struct yolo_batcher *b = NULL;
    struct yolo_batcher_params bad = { 1, 1, -1 };
    CHECK(h, yolo_batcher_create(ctx, &bad, &b, &d) == YOLO_ERR_ARG && !b, "negative timeout accepted");
    bad = (struct yolo_batcher_params){ 100000, 1, 0 };
    CHECK(h, yolo_batcher_create(ctx, &bad, &b, &d) == YOLO_ERR_ARG && !b, "100000 instances accepted");
    CHECK(h, yolo_batcher_create(NULL, NULL, &b, &d) == YOLO_ERR_ARG, "NULL context accepted");
    yolo_batcher_free(NULL);
    yolo_batcher_stream_close(NULL);

    struct yolo_batcher_params bp = { 2, 3, 1 };
    struct yolo_batcher_stream *s = NULL, *s2 = NULL;
    int rc = yolo_batcher_create(ctx, &bp, &b, &d);
    CHECK(h, rc == 0, "create: %s", d.msg);
    if (rc)
        return;
    CHECK(h, yolo_batcher_stream_open(b, 0, &s, &d) == YOLO_ERR_ARG && !s, "depth 0 accepted");
    CHECK(h, yolo_batcher_stream_open(b, 1 << 20, &s, &d) == YOLO_ERR_ARG, "huge depth accepted");
    rc = yolo_batcher_stream_open(b, 4, &s, &d);
    CHECK(h, rc == 0, "stream_open: %s", d.msg);
    struct yolo_det dets[MAX_DET];
    struct yolo_result res;
    CHECK(h, yolo_batcher_next(s, dets, MAX_DET, &res, NULL, &d) == YOLO_ERR_ARG && strstr(d.msg, "no frame"),
          "next with nothing in flight: %s", d.msg);
    struct yolo_image im = w->imgs[0];
    im.stride_bytes = 1;
    CHECK(h, yolo_batcher_submit(s, &im, NULL, &d) == YOLO_ERR_ARG, "bad stride accepted");
    im = w->imgs[0];
    im.data = NULL;
    CHECK(h, yolo_batcher_submit(s, &im, NULL, &d) == YOLO_ERR_ARG, "NULL pixels accepted");
    /* results after a rejected submit are still in order, and fewer dets fit a small array */
    yolo_batcher_submit(s, &w->imgs[1], (void *)1, &d);
    yolo_batcher_submit(s, &w->imgs[2], (void *)2, &d);
    void *user = NULL;
    rc = yolo_batcher_next(s, dets, 1, &res, &user, &d);
    CHECK(h, rc == 0 && user == (void *)1 && res.n_dets == (w->refs[1].n > 0 ? 1 : 0) &&
          same_dets(res.dets, res.n_dets, w->refs[1].dets, res.n_dets), "cap 1: rc %d, %d dets", rc, res.n_dets);
    rc = yolo_batcher_next(s, dets, MAX_DET, &res, &user, &d);
    CHECK(h, rc == 0 && user == (void *)2, "second result: rc %d tag %p", rc, user);
    /* wait without the copy: the same frame until released, its dets the stream's own */
    CHECK(h, yolo_batcher_wait(s, &res, &user, &d) == YOLO_ERR_ARG && strstr(d.msg, "no frame"),
          "wait with nothing in flight: %s", d.msg);
    yolo_batcher_release(s);   /* nothing to release: no effect */
    yolo_batcher_submit(s, &w->imgs[3], (void *)3, &d);
    yolo_batcher_submit(s, &w->imgs[4], (void *)4, &d);
    rc = yolo_batcher_wait(s, &res, &user, &d);
    const struct yolo_det *first = res.dets;
    CHECK(h, rc == 0 && user == (void *)3 && same_dets(res.dets, res.n_dets, w->refs[3].dets, w->refs[3].n) &&
          res.n_dets == w->refs[3].n, "wait: rc %d tag %p, %d dets", rc, user, res.n_dets);
    rc = yolo_batcher_wait(s, &res, &user, &d);
    CHECK(h, rc == 0 && user == (void *)3 && res.dets == first, "second wait before release: tag %p", user);
    yolo_batcher_release(s);
    rc = yolo_batcher_wait(s, &res, &user, &d);
    CHECK(h, rc == 0 && user == (void *)4 && same_dets(res.dets, res.n_dets, w->refs[4].dets, w->refs[4].n) &&
          res.n_dets == w->refs[4].n, "wait after release: rc %d tag %p", rc, user);
    yolo_batcher_release(s);
    /* close with frames queued and never taken; free with a stream still open and busy */
    rc = yolo_batcher_stream_open(b, 16, &s2, &d);
    for (int k = 0; k < 12; k++)
        yolo_batcher_submit(s2, &w->imgs[k], NULL, &d);
    yolo_batcher_stream_close(s2);
    for (int k = 0; k < 4; k++)
        yolo_batcher_submit(s, &w->imgs[k], NULL, &d);
    CHECK(h, yolo_batcher_memory_bytes(b) > 0, "memory bytes 0");
    yolo_batcher_free(b);
    CHECK(h, 1, "close and free with frames in flight returned");
}

/* ------------------------------------------------------------------ main */

static int load(struct harness *h, const char *onnx, const char *engine, int batch, struct yolo_model **m,
                struct yolo_ctx **c)
{
    struct yolo_build_params bp;
    yolo_build_params_default(&bp);
    bp.max_batch = batch > 1 ? batch : 0;
    struct yolo_diag d = { 0 };
    struct yolo_ctx_params cp;
    yolo_ctx_params_default(&cp);
    cp.max_det = MAX_DET;
    int rc = yolo_build(onnx, engine, &bp, NULL, &d);
    if (!rc)
        rc = yolo_model_load(engine, NULL, m, &d);
    if (!rc)
        rc = yolo_ctx_create(*m, &cp, c, &d);
    CHECK(h, rc == 0, "batch %d engine: %s", batch, d.msg);
    return rc;
}

int main(void)
{
    HARNESS_INIT(hh, "test_batcher");
    struct harness *h = &hh;
    uint64_t seed = 0x5eedba7c4e5ULL;
    printf("seed %llu\n", (unsigned long long)seed);
    char dir[] = "/tmp/yolo_test_batcher_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char onnx1[128], onnx4[128], eng1[128], eng4[128];
    snprintf(onnx1, sizeof onnx1, "%s/m1.onnx", dir);
    snprintf(onnx4, sizeof onnx4, "%s/m4.onnx", dir);
    snprintf(eng1, sizeof eng1, "%s/m1.engine", dir);
    snprintf(eng4, sizeof eng4, "%s/m4.engine", dir);
    CHECK(h, write_model(onnx1, 0, 42) == 0 && write_model(onnx4, 1, 42) == 0, "writing the models");

    static struct world w;
    uint64_t is = seed;
    for (int i = 0; i < N_IMAGES; i++) {
        int iw = 12 + (int)(harness_rand(&is) % 90), ih = 12 + (int)(harness_rand(&is) % 90);
        int stride = iw * 3 + (int)(harness_rand(&is) % 3) * 4;
        uint8_t *px = malloc((size_t)stride * (size_t)ih);
        if (!px)
            return 1;
        for (int k = 0; k < stride * ih; k++)
            px[k] = (uint8_t)(harness_rand(&is) >> 56);
        w.imgs[i] = (struct yolo_image){ px, iw, ih, stride, YOLO_PIXEL_BGR };
    }

    for (int e = 0; e < 2; e++) {
        int engine_batch = e ? 4 : 1;
        struct yolo_model *m = NULL;
        struct yolo_ctx *c = NULL;
        if (load(h, e ? onnx4 : onnx1, e ? eng4 : eng1, engine_batch, &m, &c) == 0) {
            /* the reference: one image per call on a context of its own */
            int n_with = 0;
            for (int i = 0; i < N_IMAGES; i++) {
                struct yolo_result r;
                struct yolo_diag d = { 0 };
                int rc = yolo_detect(c, &w.imgs[i], &r, &d);
                CHECK(h, rc == 0, "reference image %d: %s", i, d.msg);
                w.refs[i].n = rc ? 0 : r.n_dets;
                memcpy(w.refs[i].dets, r.dets, sizeof *r.dets * (size_t)w.refs[i].n);
                n_with += w.refs[i].n > 0;
            }
            CHECK(h, n_with >= N_IMAGES / 2, "only %d of %d images have detections: a weak test", n_with, N_IMAGES);
            for (int sc = 0; sc < 6; sc++)
                run_scenario(h, &w, c, engine_batch, seed + 1000 * (uint64_t)e + (uint64_t)sc);
            check_grouping(h, &w, c, engine_batch);
            if (!e)
                check_errors(h, &w, c);
        }
        yolo_ctx_free(c);
        yolo_model_free(m);
    }
    for (int i = 0; i < N_IMAGES; i++)
        free((void *)w.imgs[i].data);
    unlink(onnx1);
    unlink(onnx4);
    unlink(eng1);
    unlink(eng4);
    rmdir(dir);
    return harness_finish(h);
}
