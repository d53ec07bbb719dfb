/* metrics.h: detection accuracy (P, R, mAP50, mAP50-95) computed the way Ultralytics'
 * `yolo val` computes it, so our numbers can be compared with theirs line by line.
 *
 *     struct yolo_eval *e = yolo_eval_create(80, &diag);
 *     for each image:  yolo_eval_add_image(e, gt, n_gt, dets, n_dets, &diag);
 *     struct yolo_eval_result res;
 *     yolo_eval_compute(e, &res, &diag);   ... print res ...   yolo_eval_result_release(&res);
 *     yolo_eval_free(e);
 *
 * What is reproduced (Ultralytics DetectionValidator + utils/metrics.py, method "interp"):
 * - IoU between every ground-truth box and prediction in float32, op by op as torch's box_iou
 *   does: inter / ((area_gt + area_pred) - inter + 1e-7f).
 * - 10 IoU thresholds, the float32 values of torch.linspace(0.5, 0.95, 10).
 * - Matching per image and threshold (the validator's non-scipy match_predictions): pairs of the
 *   same class with IoU >= threshold; every prediction keeps only its highest-IoU ground truth;
 *   then every ground truth keeps only the first prediction (in NMS order, i.e. highest
 *   confidence first) that chose it. That prediction is a true positive at that threshold.
 *   NOTE: this is not a full greedy assignment: a prediction whose best ground truth was taken
 *   by an earlier prediction is a false positive even if it overlaps another free ground truth.
 *   Ultralytics does exactly this (its re-sort line is commented out), so we do too.
 * - ap_per_class: predictions sorted by confidence, per class cumulative TP/FP, recall
 *   tpc / (n_gt + 1e-16), precision tpc / (tpc + fpc); AP = trapezoid integral of the precision
 *   envelope over [0, recall..., 1] x [1, precision..., 0] sampled at 101 recall points
 *   (np.interp semantics, numpy's pairwise summation). A perfect detector therefore scores
 *   AP 0.995, not 1: the sentinel precision 0 at recall 1 enters the last trapezoid.
 * - P and R per class on a 1000-point confidence grid (np.interp, left = 0 for recall and 1 for
 *   precision), F1 = 2PR / (P + R + 1e-16); the grid point maximising the class-mean F1 after a
 *   box filter of 101 points (smooth(f, 0.1)) gives P, R, F1 of every class.
 * - Classes: only classes with ground truth are reported and averaged (predictions of classes
 *   without ground truth count nowhere). If no prediction is a TP at any threshold, every metric
 *   is 0 (older Ultralytics skipped ap_per_class on `tp.any()`, newer ones run it and get the same
 *   zeros); any_tp = 0 flags that case and we skip the work too.
 * Known, deliberate differences: numpy sorts with an unstable quicksort; we sort stably (equal
 * confidences keep the order they were added in; equal IoUs favour the later ground truth, as
 * a stable argsort reversed would). The F1 box filter sums in order where numpy calls BLAS ddot,
 * so the argmax can differ only when two smoothed F1 values agree to ~1e-16.
 *
 * Boxes are xyxy in the original image's pixels (Ultralytics scales both labels and predictions
 * back to the original image before matching). Predictions may be given in any order: each
 * image's predictions are stably sorted by confidence (descending) before matching, which is
 * the order Ultralytics' NMS returns them in.
 *
 * Threads: an evaluator is not thread-safe; use one per thread or serialise calls. Different
 * evaluators are independent. Pointers passed in are borrowed for the call only.
 */
#ifndef YOLO_METRICS_H
#define YOLO_METRICS_H

#include <stdint.h>

#include "yolo.h"

#define YOLO_EVAL_N_IOU 10   /* IoU thresholds 0.50, 0.55, ..., 0.95 */
#define YOLO_EVAL_MAX_CLASSES (1 << 20)

struct yolo_eval_box {       /* one ground-truth object */
    int32_t cls;
    float   x1, y1, x2, y2;
};

