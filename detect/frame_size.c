/* frame_size.c: the frame size in a video packet's headers; see frame_size.h.
 *
 * Each parser reads just far enough to reach the size fields, following the syntax of its
 * specification (H.264 7.3.2.1.1, H.265 7.3.2.2, MPEG-4 part 2 6.2.3, MPEG-2 6.2.2, VP8
 * RFC 6386 9.1, VP9 6.2, AV1 5.5, H.263 5.1) or decoder (ProRes, FLV1: FFmpeg's). The bytes
 * are hostile: the bit reader stops at the end of its buffer and every count read from the
 * stream is capped before it drives a loop. */
#include "frame_size.h"

#include <stdio.h>
#include <string.h>

struct bits {
    const uint8_t *b;
    size_t n_bits, pos;
    int    err;   /* set once a read went past the end: every later value is 0 */
};

static uint32_t get(struct bits *r, int k)
{
    if (r->err || k > 32 || r->pos + (size_t)k > r->n_bits) {
        r->err = 1;
        return 0;
    }
    uint32_t v = 0;
    for (int i = 0; i < k; i++, r->pos++)
        v = v << 1 | ((r->b[r->pos >> 3] >> (7 - (r->pos & 7))) & 1);
    return v;
}

static void skip(struct bits *r, size_t k)
{
    if (r->err || r->pos + k > r->n_bits)
        r->err = 1;
    else
        r->pos += k;
}

/* Exp-Golomb ue(v); values over 2^31 - 2 (32 leading zeros or more) are an error. */
static uint32_t ue(struct bits *r)
{
    int zeros = 0;
    while (!r->err && get(r, 1) == 0)
        if (++zeros > 31) {
            r->err = 1;
            return 0;
        }
    if (r->err)
        return 0;
    return (uint32_t)((1ull << zeros) - 1 + get(r, zeros));
}

static void se_skip(struct bits *r)
{
    (void)ue(r);
}

static int size_ok(int64_t w, int64_t h, int32_t *pw, int32_t *ph)
{
    if (w < 1 || h < 1 || w > 65535 || h > 65535)
        return 0;
    *pw = (int32_t)w;
    *ph = (int32_t)h;
    return 1;
}

/* A NAL unit's payload with the emulation prevention bytes (00 00 03 -> 00 00) removed, up to
 * cap bytes: the sizes sit in the first few dozen bytes of a parameter set, but H.264 scaling
 * lists can come first, hence the room. */
static size_t unescape(const uint8_t *b, size_t n, uint8_t *out, size_t cap)
{
    size_t o = 0, zeros = 0;
    for (size_t i = 0; i < n && o < cap; i++) {
        if (zeros >= 2 && b[i] == 3) {
            zeros = 0;
            continue;
        }
        zeros = b[i] == 0 ? zeros + 1 : 0;
        out[o++] = b[i];
    }
    return o;
}

/* The next Annex B NAL unit at or after *pos: its first byte (header) and length. */
static int next_nal(const uint8_t *b, size_t n, size_t *pos, const uint8_t **nal, size_t *len)
{
    size_t i = *pos;
    while (i + 3 <= n && !(b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1))
        i++;
    if (i + 3 > n)
        return 0;
    size_t s = i + 3, e = s;
    while (e + 3 <= n && !(b[e] == 0 && b[e + 1] == 0 && b[e + 2] <= 1))
        e++;
    if (e + 3 > n)
        e = n;
    *nal = b + s;
    *len = e - s;
    *pos = e;
    return 1;
}

static void h264_scaling_list(struct bits *r, int size)
{
    int last = 8, next = 8;
    for (int j = 0; j < size && !r->err; j++) {
        if (next != 0) {
            uint32_t u = ue(r);   /* se(v): delta in -128..127 */
            if (u > 255) {
                r->err = 1;
                return;
            }
            int32_t delta = u & 1 ? (int32_t)((u + 1) / 2) : -(int32_t)(u / 2);
            next = ((last + delta) % 256 + 256) % 256;
        }
        last = next == 0 ? last : next;
    }
}

