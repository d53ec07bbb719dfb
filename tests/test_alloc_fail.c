/* test_alloc_fail.c: allocation-failure injection (SQLite's malloc tests, ncnn's *_oom).
 *
 * The Makefile links this test with -Wl,--wrap=malloc,... (TEST_LDFLAGS_test_alloc_fail), so
 * every allocation call made by libyolo.a (and by this file) goes through the __wrap_*
 * functions below, with no change to the library. Each path is first run once to count its
 * allocation calls (and their distinct call sites); then, for every k, the path runs again
 * with the k-th call failing (once). Each run must:
 *   - fail cleanly: YOLO_ERR_NOMEM with a message (or succeed, when the code has a fallback,
 *     with exactly the baseline result);
 *   - leak nothing: every block allocated during the run is freed once the caller has freed
 *     what the call returned (tracked here by pointer, so this holds in the plain build;
 *     `make asan` adds LeakSanitizer on top);
 *   - leave everything usable: after the failure, the model detects exactly the baseline
 *     detections, and yolo_build leaves no file under the engine's name and no temp file.
 * Paths: yolo_build, yolo_model_load, yolo_ctx_create, yolo_detect on a generated tiny
 * detector (tests/tiny_model.c), yolo_image_read_limited (the CLI's decoder) on a PNG;
 * yolo_build and yolo_model_load of the shared yolov8n_dq
 * at every distinct call site (the first call from each), which keeps it to seconds.
 * Not covered: memory that OpenCV, OpenBLAS, libstdc++ and libc allocate inside their own
 * shared libraries (not wrappable with --wrap); cv_adapter.cpp catches std::bad_alloc.
 * Env: YOLO_FAULT_BIG=0 skips the shared model, =1 builds it under ASan too (skipped there
 * by default: 40 builds take 20 s); YOLO_FAULT_VERBOSE=1 names each recovered call;
 * SHARED (default ../shared). */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "tiny_model.h"
#include "yolo.h"

#include "hooks/alloc_hook.c"

#define SITES_CAP HOOK_SITES_CAP

/* ------------------------------------------------------------------ the paths */

struct dets { struct yolo_det d[64]; int32_t n; };

static struct yolo_image test_image(int32_t w, int32_t h)
{
    uint8_t *px = malloc((size_t)w * (size_t)h * 3);
    uint64_t s = 3;
    for (int32_t i = 0; px && i < w * h * 3; i++)
        px[i] = (uint8_t)(harness_rand(&s) >> 56);
    return (struct yolo_image){ px, w, h, 3 * w, YOLO_PIXEL_BGR };
}

static void keep(struct dets *out, const struct yolo_result *r)
{
    out->n = r->n_dets < 64 ? r->n_dets : 64;
    memcpy(out->d, r->dets, sizeof *out->d * (size_t)out->n);
}

static int same_dets(const struct dets *a, const struct dets *b)
{
    if (a->n != b->n)
        return 0;
    for (int32_t i = 0; i < a->n; i++)
        if (a->d[i].cls != b->d[i].cls || a->d[i].conf != b->d[i].conf || a->d[i].x1 != b->d[i].x1 ||
            a->d[i].y1 != b->d[i].y1 || a->d[i].x2 != b->d[i].x2 || a->d[i].y2 != b->d[i].y2)
            return 0;
    return 1;
}

/* Loads engine, detects on img into out (used unarmed, as the reference and after failures). */
static int detect_fresh(const char *engine, const struct yolo_image *img, struct dets *out,
                        struct yolo_diag *d)
{
    struct yolo_model *m = NULL;
    struct yolo_ctx *c = NULL;
    struct yolo_result r;
    int rc = yolo_model_load(engine, NULL, &m, d);
    if (!rc)
        rc = yolo_ctx_create(m, NULL, &c, d);
    if (!rc)
        rc = yolo_detect(c, img, &r, d);
    if (!rc)
        keep(out, &r);
    yolo_ctx_free(c);
    yolo_model_free(m);
    return rc;
}

