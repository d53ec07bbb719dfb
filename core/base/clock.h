/* clock.h: the one clock of the project: milliseconds on CLOCK_MONOTONIC (never jumps with
 * the wall clock), for stage timings, timeouts and benchmarks. Header-only: an inline
 * function costs no call on the hot paths that time every image. */
#ifndef YOLO_BASE_CLOCK_H
#define YOLO_BASE_CLOCK_H

#include <time.h>

static inline double yolo_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

#endif
