/* image_probe.h: an encoded image's size from its header alone, before any decoder runs.
 *
 * OpenCV allocates the whole pixel buffer as soon as it has read a header, and its own cap
 * is 2^30 pixels (3 GiB of BGR): a 100-byte file claiming 30000 x 30000 pixels would cost
 * 2.7 GB. The probe reads the few header bytes of every format cv::imdecode accepts, so a
 * caller can refuse such a file first:
 *
 *     int64_t w, h;
 *     const char *fmt = yolo_image_probe(bytes, n, &w, &h);
 *     if (fmt && w * h > max_pixels) ... refuse ...     // fmt: "PNG", "JPEG", ...
 *
 * Formats: PNG, JPEG (SOFn), BMP (all DIB headers), WebP (VP8, VP8L, VP8X), TIFF (first
 * directory; classic TIFF, not BigTIFF), PBM/PGM/PPM, PAM, PFM, Sun raster, Radiance HDR,
 * JPEG 2000 (codestream and JP2 boxes), OpenEXR (dataWindow); DICOM is recognized but not
 * sized. The probe never reads past
 * n bytes and allocates nothing. Thread-safe. */
#ifndef YOLO_IMAGE_PROBE_H
#define YOLO_IMAGE_PROBE_H

#include <stddef.h>
#include <stdint.h>

/* The format cv::imdecode would pick for these bytes, from their signature alone: "PNG",
 * "JPEG", "BMP", "WebP", "TIFF", "PNM", "PFM", "PAM", "Sun raster", "HDR", "JPEG 2000",
 * "OpenEXR", "DICOM", or NULL for none of these. */
const char *yolo_image_format(const uint8_t *p, size_t n);

/* The format's name and *w, *h (0 .. 2^32 - 1, so (uint64_t)w * h cannot overflow) when
 * the header says the size; NULL when the format
 * is not one of the above or its header is cut short or does not hold a size (a JPEG whose
 * height comes later in a DNL segment, say): then only decoding tells. */
const char *yolo_image_probe(const uint8_t *p, size_t n, int64_t *w, int64_t *h);

/* Most scans (SOS segments) a JPEG may have. libjpeg decodes every scan, each one a pass over
 * the whole image: a progressive file made of thousands of tiny scans costs a second per
 * thousand scans at 4096x4096. Encoders write 1 to 4 (baseline) or about 10 (progressive). */
#define YOLO_JPEG_MAX_SCANS 500

/* The number of scans (SOS markers) in a JPEG, counted the way a decoder meets them: marker
 * segments are skipped by their length, entropy-coded data up to the next marker (FF
 * followed by anything but 00, FF or a restart marker), stray bytes until the next FF.
 * Stops at EOI or after `stop` scans (returning stop). */
int64_t yolo_jpeg_scans(const uint8_t *p, size_t n, int64_t stop);

struct yolo_cv_image;
struct yolo_diag;

/* Decodes n encoded bytes into *im (cv_adapter.h) with the policy of
 * yolo_image_read_limited (image_limit.c): Radiance HDR, OpenEXR, PFM, Sun raster and DICOM
 * are refused (YOLO_ERR_UNSUPPORTED: OpenCV 4.6 decodes them through temporary files in
 * /tmp, which it leaves behind for corrupt PFM and Sun raster files; it leaks a file
 * descriptor on a corrupt HDR file; its GDCM-based DICOM decoder aborts the process on a
 * corrupt file); then an image of more than max_pixels pixels (0 = no
 * limit) is refused from its header, before decoding, or from the decoded size for formats
 * the probe does not know; a JPEG of more than YOLO_JPEG_MAX_SCANS scans is refused before
 * decoding. `what` names the source in messages. */
int yolo_image_decode_limited(const uint8_t *bytes, size_t n, const char *what, int64_t max_pixels,
                              struct yolo_cv_image *im, struct yolo_diag *d);

#endif
