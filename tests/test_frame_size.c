/* test_frame_size.c: the frame size in video packet headers (detect/frame_size.c), on headers
 * cut from streams FFmpeg encoded (x264, x265, mpeg4, mpeg2video, libvpx, libaom, prores,
 * h263, h263p, flv), with cropping (1920x1080 coded as 1088 rows); every truncation and random
 * bit flips of each (the bytes are hostile: no read past the end, which ASan checks); the
 * codec from tags and from bytes; and files with a second MP4, AVI or Matroska file joined on. */
#include "harness.h"
#include "frame_headers.h"
#include "frame_size.h"

#include <stdlib.h>
#include <unistd.h>

/* a file of the given hex pieces, joined */
static int write_hex(const char *path, const char *const *parts)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    uint8_t b[512];
    for (; *parts; parts++)
        fwrite(b, 1, frame_header_bytes(*parts, b, sizeof b), f);
    return fclose(f);
}

int main(void)
{
    HARNESS_INIT(h, "test_frame_size");
    uint64_t seed = 0x5eed176ULL;
    printf("seed %llu\n", (unsigned long long)seed);
    for (size_t k = 0; k < sizeof frame_header_cases / sizeof frame_header_cases[0]; k++) {
        uint8_t b[256], *cut;
        size_t n = frame_header_bytes(frame_header_cases[k].hex, b, sizeof b);
        int32_t w = 0, ht = 0;
        CHECK(&h, yolo_packet_frame_size(frame_header_cases[k].c, b, n, &w, &ht) && w == frame_header_cases[k].w && ht == frame_header_cases[k].h,
              "%s: got %dx%d", frame_header_cases[k].what, w, ht);
        /* the same header behind other NAL units or start codes, as in a real packet */
        if (frame_header_cases[k].c == YOLO_VC_H264) {
            uint8_t aud[64 + 256] = { 0, 0, 0, 1, 0x09, 0xF0 };
            memcpy(aud + 6, b, n);
            CHECK(&h, yolo_packet_frame_size(YOLO_VC_H264, aud, n + 6, &w, &ht) && w == frame_header_cases[k].w,
                  "%s after an access unit delimiter", frame_header_cases[k].what);
        }
        if (frame_header_cases[k].c != YOLO_VC_H264 && frame_header_cases[k].c != YOLO_VC_HEVC && frame_header_cases[k].c != YOLO_VC_MJPEG &&
            frame_header_cases[k].c != YOLO_VC_PRORES && frame_header_cases[k].c != YOLO_VC_H263 && frame_header_cases[k].c != YOLO_VC_FLV1) {
            enum yolo_vcodec s = yolo_vcodec_sniff(b, n);
            CHECK(&h, s == frame_header_cases[k].c, "%s: sniffed as %d", frame_header_cases[k].what, (int)s);
        }
        /* every truncation, each in a buffer of exactly its length (ASan sees any overread) */
        for (size_t len = 0; len < n; len++) {
            cut = malloc(len ? len : 1);
            memcpy(cut, b, len);
            w = ht = 0;
            int got = yolo_packet_frame_size(frame_header_cases[k].c, cut, len, &w, &ht);
            CHECK(&h, !got || (w >= 1 && ht >= 1), "%s cut to %zu bytes: %dx%d", frame_header_cases[k].what, len, w, ht);
            (void)yolo_vcodec_sniff(cut, len);
            free(cut);
        }
        /* random bit flips: any answer, but a sane one and no crash */
        for (int t = 0; t < 2000; t++) {
            cut = malloc(n);
            memcpy(cut, b, n);
            for (int f = 0; f < 3; f++) {
                uint64_t r = harness_rand(&seed);
                cut[r % n] ^= (uint8_t)(1u << ((r >> 32) & 7));
            }
            for (int c = YOLO_VC_MJPEG; c <= YOLO_VC_FLV1; c++) {
                int got = yolo_packet_frame_size((enum yolo_vcodec)c, cut, n, &w, &ht);
                CHECK(&h, !got || (w >= 1 && w <= 65535 && ht >= 1 && ht <= 65535), "%s flipped (try %d), as codec %d: %dx%d",
                      frame_header_cases[k].what, t, c, w, ht);
            }
            free(cut);
        }
    }
    /* a slice, not a parameter set, says nothing: no size */
    {
        uint8_t idr[] = { 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x33 };
        int32_t w, ht;
        CHECK(&h, !yolo_packet_frame_size(YOLO_VC_H264, idr, sizeof idr, &w, &ht), "an IDR slice has no size");
        CHECK(&h, !yolo_packet_frame_size(YOLO_VC_H264, NULL, 0, &w, &ht), "NULL packet");
    }
    /* codecs from tags: containers' fourccs, FFmpeg codec names, MPEG-TS stream types */
#define FOURCC(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
    CHECK(&h, yolo_vcodec_from_fourcc(FOURCC('a', 'v', 'c', '1')) == YOLO_VC_H264, "avc1");
    CHECK(&h, yolo_vcodec_from_fourcc(FOURCC('H', 'E', 'V', 'C')) == YOLO_VC_HEVC, "HEVC");
    CHECK(&h, yolo_vcodec_from_fourcc(FOURCC('F', 'M', 'P', '4')) == YOLO_VC_MPEG4, "FMP4");
    CHECK(&h, yolo_vcodec_from_fourcc(FOURCC('M', 'J', 'P', 'G')) == YOLO_VC_MJPEG, "MJPG");
    CHECK(&h, yolo_vcodec_from_fourcc(FOURCC('m', 'p', 'e', 'g')) == YOLO_VC_UNKNOWN, "mpeg: sniff");
    CHECK(&h, yolo_vcodec_from_fourcc(0) == YOLO_VC_UNKNOWN, "no tag: sniff");
    CHECK(&h, yolo_vcodec_from_fourcc(0x1b) == YOLO_VC_H264, "TS stream type 0x1b");
    CHECK(&h, yolo_vcodec_from_fourcc(FOURCC('a', 'v', '0', '1')) == YOLO_VC_AV1, "av01");
    CHECK(&h, yolo_vcodec_from_fourcc(FOURCC('j', 'p', 'e', 'g')) == YOLO_VC_MJPEG, "jpeg (QuickTime)");
    CHECK(&h, yolo_vcodec_from_fourcc(FOURCC('W', 'M', 'V', '2')) == YOLO_VC_NONE, "WMV2: not checked");

    /* files joined end to end */
    char dir[] = "/tmp/test_frame_size.XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(&h, 0, "mkdtemp");
        return harness_finish(&h);
    }
    char path[64];
    struct yolo_appended a;
    /* MP4: ftyp (16 bytes), moov (8), mdat (12), then a second ftyp */
    snprintf(path, sizeof path, "%s/one.mp4", dir);
    write_hex(path, frame_one_mp4);
    CHECK(&h, !yolo_container_appended(path, &a) && a.at == -1, "one MP4: at %lld", (long long)a.at);
    unlink(path);
    snprintf(path, sizeof path, "%s/two.mp4", dir);
    write_hex(path, frame_joined_mp4);
    CHECK(&h, yolo_container_appended(path, &a) && a.at == 36 && strcmp(a.container, "MP4") == 0,
          "two MP4s: at %lld", (long long)a.at);
    unlink(path);
    /* AVI: RIFF size 4 'AVI ', then an AVIX chunk (OpenDML: same file), then a second AVI */
    snprintf(path, sizeof path, "%s/two.avi", dir);
    write_hex(path, frame_joined_avi);
    CHECK(&h, yolo_container_appended(path, &a) && a.at == 24 && strcmp(a.container, "AVI") == 0,
          "two AVIs: at %lld", (long long)a.at);
    unlink(path);
    /* Matroska: EBML header (empty), Segment > Tracks > TrackEntry > Video > PixelWidth,
     * PixelHeight; the second file's video is 640x480 */
    snprintf(path, sizeof path, "%s/two.mkv", dir);
    write_hex(path, frame_joined_mkv);
    CHECK(&h, yolo_container_appended(path, &a) && a.at == 27 && a.w0 == 320 && a.h0 == 240 && a.w1 == 640 &&
          a.h1 == 480, "two Matroska files: at %lld, %dx%d then %dx%d", (long long)a.at, a.w0, a.h0, a.w1, a.h1);
    unlink(path);
    snprintf(path, sizeof path, "%s/same.mkv", dir);
    write_hex(path, frame_joined_mkv_same);
    CHECK(&h, !yolo_container_appended(path, &a), "two Matroska files of one size: FFmpeg plays both");
    unlink(path);
    CHECK(&h, !yolo_container_appended("/nonexistent/x.mp4", &a) && a.at == -1, "a missing file");
    rmdir(dir);
    return harness_finish(&h);
}
