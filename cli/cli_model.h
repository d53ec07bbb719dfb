/* cli_model.h: what detect, video, val and bench do alike to get an engine running: load it
 * (one error message format) with its info, and pick the default thread count. */
#ifndef YOLO_CLI_MODEL_H
#define YOLO_CLI_MODEL_H

#include <stdint.h>

#include "yolo.h"

/* Loads path with kernels isa (NULL: best) and fills info. 0, or 1 after printing
 * "yolo <cmd>: error: <why>" (the message names the file). */
int cli_load_model(const char *cmd, const char *path, const char *isa, struct yolo_model **model,
                   struct yolo_model_info *info);
/* Context parameters from the detection filters detect and video share: keep[0..n_keep) is
 * the --classes list (all classes when n_keep is 0; kept by pointer, not copied). */
void cli_ctx_params(struct yolo_ctx_params *cp, float conf, double iou, int max_det, int agnostic,
                    const int32_t *keep, int32_t n_keep, int32_t threads);
/* threads, or when 0, the number of online cores (at least 1). */
int32_t cli_threads_or_cores(int32_t threads);

#endif
