/* test_soak.c: 8 clones x 2000 detections at once, images of random sizes: every result
 * equals the single-threaded result for the same image, and the process's resident memory
 * stays flat once each clone has seen every image size (no allocation per frame, nothing
 * growing with the number of detections).
 *
 * The model is the generated tiny detector (tests/tiny_model.c, 64x64 input) so 16000
 * detections take seconds; what is soaked is everything around the network (letterbox,
 * workspace reuse, decode, NMS, clone isolation). 64 images, 9x9 to 300x220 pixels, BGR and
 * RGB, padded strides, are made once; the single-threaded reference runs each once on the
 * first context. Then 8 threads, each with its own clone, run every image once (warm-up),
 * sample RSS, run the remaining detections on images picked at random (seed 20 + thread),
 * and sample RSS again: growth must stay under 1 MiB (allocator noise), and the midpoint
 * sample too.
 * Under ASan and TSan the RSS check is skipped (see CHECK_RSS); the results still must match.
 * Env: YOLO_SOAK_N detections per clone (default 2000: under a second here, about 3 s under
 * ASan; 500 under TSan, about 6 s). The count used is printed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tiny_model.h"
#include "yolo.h"

#define N_CLONES 8
#define N_IMAGES 64
#define MAX_DETS 300

/* ASan's quarantine keeps freed blocks (OpenCV's resize allocates per call) and TSan keeps
 * shadow state: resident memory grows there by design, so only plain builds check it. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CHECK_RSS 0
#else
#define CHECK_RSS 1
#endif
/* TSan runs this 40 times slower (22 s for 2000 per clone): fewer there. */
#ifdef __SANITIZE_THREAD__
#define DEFAULT_N 500
#else
#define DEFAULT_N 2000
#endif

struct saved { struct yolo_det d[MAX_DETS]; int32_t n; };

struct shared_state {
    struct yolo_image imgs[N_IMAGES];
    struct saved ref[N_IMAGES];
    long n_per_clone;
    pthread_barrier_t warm, mid, done;
    uint64_t rss_warm, rss_mid, rss_end;
};

struct worker {
    struct shared_state *s;
    struct yolo_ctx *ctx;
    int id;
    long n_done, n_mismatch, n_errors, n_dets;
    char first_error[256];
};

static uint64_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, res = 0;
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &res) != 2)
            res = 0;
        fclose(f);
    }
    return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

static int same(const struct saved *a, const struct yolo_result *r)
{
    if (a->n != r->n_dets)
        return 0;
    for (int32_t i = 0; i < a->n; i++) {
        const struct yolo_det *x = &a->d[i], *y = &r->dets[i];
        if (x->cls != y->cls || x->conf != y->conf || x->x1 != y->x1 || x->y1 != y->y1 ||
            x->x2 != y->x2 || x->y2 != y->y2 || x->name != y->name)
            return 0;
    }
    return 1;
}

static void run_one(struct worker *w, int k)
{
    struct yolo_result r;
    struct yolo_diag d = { 0 };
    if (yolo_detect(w->ctx, &w->s->imgs[k], &r, &d) != 0) {
        if (!w->n_errors++)
            snprintf(w->first_error, sizeof w->first_error, "image %d: %s", k, d.msg);
    } else if (!same(&w->s->ref[k], &r)) {
        if (!w->n_mismatch++)
            snprintf(w->first_error, sizeof w->first_error, "image %d (%dx%d): %d detections, "
                     "single-threaded %d", k, w->s->imgs[k].width, w->s->imgs[k].height, r.n_dets,
                     w->s->ref[k].n);
    } else {
        w->n_dets += r.n_dets;
    }
    w->n_done++;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct shared_state *s = w->s;
    uint64_t seed = 20 + (uint64_t)w->id;
    for (int k = 0; k < N_IMAGES; k++)          /* warm-up: every size once */
        run_one(w, (k + w->id * 8) % N_IMAGES);
    if (pthread_barrier_wait(&s->warm) == PTHREAD_BARRIER_SERIAL_THREAD)
        s->rss_warm = rss_bytes();
    pthread_barrier_wait(&s->warm);
    long rest = s->n_per_clone - N_IMAGES;
    for (long i = 0; i < rest; i++) {
        if (i == rest / 2) {
            if (pthread_barrier_wait(&s->mid) == PTHREAD_BARRIER_SERIAL_THREAD)
                s->rss_mid = rss_bytes();
            pthread_barrier_wait(&s->mid);
        }
        run_one(w, (int)(harness_rand(&seed) % N_IMAGES));
    }
    if (rest <= 0) {                             /* keep the barrier count even */
        pthread_barrier_wait(&s->mid);
        pthread_barrier_wait(&s->mid);
    }
    if (pthread_barrier_wait(&s->done) == PTHREAD_BARRIER_SERIAL_THREAD)
        s->rss_end = rss_bytes();
    return NULL;
}

