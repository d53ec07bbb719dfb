/* val.h: pieces of `yolo val` shared by cmd_val.c (dataset, engine run, metrics, output) and
 * val_predictions.c (scoring a JSON Lines file of detections made elsewhere). */
#ifndef YOLO_CLI_VAL_H
#define YOLO_CLI_VAL_H

#include <stdint.h>

#include "dataset.h"
#include "metrics.h"
#include "yolo.h"

struct val_image {
    const char *path;               /* absolute, normalised; borrowed from the split's list */
    struct yolo_label_obj *objs;    /* ground truth (normalised xywh), owned */
    int32_t n_objs;
    int     skipped;                /* bad label file or unreadable image: not evaluated */
};

/* A predictions file read and matched to the images. */
struct val_preds {
    int64_t n_lines;                /* prediction lines read (blank lines not counted) */
    int64_t *line_of;               /* per image: the line number matched to it, 0 = none */
    int32_t *width, *height;        /* per image: the size the line gives, 0 = none */
    struct yolo_eval_det **dets;    /* per image: its detections (NULL if none), owned */
    int32_t *n_dets;
    int32_t max_cls;                /* largest class id in any matched line, -1 if none */
    char  **names;                  /* names[c] from the lines' "name" fields (or NULL), for */
    int32_t n_names;                /* c < n_names; used when nothing else names the classes */
};

/* Reads `file` (JSON Lines, the format `yolo detect --json` writes) and matches each line to
 * an image of imgs[0..n) (sorted by path, as yolo_dataset_images returns them): first by
 * exact path (a relative path is taken against the working directory; both sides compared
 * lexically normalised), then, for lines left over, by file name when exactly one image has
 * that name and no line matched it exactly. Two lines for one image are an error. Lines that
 * match no image and images without a line are reported on stderr as warnings (at most a
 * few of each, then a count); lines matching skipped images are ignored silently.
 * n_classes > 0: class ids must be below it (else an error naming the file and line).
 * Errors (bad JSON, bad fields, I/O, memory) print "yolo val: error: FILE:LINE: ..." and
 * return 1. On success returns 0 and fills *out (release with val_preds_release). */
int  val_preds_read(const char *file, const struct val_image *imgs, int64_t n, int32_t n_classes,
                    struct val_preds *out);
void val_preds_release(struct val_preds *p, int64_t n);

/* Progress and messages on stderr share one line: a bar drawn with '\r' must be ended before
 * a message is printed. */
struct val_progress {
    int     tty;                    /* stderr is a terminal: draw a bar */
    int     drawn;                  /* a bar is on the current line */
    int64_t total;
    double  t_start;
};
void val_progress_update(struct val_progress *pr, int64_t done);
void val_progress_end(struct val_progress *pr);          /* ends the bar's line if drawn */
/* "yolo val: <level>: <msg>" on stderr, after ending any bar line. */
void val_message(struct val_progress *pr, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
