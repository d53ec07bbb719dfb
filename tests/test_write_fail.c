/* test_write_fail.c: every file the library writes survives a write that fails part way.
 *
 * The process file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored; no root needed) makes
 * write() stop at a chosen byte with EFBIG, the way a full disk stops it with ENOSPC. For
 * each writer (yolo_build's engine, yolo_image_write's PNG and JPEG, the atomic text writer
 * the CLI uses for detections.jsonl, the unnamed-file writer of label files) and a range of
 * limits from 0 bytes to
 * one byte short of the file, the write must:
 *   - fail with YOLO_ERR_IO and a message naming the file and the cause ("File too large"),
 *   - leave no file under the final name when there was none, and leave an earlier file
 *     there byte for byte intact when there was one,
 *   - leave no temporary file in the folder.
 * With the limit at exactly the file's size the write must succeed (so the test is not
 * vacuous). ENOSPC and short writes take the same code paths (fflush/fsync/fclose errors). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "harness.h"
#include "tiny_model.h"
#include "yolo.h"

static struct rlimit saved_limit;

static int limit_file_size(uint64_t bytes)
{
    struct rlimit r = saved_limit;
    r.rlim_cur = (rlim_t)bytes;
    if (saved_limit.rlim_max != RLIM_INFINITY && r.rlim_cur > saved_limit.rlim_max)
        r.rlim_cur = saved_limit.rlim_max;
    return setrlimit(RLIMIT_FSIZE, &r);
}

static void unlimit(void)
{
    setrlimit(RLIMIT_FSIZE, &saved_limit);
}

/* Number of entries of dir other than keep[0..n_keep). */
static int others_in(const char *dir, const char *const *keep, int n_keep)
{
    DIR *dp = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (dp && (e = readdir(dp))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        int kept = 0;
        for (int i = 0; i < n_keep; i++)
            kept |= strcmp(e->d_name, keep[i]) == 0;
        if (!kept) {
            fprintf(stderr, "  left behind: %s/%s\n", dir, e->d_name);
            n++;
        }
    }
    if (dp)
        closedir(dp);
    return n;
}

/* One writer under test: writes its file to path; returns a status, fills d. */
typedef int (*write_fn)(void *ctx, const char *path, struct yolo_diag *d);

struct writer_case {
    const char *label, *name;   /* file name inside dir */
    write_fn fn;
    void *ctx;
};

/* Runs c at limits 0, 1, ~100, size/3, size/2, size - 1 (all must fail), then at size
 * (must succeed); each with and without an earlier file at the final name. */
static void check_writer(struct harness *h, const char *dir, const char *const *keep, int n_keep,
                         const struct writer_case *c)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, c->name);
    struct yolo_diag d = { 0 };
    unlink(path);
    int rc = c->fn(c->ctx, path, &d);
    CHECK(h, rc == 0, "%s: unlimited write: %s", c->label, d.msg);
    size_t size = 0;
    uint8_t *full = harness_read_file(path, &size);
    CHECK(h, full && size > 16, "%s: wrote %zu bytes", c->label, size);
    if (!full || size <= 16) {
        free(full);
        return;
    }
    /* the "earlier output": different bytes under the final name */
    uint8_t *earlier = malloc(size + 7);
    for (size_t i = 0; i < size + 7; i++)
        earlier[i] = (uint8_t)(i * 31 + 1);
    const uint64_t limits[] = { 0, 1, 100, size / 3, size / 2, size - 1 };
    int n_fail = 0;
    for (int with_earlier = 0; with_earlier < 2; with_earlier++) {
        for (size_t li = 0; li < sizeof limits / sizeof *limits; li++) {
            uint64_t lim = limits[li];
            unlink(path);
            if (with_earlier) {
                FILE *f = fopen(path, "wb");
                CHECK(h, f && fwrite(earlier, 1, size + 7, f) == size + 7, "earlier file");
                if (f)
                    fclose(f);
            }
            memset(&d, 0, sizeof d);
            CHECK(h, limit_file_size(lim) == 0, "setrlimit(%llu): %s", (unsigned long long)lim,
                  strerror(errno));
            rc = c->fn(c->ctx, path, &d);
            unlimit();
            CHECK(h, rc == YOLO_ERR_IO, "%s, limit %llu of %zu bytes: status %d (%s), want I/O error",
                  c->label, (unsigned long long)lim, size, rc, d.msg);
            CHECK(h, strstr(d.msg, c->name) && strstr(d.msg, "too large"),
                  "%s, limit %llu: message '%s' does not name the file and the cause", c->label,
                  (unsigned long long)lim, d.msg);
            n_fail += rc != 0;
            size_t got = 0;
            uint8_t *now = harness_read_file(path, &got);
            if (with_earlier)
                CHECK(h, now && got == size + 7 && memcmp(now, earlier, got) == 0,
                      "%s, limit %llu: the earlier file was changed (%zu bytes now)", c->label,
                      (unsigned long long)lim, got);
            else
                CHECK(h, now == NULL, "%s, limit %llu: a %zu-byte file was left under the final name",
                      c->label, (unsigned long long)lim, got);
            free(now);
            const char *k[8];
            int nk = 0;
            for (int i = 0; i < n_keep && nk < 7; i++)
                k[nk++] = keep[i];
            if (with_earlier)
                k[nk++] = c->name;
            CHECK(h, others_in(dir, k, nk) == 0, "%s, limit %llu: temporary files left", c->label,
                  (unsigned long long)lim);
        }
    }
    /* exactly enough room: succeeds, replacing the earlier file */
    CHECK(h, limit_file_size(size) == 0, "setrlimit");
    memset(&d, 0, sizeof d);
    rc = c->fn(c->ctx, path, &d);
    unlimit();
    size_t got = 0;
    uint8_t *now = harness_read_file(path, &got);
    CHECK(h, rc == 0 && now && got == size, "%s: with the limit at its %zu bytes: status %d (%s), %zu bytes",
          c->label, size, rc, d.msg, got);
    free(now);
    unlink(path);
    printf("%-22s %7zu bytes: %d cut writes refused cleanly, earlier file kept\n", c->label, size,
           n_fail);
    free(earlier);
    free(full);
}

