/* cv_adapter.h: the project's only door to OpenCV (detect/cv_adapter.cpp, C++), as a C API.
 * Image decode/encode and cv::resize; video lives elsewhere. Every C++ exception is caught
 * inside and becomes a status with a message naming the file: "x.jpg: cannot decode image".
 *
 *   struct yolo_cv_image im = {0};
 *   if (yolo_cv_image_read("bus.jpg", &im, &diag) == YOLO_OK) {
 *       ... im.data is BGR, im.width x im.height, im.stride_bytes ...
 *       yolo_cv_image_write("out/bus.jpg", im.data, im.width, im.height, im.stride_bytes,
 *                           3, 0, &diag);
 *   }
 *   yolo_cv_image_free(&im);
 *
 * Thread safety: all functions are reentrant (OpenCV's codecs are); an image struct must not
 * be used by two threads at once.
 */
#ifndef YOLO_CV_ADAPTER_H
#define YOLO_CV_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

#include "yolo.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A decoded image owned by the adapter: u8 BGR, 3 bytes per pixel, rows stride_bytes apart.
 * Zero-initialize before first use. Reading into the same struct again reuses its buffer
 * when it is large enough (no allocation per frame for same-sized images). */
struct yolo_cv_image {
    uint8_t *data;
    int32_t  width, height;
    int64_t  stride_bytes;
    size_t   cap_bytes;       /* allocated size of data */
};

/* Decodes the file at path as cv::imread(path, IMREAD_COLOR) does (which is how Ultralytics
 * reads): 8-bit BGR, EXIF orientation applied, gray and 16-bit images converted. Errors:
 * YOLO_ERR_IO "path: cannot open file" / YOLO_ERR_FORMAT "path: cannot decode image" /
 * YOLO_ERR_NOMEM. On error *im keeps its buffer but width = height = 0. */
int yolo_cv_image_read(const char *path, struct yolo_cv_image *im, struct yolo_diag *d);

/* Same, from an encoded image in memory (cv::imdecode, IMREAD_COLOR). `what` names the
 * source in messages (may be NULL: "image"). */
int yolo_cv_image_decode(const void *bytes, size_t n_bytes, const char *what,
                         struct yolo_cv_image *im, struct yolo_diag *d);

/* Frees the buffer (NULL-safe) and zeroes the struct. */
void yolo_cv_image_free(struct yolo_cv_image *im);

/* Encodes u8 pixels (channels 1 = gray, 3 = BGR, 4 = BGRA) in the format the extension of
 * path names (.jpg .jpeg .png .bmp .webp .tif ...; case-insensitive) and writes the file
 * atomically: a temporary file next to it, then rename, so an existing file is never left
 * half-written. jpeg_quality 1..100 (0: OpenCV's default 95). Errors: YOLO_ERR_ARG (no or
 * unknown extension, bad sizes), YOLO_ERR_FORMAT (encoder failed), YOLO_ERR_IO. */
int yolo_cv_image_write(const char *path, const uint8_t *pixels, int32_t width, int32_t height,
                        int64_t stride_bytes, int32_t channels, int32_t jpeg_quality,
                        struct yolo_diag *d);

/* cv::resize(src, dst, Size(dst_w, dst_h), 0, 0, INTER_LINEAR) on u8 pixels with cn
 * channels (1..4), written into the caller's dst. The signature matches yolo_resize_fn of
 * postprocess/postprocess.h; `user` is unused (pass NULL). */
int yolo_cv_resize_linear(void *user, const uint8_t *src, int32_t src_w, int32_t src_h,
                          int64_t src_stride, uint8_t *dst, int32_t dst_w, int32_t dst_h,
                          int64_t dst_stride, int32_t cn, struct yolo_diag *d);

#ifdef __cplusplus
}
#endif
#endif
