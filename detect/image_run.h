/* image_run.h: the image pipeline behind `yolo detect` and `yolo val` over a list of image
 * files (library side: it never prints; the caller gets every image through a callback).
 *
 *   decode threads (workers):  read image i into ring slot i % n_slots, then submit it in
 *                              image order (a failed one is passed on, not submitted)
 *                    |  yolo_batcher_submit
 *                    v
 *   the batcher (detect/batcher.c, the one shared with video and the C API): n_instances
 *                contexts cloned from ctx, groups of up to max_batch queued images
 *                    |  yolo_batcher_wait: results in submission order, in place
 *                    v
 *   the calling thread:        outputs of image i (annotated image, txt labels, JSON line),
 *                              image_fn, yolo_batcher_release, the slot goes back
 *
 * At most n_slots images are in flight whatever the number of images, so memory does not
 * grow with the run; outputs come in input order. A bad image (unreadable, refused, or whose
 * inference failed: the batcher reruns a failed group one image at a time) is passed to
 * image_fn with its error and counted; the others are all processed.
 *
 * Thread safety: yolo_image_run may run concurrently with other calls that do not use ctx;
 * ctx is borrowed for the call (cloned n_instances times) and not used by it otherwise. */
#ifndef YOLO_IMAGE_RUN_H
#define YOLO_IMAGE_RUN_H

#include <stdatomic.h>
#include <stdint.h>

#include "yolo.h"

/* One image as the pipeline hands it to image_fn, in input order, on the calling thread,
 * after its outputs were written. Everything is borrowed for the call. */
struct yolo_image_item {
    int64_t idx;                  /* 0 .. n-1 */
    const char *path;
    const struct yolo_image *img; /* the decoded image (boxes drawn when save_images); NULL if failed */
    const struct yolo_result *res;/* its detections and timings; NULL if failed */
    const char *error;            /* why it failed (the message names the file); NULL if ok */
};

struct yolo_image_run_params {
    const char *save_dir;         /* an existing, writable folder (for images and labels) */
    int32_t save_images;          /* <save_dir>/<name>, boxes drawn */
    int32_t save_txt, save_conf;  /* <save_dir>/labels/<name less extension>.txt, for images
                                     with detections; save_conf: with the confidence */
    char *const *out_names;       /* per image: its outputs' name under save_dir (may hold
                                     subfolders, made as needed); NULL = the file name */
    const char *json_path;        /* NULL, or the JSON Lines file: a line per image in input
                                     order (yolo_image_json_line; a failed image's holds its
                                     error) */
    int32_t json_append;          /* 1: appended (created if missing) in whole lines, written
                                     whenever the pipeline is about to wait: a kill loses only
                                     the images in flight, a failed write keeps every line
                                     before it. 0: a temp file renamed at the end */
    int32_t workers;              /* decode threads; 0 = 1 */
    int32_t n_instances;          /* contexts; 0 = 1 */
    int32_t max_batch;            /* images per engine call, <= the engine's max batch; 0 = 1 */
    int64_t max_pixels;           /* refuse images with more pixels, from their header (0 = no
                                     limit); also one budget for the pixels in flight */
    const atomic_int *interrupt;  /* NULL, or once non-zero: no new image is started; those
                                     under way finish and every output is completed */
    struct yolo_draw_params draw;
    void  (*image_fn)(void *user, const struct yolo_image_item *it);  /* NULL ok */
    /* an output that could not be written (file, folder, JSON line): one message each */
    void  (*error_fn)(void *user, const char *msg);                   /* NULL ok */
    void   *user;
};

struct yolo_image_run_report {
    int64_t n_images, n_ok, n_failed, n_dets;
    int32_t interrupted;          /* stopped early by interrupt: n_ok + n_failed < n_images */
    double  wall_s;
    double  median_ms_pre, median_ms_infer, median_ms_post;   /* of the images done */
    int64_t write_errors;         /* output files not written, plus JSON lines not written */
    int64_t n_invalid, n_invalid_images;  /* candidates dropped as broken, and their images */
    double  engine_busy;          /* share of the run the contexts had work (batcher busy_ms
                                   * over instances x wall time): near 1, inference was the
                                   * bottleneck; well below, reading and decoding the images */
    int32_t n_instances;
};

/* Runs the pipeline over paths[0..n) and fills *rep. Returns 0 once every image was handed
 * to image_fn (failures are counted in rep), or an error (bad parameters, out of memory, no
 * threads, the JSON Lines file cannot be opened) before any image is processed. */
int yolo_image_run(const struct yolo_ctx *ctx, char *const *paths, int64_t n,
                   const struct yolo_image_run_params *p, struct yolo_image_run_report *rep,
                   struct yolo_diag *d);

#endif