static int h264_sps(const uint8_t *p, size_t n, int32_t *w, int32_t *h)
{
    uint8_t buf[1024];
    struct bits r = { buf, unescape(p, n, buf, sizeof buf) * 8, 0, 0 };
    uint32_t profile = get(&r, 8);
    skip(&r, 16);                          /* constraint flags, level_idc */
    if (ue(&r) > 31)
        return 0;
    uint32_t chroma = 1, separate = 0;
    if (profile == 100 || profile == 110 || profile == 122 || profile == 244 || profile == 44 ||
        profile == 83 || profile == 86 || profile == 118 || profile == 128 || profile == 138 ||
        profile == 139 || profile == 134 || profile == 135) {
        if ((chroma = ue(&r)) > 3)
            return 0;
        if (chroma == 3)
            separate = get(&r, 1);
        ue(&r);                            /* bit_depth_luma_minus8 */
        ue(&r);                            /* bit_depth_chroma_minus8 */
        skip(&r, 1);                       /* qpprime_y_zero_transform_bypass_flag */
        if (get(&r, 1))                    /* seq_scaling_matrix_present_flag */
            for (int i = 0; i < (chroma != 3 ? 8 : 12) && !r.err; i++)
                if (get(&r, 1))
                    h264_scaling_list(&r, i < 6 ? 16 : 64);
    }
    ue(&r);                                /* log2_max_frame_num_minus4 */
    uint32_t poc = ue(&r);
    if (poc == 0) {
        ue(&r);
    } else if (poc == 1) {
        skip(&r, 1);
        se_skip(&r);
        se_skip(&r);
        uint32_t cycle = ue(&r);
        if (cycle > 255)
            return 0;
        for (uint32_t i = 0; i < cycle && !r.err; i++)
            se_skip(&r);
    }
    ue(&r);                                /* max_num_ref_frames */
    skip(&r, 1);                           /* gaps_in_frame_num_value_allowed_flag */
    int64_t wmb = (int64_t)ue(&r) + 1, hmu = (int64_t)ue(&r) + 1;
    uint32_t frame_mbs_only = get(&r, 1);
    if (!frame_mbs_only)
        skip(&r, 1);                       /* mb_adaptive_frame_field_flag */
    skip(&r, 1);                           /* direct_8x8_inference_flag */
    int64_t crop[4] = { 0, 0, 0, 0 };
    if (get(&r, 1))
        for (int i = 0; i < 4; i++)
            crop[i] = ue(&r);
    if (r.err)
        return 0;
    /* cropping units, Table 6-1 and equations 7-19..7-22 */
    int64_t cux = 1, cuy = 2 - frame_mbs_only;
    if (!separate && chroma != 0) {
        cux = chroma == 3 ? 1 : 2;
        cuy = (chroma == 1 ? 2 : 1) * (2 - (int64_t)frame_mbs_only);
    }
    return size_ok(wmb * 16 - cux * (crop[0] + crop[1]), (2 - (int64_t)frame_mbs_only) * hmu * 16 -
                   cuy * (crop[2] + crop[3]), w, h);
}

static int hevc_sps(const uint8_t *p, size_t n, int32_t *w, int32_t *h)
{
    uint8_t buf[512];
    struct bits r = { buf, unescape(p, n, buf, sizeof buf) * 8, 0, 0 };
    skip(&r, 4);                           /* sps_video_parameter_set_id */
    uint32_t max_sub = get(&r, 3);         /* sps_max_sub_layers_minus1 */
    skip(&r, 1);
    skip(&r, 96);                          /* general profile (88 bits) and level_idc */
    uint32_t prof[8] = { 0 }, lev[8] = { 0 };
    for (uint32_t i = 0; i < max_sub; i++) {
        prof[i] = get(&r, 1);
        lev[i] = get(&r, 1);
    }
    if (max_sub > 0)
        skip(&r, 2 * (8 - max_sub));       /* reserved_zero_2bits */
    for (uint32_t i = 0; i < max_sub; i++) {
        if (prof[i])
            skip(&r, 88);
        if (lev[i])
            skip(&r, 8);
    }
    if (ue(&r) > 15)
        return 0;
    uint32_t chroma = ue(&r), separate = 0;
    if (chroma > 3)
        return 0;
    if (chroma == 3)
        separate = get(&r, 1);
    int64_t pw = ue(&r), ph = ue(&r);
    int64_t crop[4] = { 0, 0, 0, 0 };
    if (get(&r, 1))                        /* conformance_window_flag */
        for (int i = 0; i < 4; i++)
            crop[i] = ue(&r);
    if (r.err)
        return 0;
    int64_t sw = !separate && (chroma == 1 || chroma == 2) ? 2 : 1, sh = !separate && chroma == 1 ? 2 : 1;
    return size_ok(pw - sw * (crop[0] + crop[1]), ph - sh * (crop[2] + crop[3]), w, h);
}

