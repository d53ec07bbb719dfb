/* model_arg.h: the MODEL argument of detect, video, val and bench. An engine file is used as
 * it is. An ONNX file (what an Ultralytics user has: `yolo detect yolov8n.onnx bus.jpg`) is
 * built once into the engine cache and the cached engine is used from then on. Anything else
 * that is recognisably not a model (an image, a video, a PyTorch .pt) is a usage error that
 * says what to do, swapped arguments (`yolo detect bus.jpg m.engine`) included.
 *
 * The cache: $XDG_CACHE_HOME/yolo (an absolute XDG_CACHE_HOME; else ~/.cache/yolo), one file
 * <onnx stem>-<key>.engine per model and build options, where key is the first 16 hex digits
 * of the SHA-256 of the ONNX file's SHA-256, the build options (input size, max batch) and
 * the yolo version with its git commit: an edited model, other options or another build of
 * yolo each get their own engine, never a stale one. yolo_build writes it under a temp name
 * and renames it into place, so runs at the same time each see a whole file or none. */
#ifndef YOLO_CLI_MODEL_ARG_H
#define YOLO_CLI_MODEL_ARG_H

#include <stddef.h>
#include <stdint.h>

/* Resolves arg into the engine file to load, written to engine[0..cap). first_source (may be
 * NULL) is the command's next positional argument, to explain swapped arguments. imgsz and
 * max_batch are the build options used for an ONNX file (0 = the model's / 1). Prints one
 * line to stderr when it builds. Returns 0, 1 after a runtime error (the build failed, the
 * cache folder cannot be made) or 2 after a usage error, each printed as "yolo <cmd>: ...". */
int cli_model_arg(const char *cmd, const char *arg, const char *first_source, int32_t imgsz,
                  int32_t max_batch, char *engine, size_t cap);

#endif
