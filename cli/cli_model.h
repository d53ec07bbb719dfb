/* cli_model.h: what detect, video, val and bench do alike to get an engine running: load it
 * (one error message format) with its info, and pick the default thread count. */
#ifndef YOLO_CLI_MODEL_H
#define YOLO_CLI_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "yolo.h"

/* --device: "cpu" (NULL), "cuda", "cuda:N", or a bare GPU index "N" as Ultralytics takes it.
 * Sets the backend name and device index; -1 if the text is none of those. */
int cli_device_parse(const char *device, const char **backend, int32_t *index);
/* Checks --isa, --device and --half together: 0 (ARGS_GO) or 2 after printing the usage
 * error. */
int cli_check_target(const char *cmd, const char *isa, const char *device, int half);
/* Loads path with CPU kernels isa (NULL: best) on device (NULL: the CPU), in FP16 when half,
 * and fills info. 0, or 1 after printing "yolo <cmd>: error: <why>" (naming the file). */
int cli_load_model(const char *cmd, const char *path, const char *isa, const char *device,
                   int half, struct yolo_model **model, struct yolo_model_info *info);
/* The option table rows of --device and --half, for every command that runs a model. */
#define CLI_DEVICE_ARGS(device, half)                                                         \
    { "device", 0, ARG_STR, &(device), "DEV", "cpu (default), cuda, cuda:N or N (a GPU; builds " \
      "made with CUDA=1)" },                                                                  \
    { "half", 0, ARG_FLAG, &(half), NULL, "FP16 on the GPU (FP32 accumulation; with --device)" }
/* Context parameters from the detection filters detect and video share: keep[0..n_keep) is
 * the --classes list (all classes when n_keep is 0; kept by pointer, not copied). */
void cli_ctx_params(struct yolo_ctx_params *cp, float conf, double iou, int max_det, int agnostic,
                    const int32_t *keep, int32_t n_keep, int32_t threads);
/* The kernels the backend picked for m's Convs, in order of first use, with counts:
 * "gemm8-rows 1, cdir 6, gemm8 25, winograd-f4x4 32" into buf (cap bytes, always ended);
 * empty when m has no Conv. */
void cli_conv_kernels(const struct yolo_model *m, char *buf, size_t cap);
/* threads, or when 0, the number of online cores (at least 1). */
int32_t cli_threads_or_cores(int32_t threads);

#endif