/* MPEG-4 part 2 video_object_layer() up to its width and height (rectangular shapes only). */
static int mpeg4_vol(const uint8_t *p, size_t n, int32_t *w, int32_t *h)
{
    struct bits r = { p, n * 8, 0, 0 };
    skip(&r, 1 + 8);                       /* random_accessible_vol, video_object_type_indication */
    uint32_t verid = 1;
    if (get(&r, 1)) {                      /* is_object_layer_identifier */
        verid = get(&r, 4);
        skip(&r, 3);
    }
    if (get(&r, 4) == 15)                  /* aspect_ratio_info: extended PAR */
        skip(&r, 16);
    if (get(&r, 1)) {                      /* vol_control_parameters */
        skip(&r, 3);                       /* chroma_format, low_delay */
        if (get(&r, 1))                    /* vbv_parameters */
            skip(&r, 15 + 1 + 15 + 1 + 15 + 1 + 3 + 11 + 1 + 15 + 1);
    }
    uint32_t shape = get(&r, 2);
    if (shape == 3 && verid != 1)
        skip(&r, 4);
    skip(&r, 1);
    uint32_t res = get(&r, 16);            /* vop_time_increment_resolution */
    skip(&r, 1);
    if (r.err || res == 0 || shape != 0)
        return 0;
    if (get(&r, 1)) {                      /* fixed_vop_rate: fixed_vop_time_increment */
        int nb = 1;
        while (nb < 16 && (res - 1) >> nb)
            nb++;
        skip(&r, (size_t)nb);
    }
    skip(&r, 1);
    int64_t vw = get(&r, 13);
    skip(&r, 1);
    int64_t vh = get(&r, 13);
    return !r.err && size_ok(vw, vh, w, h);
}

static int start_code_at(const uint8_t *b, size_t n, size_t i)
{
    return i + 4 <= n && b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1;
}

static int vp9_key_size(const uint8_t *b, size_t n, int32_t *w, int32_t *h)
{
    struct bits r = { b, n * 8, 0, 0 };
    if (get(&r, 2) != 2)                   /* frame_marker */
        return 0;
    uint32_t lo = get(&r, 1), hi = get(&r, 1), profile = hi << 1 | lo;
    if (profile == 3)
        skip(&r, 1);
    if (get(&r, 1))                        /* show_existing_frame */
        return 0;
    if (get(&r, 1) != 0)                   /* frame_type: 0 = key frame */
        return 0;
    skip(&r, 2);                           /* show_frame, error_resilient_mode */
    if (get(&r, 24) != 0x498342)           /* frame_sync_code */
        return 0;
    if (profile >= 2)
        skip(&r, 1);                       /* ten_or_twelve_bit */
    if (get(&r, 3) != 7) {                 /* color_space != CS_RGB */
        skip(&r, 1);                       /* color_range */
        if (profile == 1 || profile == 3)
            skip(&r, 3);                   /* subsampling_x, subsampling_y, reserved */
    } else if (profile == 1 || profile == 3) {
        skip(&r, 1);
    }
    int64_t fw = (int64_t)get(&r, 16) + 1, fh = (int64_t)get(&r, 16) + 1;
    return !r.err && size_ok(fw, fh, w, h);
}

static int vp8_key_size(const uint8_t *b, size_t n, int32_t *w, int32_t *h)
{
    if (n < 10 || (b[0] & 1) || b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a)
        return 0;
    return size_ok((b[6] | b[7] << 8) & 0x3fff, (b[8] | b[9] << 8) & 0x3fff, w, h);
}

/* AV1 uvlc() (spec 4.10.3) */
static uint32_t uvlc(struct bits *r)
{
    int zeros = 0;
    while (!r->err && get(r, 1) == 0)
        if (++zeros >= 32) {
            r->err = 1;
            return 0;
        }
    return zeros ? (uint32_t)((1ull << zeros) - 1 + get(r, zeros)) : 0;
}

/* AV1 sequence_header_obu() (spec 5.5) up to max_frame_width/height_minus_1: the size of the
 * frames a sequence codes unless a frame header overrides it (scaled layers, rare). */
