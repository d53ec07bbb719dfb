/* fuzz_image.c: the bytes as an image file, read the way yolo_image_read_limited reads:
 * the header probe first (refusing more than FUZZ_MAX_PIXELS), then cv::imdecode through
 * the adapter, then the decoded size checked again. */
#include "cv_adapter.h"
#include "fuzz.h"
#include "image_probe.h"

int fuzz_image(const uint8_t *data, size_t size)
{
    int64_t w, h;
    const char *fmt = yolo_image_probe(data, size, &w, &h);
    if (fmt && (w < 0 || h < 0 || w > UINT32_MAX || h > UINT32_MAX))
        fuzz_fail("probe: %s %lld x %lld", fmt, (long long)w, (long long)h);
    if (fmt && (uint64_t)w * (uint64_t)h > (uint64_t)FUZZ_MAX_PIXELS)
        return YOLO_ERR_UNSUPPORTED;
    struct yolo_cv_image im = { 0 };
    struct yolo_diag d = { 0 };
    int rc = yolo_cv_image_decode(data, size, "fuzz", &im, &d);
    if (rc && !d.msg[0])
        fuzz_fail("decode failed (%d) without a message", rc);
    if (!rc && (im.width < 1 || im.height < 1 || !im.data || im.stride_bytes < 3 * (int64_t)im.width))
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
