/* frame_headers.h: real video packet headers with their frame sizes, cut from streams FFmpeg
 * encoded (x264, x265, mpeg4, mpeg2video, libvpx, libaom, prores, h263, h263p, flv, a JPEG):
 * the cases of test_frame_size.c and the seeds of the `video` fuzz target
 * (tests/fuzz/gen_corpus.c). Hex digits; spaces only group them. */
#ifndef YOLO_TEST_FRAME_HEADERS_H
#define YOLO_TEST_FRAME_HEADERS_H

#include <stddef.h>
#include <stdint.h>

#include "frame_size.h"

static inline int frame_header_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The bytes of hex (spaces skipped; stops at anything else) into out, at most cap; returns
 * the count. */
static inline size_t frame_header_bytes(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (; *hex && n < cap; hex++) {
        if (*hex == ' ')
            continue;
        int v = frame_header_digit(*hex);
        if (v < 0)
            break;
        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

static const struct {
    const char *what;
    enum yolo_vcodec c;
    const char *hex;
    int32_t w, h;
} frame_header_cases[] = {
    { "x264 320x240 SPS", YOLO_VC_H264, "0000016764000dacd94141fb011000000300100000030320f1429960", 320, 240 },
    { "x264 640x480 SPS", YOLO_VC_H264, "0000016764001eacd940a03db011000003000100000300320f162d96", 640, 480 },
    { "x264 1920x1080 SPS (cropped)", YOLO_VC_H264,
      "00000167640028acd940780227e5c044000003000400000300c83c60c658", 1920, 1080 },
    { "x265 320x240 SPS", YOLO_VC_HEVC,
      "00000142010101600000030090000003000003003ca00a080f165959a4932bc05a020000030002000003003210", 320, 240 },
    { "x265 1920x1080 SPS", YOLO_VC_HEVC,
      "0000014201010408000003009e0800000300007890007810021cb2cacd24995e02dc080800100000030010000003019080",
      1920, 1080 },
    { "mpeg4 320x240 VOS+VO+VOL", YOLO_VC_MPEG4,
      "000001b001000001b58913000001000000012000c48d8800cd0a041e1443000001b24c61766335392e33372e3130300000"
      "01b3001007000001b6", 320, 240 },
    { "mpeg2video 320x240 sequence header", YOLO_VC_MPEG12,
      "000001b31400f023ffffe018000001b5148a00010000000001b80008004000000100", 320, 240 },
    { "VP8 320x240 key frame", YOLO_VC_VP8, "b05a009d012a4001f0000007", 320, 240 },
    { "VP9 320x240 key frame", YOLO_VC_VP9, "a2498342e013f00ef60a3824", 320, 240 },
    { "AV1 640x480 sequence header (libaom, Matroska)", YOLO_VC_AV1,
      "0a0d20000024c4ffdf36be4808680132eb0d1400a0e81000279a84c45f1ff1e9b939f10f281cd926", 640, 480 },
    { "ProRes 4444 640x480 frame header", YOLO_VC_PRORES, "0000ddc16963706600940000666d7067028001e0c2000202",
      640, 480 },
    { "H.263 CIF picture header", YOLO_VC_H263, "000080020c052620202021ff", 352, 288 },
    { "H.263+ 360x240 custom picture format", YOLO_VC_H263, "000080021ce82100109663c4802a00cc", 360, 240 },
    { "FLV1 640x480 picture header", YOLO_VC_FLV1, "00008400814000f013262020", 640, 480 },
    { "JPEG 640x480 SOF0", YOLO_VC_MJPEG, "ffd8ffc0001108 01e0 0280 03011100021101031101", 640, 480 },
};

/* Files (hex pieces, NULL-ended) with and without a second container joined on: one MP4; two
 * MP4s; an AVI, an OpenDML AVIX chunk (same file), then a second AVI; two Matroska files with
 * their video 320x240 then 640x480 (EBML header, Segment > Tracks > TrackEntry > Video >
 * PixelWidth, PixelHeight), and two of one size. */
static const char *const frame_one_mp4[] = {
    "00000010667479706973356d00000200", "000000086d6f6f76", "0000000c6d64617401020304", NULL };
static const char *const frame_joined_mp4[] = {
    "00000010667479706973356d00000200", "000000086d6f6f76", "0000000c6d64617401020304",
    "00000010667479706973356d00000200", "000000086d6f6f76", NULL };
static const char *const frame_joined_avi[] = {
    "524946460400000041564920", "524946460400000041564958", "524946460400000041564920", NULL };
static const char *const frame_joined_mkv[] = {
    "1a45dfa380", "1853806791", "1654ae6b8c", "ae8a", "e088", "b0820140", "ba8200f0",
    "1a45dfa380", "1853806791", "1654ae6b8c", "ae8a", "e088", "b0820280", "ba8201e0", NULL };
static const char *const frame_joined_mkv_same[] = {
    "1a45dfa380", "1853806791", "1654ae6b8c", "ae8a", "e088", "b0820140", "ba8200f0",
    "1a45dfa380", "1853806791", "1654ae6b8c", "ae8a", "e088", "b0820140", "ba8200f0", NULL };

#endif
