/* fuzz.h: the fuzz targets, one per reader of untrusted bytes.
 *
 *   fuzz_onnx    yolo_build on the bytes as an .onnx file; a model it builds must load back
 *   fuzz_engine  yolo_model_load on the bytes as an .engine file (and once more with the
 *                section CRCs recomputed, so mutations get past the checksums), then a
 *                context and a detection when the engine is small
 *   fuzz_labels  yolo_label_file_read (80 classes)
 *   fuzz_yaml    yolo_dataset_load on the bytes as data.yaml, and yolo_names_parse
 *   fuzz_image   yolo_image_decode_limited, what yolo_image_read_limited decodes with
 *                (FUZZ_MAX_PIXELS)
 *   fuzz_video   the frame size in a video packet's headers for every codec (the first byte
 *                picks it), codec sniffing, and a second container joined on to a file
 *
 * Each returns the status of its main call (YOLO_OK when the input was accepted) and must
 * never crash, leak, hang or allocate without bound, whatever the bytes. An invariant that
 * does not hold (a failure without a message, a built engine that does not load) calls
 * fuzz_fail, which aborts: libFuzzer reports a crash, test_fuzz_regress fails.
 *
 * Built two ways: by tests/fuzz/run.sh with clang -fsanitize=fuzzer,address,undefined and
 * -DYOLO_LIBFUZZER (each fuzz_<name>.c then defines LLVMFuzzerTestOneInput), and by
 * tests/test_fuzz_regress.c, which #includes every target and replays the seed corpus and
 * tests/fuzz/regress/ under `make test` with gcc. */
#ifndef YOLO_FUZZ_H
#define YOLO_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_MAX_PIXELS ((int64_t)1 << 22)   /* 4 Mpixel: 12 MB of BGR */

int fuzz_onnx(const uint8_t *data, size_t size);
int fuzz_engine(const uint8_t *data, size_t size);
int fuzz_labels(const uint8_t *data, size_t size);
int fuzz_yaml(const uint8_t *data, size_t size);
int fuzz_image(const uint8_t *data, size_t size);
int fuzz_video(const uint8_t *data, size_t size);

/* "<dir>/<name>" in this process's scratch directory (made on first use under /dev/shm if
 * it exists, else $TMPDIR or /tmp; removed at exit). The string is static per name slot:
 * use it before the next call with the same name. NULL if the directory cannot be made. */
const char *fuzz_path(const char *name);
/* Writes size bytes to path (truncating). 0 or -1. */
int fuzz_write(const char *path, const uint8_t *data, size_t size);
/* Prints "fuzz: <message>" and aborts. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