static int av1_seq(const uint8_t *p, size_t n, int32_t *w, int32_t *h)
{
    struct bits r = { p, n * 8, 0, 0 };
    skip(&r, 4);                           /* seq_profile, still_picture */
    if (get(&r, 1)) {                      /* reduced_still_picture_header */
        skip(&r, 5);
    } else {
        uint32_t dm = 0, bdl = 0;
        if (get(&r, 1)) {                  /* timing_info_present_flag */
            skip(&r, 64);
            if (get(&r, 1))                /* equal_picture_interval */
                uvlc(&r);
            if ((dm = get(&r, 1))) {       /* decoder_model_info_present_flag */
                bdl = get(&r, 5) + 1;
                skip(&r, 32 + 5 + 5);
            }
        }
        uint32_t idd = get(&r, 1);         /* initial_display_delay_present_flag */
        uint32_t ops = get(&r, 5) + 1;
        for (uint32_t i = 0; i < ops && !r.err; i++) {
            skip(&r, 12);                  /* operating_point_idc */
            if (get(&r, 5) > 7)            /* seq_level_idx: seq_tier */
                skip(&r, 1);
            if (dm && get(&r, 1))
                skip(&r, 2 * (size_t)bdl + 1);
            if (idd && get(&r, 1))
                skip(&r, 4);
        }
    }
    int fwb = (int)get(&r, 4) + 1, fhb = (int)get(&r, 4) + 1;
    int64_t fw = (int64_t)get(&r, fwb) + 1, fh = (int64_t)get(&r, fhb) + 1;
    return !r.err && size_ok(fw, fh, w, h);
}

/* Walks a temporal unit's OBUs (each with its size field, as in MP4, Matroska and IVF) up to
 * the first frame data; 1 and the size if a sequence header came first. */
static int av1_size(const uint8_t *b, size_t n, int32_t *w, int32_t *h)
{
    size_t i = 0;
    while (i < n) {
        uint8_t hd = b[i++];
        int type = (hd >> 3) & 15;
        if ((hd & 0x80) || !(hd & 0x02))   /* forbidden bit, or no obu_size: not ours to walk */
            return 0;
        if (hd & 0x04)                     /* obu_extension_flag */
            i++;
        uint64_t sz = 0;
        int k = 0;
        for (; k < 8 && i < n; k++) {
            sz |= (uint64_t)(b[i] & 0x7F) << (7 * k);
            if (!(b[i++] & 0x80))
                break;
        }
        if (k == 8 || i > n || sz > n - i)
            return 0;
        if (type == 1)
            return av1_seq(b + i, (size_t)sz, w, h);
        if (type == 3 || type == 4 || type == 6)   /* frame header, tile group, frame */
            return 0;
        i += (size_t)sz;
    }
    return 0;
}

/* A ProRes frame: frame size, 'icpf', header size, version, creator, then width and height. */
static int prores_size(const uint8_t *b, size_t n, int32_t *w, int32_t *h)
{
    if (n < 20 || memcmp(b + 4, "icpf", 4) != 0)
        return 0;
    return size_ok(b[16] << 8 | b[17], b[18] << 8 | b[19], w, h);
}

/* H.263 picture header (ITU-T H.263 5.1): the source format, or with PLUSPTYPE (H.263+) the
 * custom picture format; a PLUSPTYPE header without UFEP repeats the last size: none here. */
static int h263_size(const uint8_t *b, size_t n, int32_t *w, int32_t *h)
{
    static const int fmt[6][2] = { { 0, 0 }, { 128, 96 }, { 176, 144 }, { 352, 288 }, { 704, 576 }, { 1408, 1152 } };
    struct bits r = { b, n * 8, 0, 0 };
    if (get(&r, 22) != 0x20)               /* picture start code */
        return 0;
    skip(&r, 8);                           /* temporal reference */
    if (get(&r, 2) != 2)                   /* PTYPE bits 1-2: "1", "0" */
        return 0;
    skip(&r, 3);
    uint32_t sf = get(&r, 3);
    if (sf >= 1 && sf <= 5)
        return !r.err && size_ok(fmt[sf][0], fmt[sf][1], w, h);
    if (sf != 7 || get(&r, 3) != 1)        /* PLUSPTYPE with UFEP 001: OPPTYPE follows */
        return 0;
    sf = get(&r, 3);
    if (sf >= 1 && sf <= 5)
        return !r.err && size_ok(fmt[sf][0], fmt[sf][1], w, h);
    if (sf != 6)
        return 0;
    skip(&r, 15 + 9);                      /* rest of OPPTYPE, MPPTYPE */
    if (get(&r, 1))                        /* CPM: PSBI */
        skip(&r, 2);
    skip(&r, 4);                           /* CPFMT: pixel aspect ratio code */
    int64_t pw = ((int64_t)get(&r, 9) + 1) * 4;
    skip(&r, 1);
    int64_t ph = (int64_t)get(&r, 9) * 4;
    return !r.err && size_ok(pw, ph, w, h);
}

