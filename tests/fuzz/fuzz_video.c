/* fuzz_video.c: the readers of a video's own bytes (detect/frame_size.c), which `yolo video`
 * runs on every packet of a file from a stranger. The first byte picks the codec (every value
 * of enum yolo_vcodec, UNKNOWN and NONE included), the rest is one packet: the frame size in
 * its headers must be none or a sane one, the sniffed codec a real one, and no read may leave
 * the packet (ASan; the packet ends where the input does). The whole input is also a file
 * for yolo_container_appended (a second MP4, AVI or Matroska file joined on), whose answer
 * must point inside the file. */
#include "frame_size.h"
#include "fuzz.h"

int fuzz_video(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 1;
    enum yolo_vcodec c = (enum yolo_vcodec)(data[0] % (YOLO_VC_FLV1 + 1));
    int32_t w = -1, h = -1;
    int got = yolo_packet_frame_size(c, data + 1, size - 1, &w, &h);
    if (got && (w < 1 || h < 1 || w > 65535 || h > 65535))
        fuzz_fail("codec %d: frame size %dx%d", (int)c, w, h);
    enum yolo_vcodec s = yolo_vcodec_sniff(data + 1, size - 1);
    if ((int)s < YOLO_VC_UNKNOWN || s > YOLO_VC_FLV1)
        fuzz_fail("sniffed codec %d", (int)s);
    const char *path = fuzz_path("video.bin");
    if (!path || fuzz_write(path, data, size))
        fuzz_fail("cannot write the scratch file");
    struct yolo_appended a;
    int app = yolo_container_appended(path, &a);
    if (app && (a.at < 1 || a.at >= (int64_t)size || !a.container))
        fuzz_fail("a second file at byte %lld of %zu (%s)", (long long)a.at, size,
                  a.container ? a.container : "no container");
    return got || app ? 0 : 1;
}

#ifdef YOLO_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_video(data, size);
    return 0;
}
#endif