/* ------------------------------------------------------------------ the writers */

static int write_engine(void *ctx, const char *path, struct yolo_diag *d)
{
    return yolo_build((const char *)ctx, path, NULL, NULL, d);
}

static int write_image(void *ctx, const char *path, struct yolo_diag *d)
{
    return yolo_image_write(path, (const struct yolo_image *)ctx, d);
}

/* yolo_atomic_open, lines through stdio, yolo_atomic_commit (what detections.jsonl and
 * yolo merge's output go through). */
static int write_lines(void *ctx, const char *path, struct yolo_diag *d)
{
    int n = *(int *)ctx;
    struct yolo_atomic_file af;
    int rc = yolo_atomic_open(&af, path, d);
    for (int i = 0; !rc && i < n; i++) {
        struct yolo_det det = { i % 80, 0.5f + 0.001f * (float)(i % 100), 10.0f + i, 20, 30.0f + i, 40, "x" };
        char line[128];
        yolo_format_det_txt(line, sizeof line, &det, 640, 480, 1);
        if (fputs(line, af.f) < 0) {
            yolo_atomic_abort(&af);
            rc = yolo_diag_set(d, YOLO_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        }
    }
    return rc ? rc : yolo_atomic_commit(&af, d);
}

/* What the CLI does for labels/<stem>.txt: the lines in memory, yolo_publish_file. */
static int write_published(void *ctx, const char *path, struct yolo_diag *d)
{
    const char *s = ctx;
    return yolo_publish_file(path, s, strlen(s), d);
}

static int write_buffer(void *ctx, const char *path, struct yolo_diag *d)
{
    const char *s = ctx;
    return yolo_write_file_atomic(path, s, strlen(s), d);
}

int main(void)
{
    HARNESS_INIT(h, "test_write_fail");
    signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &saved_limit);
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[512], onnx[600];
    snprintf(dir, sizeof dir, "%s/yolo_write_fail_%ld", tmp, (long)getpid());
    CHECK(&h, mkdir(dir, 0777) == 0, "mkdir %s: %s", dir, strerror(errno));
    snprintf(onnx, sizeof onnx, "%s/tiny.onnx", dir);
    struct tiny_model_opts o = { 64, 1, 7 };
    CHECK(&h, tiny_model_write(onnx, &o) == 0, "writing %s", onnx);
    const char *keep[] = { "tiny.onnx" };

    const struct writer_case engine = { "engine (yolo_build)", "m.engine", write_engine, onnx };
    check_writer(&h, dir, keep, 1, &engine);

    int32_t w = 160, ht = 120;
    uint8_t *px = malloc((size_t)w * (size_t)ht * 3);
    uint64_t s = 17;
    for (int32_t i = 0; px && i < w * ht * 3; i++)
        px[i] = (uint8_t)(harness_rand(&s) >> 56);
    struct yolo_image img = { px, w, ht, 3 * w, YOLO_PIXEL_BGR };
    const struct writer_case png = { "annotated image (PNG)", "out.png", write_image, &img };
    const struct writer_case jpg = { "annotated image (JPEG)", "out.jpg", write_image, &img };
    check_writer(&h, dir, keep, 1, &png);
    check_writer(&h, dir, keep, 1, &jpg);

    int n_lines = 400;
    const struct writer_case lines = { "text lines (atomic)", "bus.jsonl", write_lines, &n_lines };
    check_writer(&h, dir, keep, 1, &lines);
    static char text[20000];
    for (size_t i = 0; i + 1 < sizeof text; i++)
        text[i] = (char)('a' + i % 26);
    const struct writer_case labels = { "label file (published)", "bus.txt", write_published, text };
    check_writer(&h, dir, keep, 1, &labels);
    const struct writer_case buffer = { "whole buffer (atomic)", "data.json", write_buffer, text };
    check_writer(&h, dir, keep, 1, &buffer);

    free(px);
    unlink(onnx);
    CHECK(&h, rmdir(dir) == 0, "rmdir %s: %s (files left)", dir, strerror(errno));
    return harness_finish(&h);
}
