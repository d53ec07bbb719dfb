/* image_limit.c: yolo_image_read_limited and the bytes-level yolo_image_decode_limited it
 * uses: decoding with the policy `yolo detect` needs for files from strangers. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cv_adapter.h"
#include "fileio.h"
#include "image_probe.h"
#include "yolo.h"

/* cv::imdecode takes at most INT32_MAX bytes. */
#define IMAGE_MAX_FILE_BYTES ((uint64_t)INT32_MAX)

static int too_big(const char *what, const char *fmt, int64_t w, int64_t h, int64_t max_pixels,
                   struct yolo_diag *d)
{
    return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: %s%s%lldx%lld image (%llu pixels) is over "
                         "the limit of %lld pixels", what, fmt ? fmt : "", fmt ? " " : "",
                         (long long)w, (long long)h, (unsigned long long)w * (unsigned long long)h,
                         (long long)max_pixels);
}

int yolo_image_decode_limited(const uint8_t *bytes, size_t n, const char *what, int64_t max_pixels,
                              struct yolo_cv_image *im, struct yolo_diag *d)
{
    if (!what)
        what = "image";
    if (!im || (!bytes && n) || max_pixels < 0)
        return yolo_diag_set(d, YOLO_ERR_ARG, "%s: bad argument to the image decoder", what);
    im->width = im->height = 0;
    /* Found by fuzzing Debian's OpenCV 4.6. It decodes HDR, OpenEXR, PFM, Sun raster and
     * DICOM only from a file, so imdecode writes the bytes to /tmp/__opencv_temp.* first, and
     * leaves that file behind when a corrupt PFM or Sun raster header fails (a long run over
     * strangers' files would fill /tmp); its HDR decoder leaks a file descriptor on a corrupt
     * file; its DICOM decoder (GDCM) fails an assert() and aborts the process. So these are
     * refused; Ultralytics reads none of them but PFM. */
    const char *kind = yolo_image_format(bytes, n);
    static const char *const refused[] = { "HDR", "OpenEXR", "PFM", "Sun raster", "DICOM" };
    for (size_t i = 0; kind && i < sizeof refused / sizeof *refused; i++)
        if (strcmp(kind, refused[i]) == 0)
            return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: %s images are not supported", what,
                                 i == 0 ? "Radiance HDR" : kind);
    /* Each scan of a JPEG is a pass over the whole image: thousands of tiny scans in a
     * small file would keep the decoder busy for minutes. */
    if (kind && strcmp(kind, "JPEG") == 0 &&
        yolo_jpeg_scans(bytes, n, YOLO_JPEG_MAX_SCANS + 1) > YOLO_JPEG_MAX_SCANS)
        return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: JPEG with more than %d scans (encoders "
                             "write at most a few dozen): refused, decoding it would take too long",
                             what, YOLO_JPEG_MAX_SCANS);
    int64_t w, h;
    const char *fmt = yolo_image_probe(bytes, n, &w, &h);
    /* Both sides are below 2^32, so the unsigned product cannot overflow. */
    if (max_pixels && fmt && (uint64_t)w * (uint64_t)h > (uint64_t)max_pixels)
        return too_big(what, fmt, w, h, max_pixels, d);
    int rc = yolo_cv_image_decode(bytes, n, what, im, d);
    if (rc)
        return rc;
    /* A format the probe does not know, or a header that lied: the decoded size decides. */
    if (max_pixels && (int64_t)im->width * im->height > max_pixels) {
        rc = too_big(what, NULL, im->width, im->height, max_pixels, d);
        im->width = im->height = 0;
    }
    return rc;
}

int yolo_image_read_limited(const char *path, int64_t max_pixels, struct yolo_image *img,
                            struct yolo_diag *diag)
{
    if (!path || !img || max_pixels < 0)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_image_read_limited: bad argument");
    memset(img, 0, sizeof *img);
    uint8_t *bytes = NULL;
    size_t n = 0;
    struct yolo_cv_image cv = { 0 };
    int rc = yolo_read_file(path, IMAGE_MAX_FILE_BYTES, &bytes, &n, diag);
    if (rc)
        return rc;
    rc = yolo_image_decode_limited(bytes, n, path, max_pixels, &cv, diag);
    if (!rc && cv.stride_bytes > INT32_MAX)
        rc = yolo_diag_set(diag, YOLO_ERR_UNSUPPORTED, "%s: image too wide", path);
    if (!rc) {
        img->data = cv.data;   /* ownership moves to img; freed by yolo_image_free */
        img->width = cv.width;
        img->height = cv.height;
        img->stride_bytes = (int32_t)cv.stride_bytes;
        img->format = YOLO_PIXEL_BGR;
        cv.data = NULL;
    }
    yolo_cv_image_free(&cv);
    free(bytes);
    return rc;
}

int64_t yolo_image_header_pixels(const char *path)
{
    if (!path)
        return -1;
    /* never blocks: a FIFO or device is not an image (the decoder then says so, at once) */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return -1;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return -1;
    }
    size_t cap = (size_t)1 << 20;
    uint8_t *buf = malloc(cap);
    size_t n = buf ? fread(buf, 1, cap, f) : 0;
    fclose(f);
    int64_t w = 0, h = 0;
    const char *fmt = buf ? yolo_image_probe(buf, n, &w, &h) : NULL;
    free(buf);
    /* both sides are below 2^32 (image_probe.h), but their product may not fit an int64_t */
    if (!fmt)
        return -1;
    uint64_t px = (uint64_t)w * (uint64_t)h;
    return px > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)px;
}
