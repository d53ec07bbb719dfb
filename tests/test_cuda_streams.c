/* test_cuda_streams.c: several video streams through the dynamic batcher on the GPU (the path
 * `yolo video --device cuda` takes), as issue 13 asks: two producer threads feed the frames of
 * the two shared videos (decoded on a machine with FFmpeg and carried as JPEG files, since the
 * GPU machine has none), each stream's results come back in order, and
 *   - the GPU with 1 instance and with 3 instances (clones) give bit-identical detections,
 *     in FP32 and in FP16 (a frame's result must not depend on which clone ran it or with
 *     which other frames it was grouped);
 *   - the GPU's FP32 detections equal the CPU path's: same objects, boxes within 0.5 px and
 *     confidences within 0.002 (the backends' arithmetic differs in the last bits; an object
 *     only one side keeps must sit within 0.002 of the confidence threshold);
 *   - device memory grows by at most each clone's own bytes (yolo_ctx_memory_bytes: arena,
 *     scratch, staging) plus 16 MiB of driver and cuDNN overhead per clone;
 * and prints frames/s for each run.
 * usage: test_cuda_streams ENGINE DIR_A DIR_B   (an engine of batch >= 1; DIR_*: *.jpg frames
 * in name order). Without CUDA or a GPU it says so and passes, unless YOLO_TEST_REQUIRE_CUDA=1. */
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "yolo.h"

#define MAX_FRAMES 256
#define MAX_DET 300

struct stream_in {
    struct yolo_image img[MAX_FRAMES];
    int32_t n;
};

struct frame_out {
    int32_t n;
    struct yolo_det det[MAX_DET];
};

struct producer {
    struct yolo_batcher_stream *s;
    const struct stream_in *in;
    struct frame_out *out;
    int rc;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(const char *dir, struct stream_in *in)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return -1;
    char *names[MAX_FRAMES];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp)) && n < MAX_FRAMES)
        if (strstr(e->d_name, ".jpg"))
            names[n++] = strdup(e->d_name);
    closedir(dp);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    in->n = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct yolo_diag d = { 0 };
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (yolo_image_read(path, &in->img[in->n], &d) == 0)
            in->n++;
        else
            fprintf(stderr, "test_cuda_streams: %s\n", d.msg);
        free(names[i]);
    }
    return in->n > 0 ? 0 : -1;
}

/* A producer submits its whole stream (depth = its length, so submit never waits), then takes
 * the results back in order. */