/* Sorenson H.263 picture header (FFmpeg's flvdec.c): 17-bit start code, version, temporal
 * reference, then a size code: 8- or 16-bit custom sizes, or one of five fixed ones. */
static int flv1_size(const uint8_t *b, size_t n, int32_t *w, int32_t *h)
{
    static const int fmt[7][2] = { { 0, 0 }, { 0, 0 }, { 352, 288 }, { 176, 144 }, { 128, 96 }, { 320, 240 }, { 160, 120 } };
    struct bits r = { b, n * 8, 0, 0 };
    if (get(&r, 17) != 1 || get(&r, 5) > 1)
        return 0;
    skip(&r, 8);
    uint32_t code = get(&r, 3);
    int64_t fw, fh;
    if (code <= 1) {
        fw = get(&r, code ? 16 : 8);
        fh = get(&r, code ? 16 : 8);
    } else if (code <= 6) {
        fw = fmt[code][0];
        fh = fmt[code][1];
    } else {
        return 0;
    }
    return !r.err && size_ok(fw, fh, w, h);
}

/* The frame size in a JPEG's SOF segment (any SOFn but DHT C4, JPG C8, DAC CC): walks the
 * marker segments by their lengths from SOI. */
static int jpeg_size(const uint8_t *b, size_t n, int32_t *w, int32_t *h)
{
    if (n < 4 || b[0] != 0xFF || b[1] != 0xD8)
        return 0;
    size_t i = 2;
    while (i + 4 <= n) {
        if (b[i] != 0xFF)
            return 0;
        uint8_t m = b[i + 1];
        if (m == 0xFF) {            /* fill byte */
            i++;
            continue;
        }
        size_t len = (size_t)b[i + 2] << 8 | b[i + 3];
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            if (i + 9 > n)
                return 0;
            return size_ok(b[i + 7] << 8 | b[i + 8], b[i + 5] << 8 | b[i + 6], w, h);
        }
        if (m == 0xDA || len < 2)   /* scan data before any SOF: not a frame we can size */
            return 0;
        i += 2 + len;
    }
    return 0;
}

