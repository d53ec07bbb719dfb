/* preprocess.h: what comes before the network, internal to the library: the caller's
 * scratch workspace, borrowed image views, the bit-exact bilinear resize and Ultralytics'
 * LetterBox, whose geometry (struct yolo_letterbox_geom) postprocess.h's scale_boxes uses to
 * map boxes back. Same conventions as postprocess.h: borrowed pointers, reentrant, 0 or a
 * negative enum yolo_status with the optional struct yolo_diag filled.
 *
 *   struct yolo_workspace ws = {0};
 *   struct yolo_letterbox_params lp;  yolo_letterbox_params_default(&lp);  // 640x640, C resize
 *   struct yolo_letterbox_geom geom;
 *   struct yolo_image_view im = { bgr, w, h, w * 3, YOLO_PIXFMT_BGR };
 *   yolo_letterbox(&im, &lp, &ws, input_tensor, &geom, &diag);           // float [3,640,640]
 *   yolo_workspace_free(&ws);
 */
#ifndef YOLO_PREPROCESS_H
#define YOLO_PREPROCESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "yolo.h"
#include "yolo_core.h"

/* ------------------------------------------------------------------ workspace */
/* A growable scratch buffer owned by the caller (one per context/thread). Functions reserve
 * what they need per call; it grows to the largest request seen and never shrinks, so a
 * steady stream of same-sized frames allocates nothing after the first. Zero-initialize it
 * ({0}); release with yolo_workspace_free (NULL-safe). */
struct yolo_workspace {
    void  *ptr;
    size_t cap_bytes;
};

/* Returns a 64-byte aligned block of at least `bytes` (the old contents are not kept), or
 * NULL with d set to YOLO_ERR_NOMEM. */
static inline void *yolo_workspace_reserve(struct yolo_workspace *ws, size_t bytes,
                                           struct yolo_diag *d)
{
    if (bytes == 0)
        bytes = 64;
    if (ws->cap_bytes < bytes) {
        size_t cap = (bytes + 63) & ~(size_t)63;
        if (cap < bytes) {
            yolo_diag_set(d, YOLO_ERR_NOMEM, "workspace: %zu bytes is too large", bytes);
            return NULL;
        }
        free(ws->ptr);
        ws->ptr = aligned_alloc(64, cap);
        ws->cap_bytes = ws->ptr ? cap : 0;
        if (!ws->ptr) {
            yolo_diag_set(d, YOLO_ERR_NOMEM, "workspace: cannot allocate %zu bytes", cap);
            return NULL;
        }
    }
    return ws->ptr;
}

static inline void yolo_workspace_free(struct yolo_workspace *ws)
{
    if (ws) {
        free(ws->ptr);
        ws->ptr = NULL;
        ws->cap_bytes = 0;
    }
}

/* ------------------------------------------------------------------ images */
/* Pixel layouts the internal functions accept. The first two have the values of the
 * public enum yolo_pixel_format (YOLO_PIXEL_BGR / YOLO_PIXEL_RGB), so a public format casts
 * to this one. */
enum yolo_pixfmt {
    YOLO_PIXFMT_BGR  = 0,  /* 3 bytes per pixel, OpenCV order */
    YOLO_PIXFMT_RGB  = 1,
    YOLO_PIXFMT_BGRA = 2,  /* 4 bytes per pixel, alpha ignored */
    YOLO_PIXFMT_RGBA = 3,
    YOLO_PIXFMT_GRAY = 4   /* 1 byte per pixel, replicated to 3 channels (as IMREAD_COLOR does) */
};
/* Bytes per pixel of a format, 0 if unknown. */
int32_t yolo_pixfmt_channels(enum yolo_pixfmt f);

/* A borrowed view of u8 pixels: row y starts at data + y * stride_bytes. */
struct yolo_image_view {
    const uint8_t *data;
    int32_t width, height;
    int64_t stride_bytes;            /* >= width * channels */
    enum yolo_pixfmt format;
};

/* ------------------------------------------------------------------ resize */
/* A u8 bilinear resize with cv::resize INTER_LINEAR semantics on interleaved `cn`-channel
 * pixels (cn 1..4). `user` is the callback's own context. Returns 0 or a status. */
typedef int (*yolo_resize_fn)(void *user, const uint8_t *src, int32_t src_w, int32_t src_h,
                              int64_t src_stride, uint8_t *dst, int32_t dst_w, int32_t dst_h,
                              int64_t dst_stride, int32_t cn, struct yolo_diag *d);

/* Pure C reimplementation of OpenCV 4.6 cv::resize(INTER_LINEAR) for CV_8UC(cn), cn 1..4,
 * byte-identical to the libopencv_imgproc this project links: fixed-point coefficients with
 * 11 fraction bits, integer horizontal pass, OpenCV's 8-bit vertical rounding, its INTER_AREA
 * fast path for exact 2x reductions, clamped borders (details at the top of letterbox.c).
 * Reserves its tables and row buffers from ws. Sizes must be >= 1; same size copies rows.
 * Single-threaded: 1.8 ms for 1920x1080 -> 640x360 here, vs 0.7 ms for OpenCV (SIMD, TBB). */
int yolo_resize_linear_u8(struct yolo_workspace *ws, const uint8_t *src, int32_t src_w,
                          int32_t src_h, int64_t src_stride, uint8_t *dst, int32_t dst_w,
                          int32_t dst_h, int64_t dst_stride, int32_t cn, struct yolo_diag *d);

/* ------------------------------------------------------------------ letterbox */
/* Geometry of one letterbox, computed once and used by both preprocess and scale_boxes. */
struct yolo_letterbox_geom {
    int32_t src_w, src_h;            /* original image */
    int32_t dst_w, dst_h;            /* network input W, H */
    double  gain;                    /* r = min(dst_h / src_h, dst_w / src_w), binary64 */
    int32_t new_w, new_h;            /* resized size: round_half_even(src * r), at least 1 */
    int32_t pad_left, pad_right, pad_top, pad_bottom;
};

/* Fills g for an image of src_w x src_h letterboxed into dst_w x dst_h (Ultralytics
 * LetterBox(auto=False, scaleup=True, center=True)): new = rint(src * r), dw = (W - new_w) / 2,
 * left = rint(dw - 0.1), right = rint(dw + 0.1), likewise top/bottom. All sizes >= 1. */
int yolo_letterbox_geom_compute(int32_t src_w, int32_t src_h, int32_t dst_w, int32_t dst_h,
                                struct yolo_letterbox_geom *g, struct yolo_diag *d);

struct yolo_letterbox_params {
    int32_t        dst_w, dst_h;     /* network input size (640 x 640 by default) */
    yolo_resize_fn resize;           /* NULL: yolo_resize_linear_u8 (pure C, bit-exact) */
    void          *resize_user;      /* passed to resize */
};
void yolo_letterbox_params_default(struct yolo_letterbox_params *p);

/* Letterboxes `im` into `tensor`, a caller-provided float32 NCHW [3, dst_h, dst_w] (plane
 * stride dst_h * dst_w): resize (only if the size changes), pad 114, RGB plane order,
 * value = u8 / 255.0f (true division, as torch does). BGRA/RGBA drop alpha; GRAY is
 * replicated. Bit-identical to reference.py letterbox when the resize is cv::resize or
 * yolo_resize_linear_u8. geom (optional) receives the geometry. Scratch comes from ws. */
int yolo_letterbox(const struct yolo_image_view *im, const struct yolo_letterbox_params *p,
                   struct yolo_workspace *ws, float *tensor, struct yolo_letterbox_geom *geom,
                   struct yolo_diag *d);

#endif
