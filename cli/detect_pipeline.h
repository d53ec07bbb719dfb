/* detect_pipeline.h: `yolo detect` over a list of images as a three-stage pipeline:
 *
 *   decode workers (N threads)  ->  inference (the calling thread, engine batch)  ->  writer
 *
 * All stages share one ring of slots; image i lives in slot i % n_slots, so at most n_slots
 * images are in flight whatever the number of images (memory does not grow with the run).
 * Decoders take the next index as soon as its slot is free; inference and the writer walk
 * the indices in order, so outputs come out in input order. A bad image is reported and
 * skipped; the others are all processed. */
#ifndef YOLO_CLI_DETECT_PIPELINE_H
#define YOLO_CLI_DETECT_PIPELINE_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "yolo.h"

/* With json, a line per image in input order: {"path", "width", "height", "ms",
 * "detections"} for an image done, {"path", "error"} for one that failed.
 *
 * Called on the writer thread for every image, in input order, before its outputs are
 * written. img is the decoded image, dets its n_dets detections (both borrowed for the call).
 * When decoding or inference failed, img is NULL and err says why; the pipeline then prints
 * nothing for that image (the callback reports it) but still counts it as failed. */
typedef void (*detect_result_fn)(void *user, int64_t idx, const char *path,
                                 const struct yolo_image *img, const struct yolo_det *dets,
                                 int32_t n_dets, const char *err);

struct detect_options {
    const char *save_dir;        /* already created and writable */
    int save_images, save_txt, save_conf, json;
    int batch;                   /* images per engine call, <= max batch */
    int max_det;                 /* the context's max_det */
    int workers;                 /* decode threads */
    int progress;                /* progress bar instead of a line per image */
    int quiet;
    struct yolo_draw_params draw;
    /* for other commands built on the pipeline (yolo val); zero = detect's behaviour */
    const char *cmd;             /* "yolo <cmd>: error: ..." in messages; NULL = "detect" */
    const char *json_path;       /* with json: the JSON Lines file; NULL = save_dir/detections.jsonl */
    detect_result_fn on_result;  /* NULL, or called for every image (see above) */
    void *user;                  /* passed to on_result */
    int64_t max_pixels;          /* refuse images with more pixels (from the header); 0 = no limit */
    const atomic_int *interrupt; /* NULL, or once non-zero: no new image is started; the ones
                                  * under way finish and every output is completed */
    char *const *out_names;      /* per image: its outputs' name under save_dir (may hold
                                  * subfolders, made as needed); NULL = the file name */
    int json_append;             /* with json: append to json_path (created if missing), whole
                                  * lines per write(2), written out whenever the writer waits
                                  * for the next image: a kill loses only the images in flight,
                                  * a failed write keeps every line before it (a partial line is
                                  * cut off). 0: written under a temp name, renamed at the end */
    int64_t index_base;          /* "image i/N" numbering: paths[0] is image index_base + 1 */
    int64_t n_total;             /* ... of n_total (0 = n) */
};

struct detect_summary {
    int64_t n_images, n_ok, n_failed, n_dets;
    int interrupted;             /* stopped early by o->interrupt: n_ok + n_failed < n_images */
    double wall_s;
    double median_ms_pre, median_ms_infer, median_ms_post;
    int64_t write_errors;        /* output files not written, plus JSON lines not written */
    int64_t n_invalid, n_invalid_images;  /* candidates dropped as broken, and their images */
};

/* The warning for s->n_invalid > 0 (one line on stderr), else nothing. */
void detect_warn_invalid(const char *cmd, const struct detect_summary *s, int32_t n_classes);

/* Runs ctx over paths[0..n). Prints a line per image (or a progress bar) to stdout and one
 * line per failure to stderr. Returns 0; failures are counted in the summary. */
int detect_pipeline_run(struct yolo_ctx *ctx, const struct yolo_model_info *info,
                        char *const *paths, int64_t n, const struct detect_options *o,
                        struct detect_summary *s);

#endif
