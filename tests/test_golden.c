/* test_golden.c: whole-model outputs against ONNX Runtime's (../shared/golden).
 *
 * For each shared model: build an engine (yolo_build), load it, run it on the golden input
 * tensor and compare element-wise with ORT's raw output: box values within 0.05 px and scores
 * within 1e-4 (the engine issue's acceptance bounds). For the end-to-end [1,300,6] output the
 * rows are compared as a set: every reference row with score > 0.01 needs a row of the same
 * class within those bounds, because near-equal scores may reorder the tail.
 * Each model runs with the best kernels and with the reference kernels (YOLO_ISA=ref), and the
 * measured worst errors are printed so the margins are visible. Builds with the CUDA backend
 * add, where a GPU is present, a CUDA FP32 run (the same bounds) and a CUDA FP16 run: its raw
 * outputs within 4 px and 0.02, and its detections (decode + NMS) the same objects as the
 * FP32 run's with IoU >= 0.98 and confidence within 0.01. YOLO_TEST_REQUIRE_CUDA=1 makes a
 * missing GPU a failure (make test-cuda).
 *
 * Usage: test_golden                       all models (build + run in-process)
 *        test_golden --compare FMT OUT REF  compare two raw files (FMT v5|v8|e2e), for CLI tests
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "harness.h"
#include "net.h"
#include "postprocess.h"
#include "yolo.h"

#define BOX_TOL   0.05
#define SCORE_TOL 1e-4
/* FP16 raw outputs, a sanity bound over all 8400 anchors: the DFL's logits are FP16 (0.008
 * steps), which moves the box of an anchor with a flat distribution by up to a few px (0.1 of a
 * stride-32 cell); what decides is the detections check below (IoU >= 0.98, confidence within
 * 0.01). Scores: yolo11n_dq's worst raw score moved between 0.0066 and 0.0124 on an H100 with
 * nothing changed but the order of a Softmax's sum (one thread or one warp per row) and the
 * tiled kernel's split (its attention's FP16 rounding, compounded), so 0.02. */
#define BOX_TOL_FP16   4.0
#define SCORE_TOL_FP16 0.02

/* The bounds the comparison applies (FP32 runs: the constants above). */
struct tol { double box, score; };
static const struct tol TOL_FP32 = { BOX_TOL, SCORE_TOL }, TOL_FP16 = { BOX_TOL_FP16, SCORE_TOL_FP16 };

struct errs { double box, score; int64_t n_bad; char first_bad[160]; };

static void note_bad(struct errs *e, const char *what, int64_t i, float got, float want)
{
    if (e->n_bad++ == 0)
        snprintf(e->first_bad, sizeof e->first_bad, "%s at %lld: got %.6f want %.6f", what,
                 (long long)i, got, want);
}

/* v8: [1, 4+nc, A]: rows 0..3 boxes, rest scores. v5: [1, A, 5+nc]: cols 0..3 boxes. */
static void compare_dense(const float *got, const float *want, int64_t n, int v8, int64_t d1,
                          int64_t d2, const struct tol *t, struct errs *e)
{
    for (int64_t i = 0; i < n; i++) {
        int is_box = v8 ? (i / d2) < 4 : (i % d2) < 4;
        double err = fabs((double)got[i] - want[i]);
        if (!(err == err))
            err = INFINITY;
        if (is_box) {
            if (err > e->box)
                e->box = err;
            if (!(err <= t->box))
                note_bad(e, "box value", i, got[i], want[i]);
        } else {
            if (err > e->score)
                e->score = err;
            if (!(err <= t->score))
                note_bad(e, "score", i, got[i], want[i]);
        }
    }
    (void)d1;
}

static void compare_e2e(const float *got, const float *want, int64_t rows, const struct tol *t,
                        struct errs *e)
{
    for (int64_t r = 0; r < rows; r++) {
        const float *w = want + r * 6;
        if (!(w[4] > 0.01f))
            continue;
        double best = INFINITY, best_score = INFINITY;
        for (int64_t q = 0; q < rows; q++) {
            const float *g = got + q * 6;
            if (g[5] != w[5])
                continue;
            double be = 0;
            for (int k = 0; k < 4; k++)
                be = fmax(be, fabs((double)g[k] - w[k]));
            double se = fabs((double)g[4] - w[4]);
            if (be <= t->box && se <= t->score && be + se < best + best_score) {
                best = be;
                best_score = se;
            }
        }
        if (best == INFINITY) {
            note_bad(e, "reference row has no match", r, 0, w[4]);
            continue;
        }
        e->box = fmax(e->box, best);
        e->score = fmax(e->score, best_score);
    }
}

