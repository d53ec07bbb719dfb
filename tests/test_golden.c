/* test_golden.c: whole-model outputs against ONNX Runtime's (../shared/golden).
 *
 * For each shared model: build an engine (yolo_build), load it, run it on the golden input
 * tensor and compare element-wise with ORT's raw output: box values within 0.05 px and scores
 * within 1e-4 (the engine issue's acceptance bounds). For the end-to-end [1,300,6] output the
 * rows are compared as a set: every reference row with score > 0.01 needs a row of the same
 * class within those bounds, because near-equal scores may reorder the tail.
 * Each model runs with the best kernels and with the reference kernels (YOLO_ISA=ref), and the
 * measured worst errors are printed so the margins are visible.
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
#include "yolo.h"

#define BOX_TOL   0.05
#define SCORE_TOL 1e-4

struct errs { double box, score; int64_t n_bad; char first_bad[160]; };

static void note_bad(struct errs *e, const char *what, int64_t i, float got, float want)
{
    if (e->n_bad++ == 0)
        snprintf(e->first_bad, sizeof e->first_bad, "%s at %lld: got %.6f want %.6f", what,
                 (long long)i, got, want);
}

/* v8: [1, 4+nc, A]: rows 0..3 boxes, rest scores. v5: [1, A, 5+nc]: cols 0..3 boxes. */
static void compare_dense(const float *got, const float *want, int64_t n, int v8, int64_t d1,
                          int64_t d2, struct errs *e)
{
    for (int64_t i = 0; i < n; i++) {
        int is_box = v8 ? (i / d2) < 4 : (i % d2) < 4;
        double err = fabs((double)got[i] - want[i]);
        if (!(err == err))
            err = INFINITY;
        if (is_box) {
            if (err > e->box)
                e->box = err;
            if (!(err <= BOX_TOL))
                note_bad(e, "box value", i, got[i], want[i]);
        } else {
            if (err > e->score)
                e->score = err;
            if (!(err <= SCORE_TOL))
                note_bad(e, "score", i, got[i], want[i]);
        }
    }
    (void)d1;
}

static void compare_e2e(const float *got, const float *want, int64_t rows, struct errs *e)
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
            if (be <= BOX_TOL && se <= SCORE_TOL && be + se < best + best_score) {
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

static int compare(const char *fmt, const float *got, const float *want, int64_t n, struct errs *e)
{
    memset(e, 0, sizeof *e);
    if (strcmp(fmt, "v8") == 0 && n == 84 * 8400)
        compare_dense(got, want, n, 1, 84, 8400, e);
    else if (strcmp(fmt, "v5") == 0 && n % 85 == 0)
        compare_dense(got, want, n, 0, n / 85, 85, e);
    else if (strcmp(fmt, "e2e") == 0 && n % 6 == 0)
        compare_e2e(got, want, n / 6, e);
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
    int rc = na != nb || compare(fmt, (float *)a, (float *)b, (int64_t)(na / 4), &e);
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
    for (size_t m = 0; m < sizeof models / sizeof *models; m++) {
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
        for (int pass = 0; pass < 2 && want; pass++) {
            const char *isa = pass == 0 ? NULL : "ref";
            struct yolo_engine *e = NULL;
            struct yolo_net *net = NULL;
            struct yolo_runner *r = NULL;
            struct yolo_net_params np = { .isa = isa };
            rc = yolo_engine_load(engine, 0, &e, &d);
            if (!rc)
                rc = yolo_net_create(e, &np, &net, &d);
            if (!rc)
                rc = yolo_runner_create(net, NULL, &r, &d);
            CHECK(&h, rc == 0, "%s: load: %s", models[m].model, d.msg);
            if (rc) {
                yolo_net_free(net);
                continue;
            }
            const struct yolo_graph *g = yolo_net_graph(net);
            const struct yolo_tensor *in = &g->tensors[g->inputs[0]], *out = &g->tensors[g->outputs[0]];
            CHECK(&h, yolo_tensor_bytes(in) == n_input, "%s: input bytes", models[m].model);
            CHECK(&h, yolo_tensor_bytes(out) == n_want, "%s: output bytes %llu vs golden %zu",
                  models[m].model, (unsigned long long)yolo_tensor_bytes(out), n_want);
            if (yolo_tensor_bytes(in) == n_input && yolo_tensor_bytes(out) == n_want) {
                memcpy(yolo_runner_tensor(r, g->inputs[0]), input, n_input);
                yolo_runner_run(r, &d);
                struct errs er;
                compare(models[m].fmt, yolo_runner_tensor(r, g->outputs[0]), (const float *)want,
                        (int64_t)(n_want / 4), &er);
                printf("%-12s %-6s max box error %.3g px, max score error %.3g\n", models[m].model,
                       yolo_net_variant(net), er.box, er.score);
                CHECK(&h, er.n_bad == 0, "%s (%s): %lld values out of bounds; first: %s", models[m].model,
                      yolo_net_variant(net), (long long)er.n_bad, er.first_bad);
            }
            yolo_runner_free(r);
            yolo_net_free(net);
        }
        free(want);
        unlink(engine);
    }
    free(input);
    return harness_finish(&h);
}
