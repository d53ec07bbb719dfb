/* calib.h: int8 calibration for `yolo build --int8` (detect/calib.c): runs the float graph on
 * calibration images through the real letterbox and records the range of every tensor the
 * quantizer asks for (core/passes.h: yolo_quant_plan). */
#ifndef YOLO_CALIB_H
#define YOLO_CALIB_H

#include "yolo.h"
#include "yolo_core.h"

/* Range statistic. MINMAX: the extremes seen. PERCENTILE: the extremes after dropping the
 * `pct` tails of each tensor's values over all images (histogram of 2048 bins per tensor
 * over its min-max range, a second pass over the images). MSE: from the same histogram, the
 * clipping range with the least expected uint8 quantization error. */
enum yolo_calib_method { YOLO_CALIB_MINMAX = 0, YOLO_CALIB_PERCENTILE = 1, YOLO_CALIB_MSE = 2 };

/* g: an optimized, planned float graph (it is re-planned here with the targets kept alive,
 * then re-planned as it was: the caller re-plans anyway after quantizing). target: per
 * tensor, 1 = record its range into lo[t], hi[t]. Images are read in the order given;
 * every batch slot gets the same image. progress (may be NULL) is called after each image
 * of each pass. A bad image is an error naming it. Deterministic: same images, same ranges
 * (each tensor's statistic is a min/max or a histogram count, independent of threads).
 * mean (may be NULL): each target's per-channel (dim 1) mean over all images and positions,
 * written from mean[mean_at[t]] on. */
int yolo_calibrate(struct yolo_graph *g, const uint8_t *target, const char *const *paths,
                   int32_t n_paths, enum yolo_calib_method method, double pct, int32_t n_threads,
                   void (*progress)(void *user, int32_t done, int32_t total), void *user,
                   float *lo, float *hi, double *mean, const int64_t *mean_at,
                   struct yolo_diag *d);

#endif
