/* image_limit.c: yolo_image_read_limited: yolo_image_read that refuses an image with too
 * many pixels from its header, before the decoder allocates the pixel buffer. */
#include <stdlib.h>
#include <string.h>

#include "cv_adapter.h"
#include "fileio.h"
#include "image_probe.h"
#include "yolo.h"

/* cv::imdecode takes at most INT32_MAX bytes. */
#define IMAGE_MAX_FILE_BYTES ((uint64_t)INT32_MAX)

static int too_big(const char *path, const char *fmt, int64_t w, int64_t h, int64_t max_pixels,
                   struct yolo_diag *d)
{
    return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: %s%s%lldx%lld image (%llu pixels) is over "
                         "the limit of %lld pixels", path, fmt ? fmt : "", fmt ? " " : "",
                         (long long)w, (long long)h, (unsigned long long)w * (unsigned long long)h,
                         (long long)max_pixels);
}

int yolo_image_read_limited(const char *path, int64_t max_pixels, struct yolo_image *img,
                            struct yolo_diag *diag)
{
    if (!path || !img || max_pixels < 0)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_image_read_limited: bad argument");
    if (max_pixels == 0)
        return yolo_image_read(path, img, diag);
    memset(img, 0, sizeof *img);
    uint8_t *bytes = NULL;
    size_t n = 0;
    struct yolo_cv_image cv = { 0 };
    int rc = yolo_read_file(path, IMAGE_MAX_FILE_BYTES, &bytes, &n, diag);
    if (rc)
        return rc;
    int64_t w, h;
    /* Both sides are below 2^32, so the unsigned product cannot overflow. */
    const char *fmt = yolo_image_probe(bytes, n, &w, &h);
    if (fmt && (uint64_t)w * (uint64_t)h > (uint64_t)max_pixels) {
        rc = too_big(path, fmt, w, h, max_pixels, diag);
        goto done;
    }
    rc = yolo_cv_image_decode(bytes, n, path, &cv, diag);
    if (rc)
        goto done;
    /* A format the probe does not know, or a header that lied: the decoded size decides. */
    if ((int64_t)cv.width * cv.height > max_pixels) {
        rc = too_big(path, NULL, cv.width, cv.height, max_pixels, diag);
        goto done;
    }
    if (cv.stride_bytes > INT32_MAX) {
        rc = yolo_diag_set(diag, YOLO_ERR_UNSUPPORTED, "%s: image too wide", path);
        goto done;
    }
    img->data = cv.data;   /* ownership moves to img; freed by yolo_image_free */
    img->width = cv.width;
    img->height = cv.height;
    img->stride_bytes = (int32_t)cv.stride_bytes;
    img->format = YOLO_PIXEL_BGR;
    cv.data = NULL;
done:
    yolo_cv_image_free(&cv);
    free(bytes);
    return rc;
}