static int compare(const char *fmt, const float *got, const float *want, int64_t n,
                   const struct tol *t, struct errs *e)
{
    memset(e, 0, sizeof *e);
    if (strcmp(fmt, "v8") == 0 && n == 84 * 8400)
        compare_dense(got, want, n, 1, 84, 8400, t, e);
    else if (strcmp(fmt, "v5") == 0 && n % 85 == 0)
        compare_dense(got, want, n, 0, n / 85, 85, t, e);
    else if (strcmp(fmt, "e2e") == 0 && n % 6 == 0)
        compare_e2e(got, want, n / 6, t, e);
    else
        return -1;
    return 0;
}

static int compare_files(const char *fmt, const char *out, const char *ref)
{
    uint8_t *a = NULL, *b = NULL;
    size_t na, nb;
    struct yolo_diag d = { 0 };
    if (yolo_read_file(out, 1u << 30, &a, &na, &d) || yolo_read_file(ref, 1u << 30, &b, &nb, &d)) {
        fprintf(stderr, "%s\n", d.msg);
        return 1;
    }
    struct errs e;
    int rc = na != nb || compare(fmt, (float *)a, (float *)b, (int64_t)(na / 4), &TOL_FP32, &e);
    if (rc)
        fprintf(stderr, "%s: %zu bytes vs %zu in %s (format %s)\n", out, na, nb, ref, fmt);
    else
        printf("%s: max box error %.3g px (bound %g), max score error %.3g (bound %g), %lld bad%s%s\n",
               out, e.box, BOX_TOL, e.score, SCORE_TOL, (long long)e.n_bad, e.n_bad ? ": " : "",
               e.first_bad);
    free(a);
    free(b);
    return rc || e.n_bad ? 1 : 0;
}

struct pass { const char *backend, *isa, *precision; const struct tol *tol; };

/* Decode + NMS (default thresholds) of a raw output on the 640x640 input itself. */
static int32_t detections(const char *fmt, const float *raw, int64_t n, struct yolo_det *dets,
                          int32_t cap)
{
    struct yolo_raw_output ro = { raw, strcmp(fmt, "v8") == 0 ? YOLO_LAYOUT_V8
                                       : strcmp(fmt, "v5") == 0 ? YOLO_LAYOUT_V5 : YOLO_LAYOUT_E2E,
                                  strcmp(fmt, "v8") == 0 ? 84 : n / (strcmp(fmt, "v5") == 0 ? 85 : 6),
                                  strcmp(fmt, "v8") == 0 ? n / 84 : strcmp(fmt, "v5") == 0 ? 85 : 6 };
    struct yolo_nms_params np;
    yolo_nms_params_default(&np);
    struct yolo_letterbox_geom geom;
    yolo_letterbox_geom_compute(640, 640, 640, 640, &geom, NULL);   /* the identity */
    struct yolo_workspace ws = { 0 };
    struct yolo_diag d = { 0 };
    int32_t nd = 0;
    if (yolo_postprocess(&ro, &np, &geom, &ws, dets, cap, &nd, &d))
        nd = -1;
    yolo_workspace_free(&ws);
    return nd;
}

static double iou(const struct yolo_det *a, const struct yolo_det *b)
{
    double iw = fmin(a->x2, b->x2) - fmax(a->x1, b->x1), ih = fmin(a->y2, b->y2) - fmax(a->y1, b->y1);
    if (iw <= 0 || ih <= 0)
        return 0;
    double inter = iw * ih;
    double ua = (a->x2 - a->x1) * (a->y2 - a->y1) + (b->x2 - b->x1) * (b->y2 - b->y1) - inter;
    return ua > 0 ? inter / ua : 0;
}

/* The FP16 run finds the same objects as the FP32 run: every detection of one has one of the
 * same class in the other with IoU >= 0.98 and confidence within 0.01. */
