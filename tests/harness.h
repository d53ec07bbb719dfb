/* harness.h: the tests' tiny check library. Each test binary counts its checks, prints every
 * failing one with its parameters, ends with "<name>: N passed, N failed" and exits non-zero
 * if anything failed. tests/run_tests.sh runs every binary and script and sums them up. */
#ifndef YOLO_TEST_HARNESS_H
#define YOLO_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

struct harness { int passed, failed; const char *name; };

#define HARNESS_INIT(h, nm) struct harness h = { 0, 0, nm }

/* CHECK(h, cond, fmt, ...): counts a check; on failure prints file:line, the condition and
 * the printf-style parameters of the failing case. */
#define CHECK(h, cond, ...)                                                           \
    do {                                                                              \
        if (cond) {                                                                   \
            (h)->passed++;                                                            \
        } else {                                                                      \
            (h)->failed++;                                                            \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);           \
            fprintf(stderr, __VA_ARGS__);                                             \
            fputc('\n', stderr);                                                      \
        }                                                                             \
    } while (0)

static inline int harness_finish(const struct harness *h)
{
    printf("%s: %d checks passed, %d failed\n", h->name, h->passed, h->failed);
    return h->failed ? 1 : 0;
}

/* The whole main() of a GPU test in a build without CUDA: says it skipped, and fails only
 * when YOLO_TEST_REQUIRE_CUDA=1 (make test-cuda) asked for the GPU run. */
static inline int harness_without_cuda(const char *name)
{
    struct harness h = { 0, 0, name };
    const char *req = getenv("YOLO_TEST_REQUIRE_CUDA");
    printf("%s: built without CUDA: skipped (the GPU run is make test-cuda)\n", name);
    CHECK(&h, !(req && strcmp(req, "1") == 0), "YOLO_TEST_REQUIRE_CUDA=1 in a build without CUDA");
    return harness_finish(&h);
}

/* Deterministic xorshift64* generator: tests print their seed so a failure reproduces. */
static inline uint64_t harness_rand(uint64_t *s)
{
    *s ^= *s >> 12; *s ^= *s << 25; *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}
static inline float harness_randf(uint64_t *s, float lo, float hi)   /* uniform [lo, hi) */
{
    return lo + (hi - lo) * (float)((harness_rand(s) >> 40) * (1.0 / 16777216.0));
}

/* The folder of the shared models and golden files: $SHARED, else ../shared. */
static inline const char *harness_shared_dir(void)
{
    const char *s = getenv("SHARED");
    return s && *s ? s : "../shared";
}

/* 1 in a `make NOCV=1` build, whose image adapter (detect/cv_adapter_nocv.c) reads and
 * writes PNG and JPEG only and has no video: tests skip what needs OpenCV there, saying so.
 * Decided by the library linked in, never by the environment. */
const char *yolo_cv_backend(void);
static inline int harness_nocv(void)
{
    return strstr(yolo_cv_backend(), "NOCV=1") != NULL;
}

/* 1 when bytes are an image format only OpenCV reads (not PNG or JPEG) and this is a NOCV
 * build; prints the skip. */
static inline int harness_nocv_skip_image(const uint8_t *p, size_t n, const char *what)
{
    static const uint8_t png[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
    if (!harness_nocv() || (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) ||
        (n >= 8 && memcmp(p, png, 8) == 0))
        return 0;
    printf("skip %s: not PNG or JPEG, which is all a NOCV=1 build reads\n", what);
    return 1;
}

/* A whole file, NUL-terminated (so text can be read as a string), *n its size (n may be
 * NULL); NULL if it cannot be opened or read. The caller frees. */
static inline void *harness_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    char *b = len >= 0 && fseek(f, 0, SEEK_SET) == 0 ? malloc((size_t)len + 1) : NULL;
    if (b && fread(b, 1, (size_t)len, f) != (size_t)len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b)
        b[len] = 0;
    if (n)
        *n = b ? (size_t)len : 0;
    return b;
}

/* Writes n bytes to path (created or truncated): 0, or -1 if anything failed. */
static inline int harness_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int bad = n && fwrite(data, 1, n, f) != n;
    bad |= fclose(f) != 0;
    return bad ? -1 : 0;
}

#endif