struct yolo_eval_det {       /* one prediction (after NMS) */
    int32_t cls;
    float   conf;
    float   x1, y1, x2, y2;
};

struct yolo_eval_class {     /* one class that has ground truth */
    int32_t cls;
    int64_t n_images;        /* images with at least one ground-truth box of this class */
    int64_t n_instances;     /* ground-truth boxes of this class */
    int64_t n_preds;         /* predictions of this class */
    double  p, r, f1;        /* at the dataset-wide best-F1 confidence (result.best_conf) */
    double  ap[YOLO_EVAL_N_IOU];   /* AP at each IoU threshold */
    double  ap50, ap75, ap50_95;   /* ap[0], ap[5], mean of ap[] */
};

struct yolo_eval_result {
    int64_t n_images;        /* every image added, with or without objects */
    int64_t n_instances;     /* ground-truth boxes */
    int64_t n_preds;         /* predictions */
    double  precision, recall;   /* means over the classes below */
    double  map50, map75, map50_95;
    double  best_conf;       /* grid confidence where the smoothed mean F1 peaks (0 if !any_tp) */
    int     any_tp;          /* 0: nothing matched at any threshold; every metric is 0 */
    int32_t n_classes;       /* entries in classes: the classes with ground truth, ascending */
    struct yolo_eval_class *classes;   /* owned by the result: yolo_eval_result_release */
};

struct yolo_eval;

/* An evaluator for class ids 0..n_classes-1 (1 <= n_classes <= YOLO_EVAL_MAX_CLASSES).
 * NULL on failure (bad n_classes: YOLO_ERR_ARG; no memory: YOLO_ERR_NOMEM), with d set. */
struct yolo_eval *yolo_eval_create(int32_t n_classes, struct yolo_diag *d);
void yolo_eval_free(struct yolo_eval *e);   /* accepts NULL */

/* Adds one image: its ground truth and its predictions (either may be empty; pointers may be
 * NULL when their count is 0). Class ids must be in range, coordinates and confidences finite;
 * otherwise YOLO_ERR_ARG and nothing is added. YOLO_ERR_NOMEM leaves e unchanged. */
int yolo_eval_add_image(struct yolo_eval *e, const struct yolo_eval_box *gt, int32_t n_gt,
                        const struct yolo_eval_det *pred, int32_t n_pred, struct yolo_diag *d);

/* Computes the metrics of everything added so far into *r (which it overwrites; release it
 * with yolo_eval_result_release). Does not change e: more images may be added afterwards. */
int yolo_eval_compute(const struct yolo_eval *e, struct yolo_eval_result *r, struct yolo_diag *d);
void yolo_eval_result_release(struct yolo_eval_result *r);   /* frees classes, zeroes *r */

/* ---- building blocks, exported for tests and tools ---- */

/* The IoU thresholds (YOLO_EVAL_N_IOU float32 values). */
const float *yolo_eval_iou_thresholds(void);

/* IoU of a ground-truth box and a prediction box, in float32 exactly as the evaluator (and
 * torch's box_iou) computes it. */
float yolo_eval_box_iou(const struct yolo_eval_box *gt, const struct yolo_eval_det *pred);

/* Matches one image. pred must already be in NMS order (confidence descending); tp[j] gets bit
 * k set when prediction j is a true positive at threshold k. Scratch is allocated internally:
 * YOLO_ERR_NOMEM or YOLO_ERR_ARG (bad counts) on failure. Class ids are not range-checked. */
int yolo_eval_match(const struct yolo_eval_box *gt, int32_t n_gt, const struct yolo_eval_det *pred,
                    int32_t n_pred, uint16_t *tp, struct yolo_diag *d);

/* Ultralytics' compute_ap: the 101-point interpolated AP of a recall/precision curve of n
 * points (recall non-decreasing in [0, 1], as cumulative TP counts give). n may be 0.
 * Allocates nothing. */
double yolo_eval_compute_ap(const double *recall, const double *precision, int64_t n);

#endif
