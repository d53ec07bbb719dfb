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

#endif