enum yolo_vcodec yolo_vcodec_from_fourcc(uint32_t fourcc)
{
    /* MPEG-TS stream types (ISO 13818-1 Table 2-34), which OpenCV passes on as the tag */
    switch (fourcc) {
    case 0x01: case 0x02: return YOLO_VC_MPEG12;
    case 0x10: return YOLO_VC_MPEG4;
    case 0x1b: return YOLO_VC_H264;
    case 0x24: return YOLO_VC_HEVC;
    case 0: return YOLO_VC_UNKNOWN;
    default: break;
    }
    char t[5];
    for (int i = 0; i < 4; i++) {
        char c = (char)((fourcc >> (8 * i)) & 0xFF);
        t[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    t[4] = 0;
    static const struct { const char *tag; enum yolo_vcodec c; } tags[] = {
        { "mjpg", YOLO_VC_MJPEG }, { "mjpe", YOLO_VC_MJPEG }, { "jpeg", YOLO_VC_MJPEG },
        { "mjpa", YOLO_VC_MJPEG }, { "avdj", YOLO_VC_MJPEG }, { "avrn", YOLO_VC_MJPEG },
        { "avc1", YOLO_VC_H264 }, { "avc3", YOLO_VC_H264 }, { "h264", YOLO_VC_H264 },
        { "x264", YOLO_VC_H264 }, { "davc", YOLO_VC_H264 },
        { "hvc1", YOLO_VC_HEVC }, { "hev1", YOLO_VC_HEVC }, { "hevc", YOLO_VC_HEVC },
        { "h265", YOLO_VC_HEVC }, { "x265", YOLO_VC_HEVC },
        { "mp4v", YOLO_VC_MPEG4 }, { "fmp4", YOLO_VC_MPEG4 }, { "xvid", YOLO_VC_MPEG4 },
        { "divx", YOLO_VC_MPEG4 }, { "dx50", YOLO_VC_MPEG4 }, { "mp4s", YOLO_VC_MPEG4 },
        { "m4s2", YOLO_VC_MPEG4 },
        { "mpg1", YOLO_VC_MPEG12 }, { "mpg2", YOLO_VC_MPEG12 }, { "mp2v", YOLO_VC_MPEG12 },
        { "vp80", YOLO_VC_VP8 }, { "vp90", YOLO_VC_VP9 }, { "av01", YOLO_VC_AV1 },
        { "apch", YOLO_VC_PRORES }, { "apcn", YOLO_VC_PRORES }, { "apcs", YOLO_VC_PRORES },
        { "apco", YOLO_VC_PRORES }, { "ap4h", YOLO_VC_PRORES }, { "ap4x", YOLO_VC_PRORES },
        { "h263", YOLO_VC_H263 }, { "s263", YOLO_VC_H263 }, { "u263", YOLO_VC_H263 },
        { "flv1", YOLO_VC_FLV1 },
        { "mpeg", YOLO_VC_UNKNOWN },      /* FFmpeg's mpeg4 and mpeg2video alike: sniff */
    };
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        if (strcmp(t, tags[i].tag) == 0)
            return tags[i].c;
    return YOLO_VC_NONE;
}

enum yolo_vcodec yolo_vcodec_sniff(const uint8_t *b, size_t n)
{
    int32_t w, h;
    if (!b)
        return YOLO_VC_UNKNOWN;
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8)
        return YOLO_VC_MJPEG;
    if (vp8_key_size(b, n, &w, &h))
        return YOLO_VC_VP8;
    if (vp9_key_size(b, n, &w, &h))
        return YOLO_VC_VP9;
    if (av1_size(b, n, &w, &h))            /* Matroska's AV1 key frames open with the sequence header */
        return YOLO_VC_AV1;
    /* MPEG-4 codes each picture as a VOP (start code B6), MPEG-1/2 as a picture (00) after a
     * sequence header (B3); B3 alone is also MPEG-4's group-of-VOPs header */
    int vop = 0, seq = 0, pic = 0;
    for (size_t i = 0; i + 4 <= n; i++)
        if (start_code_at(b, n, i)) {
            vop |= b[i + 3] == 0xB6;
            seq |= b[i + 3] == 0xB3;
            pic |= b[i + 3] == 0x00;
        }
    if (vop)
        return YOLO_VC_MPEG4;
    if (seq && pic)
        return YOLO_VC_MPEG12;
    return YOLO_VC_UNKNOWN;
}

int yolo_packet_frame_size(enum yolo_vcodec c, const uint8_t *b, size_t n, int32_t *w, int32_t *h)
{
    if (!b || !w || !h)
        return 0;
    size_t pos = 0, len;
    const uint8_t *nal;
    switch (c) {
    case YOLO_VC_MJPEG:
        return jpeg_size(b, n, w, h);
    case YOLO_VC_VP8:
        return vp8_key_size(b, n, w, h);
    case YOLO_VC_VP9:
        return vp9_key_size(b, n, w, h);
    case YOLO_VC_AV1:
        return av1_size(b, n, w, h);
    case YOLO_VC_PRORES:
        return prores_size(b, n, w, h);
    case YOLO_VC_H263:
        return h263_size(b, n, w, h);
    case YOLO_VC_FLV1:
        return flv1_size(b, n, w, h);
    /* parameter sets precede the access unit's slices: the scan stops at the first slice,
     * so the bulk of each packet is not read */
    case YOLO_VC_H264:
        while (next_nal(b, n, &pos, &nal, &len) && len > 0 && !((nal[0] & 0x1F) >= 1 && (nal[0] & 0x1F) <= 5))
            if (len > 1 && (nal[0] & 0x1F) == 7 && h264_sps(nal + 1, len - 1, w, h))
                return 1;
        return 0;
    case YOLO_VC_HEVC:
        while (next_nal(b, n, &pos, &nal, &len) && len > 0 && ((nal[0] >> 1) & 0x3F) >= 32)
            /* base layer only: a multi-layer stream's (MV-HEVC) other SPSs have another syntax */
            if (len > 2 && ((nal[0] >> 1) & 0x3F) == 33 && (nal[0] & 1) == 0 && (nal[1] >> 3) == 0 &&
                hevc_sps(nal + 2, len - 2, w, h))
                return 1;
        return 0;
    case YOLO_VC_MPEG4:
        /* a VOL start code (20..2F) right after a video_object start code (00..1F), which has
         * no payload: MPEG-1/2 slice codes share the 20..2F range but never follow 00..1F */
        for (size_t i = 0; i + 8 <= n && !(start_code_at(b, n, i) && b[i + 3] == 0xB6); i++)
            if (start_code_at(b, n, i) && b[i + 3] <= 0x1F && start_code_at(b, n, i + 4) &&
                b[i + 7] >= 0x20 && b[i + 7] <= 0x2F)
                return mpeg4_vol(b + i + 8, n - i - 8, w, h);
        return 0;
    case YOLO_VC_MPEG12:
        for (size_t i = 0; i + 8 <= n && !(start_code_at(b, n, i) && b[i + 3] == 0x00); i++)
            if (start_code_at(b, n, i) && b[i + 3] == 0xB3) {
                int64_t sw = b[i + 4] << 4 | b[i + 5] >> 4, sh = (b[i + 5] & 0xF) << 8 | b[i + 6];
                /* MPEG-2's sequence_extension (B5, id 1) holds two more bits of each */
                for (size_t j = i + 8; j + 7 <= n; j++) {
                    if (!start_code_at(b, n, j))
                        continue;
                    if (b[j + 3] == 0xB5 && (b[j + 4] >> 4) == 1) {
                        struct bits r = { b + j + 4, 3 * 8, 0, 0 };
                        skip(&r, 4 + 8 + 1 + 2);   /* id, profile_and_level, progressive, chroma */
                        sw |= (int64_t)get(&r, 2) << 12;
                        sh |= (int64_t)get(&r, 2) << 12;
                        break;
                    }
                    if (b[j + 3] != 0xB2)          /* user data may come between */
                        break;
                }
                return size_ok(sw, sh, w, h);
            }
        return 0;
    default:
        return 0;
    }
}

/* EBML (Matroska) elements: an ID of 1..4 bytes (marker bit kept), then a size of 1..8
 * bytes (marker bit dropped; all value bits set: unknown). */
static int ebml_vint(FILE *f, int keep_marker, int max_len, uint64_t *v, int *unknown)
{
    int c = fgetc(f);
    if (c == EOF || c == 0)
        return -1;
    int len = 1;
    while (!(c & (0x80 >> (len - 1))))
        len++;
    if (len > max_len)
        return -1;
    uint64_t mask = (0x80u >> (len - 1)) - 1;
    *v = keep_marker ? (uint64_t)c : (uint64_t)c & mask;
    int all = ((uint64_t)c & mask) == mask;
    for (int i = 1; i < len; i++) {
        if ((c = fgetc(f)) == EOF)
            return -1;
        *v = *v << 8 | (uint64_t)c;
        all &= c == 0xFF;
    }
    if (unknown)
        *unknown = all;
    return 0;
}

/* Reads the element header at f's position: its ID and where its data ends (file_end when
 * the size is unknown). */
static int ebml_element(FILE *f, int64_t file_end, uint32_t *id, int64_t *end)
{
    uint64_t v, sz;
    int unknown;
    if (ebml_vint(f, 1, 4, &v, NULL) != 0 || ebml_vint(f, 0, 8, &sz, &unknown) != 0)
        return -1;
    *id = (uint32_t)v;
    off_t here = ftello(f);
    if (here < 0)
        return -1;
    *end = unknown || sz > (uint64_t)(file_end - here) ? file_end : (int64_t)here + (int64_t)sz;
    return 0;
}

/* The first video track's PixelWidth x PixelHeight in the Segment data [start, end): walks
 * Segment > Tracks > TrackEntry > Video, skipping other elements by their sizes, and stops at
 * the first Cluster (the tracks come before the frames). */
static int mkv_video_size(FILE *f, int64_t start, int64_t end, int depth, int32_t *w, int32_t *h, int *budget)
{
    int64_t pos = start;
    int64_t pw = 0, ph = 0;
    while (pos < end && --*budget > 0) {
        uint32_t id;
        int64_t el_end;
        if (fseeko(f, (off_t)pos, SEEK_SET) != 0 || ebml_element(f, end, &id, &el_end) != 0)
            return 0;
        int64_t data = (int64_t)ftello(f);
        if (id == 0x1F43B675)                              /* Cluster */
            return 0;
        if ((id == 0x1654AE6B || id == 0xAE || id == 0xE0) && depth < 4) {   /* Tracks, TrackEntry, Video */
            if (mkv_video_size(f, data, el_end, depth + 1, w, h, budget))
                return 1;
        } else if ((id == 0xB0 || id == 0xBA) && el_end - data >= 1 && el_end - data <= 4) {
            int64_t v = 0;
            for (int64_t i = data; i < el_end; i++) {
                int c = fgetc(f);
                if (c == EOF)
                    return 0;
                v = v << 8 | c;
            }
            *(id == 0xB0 ? &pw : &ph) = v;
        }
        pos = el_end;
    }
    return pw > 0 && ph > 0 && size_ok(pw, ph, w, h);
}

/* A Matroska file's end and its video size, from its EBML header at start. */
static int mkv_file(FILE *f, int64_t start, int64_t file_end, int64_t *seg_end, int32_t *w, int32_t *h)
{
    uint32_t id;
    int64_t end;
    if (fseeko(f, (off_t)start, SEEK_SET) != 0 || ebml_element(f, file_end, &id, &end) != 0 || id != 0x1A45DFA3 ||
        fseeko(f, (off_t)end, SEEK_SET) != 0 || ebml_element(f, file_end, &id, seg_end) != 0 || id != 0x18538067)
        return -1;
    int budget = 10000;
    if (!mkv_video_size(f, (int64_t)ftello(f), *seg_end, 0, w, h, &budget))
        *w = *h = 0;
    return 0;
}

int yolo_container_appended(const char *path, struct yolo_appended *a)
{
    if (!a)
        return 0;
    memset(a, 0, sizeof *a);
    a->at = -1;
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f)
        return 0;
    int64_t off = 0, file_end = -1;
    uint8_t hd[16];
    if (fseeko(f, 0, SEEK_END) != 0 || (file_end = (int64_t)ftello(f)) < 0 || fseeko(f, 0, SEEK_SET) != 0 ||
        fread(hd, 1, 12, f) != 12)
        goto done;
    if (memcmp(hd, "RIFF", 4) == 0 && memcmp(hd + 8, "AVI ", 4) == 0) {
        /* RIFF 'AVI ' then, past 1 GB (OpenDML), RIFF 'AVIX' chunks; another 'AVI ' is a file */
        for (int k = 0; k < 1 << 16; k++) {
            uint32_t sz = (uint32_t)hd[4] | (uint32_t)hd[5] << 8 | (uint32_t)hd[6] << 16 | (uint32_t)hd[7] << 24;
            off += 8 + (int64_t)sz + (sz & 1);
            if (fseeko(f, (off_t)off, SEEK_SET) != 0 || fread(hd, 1, 12, f) != 12 || memcmp(hd, "RIFF", 4) != 0)
                break;
            if (memcmp(hd + 8, "AVI ", 4) == 0) {
                a->at = off;
                a->container = "AVI";
                break;
            }
        }
    } else if (hd[0] == 0x1A && hd[1] == 0x45 && hd[2] == 0xDF && hd[3] == 0xA3) {
        /* Matroska/WebM: FFmpeg reads on past the first file's Segment into a second one,
         * decoding it with the first one's codec settings: harmless at the same frame size,
         * garbage at another, so only a size that differs counts */
        int64_t end1, end2;
        int32_t w1, h1, w2, h2;
        if (mkv_file(f, 0, file_end, &end1, &w1, &h1) == 0 && end1 < file_end &&
            mkv_file(f, end1, file_end, &end2, &w2, &h2) == 0 && w1 > 0 && w2 > 0 && (w1 != w2 || h1 != h2)) {
            a->at = end1;
            a->container = "Matroska";
            a->w0 = w1;
            a->h0 = h1;
            a->w1 = w2;
            a->h1 = h2;
        }
    } else if (memcmp(hd + 4, "ftyp", 4) == 0) {
        /* ISO BMFF: one 'ftyp' and one 'moov' per file (fragments add 'moof', not 'moov') */
        int moov = 0;
        for (int k = 0; k < 1 << 20; k++) {
            uint64_t sz = (uint64_t)hd[0] << 24 | (uint64_t)hd[1] << 16 | (uint64_t)hd[2] << 8 | hd[3];
            if ((off > 0 && memcmp(hd + 4, "ftyp", 4) == 0) || (memcmp(hd + 4, "moov", 4) == 0 && moov++)) {
                a->at = off;
                a->container = "MP4";
                break;
            }
            if (sz == 1) {
                if (fseeko(f, (off_t)off + 8, SEEK_SET) != 0 || fread(hd + 8, 1, 8, f) != 8)
                    break;
                sz = 0;
                for (int i = 8; i < 16; i++)
                    sz = sz << 8 | hd[i];
            }
            if (sz < 8 || sz > (uint64_t)INT64_MAX - (uint64_t)off)   /* size 0 (to the end) or damaged */
                break;
            off += (int64_t)sz;
            if (fseeko(f, (off_t)off, SEEK_SET) != 0 || fread(hd, 1, 8, f) != 8)
                break;
        }
    }
done:
    fclose(f);
    return a->at >= 0;
}