/* Files in dir other than the ones named (temp files a failed build left behind). */
static int stray_files(const char *dir, const char *keep1, const char *keep2)
{
    DIR *dp = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (dp && (e = readdir(dp)))
        if (e->d_name[0] != '.' && strcmp(e->d_name, keep1) && strcmp(e->d_name, keep2)) {
            fprintf(stderr, "  stray file %s/%s\n", dir, e->d_name);
            n++;
        }
    if (dp)
        closedir(dp);
    return n;
}

struct env {
    struct harness *h;
    char dir[512], onnx[600], engine[600], out[600];
    const char *onnx_name;
    uint8_t *engine_bytes;      /* the baseline build */
    size_t engine_len;
    struct yolo_image img;
    struct dets ref;
};

/* A failure must be NOMEM with a message; tried/failures/oks are counted. */
static void check_status(struct harness *h, const char *what, long k, int rc, int failed,
                         const struct yolo_diag *d, long *n_fail)
{
    if (rc) {
        (*n_fail)++;
        CHECK(h, failed, "%s k=%ld: failed (%d: %s) although no allocation failed", what, k, rc, d->msg);
        CHECK(h, rc == YOLO_ERR_NOMEM && d->msg[0], "%s k=%ld: status %d (%s), not out of memory: %s",
              what, k, rc, yolo_status_str(rc), d->msg);
    }
}

/* yolo_build with the k-th allocation failing, for each k in ks[0..n) (all if ks NULL). */
static void path_build(struct env *e, const char *label, const long *ks, long n_ks, long n_calls)
{
    struct harness *h = e->h;
    long tried = 0, n_fail = 0;
    for (long i = 0; i < (ks ? n_ks : n_calls); i++) {
        long k = ks ? ks[i] : i;
        struct yolo_diag d = { 0 };
        hook_window_open();
        hook_arm(k);
        int rc = yolo_build(e->onnx, e->out, NULL, NULL, &d);
        int failed;
        hook_disarm(&failed);
        tried++;
        check_status(h, label, k, rc, failed, &d, &n_fail);
        if (rc) {
            CHECK(h, access(e->out, F_OK) != 0, "%s k=%ld: failed build left %s", label, k, e->out);
        } else {
            if (getenv("YOLO_FAULT_VERBOSE"))
                printf("  %s k=%ld: recovered (site %p)\n", label, k, hook_site(k));
            size_t n = 0;
            uint8_t *b = harness_read_file(e->out, &n);
            CHECK(h, b && n == e->engine_len && memcmp(b, e->engine_bytes, n) == 0,
                  "%s k=%ld: succeeded despite the failure but wrote a different engine", label, k);
            free(b);
            unlink(e->out);
        }
        CHECK(h, stray_files(e->dir, e->onnx_name, "ref.engine") == 0, "%s k=%ld: files left behind",
              label, k);
        CHECK(h, hook_window_close(label, k) == 0, "%s k=%ld: leaked", label, k);
    }
    printf("%-22s %5ld allocation calls, tried %5ld, %5ld failed cleanly, %ld recovered\n", label,
           n_calls, tried, n_fail, tried - n_fail);
}

/* yolo_model_load + (on success) a detection, with the k-th allocation of the load failing. */
static void path_load(struct env *e, const char *label, const long *ks, long n_ks, long n_calls)
{
    struct harness *h = e->h;
    long tried = 0, n_fail = 0;
    for (long i = 0; i < (ks ? n_ks : n_calls); i++) {
        long k = ks ? ks[i] : i;
        struct yolo_diag d = { 0 };
        struct yolo_model *m = NULL;
        hook_window_open();
        hook_arm(k);
        int rc = yolo_model_load(e->engine, NULL, &m, &d);
        int failed;
        hook_disarm(&failed);
        tried++;
        check_status(h, label, k, rc, failed, &d, &n_fail);
        CHECK(h, rc ? m == NULL : m != NULL, "%s k=%ld: status %d but model %p", label, k, rc, (void *)m);
        struct dets got = { .n = -1 };
        if (!rc) {
            struct yolo_ctx *c = NULL;
            struct yolo_result r;
            if (yolo_ctx_create(m, NULL, &c, &d) == 0 && yolo_detect(c, &e->img, &r, &d) == 0)
                keep(&got, &r);
            CHECK(h, same_dets(&got, &e->ref), "%s k=%ld: loaded despite the failure, detects "
                  "differently (%d vs %d)", label, k, got.n, e->ref.n);
            yolo_ctx_free(c);
            yolo_model_free(m);
        }
        CHECK(h, hook_window_close(label, k) == 0, "%s k=%ld: leaked", label, k);
    }
    printf("%-22s %5ld allocation calls, tried %5ld, %5ld failed cleanly, %ld recovered\n", label,
           n_calls, tried, n_fail, tried - n_fail);
}