static void same_detections(struct harness *h, const char *model, const char *fmt,
                            const float *fp32, const float *fp16, int64_t n)
{
    struct yolo_det a[300], b[300];
    int32_t na = detections(fmt, fp32, n, a, 300), nb = detections(fmt, fp16, n, b, 300);
    CHECK(h, na >= 0 && nb >= 0, "%s: decode failed", model);
    double worst_iou = 1, worst_conf = 0;
    for (int pass = 0; pass < 2 && na >= 0 && nb >= 0; pass++) {
        const struct yolo_det *x = pass ? b : a, *y = pass ? a : b;
        int32_t nx = pass ? nb : na, ny = pass ? na : nb;
        for (int32_t i = 0; i < nx; i++) {
            double best = 0, dc = 1;
            for (int32_t j = 0; j < ny; j++)
                if (y[j].cls == x[i].cls && iou(&x[i], &y[j]) > best) {
                    best = iou(&x[i], &y[j]);
                    dc = fabs((double)x[i].conf - y[j].conf);
                }
            worst_iou = fmin(worst_iou, best);
            worst_conf = fmax(worst_conf, dc);
            CHECK(h, best >= 0.98 && dc <= 0.01, "%s: FP16 detection %d of %s (class %d, conf %.3f) "
                  "matches at IoU %.3f, conf diff %.3f", model, i, pass ? "FP16" : "FP32",
                  x[i].cls, x[i].conf, best, dc);
        }
    }
    printf("%-12s cuda   FP16 vs FP32 detections: %d vs %d, worst IoU %.4f, worst conf diff %.4f\n",
           model, na, nb, worst_iou, worst_conf);
}

/* Runs engine on pass ps's backend (NULL: the CPU, best kernels) on input (all of its batch),
 * output into out. */
static int run_on(const struct pass *ps, const char *engine, const void *input, size_t n_input,
                  float *out, size_t n_out, struct yolo_diag *d)
{
    struct yolo_engine *e = NULL;
    struct yolo_net *net = NULL;
    struct yolo_runner *r = NULL;
    struct yolo_net_params np = { .isa = ps ? ps->isa : NULL, .backend = ps ? ps->backend : NULL,
                                  .precision = ps ? ps->precision : NULL };
    int rc = yolo_engine_load(engine, 0, &e, d);
    rc = rc ? rc : yolo_net_create(e, &np, &net, d);
    rc = rc ? rc : yolo_runner_create(net, NULL, &r, d);
    if (!rc) {
        const struct yolo_graph *g = yolo_net_graph(net);
        rc = yolo_runner_tensor_set(r, g->inputs[0], input, n_input);
        rc = rc ? rc : yolo_runner_run(r, d);
        rc = rc ? rc : yolo_runner_tensor_get(r, g->outputs[0], out, n_out);
    }
    yolo_runner_free(r);
    yolo_net_free(net);
    return rc;
}

/* A fixed-batch-1 export built for batch 2 (build_model.c rebatches its head's Reshapes) runs
 * two different images at once on each pass of ps: image 0 (bus) within the pass's bounds of
 * ORT's output, image 1 (zidane) within them of the batch-1 engine's output on the same pass,
 * so no image leaks into the other. On the GPU this is where the device plan's parts lie
 * image by image (cuda/plan_cuda.c: at batch 1 every part is one range). Image 1 is held to
 * the same pass at batch 1, not to the CPU: FP16's own error on zidane (a score of yolo11n_dq
 * 0.213 against the CPU's 0.249 with YOLO_CUDA_TILE_SPLIT=0, H100) is the single-image
 * checks' business; the batch-1 pass against the CPU is printed beside it. */
