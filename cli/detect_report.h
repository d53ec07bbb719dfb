/* detect_report.h: what `yolo detect` prints while the image pipeline (detect/image_run.h)
 * runs: a line per image ("image 3/128 path: 640x640 2 persons, 1 bus, 21.3ms") or a progress
 * bar, one line per failure on stderr, and the warning about broken candidates. */
#ifndef YOLO_CLI_DETECT_REPORT_H
#define YOLO_CLI_DETECT_REPORT_H

#include <stdint.h>

#include "image_run.h"
#include "yolo.h"

struct detect_report {
    const char *cmd;                  /* "yolo <cmd>: error: ..." */
    const struct yolo_model_info *info;
    int progress;                     /* a progress bar instead of a line per image */
    int quiet;                        /* neither: errors only */
    int64_t n;                        /* images in this run */
    int64_t index_base, n_total;      /* "image i/N": image 0 is index_base + 1, of n_total (0 = n) */
    double t_start_ms;                /* yolo_now_ms() when the run started, for the rate */
    int64_t n_done;                   /* kept by the callbacks */
};

/* yolo_image_run_params.image_fn and .error_fn, with user a struct detect_report. */
void detect_report_image(void *user, const struct yolo_image_item *it);
void detect_report_error(void *user, const char *msg);
/* Ends the progress bar's line (after the run). */
void detect_report_end(const struct detect_report *r);

/* The warning for s->n_invalid > 0 (one line on stderr), else nothing. */
void detect_warn_invalid(const char *cmd, const struct yolo_image_run_report *s, int32_t n_classes);

#endif