/* yolo_ctx_create (which = 0) or yolo_detect on a fresh context (which = 1) with the k-th
 * allocation failing; then the same model must still detect exactly the reference, with
 * the same context for a failed detect and a new one for a failed create. */
static void path_ctx(struct env *e, struct yolo_model *m, int which, const char *label, long n_calls)
{
    struct harness *h = e->h;
    long n_fail = 0;
    for (long k = 0; k < n_calls; k++) {
        struct yolo_diag d = { 0 };
        struct yolo_ctx *c = NULL;
        struct yolo_result r;
        struct dets got = { .n = -1 };
        hook_window_open();
        int failed = 0, rc = 0;
        if (which == 0) {
            hook_arm(k);
            rc = yolo_ctx_create(m, NULL, &c, &d);
            hook_disarm(&failed);
            CHECK(h, rc ? c == NULL : c != NULL, "%s k=%ld: status %d but context %p", label, k, rc,
                  (void *)c);
        } else {
            CHECK(h, yolo_ctx_create(m, NULL, &c, &d) == 0, "%s: context: %s", label, d.msg);
            hook_arm(k);
            rc = c ? yolo_detect(c, &e->img, &r, &d) : YOLO_ERR_ARG;
            hook_disarm(&failed);
            if (!rc)
                keep(&got, &r);
        }
        check_status(h, label, k, rc, failed, &d, &n_fail);
        if (which == 1 && !rc)
            CHECK(h, same_dets(&got, &e->ref), "%s k=%ld: detected differently", label, k);
        if (!c)
            CHECK(h, yolo_ctx_create(m, NULL, &c, &d) == 0, "%s k=%ld: no context after the failure: %s",
                  label, k, d.msg);
        if (c) {
            got.n = -1;
            if (yolo_detect(c, &e->img, &r, &d) == 0)
                keep(&got, &r);
            CHECK(h, same_dets(&got, &e->ref), "%s k=%ld: after the failure the model detects "
                  "differently (%d vs %d): %s", label, k, got.n, e->ref.n, d.msg);
        }
        yolo_ctx_free(c);
        CHECK(h, hook_window_close(label, k) == 0, "%s k=%ld: leaked", label, k);
    }
    printf("%-22s %5ld allocation calls, tried %5ld, %5ld failed cleanly, %ld recovered\n", label,
           n_calls, n_calls, n_fail, n_calls - n_fail);
}

/* yolo_image_read_limited (what yolo detect decodes with) on a PNG, the k-th allocation
 * failing: NOMEM, nothing leaked, the image struct left empty. */