static void *produce(void *arg)
{
    struct producer *p = arg;
    struct yolo_diag d = { 0 };
    for (int32_t i = 0; i < p->in->n && !p->rc; i++)
        p->rc = yolo_batcher_submit(p->s, &p->in->img[i], NULL, &d);
    for (int32_t i = 0; i < p->in->n && !p->rc; i++) {
        struct yolo_result r;
        p->rc = yolo_batcher_next(p->s, p->out[i].det, MAX_DET, &r, NULL, &d);
        p->out[i].n = r.n_dets;
    }
    if (p->rc)
        fprintf(stderr, "test_cuda_streams: %s\n", d.msg);
    return NULL;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* Runs both streams through a batcher of n_inst clones; out[k] gets stream k's frames. */
static int run_streams(const char *engine, const char *backend, const char *precision,
                       int32_t n_inst, const struct stream_in in[2], struct frame_out *out[2],
                       double *fps, int64_t *grown, uint64_t *reported, struct yolo_diag *d)
{
    struct yolo_model_params mp;
    yolo_model_params_default(&mp);
    mp.backend = backend;
    mp.precision = precision;
    struct yolo_model *m = NULL;
    struct yolo_ctx *c = NULL;
    struct yolo_batcher *b = NULL;
    int rc = yolo_model_load(engine, &mp, &m, d);
    rc = rc ? rc : yolo_ctx_create(m, NULL, &c, d);
    uint64_t before = 0, after = 0;
    int measure = !rc && yolo_model_device_memory_used(m, &before) == 0;
    struct yolo_batcher_params bp;
    yolo_batcher_params_default(&bp);
    bp.n_instances = n_inst;
    bp.max_batch = 8;
    bp.timeout_ms = 2;
    rc = rc ? rc : yolo_batcher_create(c, &bp, &b, d);
    struct producer p[2] = { { 0 } };
    for (int k = 0; k < 2 && !rc; k++) {
        p[k].in = &in[k];
        p[k].out = out[k];
        rc = yolo_batcher_stream_open(b, in[k].n, &p[k].s, d);
    }
    double t0 = now_s();
    pthread_t th[2];
    int started = 0;
    for (; !rc && started < 2; started++)
        if (pthread_create(&th[started], NULL, produce, &p[started])) {
            snprintf(d->msg, sizeof d->msg, "cannot start a producer thread");
            rc = YOLO_ERR_NOMEM;
        }
    for (int k = 0; k < started; k++)
        pthread_join(th[k], NULL);
    *fps = (in[0].n + in[1].n) / (now_s() - t0);
    for (int k = 0; k < 2 && !rc; k++)
        rc = p[k].rc;
    *reported = b ? yolo_batcher_memory_bytes(b) : 0;
    if (measure && yolo_model_device_memory_used(m, &after) == 0)
        *grown = (int64_t)(after - before);
    else
        *grown = -1;
    yolo_batcher_free(b);
    yolo_ctx_free(c);
    yolo_model_free(m);
    return rc;
}

static int64_t count_diff(struct frame_out *a[2], struct frame_out *b[2], const struct stream_in in[2])
{
    int64_t n = 0;
    for (int k = 0; k < 2; k++)
        for (int32_t i = 0; i < in[k].n; i++) {
            const struct frame_out *x = &a[k][i], *y = &b[k][i];
            if (x->n != y->n)
                n++;
            else
                for (int32_t j = 0; j < x->n; j++)
                    if (x->det[j].cls != y->det[j].cls || x->det[j].conf != y->det[j].conf ||
                        x->det[j].x1 != y->det[j].x1 || x->det[j].y1 != y->det[j].y1 ||
                        x->det[j].x2 != y->det[j].x2 || x->det[j].y2 != y->det[j].y2) {
                        n++;
                        break;
                    }
        }
    return n;
}

/* Objects of a matched within tolerance in b (same class, box 0.5 px, conf 0.002); an object
 * without a match must be within 0.002 of the threshold. Returns the objects that fail. */
static int64_t count_far(const struct frame_out *a, const struct frame_out *b, float conf_thr)
{
    int64_t bad = 0;
    for (int32_t j = 0; j < a->n; j++) {
        const struct yolo_det *x = &a->det[j];
        int found = 0;
        for (int32_t q = 0; q < b->n && !found; q++) {
            const struct yolo_det *y = &b->det[q];
            found = x->cls == y->cls && fabsf(x->conf - y->conf) <= 0.002f &&
                    fabsf(x->x1 - y->x1) <= 0.5f && fabsf(x->y1 - y->y1) <= 0.5f &&
                    fabsf(x->x2 - y->x2) <= 0.5f && fabsf(x->y2 - y->y2) <= 0.5f;
        }
        if (!found && x->conf - conf_thr > 0.002f)
            bad++;
    }
    return bad;
}

int main(int argc, char **argv)
{
    HARNESS_INIT(h, "test_cuda_streams");
    const char *req = getenv("YOLO_TEST_REQUIRE_CUDA");
    int required = req && strcmp(req, "1") == 0;
    if (!strstr(yolo_backends(), "cuda") || argc != 4) {
        printf("test_cuda_streams: %s: skipped (the GPU run is make test-cuda)\n",
               argc != 4 ? "no ENGINE DIR_A DIR_B given" : "built without CUDA");
        CHECK(&h, !required, "YOLO_TEST_REQUIRE_CUDA=1 but %s",
              argc != 4 ? "no arguments" : "no CUDA in this build");
        return harness_finish(&h);
    }
    {   /* a CUDA build on a machine without a GPU: nothing to run here */
        struct yolo_model_params mp;
        yolo_model_params_default(&mp);
        mp.backend = "cuda";
        struct yolo_model *m = NULL;
        struct yolo_diag d = { 0 };
        if (yolo_model_load(argv[1], &mp, &m, &d)) {
            printf("test_cuda_streams: cannot load %s on the GPU (%s): skipped\n", argv[1], d.msg);
            CHECK(&h, !required, "YOLO_TEST_REQUIRE_CUDA=1 but: %s", d.msg);
            return harness_finish(&h);
        }
        yolo_model_free(m);
    }
    static struct stream_in in[2];
    CHECK(&h, load_dir(argv[2], &in[0]) == 0 && load_dir(argv[3], &in[1]) == 0,
          "cannot read the frames in %s and %s", argv[2], argv[3]);
    if (h.failed)
        return harness_finish(&h);
    printf("streams: %d + %d frames (%dx%d, %dx%d)\n", in[0].n, in[1].n, in[0].img[0].width,
           in[0].img[0].height, in[1].img[0].width, in[1].img[0].height);
    struct frame_out *res[5][2];
    for (int r = 0; r < 5; r++)
        for (int k = 0; k < 2; k++)
            res[r][k] = calloc((size_t)in[k].n, sizeof(struct frame_out));
    /* runs: 0 CPU, 1 GPU FP32 x1, 2 GPU FP32 x3, 3 GPU FP16 x1, 4 GPU FP16 x3 */
    static const char *backend[5] = { "cpu", "cuda", "cuda", "cuda", "cuda" };
    static const char *prec[5] = { NULL, "fp32", "fp32", "fp16", "fp16" };
    static const int32_t inst[5] = { 1, 1, 3, 1, 3 };
    int64_t grown[5] = { 0 };
    uint64_t reported[5] = { 0 };
    for (int r = 0; r < 5; r++) {
        struct yolo_diag d = { 0 };
        double fps = 0;
        int rc = run_streams(argv[1], backend[r], prec[r], inst[r], in, res[r], &fps, &grown[r],
                             &reported[r], &d);
        CHECK(&h, rc == 0, "%s %s x%d: %s", backend[r], prec[r] ? prec[r] : "", inst[r], d.msg);
        if (rc)
            continue;
        printf("%-4s %-4s %d instance%s: %7.1f frames/s", backend[r], prec[r] ? prec[r] : "fp32",
               inst[r], inst[r] > 1 ? "s" : " ", fps);
        if (grown[r] >= 0 && r > 0)
            printf(", device memory +%.1f MiB (contexts report %.1f MiB)", grown[r] / 1048576.0,
                   reported[r] / 1048576.0);
        printf("\n");
    }
    int64_t d13 = count_diff(res[1], res[2], in), d16 = count_diff(res[3], res[4], in);
    CHECK(&h, d13 == 0, "FP32: %lld frames differ between 1 and 3 instances", (long long)d13);
    CHECK(&h, d16 == 0, "FP16: %lld frames differ between 1 and 3 instances", (long long)d16);
    int64_t far = 0, objs = 0;
    for (int k = 0; k < 2; k++)
        for (int32_t i = 0; i < in[k].n; i++) {
            far += count_far(&res[0][k][i], &res[1][k][i], 0.25f) +
                   count_far(&res[1][k][i], &res[0][k][i], 0.25f);
            objs += res[0][k][i].n;
        }
    CHECK(&h, far == 0, "GPU FP32 vs CPU: %lld objects without a match", (long long)far);
    printf("identical 1 vs 3 instances: fp32 %s, fp16 %s; GPU FP32 = CPU on %lld objects (%lld "
           "unmatched)\n", d13 ? "no" : "yes", d16 ? "no" : "yes", (long long)objs, (long long)far);
    /* what the two extra clones added: at most their own bytes and 16 MiB each */
    for (int r = 2; r <= 4; r += 2) {
        if (grown[r] < 0 || grown[r - 1] < 0)
            continue;
        int64_t extra = grown[r] - grown[r - 1];
        int64_t own = (int64_t)(reported[r] - reported[r - 1]);
        printf("%s: 2 more clones added %.1f MiB of device memory (their own bytes %.1f MiB)\n",
               prec[r], extra / 1048576.0, own / 1048576.0);
        CHECK(&h, extra <= own + 2 * (16LL << 20), "%s: 2 clones added %lld bytes, their own %lld",
              prec[r], (long long)extra, (long long)own);
    }
    for (int r = 0; r < 5; r++)
        for (int k = 0; k < 2; k++)
            free(res[r][k]);
    for (int k = 0; k < 2; k++)
        for (int32_t i = 0; i < in[k].n; i++)
            yolo_image_free(&in[k].img[i]);
    return harness_finish(&h);
}