static void rebatch_check(struct harness *h, const char *shared, const char *model, const char *fmt,
                          const char *engine1, const uint8_t *bus, size_t n_input, const float *want,
                          size_t n_want, const char *tmp, const struct pass *ps, int n_ps)
{
    char path[1024], engine2[1024];
    struct yolo_diag d = { 0 };
    uint8_t *zid = NULL;
    size_t nz = 0;
    snprintf(path, sizeof path, "%s/golden/input_zidane_640.bin", shared);
    CHECK(h, yolo_read_file(path, 1u << 30, &zid, &nz, &d) == 0 && nz == n_input, "%s", d.msg);
    snprintf(path, sizeof path, "%s/data/models/%s.onnx", shared, model);
    snprintf(engine2, sizeof engine2, "%s/yolo_golden_%ld_%s_b2.engine", tmp, (long)getpid(), model);
    struct yolo_build_params bp;
    yolo_build_params_default(&bp);
    bp.max_batch = 2;
    uint8_t *in2 = malloc(2 * n_input);
    float *out1 = malloc(n_want), *out2 = malloc(2 * n_want), *out1p = malloc(n_want);
    int rc = !zid || nz != n_input || !in2 || !out1 || !out2 || !out1p;
    if (!rc) {
        memcpy(in2, bus, n_input);
        memcpy(in2 + n_input, zid, n_input);
        rc = yolo_build(path, engine2, &bp, NULL, &d);
        CHECK(h, rc == 0, "%s: build for batch 2: %s", model, d.msg);
    }
    if (!rc) {
        rc = run_on(NULL, engine1, zid, n_input, out1, n_want, &d);
        CHECK(h, rc == 0, "%s: batch-1 run: %s", model, d.msg);
    }
    for (int pi = 0; pi < n_ps && !rc; pi++) {
        const char *prec = ps[pi].precision ? ps[pi].precision : "";
        int rr = run_on(&ps[pi], engine2, in2, 2 * n_input, out2, 2 * n_want, &d);
        rr = rr ? rr : run_on(&ps[pi], engine1, zid, n_input, out1p, n_want, &d);
        CHECK(h, rr == 0, "%s: batch-2 / batch-1 run on %s %s: %s", model, ps[pi].backend, prec, d.msg);
        if (rr)
            continue;
        struct errs e0, e1, e1cpu;
        compare(fmt, out2, want, (int64_t)(n_want / 4), ps[pi].tol, &e0);
        compare(fmt, out2 + n_want / 4, out1p, (int64_t)(n_want / 4), ps[pi].tol, &e1);
        compare(fmt, out1p, out1, (int64_t)(n_want / 4), ps[pi].tol, &e1cpu);
        printf("%-12s %-5s %-4s batch 2 (rebatched): image 0 vs ORT max box / score error %.3g / %.3g, "
               "image 1 vs batch 1 %.3g / %.3g (batch 1 vs the CPU: %.3g / %.3g)\n", model,
               ps[pi].backend, prec, e0.box, e0.score, e1.box, e1.score, e1cpu.box, e1cpu.score);
        CHECK(h, e0.n_bad == 0 && e1.n_bad == 0, "%s batch 2 on %s %s: %lld / %lld values out of "
              "bounds: %s%s", model, ps[pi].backend, prec, (long long)e0.n_bad, (long long)e1.n_bad,
              e0.first_bad, e1.first_bad);
    }
    unlink(engine2);
    free(zid);
    free(in2);
    free(out1);
    free(out2);
    free(out1p);
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--compare") == 0)
        return compare_files(argv[2], argv[3], argv[4]);
    HARNESS_INIT(h, "test_golden");
    const char *shared = harness_shared_dir();
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    static const struct { const char *model, *fmt; } models[] = {
        { "yolov5n", "v5" }, { "yolov8n_dq", "v8" }, { "yolo11n_dq", "v8" }, { "yolov10n_dq", "e2e" },
        /* int8 QDQ: QConv requantizes as ONNX Runtime does, so the bounds are the float ones */
        { "yolov8n_int8_qdq", "v8" },
    };
    char path[1024], engine[1024], golden[1024];
    snprintf(path, sizeof path, "%s/golden/input_bus_640.bin", shared);
    uint8_t *input = NULL;
    size_t n_input = 0;
    struct yolo_diag d = { 0 };
    if (yolo_read_file(path, 1u << 30, &input, &n_input, &d)) {
        fprintf(stderr, "%s (set SHARED to the shared folder)\n", d.msg);
        return 1;
    }
    /* the CPU's best kernels, AVX2's (the int8 QDQ model on the AVX2 int8 kernel) and the
     * reference ones */
    struct pass passes[5] = { { "cpu", NULL, NULL, &TOL_FP32 }, { "cpu", "avx2", NULL, &TOL_FP32 },
                              { "cpu", "ref", NULL, &TOL_FP32 } };
    int n_passes = 3;
    const struct yolo_backend *cuda = yolo_backend_find("cuda");
    if (cuda && cuda->device_count() > 0) {
        passes[n_passes++] = (struct pass){ "cuda", NULL, "fp32", &TOL_FP32 };
        passes[n_passes++] = (struct pass){ "cuda", NULL, "fp16", &TOL_FP16 };
    } else if (cuda || getenv("YOLO_TEST_REQUIRE_CUDA")) {
        const char *req = getenv("YOLO_TEST_REQUIRE_CUDA");
        printf("test_golden: no CUDA %s: the CUDA passes are skipped\n", cuda ? "device" : "backend");
        CHECK(&h, !(req && strcmp(req, "1") == 0), "YOLO_TEST_REQUIRE_CUDA=1 but no CUDA %s",
              cuda ? "device" : "backend in this build");
    }
    /* YOLO_GOLDEN_MODELS="a b": only those (a size-limited GPU bundle carries them in turns) */
    const char *only = getenv("YOLO_GOLDEN_MODELS");
    for (size_t m = 0; m < sizeof models / sizeof *models; m++) {
        if (only && !strstr(only, models[m].model))
            continue;
        snprintf(path, sizeof path, "%s/data/models/%s.onnx", shared, models[m].model);
        snprintf(engine, sizeof engine, "%s/yolo_golden_%ld_%s.engine", tmp, (long)getpid(), models[m].model);
        snprintf(golden, sizeof golden, "%s/golden/out_%s_bus.bin", shared, models[m].model);
        struct yolo_build_report rep;
        int rc = yolo_build(path, engine, NULL, &rep, &d);
        CHECK(&h, rc == 0, "%s: build: %s", models[m].model, d.msg);
        if (rc)
            continue;
        CHECK(&h, strcmp(rep.format, models[m].fmt) == 0, "%s: format %s, want %s", models[m].model,
              rep.format, models[m].fmt);
        uint8_t *want = NULL;
        size_t n_want = 0;
        CHECK(&h, yolo_read_file(golden, 1u << 30, &want, &n_want, &d) == 0, "%s", d.msg);
        float *fp32_out = NULL;   /* the CUDA FP32 run's output, for the FP16 detections check */
        for (int pi = 0; pi < n_passes && want; pi++) {
            const struct pass *ps = &passes[pi];
            struct yolo_engine *e = NULL;
            struct yolo_net *net = NULL;
            struct yolo_runner *r = NULL;
            struct yolo_net_params np = { .isa = ps->isa, .backend = ps->backend,
                                          .precision = ps->precision };
            rc = yolo_engine_load(engine, 0, &e, &d);
            if (!rc)
                rc = yolo_net_create(e, &np, &net, &d);
            if (!rc)
                rc = yolo_runner_create(net, NULL, &r, &d);
            CHECK(&h, rc == 0, "%s on %s: load: %s", models[m].model, ps->backend, d.msg);
            if (rc) {
                yolo_net_free(net);
                continue;
            }
            const struct yolo_graph *g = yolo_net_graph(net);
            const struct yolo_tensor *in = &g->tensors[g->inputs[0]], *out = &g->tensors[g->outputs[0]];
            CHECK(&h, yolo_tensor_bytes(in) == n_input, "%s: input bytes", models[m].model);
            CHECK(&h, yolo_tensor_bytes(out) == n_want, "%s: output bytes %llu vs golden %zu",
                  models[m].model, (unsigned long long)yolo_tensor_bytes(out), n_want);
            float *got = malloc(n_want);
            if (got && yolo_tensor_bytes(in) == n_input && yolo_tensor_bytes(out) == n_want) {
                rc = yolo_runner_tensor_set(r, g->inputs[0], input, n_input);
                rc = rc ? rc : yolo_runner_run(r, &d);
                rc = rc ? rc : yolo_runner_tensor_get(r, g->outputs[0], got, n_want);
                CHECK(&h, rc == 0, "%s on %s/%s: run: %d %s", models[m].model, ps->backend,
                      yolo_net_variant(net), rc, d.msg);
                struct errs er;
                compare(models[m].fmt, got, (const float *)want, (int64_t)(n_want / 4), ps->tol, &er);
                printf("%-12s %-5s %-6s max box error %.3g px, max score error %.3g (bounds %g, %g)\n",
                       models[m].model, ps->backend, yolo_net_variant(net), er.box, er.score,
                       ps->tol->box, ps->tol->score);
                CHECK(&h, er.n_bad == 0, "%s (%s/%s): %lld values out of bounds; first: %s",
                      models[m].model, ps->backend, yolo_net_variant(net), (long long)er.n_bad,
                      er.first_bad);
                if (ps->precision && strcmp(ps->precision, "fp32") == 0) {
                    free(fp32_out);
                    fp32_out = got;
                    got = NULL;
                } else if (ps->precision && fp32_out) {
                    same_detections(&h, models[m].model, models[m].fmt, fp32_out, got,
                                    (int64_t)(n_want / 4));
                }
            }
            free(got);
            yolo_runner_free(r);
            yolo_net_free(net);
        }
        free(fp32_out);
        /* make test: the CPU's; make test-cuda: the GPU's passes (the CPU's ran in make test) */
        int gpu_run = getenv("YOLO_TEST_REQUIRE_CUDA") != NULL;
        if (want && strcmp(models[m].fmt, "e2e"))
            rebatch_check(&h, shared, models[m].model, models[m].fmt, engine, input, n_input,
                          (const float *)want, n_want, tmp, gpu_run ? passes + 3 : passes,
                          gpu_run ? n_passes - 3 : 1);
        free(want);
        unlink(engine);
    }
    free(input);
    return harness_finish(&h);
}