static void path_image(struct env *e)
{
    struct harness *h = e->h;
    char png[700];
    snprintf(png, sizeof png, "%s/img.png", e->dir);
    struct yolo_diag d = { 0 };
    struct yolo_image im;
    CHECK(h, yolo_image_write(png, &e->img, &d) == 0, "png: %s", d.msg);
    hook_arm(-1);
    int rc = yolo_image_read_limited(png, 1000000, &im, &d);
    long n = hook_disarm(NULL), sites = hook_sites(NULL, 0);
    CHECK(h, rc == 0, "image read: %s", d.msg);
    if (!rc)
        yolo_image_free(&im);
    long n_fail = 0;
    for (long k = 0; k < n; k++) {
        int failed;
        hook_window_open();
        hook_arm(k);
        rc = yolo_image_read_limited(png, 1000000, &im, &d);
        hook_disarm(&failed);
        check_status(h, "image read", k, rc, failed, &d, &n_fail);
        if (rc)
            CHECK(h, im.data == NULL && im.width == 0, "image read k=%ld: failed but returned pixels", k);
        else
            yolo_image_free(&im);
        CHECK(h, hook_window_close("image read", k) == 0, "image read k=%ld: leaked", k);
    }
    unlink(png);
    printf("%-22s %5ld allocation calls from %ld sites, %5ld failed cleanly, %ld recovered\n",
           "image read (PNG)", n, sites, n_fail, n - n_fail);
}

/* Counting run of one path; prints and returns the number of calls, sites in *n_sites. */
static long count_build(struct env *e, long *n_sites, long *first, long cap, long *n_first)
{
    struct yolo_diag d = { 0 };
    hook_arm(-1);
    int rc = yolo_build(e->onnx, e->out, NULL, NULL, &d);
    long n = hook_disarm(NULL);
    unlink(e->out);
    *n_sites = rc ? -1 : hook_sites(first, cap);
    if (n_first)
        *n_first = *n_sites < cap ? *n_sites : cap;
    return rc ? -1 : n;
}

static long count_load(struct env *e, long *n_sites, long *first, long cap, long *n_first)
{
    struct yolo_diag d = { 0 };
    struct yolo_model *m = NULL;
    hook_arm(-1);
    int rc = yolo_model_load(e->engine, NULL, &m, &d);
    long n = hook_disarm(NULL);
    yolo_model_free(m);
    *n_sites = rc ? -1 : hook_sites(first, cap);
    if (n_first)
        *n_first = *n_sites < cap ? *n_sites : cap;
    return rc ? -1 : n;
}

static int env_setup(struct env *e, struct harness *h, const char *tmp, const char *tag,
                     const char *onnx_src)
{
    memset(e, 0, sizeof *e);
    e->h = h;
    snprintf(e->dir, sizeof e->dir, "%s/yolo_alloc_fail_%s_%ld", tmp, tag, (long)getpid());
    mkdir(e->dir, 0777);
    e->onnx_name = "model.onnx";
    snprintf(e->onnx, sizeof e->onnx, "%s/model.onnx", e->dir);
    snprintf(e->engine, sizeof e->engine, "%s/ref.engine", e->dir);
    snprintf(e->out, sizeof e->out, "%s/out.engine", e->dir);
    if (onnx_src) {
        char *abs = realpath(onnx_src, NULL);
        int bad = !abs || symlink(abs, e->onnx) != 0;
        free(abs);
        if (bad)
            return -1;
    } else {
        struct tiny_model_opts o = { 64, 1, 7 };
        if (tiny_model_write(e->onnx, &o))
            return -1;
    }
    struct yolo_diag d = { 0 };
    if (yolo_build(e->onnx, e->engine, NULL, NULL, &d)) {
        fprintf(stderr, "build %s: %s\n", e->onnx, d.msg);
        return -1;
    }
    e->engine_bytes = harness_read_file(e->engine, &e->engine_len);
    e->img = test_image(onnx_src ? 320 : 75, onnx_src ? 240 : 50);
    if (!e->engine_bytes || !e->img.data || detect_fresh(e->engine, &e->img, &e->ref, &d)) {
        fprintf(stderr, "reference detection: %s\n", d.msg);
        return -1;
    }
    return 0;
}

static void env_free(struct env *e)
{
    unlink(e->onnx);
    unlink(e->engine);
    unlink(e->out);
    rmdir(e->dir);
    free(e->engine_bytes);
    free((void *)e->img.data);
}

