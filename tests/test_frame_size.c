/* test_frame_size.c: the frame size in video packet headers (detect/frame_size.c), on headers
 * cut from streams FFmpeg encoded (x264, x265, mpeg4, mpeg2video, libvpx, libaom, prores,
 * h263, h263p, flv), with cropping (1920x1080 coded as 1088 rows); every truncation and random
 * bit flips of each (the bytes are hostile: no read past the end, which ASan checks); the
 * codec from tags and from bytes; and files with a second MP4, AVI or Matroska file joined on. */
#include "harness.h"
#include "frame_size.h"

#include <stdlib.h>
#include <unistd.h>

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; s[0] && s[1] && n < cap; s += 2) {
        unsigned v;
        sscanf(s, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

static const struct {
    const char *what;
    enum yolo_vcodec c;
    const char *hex;
    int32_t w, h;
} cases[] = {
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

/* a file of the given hex pieces, joined */
static int write_hex(const char *path, const char *const *parts)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    uint8_t b[512];
    for (; *parts; parts++)
        fwrite(b, 1, unhex(*parts, b, sizeof b), f);
    return fclose(f);
}

int main(void)
{
    HARNESS_INIT(h, "test_frame_size");
    uint64_t seed = 0x5eed176ULL;
    printf("seed %llu\n", (unsigned long long)seed);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        uint8_t b[256], *cut;
        char hex[512];
        size_t j = 0;
        for (const char *s = cases[k].hex; *s; s++)      /* spaces only group the digits */
            if (*s != ' ')
                hex[j++] = *s;
        hex[j] = 0;
        size_t n = unhex(hex, b, sizeof b);
        int32_t w = 0, ht = 0;
        CHECK(&h, yolo_packet_frame_size(cases[k].c, b, n, &w, &ht) && w == cases[k].w && ht == cases[k].h,
              "%s: got %dx%d", cases[k].what, w, ht);
        /* the same header behind other NAL units or start codes, as in a real packet */
        if (cases[k].c == YOLO_VC_H264) {
            uint8_t aud[64 + 256] = { 0, 0, 0, 1, 0x09, 0xF0 };
            memcpy(aud + 6, b, n);
            CHECK(&h, yolo_packet_frame_size(YOLO_VC_H264, aud, n + 6, &w, &ht) && w == cases[k].w,
                  "%s after an access unit delimiter", cases[k].what);
        }
        if (cases[k].c != YOLO_VC_H264 && cases[k].c != YOLO_VC_HEVC && cases[k].c != YOLO_VC_MJPEG &&
            cases[k].c != YOLO_VC_PRORES && cases[k].c != YOLO_VC_H263 && cases[k].c != YOLO_VC_FLV1) {
            enum yolo_vcodec s = yolo_vcodec_sniff(b, n);
            CHECK(&h, s == cases[k].c, "%s: sniffed as %d", cases[k].what, (int)s);
        }
        /* every truncation, each in a buffer of exactly its length (ASan sees any overread) */
        for (size_t len = 0; len < n; len++) {
            cut = malloc(len ? len : 1);
            memcpy(cut, b, len);
            w = ht = 0;
            int got = yolo_packet_frame_size(cases[k].c, cut, len, &w, &ht);
            CHECK(&h, !got || (w >= 1 && ht >= 1), "%s cut to %zu bytes: %dx%d", cases[k].what, len, w, ht);
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
                      cases[k].what, t, c, w, ht);
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
    static const char *const mp4_one[] = { "00000010667479706973356d00000200", "000000086d6f6f76",
                                           "0000000c6d64617401020304", NULL };
    static const char *const mp4_two[] = { "00000010667479706973356d00000200", "000000086d6f6f76",
                                           "0000000c6d64617401020304", "00000010667479706973356d00000200",
                                           "000000086d6f6f76", NULL };
    snprintf(path, sizeof path, "%s/one.mp4", dir);
    write_hex(path, mp4_one);
    CHECK(&h, !yolo_container_appended(path, &a) && a.at == -1, "one MP4: at %lld", (long long)a.at);
    unlink(path);
    snprintf(path, sizeof path, "%s/two.mp4", dir);
    write_hex(path, mp4_two);
    CHECK(&h, yolo_container_appended(path, &a) && a.at == 36 && strcmp(a.container, "MP4") == 0,
          "two MP4s: at %lld", (long long)a.at);
    unlink(path);
    /* AVI: RIFF size 4 'AVI ', then an AVIX chunk (OpenDML: same file), then a second AVI */
    static const char *const avi[] = { "52494646040000004156492052494646040000004156495852494646040000004156"
                                       "4920", NULL };
    snprintf(path, sizeof path, "%s/two.avi", dir);
    write_hex(path, avi);
    CHECK(&h, yolo_container_appended(path, &a) && a.at == 24 && strcmp(a.container, "AVI") == 0,
          "two AVIs: at %lld", (long long)a.at);
    unlink(path);
    /* Matroska: EBML header (empty), Segment > Tracks > TrackEntry > Video > PixelWidth,
     * PixelHeight; the second file's video is 640x480 */
    static const char *const mkv[] = {
        "1a45dfa380", "1853806791", "1654ae6b8c", "ae8a", "e088", "b0820140", "ba8200f0",
        "1a45dfa380", "1853806791", "1654ae6b8c", "ae8a", "e088", "b0820280", "ba8201e0", NULL };
    snprintf(path, sizeof path, "%s/two.mkv", dir);
    write_hex(path, mkv);
    CHECK(&h, yolo_container_appended(path, &a) && a.at == 27 && a.w0 == 320 && a.h0 == 240 && a.w1 == 640 &&
          a.h1 == 480, "two Matroska files: at %lld, %dx%d then %dx%d", (long long)a.at, a.w0, a.h0, a.w1, a.h1);
    unlink(path);
    static const char *const mkv_same[] = {
        "1a45dfa380", "1853806791", "1654ae6b8c", "ae8a", "e088", "b0820140", "ba8200f0",
        "1a45dfa380", "1853806791", "1654ae6b8c", "ae8a", "e088", "b0820140", "ba8200f0", NULL };
    snprintf(path, sizeof path, "%s/same.mkv", dir);
    write_hex(path, mkv_same);
    CHECK(&h, !yolo_container_appended(path, &a), "two Matroska files of one size: FFmpeg plays both");
    unlink(path);
    CHECK(&h, !yolo_container_appended("/nonexistent/x.mp4", &a) && a.at == -1, "a missing file");
    rmdir(dir);
    return harness_finish(&h);
}
