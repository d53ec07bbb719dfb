/* fuzz_image.c: the bytes as an image file, decoded as yolo_image_read_limited decodes
 * (yolo_image_decode_limited: format policy, header probe against FUZZ_MAX_PIXELS,
 * cv::imdecode through the adapter, decoded size checked again). */
#include "cv_adapter.h"
#include "fuzz.h"
#include "image_probe.h"

int fuzz_image(const uint8_t *data, size_t size)
{
    int64_t w, h;
    const char *fmt = yolo_image_probe(data, size, &w, &h);
    if (fmt && (w < 0 || h < 0 || w > UINT32_MAX || h > UINT32_MAX))
        fuzz_fail("probe: %s %lld x %lld", fmt, (long long)w, (long long)h);
    struct yolo_cv_image im = { 0 };
    struct yolo_diag d = { 0 };
    int rc = yolo_image_decode_limited(data, size, "fuzz", FUZZ_MAX_PIXELS, &im, &d);
    if (rc && !d.msg[0])
        fuzz_fail("decode failed (%d) without a message", rc);
    if (!rc && (im.width < 1 || im.height < 1 || !im.data || im.stride_bytes < 3 * (int64_t)im.width ||
                (int64_t)im.width * im.height > FUZZ_MAX_PIXELS))
        fuzz_fail("decoded %d x %d, stride %lld", im.width, im.height, (long long)im.stride_bytes);
    yolo_cv_image_free(&im);
    return rc;
}

#ifdef YOLO_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_image(data, size);
    return 0;
}
#endif