int main(void)
{
    HARNESS_INIT(h, "test_alloc_fail");
    /* Builds fsync their engine: on tmpfs that costs nothing, on a disk it dominates. */
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR")
                    : access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    struct env e;
    if (env_setup(&e, &h, tmp, "tiny", NULL)) {
        CHECK(&h, 0, "cannot set up the tiny model in %s", e.dir);
        env_free(&e);
        return harness_finish(&h);
    }
    CHECK(&h, e.ref.n > 0, "the tiny model detects nothing: the detection comparisons would prove nothing");
    printf("tiny detector (64x64, %d detections on a 75x50 image); per path: calls, sites\n", e.ref.n);

    long sites = 0;
    long n = count_build(&e, &sites, NULL, 0, NULL);
    CHECK(&h, n > 0, "counting build");
    printf("build: %ld calls from %ld sites\n", n, sites);
    path_build(&e, "build (tiny)", NULL, 0, n);

    n = count_load(&e, &sites, NULL, 0, NULL);
    CHECK(&h, n > 0, "counting load");
    printf("load: %ld calls from %ld sites\n", n, sites);
    path_load(&e, "load (tiny)", NULL, 0, n);

    struct yolo_model *m = NULL;
    struct yolo_diag d = { 0 };
    CHECK(&h, yolo_model_load(e.engine, NULL, &m, &d) == 0, "load: %s", d.msg);
    if (m) {
        struct yolo_ctx *c = NULL;
        hook_arm(-1);
        int rc = yolo_ctx_create(m, NULL, &c, &d);
        long nc = hook_disarm(NULL);
        long sc = hook_sites(NULL, 0);
        struct yolo_result r;
        hook_arm(-1);
        rc = rc ? rc : yolo_detect(c, &e.img, &r, &d);
        long nd = hook_disarm(NULL);
        long sd = hook_sites(NULL, 0);
        yolo_ctx_free(c);
        CHECK(&h, rc == 0, "counting ctx/detect: %s", d.msg);
        printf("ctx_create: %ld calls from %ld sites; detect: %ld calls from %ld sites\n", nc, sc,
               nd, sd);
        path_ctx(&e, m, 0, "ctx_create (tiny)", nc);
        path_ctx(&e, m, 1, "detect (tiny)", nd);
        CHECK(&h, nd > 0, "the first detection allocated nothing: the detect path proves nothing");
        yolo_model_free(m);
    }
    path_image(&e);
    env_free(&e);

    /* The shared yolov8n_dq: every allocation site once (its first call). */
    const char *shared = harness_shared_dir();
    const char *big = getenv("YOLO_FAULT_BIG");
    char src[1024];
    snprintf(src, sizeof src, "%s/data/models/yolov8n_dq.onnx", shared);
    if (big && strcmp(big, "0") == 0) {
        printf("yolov8n_dq: skipped (YOLO_FAULT_BIG=0)\n");
    } else if (access(src, R_OK) != 0) {
        printf("yolov8n_dq: skipped (%s not found)\n", src);
    } else if (env_setup(&e, &h, tmp, "v8", src)) {
        CHECK(&h, 0, "cannot set up %s", src);
        env_free(&e);
    } else {
        static long first[SITES_CAP];
        long nf = 0;
#ifdef __SANITIZE_ADDRESS__
        int build_big = big && strcmp(big, "1") == 0;    /* 40 builds: 20 s under ASan */
#else
        int build_big = 1;
#endif
        if (build_big) {
            n = count_build(&e, &sites, first, SITES_CAP, &nf);
            printf("build (yolov8n_dq): %ld calls from %ld sites\n", n, sites);
            path_build(&e, "build (yolov8n, sites)", first, nf, n);
        } else {
            printf("build (yolov8n_dq): skipped under ASan (YOLO_FAULT_BIG=1 runs it)\n");
        }
        n = count_load(&e, &sites, first, SITES_CAP, &nf);
        printf("load (yolov8n_dq): %ld calls from %ld sites\n", n, sites);
        path_load(&e, "load (yolov8n, sites)", first, nf, n);
        env_free(&e);
    }
    return harness_finish(&h);
}
