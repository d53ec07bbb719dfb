/* predictions.h: reading back the JSON Lines that `yolo detect --json` (and `yolo val
 * --save-json`) write, one image per line, so detections made elsewhere can be scored:
 *
 *   {"path": "imgs/bus.jpg", "width": 810, "height": 1080, "ms": {...},
 *    "detections": [{"cls": 0, "name": "person", "conf": 0.92325133,
 *                    "box": [672.2517, 374.39337, 807.2673, 876.00354]}, ...]}
 *
 *     struct yolo_pred_line pl;
 *     if (yolo_pred_line_parse(line, len, &pl, &diag)) ... "detections[2]: box: expected 4 numbers"
 *     ... pl.path, pl.width, pl.dets[0..pl.n_dets) ...
 *     yolo_pred_line_release(&pl);
 *
 * Required: "path" (a non-empty string) and "detections" (an array; each element an object with
 * "cls" (a whole number in 0..2^31-1), "conf" (a number) and "box" (4 numbers x1 y1 x2 y2, in
 * the original image's pixels)). Optional: "width" and "height" (whole numbers >= 1; 0 in the
 * result when absent or null), "name" per detection (a string; NULL when absent). Other keys
 * ("ms", ...) are ignored. Numbers are read as float32 directly (strtof), so values written in
 * shortest round-trip float32 form come back bit for bit; conf and box must be finite.
 * Detections keep the line's order.
 *
 * Errors: YOLO_ERR_FORMAT with the JSON reader's "column C: ..." or "<field>: problem"
 * (the caller prefixes file and line), YOLO_ERR_NOMEM. Thread-safe (no shared state).
 */
#ifndef YOLO_PREDICTIONS_H
#define YOLO_PREDICTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "yolo.h"

struct yolo_pred_line {
    char   *path;                 /* owned */
    int32_t width, height;        /* 0 when the line has none */
    int32_t n_dets;
    struct yolo_det *dets;        /* owned; name points into `names` or is NULL */
    char   *names;                /* owned storage of the detections' names */
};

/* Parses one line (need not be NUL-terminated; a trailing CR/LF is whitespace). *out is
 * overwritten; on failure it is left empty (nothing to release, releasing is harmless). */
int  yolo_pred_line_parse(const char *line, size_t len, struct yolo_pred_line *out,
                          struct yolo_diag *d);
void yolo_pred_line_release(struct yolo_pred_line *pl);   /* frees, zeroes *pl; NULL ok */

#endif
