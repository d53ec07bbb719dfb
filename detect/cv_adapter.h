/* cv_adapter.h: the project's only door to OpenCV (detect/cv_adapter.cpp, C++), as a C API.
 * Image decode/encode, cv::resize, and video: cv::VideoCapture (files, camera indices, stream
 * URLs) and cv::VideoWriter (MP4). Every C++ exception is caught inside and becomes a status
 * with a message naming the file: "x.jpg: cannot decode image".
 *
 *   struct yolo_cv_image im = {0};
 *   if (yolo_cv_image_read("bus.jpg", &im, &diag) == YOLO_OK) {
 *       ... im.data is BGR, im.width x im.height, im.stride_bytes ...
 *       yolo_cv_image_write("out/bus.jpg", im.data, im.width, im.height, im.stride_bytes,
 *                           3, 0, &diag);
 *   }
 *   yolo_cv_image_free(&im);
 *
 *   struct yolo_cv_video *v;  struct yolo_cv_video_info vi;  int got;  double ms;
 *   if (yolo_cv_video_open("cam.mp4", &v, &vi, &diag) == YOLO_OK) {
 *       while (yolo_cv_video_read(v, &im, &ms, &got, &diag) == YOLO_OK && got) { ... }
 *       yolo_cv_video_close(v);
 *   }
 *
 * Thread safety: all functions are reentrant (OpenCV's codecs are); an image struct, a video
 * reader or a video writer must not be used by two threads at once (different ones may).
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

/* The image library behind this adapter, for `yolo --version`: "OpenCV 4.6.0", or, in a
 * `make NOCV=1` build (detect/cv_adapter_nocv.c), a line starting "libpng" and holding
 * "NOCV=1": PNG and JPEG images only, no video (every video function fails with
 * "<source>: video needs a build with OpenCV (this one was built with NOCV=1)"). */
const char *yolo_cv_backend(void);

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


/* ---------------------------------------------------------------- video */

struct yolo_cv_video;          /* an open cv::VideoCapture */
struct yolo_cv_video_writer;   /* an open cv::VideoWriter on a temporary file */

struct yolo_cv_video_info {
    int32_t width, height;     /* as the backend reports them (0 if unknown) */
    double  fps;               /* 0 if unknown (some cameras and streams) */
    int64_t frame_count;       /* from the container; -1 if unknown (cameras, streams) */
    int32_t is_file;           /* 1: a local file (frame_count is meaningful) */
    char    backend[24];       /* "FFMPEG", "V4L2", ... */
};

/* Opens a video source: a string of digits is a camera index (any backend), anything with
 * "://" a stream URL (FFmpeg, 10 s open and read timeouts), anything else a file (FFmpeg;
 * its existence is checked first so a missing file says so). *out is transferred to the
 * caller (yolo_cv_video_close). Errors: YOLO_ERR_IO "x.mp4: cannot open file: No such file
 * or directory", YOLO_ERR_FORMAT "x.mp4: cannot open video: ...", YOLO_ERR_IO
 * "rtsp://...: cannot open stream", YOLO_ERR_NOMEM. */
int  yolo_cv_video_open(const char *source, struct yolo_cv_video **out,
                        struct yolo_cv_video_info *info, struct yolo_diag *d);
/* Decodes the next frame into im as BGR u8 (im's buffer is reused when large enough: no
 * allocation per frame). *got = 1 and *pos_ms = the frame's timestamp in milliseconds
 * (CAP_PROP_POS_MSEC; -1 if the backend has none), or *got = 0 at the end of the stream
 * (also when the backend stops at undecodable data: compare with info.frame_count).
 * pos_ms may be NULL. Errors: YOLO_ERR_FORMAT (decoder exception, odd pixel type), NOMEM. */
int  yolo_cv_video_read(struct yolo_cv_video *v, struct yolo_cv_image *im, double *pos_ms,
                        int *got, struct yolo_diag *d);
/* Skips one frame (cv::VideoCapture::grab: demuxed and decoded, not converted to BGR).
 * *got = 0 at the end of the stream. */
int  yolo_cv_video_skip(struct yolo_cv_video *v, int *got, struct yolo_diag *d);
void yolo_cv_video_close(struct yolo_cv_video *v);      /* NULL ok */

/* The largest width or height the MP4 writer's encoder takes (MPEG-4 part 2: 13 bits). */
#define YOLO_CV_VIDEO_MAX_SIDE 8191

/* Starts an MP4 file (MPEG-4 part 2, fourcc 'mp4v': every OpenCV FFmpeg build has its
 * encoder; H.264 would need an optional external encoder) of width x height BGR frames at
 * fps frames per second. The frames go to a temporary file "<path>.tmp<pid>.<tid>.ismv" next
 * to path, renamed over path by yolo_cv_video_writer_close(w, 1, ...), so a failed or
 * interrupted run never leaves a half-written file under the final name. The MP4 is
 * fragmented (a fragment per key frame, every 12 frames): the temporary file of a process
 * killed outright plays up to its last whole fragment. */
int  yolo_cv_video_writer_open(const char *path, int32_t width, int32_t height, double fps,
                               struct yolo_cv_video_writer **out, struct yolo_diag *d);
/* Appends one frame of the size given at open (BGR u8, rows stride_bytes apart). */
int  yolo_cv_video_writer_write(struct yolo_cv_video_writer *w, const uint8_t *bgr,
                                int64_t stride_bytes, struct yolo_diag *d);
/* Frames written so far. */
int64_t yolo_cv_video_writer_frames(const struct yolo_cv_video_writer *w);
/* Finishes the file (the container's index is written here) and frees w (NULL ok: returns
 * 0). commit = 1: renames the temporary file over path (an error if nothing was written);
 * commit = 0: deletes it. On any error the temporary file is removed. */
int  yolo_cv_video_writer_close(struct yolo_cv_video_writer *w, int commit, struct yolo_diag *d);

#ifdef __cplusplus
}
#endif
#endif