int main(void)
{
    HARNESS_INIT(h, "test_soak");
    static struct shared_state s;
    const char *env = getenv("YOLO_SOAK_N");
    s.n_per_clone = env ? atol(env) : DEFAULT_N;
    if (s.n_per_clone < N_IMAGES)
        s.n_per_clone = N_IMAGES;
    printf("%d clones x %ld detections (YOLO_SOAK_N), %d images, seeds 11 (images), 20+i (picks)\n",
           N_CLONES, s.n_per_clone, N_IMAGES);

    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char onnx[512], engine[512];
    snprintf(onnx, sizeof onnx, "%s/yolo_soak_%ld.onnx", tmp, (long)getpid());
    snprintf(engine, sizeof engine, "%s/yolo_soak_%ld.engine", tmp, (long)getpid());
    struct tiny_model_opts o = { 64, 1, 7 };
    struct yolo_diag d = { 0 };
    int rc = tiny_model_write(onnx, &o);
    CHECK(&h, rc == 0, "writing %s", onnx);
    rc = rc ? rc : yolo_build(onnx, engine, NULL, NULL, &d);
    CHECK(&h, rc == 0, "build: %s", d.msg);
    struct yolo_model *m = NULL;
    struct yolo_ctx *base = NULL;
    if (!rc)
        rc = yolo_model_load(engine, NULL, &m, &d);
    if (!rc)
        rc = yolo_ctx_create(m, NULL, &base, &d);
    unlink(onnx);
    unlink(engine);
    CHECK(&h, rc == 0, "model/context: %s", d.msg);
    if (rc)
        return harness_finish(&h);

    uint64_t seed = 11;
    long ref_dets = 0;
    for (int k = 0; k < N_IMAGES; k++) {
        int32_t w = 9 + (int32_t)(harness_rand(&seed) % 292), ht = 9 + (int32_t)(harness_rand(&seed) % 212);
        int32_t stride = 3 * w + (int32_t)(harness_rand(&seed) % 3) * 7;
        uint8_t *px = malloc((size_t)stride * (size_t)ht);
        /* smooth blobs rather than noise, so the detector finds a varying number of boxes */
        int32_t cx = (int32_t)(harness_rand(&seed) % (uint64_t)w), cy = (int32_t)(harness_rand(&seed) % (uint64_t)ht);
        for (int32_t y = 0; px && y < ht; y++)
            for (int32_t x = 0; x < stride; x++) {
                int32_t dx = x / 3 - cx, dy = y - cy;
                px[(size_t)y * (size_t)stride + (size_t)x] =
                    (uint8_t)((dx * dx + dy * dy) * (x % 3 + 1) / 16 + (harness_rand(&seed) >> 61));
            }
        s.imgs[k] = (struct yolo_image){ px, w, ht, stride, k % 5 == 4 ? YOLO_PIXEL_RGB : YOLO_PIXEL_BGR };
        struct yolo_result r;
        CHECK(&h, px && yolo_detect(base, &s.imgs[k], &r, &d) == 0, "reference %d: %s", k, d.msg);
        if (px) {
            s.ref[k].n = r.n_dets < MAX_DETS ? r.n_dets : MAX_DETS;
            memcpy(s.ref[k].d, r.dets, sizeof *r.dets * (size_t)s.ref[k].n);
            ref_dets += r.n_dets;
        }
    }
    CHECK(&h, ref_dets > N_IMAGES, "only %ld reference detections on %d images: the comparison would "
          "prove little", ref_dets, N_IMAGES);

    struct worker w[N_CLONES];
    pthread_t t[N_CLONES];
    pthread_barrier_init(&s.warm, NULL, N_CLONES);
    pthread_barrier_init(&s.mid, NULL, N_CLONES);
    pthread_barrier_init(&s.done, NULL, N_CLONES);
    int started = 0;
    for (int i = 0; i < N_CLONES; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].s = &s;
        w[i].id = i;
        CHECK(&h, yolo_ctx_clone(base, &w[i].ctx, &d) == 0, "clone %d: %s", i, d.msg);
    }
    for (int i = 0; i < N_CLONES && w[i].ctx; i++)
        started += pthread_create(&t[i], NULL, worker_main, &w[i]) == 0;
    CHECK(&h, started == N_CLONES, "started %d of %d threads", started, N_CLONES);
    if (started != N_CLONES)    /* the barriers would never open: give up without waiting */
        return harness_finish(&h);
    long total = 0, dets = 0;
    for (int i = 0; i < N_CLONES; i++) {
        pthread_join(t[i], NULL);
        CHECK(&h, w[i].n_errors == 0 && w[i].n_mismatch == 0, "clone %d: %ld errors, %ld results differ "
              "from the single-threaded ones; first: %s", i, w[i].n_errors, w[i].n_mismatch,
              w[i].first_error);
        total += w[i].n_done;
        dets += w[i].n_dets;
        yolo_ctx_free(w[i].ctx);
    }
    CHECK(&h, total == N_CLONES * s.n_per_clone, "%ld detections run, want %ld", total,
          N_CLONES * s.n_per_clone);
    const uint64_t slack = (uint64_t)1 << 20;
    printf("%ld detections (%ld boxes), all equal to the single-threaded results; RSS after warm-up "
           "%.1f MiB, midway %.1f MiB, end %.1f MiB\n", total, dets, s.rss_warm / 1048576.0,
           s.rss_mid / 1048576.0, s.rss_end / 1048576.0);
    if (CHECK_RSS)
        CHECK(&h, s.rss_mid <= s.rss_warm + slack && s.rss_end <= s.rss_warm + slack,
              "RSS grew after warm-up: %llu -> %llu -> %llu bytes", (unsigned long long)s.rss_warm,
              (unsigned long long)s.rss_mid, (unsigned long long)s.rss_end);
    else
        printf("RSS not checked under a sanitizer (its quarantine and shadow memory grow)\n");
    for (int k = 0; k < N_IMAGES; k++)
        free((void *)s.imgs[k].data);
    pthread_barrier_destroy(&s.warm);
    pthread_barrier_destroy(&s.mid);
    pthread_barrier_destroy(&s.done);
    yolo_ctx_free(base);
    yolo_model_free(m);
    return harness_finish(&h);
}
