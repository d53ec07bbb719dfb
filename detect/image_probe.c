/* image_probe.c: see image_probe.h. Each reader checks that the bytes it needs are there
 * (the `have` test) before it reads them; integers are read byte by byte (the file's byte
 * order, never the host's). */
#include <string.h>

#include "image_probe.h"

static int have(size_t n, size_t off, size_t len)
{
    return off <= n && len <= n - off;
}

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t le16(const uint8_t *p) { return (uint32_t)p[1] << 8 | p[0]; }
static uint32_t be32(const uint8_t *p) { return be16(p) << 16 | be16(p + 2); }
static uint32_t le32(const uint8_t *p) { return le16(p + 2) << 16 | le16(p); }

/* Sizes saturate at 2^32 - 1 (OpenEXR's can reach 2^32), so w * h fits in a uint64_t. */
static const char *sized(const char *fmt, int64_t w, int64_t h, int64_t *ow, int64_t *oh)
{
    if (w < 0 || h < 0)
        return NULL;
    *ow = w < UINT32_MAX ? w : UINT32_MAX;
    *oh = h < UINT32_MAX ? h : UINT32_MAX;
    return fmt;
}

/* PNG: the IHDR chunk comes first (PNG spec 5.2, 11.2.2): width, height as u32 BE. */
static const char *probe_png(const uint8_t *p, size_t n, int64_t *w, int64_t *h)
{
    if (!have(n, 12, 12) || memcmp(p + 12, "IHDR", 4) != 0)
        return NULL;
    return sized("PNG", be32(p + 16), be32(p + 20), w, h);
}

/* JPEG: walk the marker segments up to the first start-of-frame (ITU T.81 B.2.2):
 * SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry P, Y (height), X (width). */
static const char *probe_jpeg(const uint8_t *p, size_t n, int64_t *w, int64_t *h)
{
    size_t pos = 2;
    while (have(n, pos, 2)) {
        if (p[pos] != 0xFF)
            return NULL;
        uint8_t m = p[pos + 1];
        if (m == 0xFF) {                       /* fill byte */
            pos++;
            continue;
        }
        pos += 2;
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7))
            continue;                          /* no length field */
        if (m == 0xD9 || m == 0xDA || !have(n, pos, 2))
            return NULL;                       /* image data before any frame header */
        uint32_t len = be16(p + pos);
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            if (len < 7 || !have(n, pos, 7))
                return NULL;
            uint32_t y = be16(p + pos + 3), x = be16(p + pos + 5);
            return y ? sized("JPEG", x, y, w, h) : NULL;   /* 0: height in a DNL segment */
        }
        if (len < 2)
            return NULL;
        pos += len;
    }
    return NULL;
}

/* BMP: a 14-byte file header, then a DIB header whose first u32 is its size: 12 for the
 * OS/2 BITMAPCOREHEADER (u16 width, height), else width and height as i32 (a negative
 * height means rows are stored top-down). */
static const char *probe_bmp(const uint8_t *p, size_t n, int64_t *w, int64_t *h)
{
    if (!have(n, 14, 4))
        return NULL;
    uint32_t hs = le32(p + 14);
    if (hs == 12)
        return have(n, 18, 4) ? sized("BMP", le16(p + 18), le16(p + 20), w, h) : NULL;
    if (hs < 16 || !have(n, 18, 8))
        return NULL;
    int64_t x = (int32_t)le32(p + 18), y = (int32_t)le32(p + 22);
    return sized("BMP", x, y < 0 ? -y : y, w, h);
}

/* WebP (RFC 9649): RIFF....WEBP then the first chunk. VP8: 3-byte frame tag, start code
 * 9D 01 2A, 14-bit width and height. VP8L: signature 0x2F, then 14 bits width-1 and 14 bits
 * height-1. VP8X: 4 bytes of flags, then 24-bit canvas width-1 and height-1. */
static const char *probe_webp(const uint8_t *p, size_t n, int64_t *w, int64_t *h)
{
    if (!have(n, 12, 8))
        return NULL;
    const uint8_t *c = p + 12, *d = p + 20;
    if (memcmp(c, "VP8 ", 4) == 0 && have(n, 20, 10) && d[3] == 0x9D && d[4] == 0x01 &&
        d[5] == 0x2A)
        return sized("WebP", le16(d + 6) & 0x3FFF, le16(d + 8) & 0x3FFF, w, h);
    if (memcmp(c, "VP8L", 4) == 0 && have(n, 20, 5) && d[0] == 0x2F) {
        uint32_t b = le32(d + 1);
        return sized("WebP", (int64_t)(b & 0x3FFF) + 1, (int64_t)((b >> 14) & 0x3FFF) + 1, w, h);
    }
    if (memcmp(c, "VP8X", 4) == 0 && have(n, 20, 10)) {
        int64_t x = (int64_t)(d[4] | d[5] << 8 | (uint32_t)d[6] << 16) + 1;
        int64_t y = (int64_t)(d[7] | d[8] << 8 | (uint32_t)d[9] << 16) + 1;
        return sized("WebP", x, y, w, h);
    }
    return NULL;
}

/* TIFF 6.0: byte order mark, 42, offset of the first IFD; its 12-byte entries hold
 * ImageWidth (256) and ImageLength (257) as SHORT (3) or LONG (4) values. */
static const char *probe_tiff(const uint8_t *p, size_t n, int64_t *w, int64_t *h)
{
    int le = p[0] == 'I';
    uint32_t (*u16)(const uint8_t *) = le ? le16 : be16;
    uint32_t (*u32)(const uint8_t *) = le ? le32 : be32;
    if (!have(n, 4, 4))
        return NULL;
    size_t ifd = u32(p + 4);
    if (!have(n, ifd, 2))
        return NULL;
    uint32_t count = u16(p + ifd);
    int64_t x = -1, y = -1;
    for (uint32_t i = 0; i < count; i++) {
        size_t e = ifd + 2 + (size_t)i * 12;
        if (!have(n, e, 12))
            return NULL;
        uint32_t tag = u16(p + e), type = u16(p + e + 2);
        if ((tag != 256 && tag != 257) || (type != 3 && type != 4))
            continue;
        int64_t v = type == 3 ? u16(p + e + 8) : u32(p + e + 8);
        if (tag == 256)
            x = v;
        else
            y = v;
    }
    return x >= 0 && y >= 0 ? sized("TIFF", x, y, w, h) : NULL;
}

/* ---- text headers: PBM/PGM/PPM (P1..P6), PFM (PF, Pf), PAM (P7), Radiance HDR */

/* Next decimal number after whitespace and '#' comments, as the Netpbm formats read them;
 * -1 if there is none (or it does not fit in 31 bits). */
static int64_t pnm_number(const uint8_t *p, size_t n, size_t *pos)
{
    while (*pos < n) {
        uint8_t c = p[*pos];
        if (c == '#') {
            while (*pos < n && p[*pos] != '\n' && p[*pos] != '\r')
                (*pos)++;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
            (*pos)++;
        } else {
            break;
        }
    }
    int64_t v = 0;
    size_t start = *pos;
    while (*pos < n && p[*pos] >= '0' && p[*pos] <= '9' && v <= INT32_MAX)
        v = v * 10 + (p[(*pos)++] - '0');
    return *pos == start || v > INT32_MAX ? -1 : v;
}

static const char *probe_pnm(const uint8_t *p, size_t n, int64_t *w, int64_t *h)
{
    size_t pos = 2;
    int64_t x = pnm_number(p, n, &pos);
    int64_t y = x < 0 ? -1 : pnm_number(p, n, &pos);
    return x >= 0 && y >= 0 ? sized(p[1] == 'F' || p[1] == 'f' ? "PFM" : "PNM", x, y, w, h)
                            : NULL;
}

/* PAM: "P7\n" then "KEY value" lines up to ENDHDR; WIDTH and HEIGHT give the size. */
static const char *probe_pam(const uint8_t *p, size_t n, int64_t *w, int64_t *h)
{
    int64_t x = -1, y = -1;
    size_t pos = 3;
    while (pos < n) {
        size_t end = pos;
        while (end < n && p[end] != '\n')
            end++;
        size_t len = end - pos;
        if (len >= 6 && memcmp(p + pos, "ENDHDR", 6) == 0)
            break;
        size_t k = pos;
        if (len > 5 && memcmp(p + pos, "WIDTH", 5) == 0) {
            k += 5;
            x = pnm_number(p, end, &k);
        } else if (len > 6 && memcmp(p + pos, "HEIGHT", 6) == 0) {
            k += 6;
            y = pnm_number(p, end, &k);
        }
        pos = end + 1;
    }
    return x >= 0 && y >= 0 ? sized("PAM", x, y, w, h) : NULL;
}

/* Radiance: "#?RADIANCE" (or "#?RGBE") header lines end at an empty line, then the
 * resolution line "-Y rows +X cols" (any signs, X and Y in either order). */
static const char *probe_hdr(const uint8_t *p, size_t n, int64_t *w, int64_t *h)
{
    size_t pos = 0;
    for (;;) {
        while (pos < n && p[pos] != '\n')
            pos++;
        if (!have(n, pos, 2))
            return NULL;
        pos++;
        if (p[pos] == '\n')
            break;
    }
    pos++;
    int64_t v[2];
    char axis[2];
    for (int i = 0; i < 2; i++) {
        while (pos < n && p[pos] == ' ')
            pos++;
        if (!have(n, pos, 2) || (p[pos] != '-' && p[pos] != '+') ||
            (p[pos + 1] != 'X' && p[pos + 1] != 'Y'))
            return NULL;
        axis[i] = (char)p[pos + 1];
        pos += 2;
        v[i] = pnm_number(p, n, &pos);
        if (v[i] < 0)
            return NULL;
    }
    if (axis[0] == axis[1])
        return NULL;
    return axis[0] == 'Y' ? sized("HDR", v[1], v[0], w, h) : sized("HDR", v[0], v[1], w, h);
}

/* JPEG 2000 codestream (ITU T.800 A.5.1): SOC FF4F, SIZ FF51: Lsiz, Rsiz, Xsiz, Ysiz, XOsiz,
 * YOsiz; the image is (Xsiz - XOsiz) x (Ysiz - YOsiz). */
static const char *probe_j2k(const uint8_t *p, size_t n, int64_t *w, int64_t *h)
{
    if (!have(n, 4, 20))
        return NULL;
    int64_t x = (int64_t)be32(p + 8) - be32(p + 16), y = (int64_t)be32(p + 12) - be32(p + 20);
    return sized("JPEG 2000", x, y, w, h);
}

/* JP2 (ITU T.800 annex I): boxes of u32 length (1: a u64 length follows, 0: to the end)
 * and a 4-byte type; the 'jp2h' superbox holds 'ihdr': height, width as u32. */
static const char *probe_jp2(const uint8_t *p, size_t n, int64_t *w, int64_t *h)
{
    size_t pos = 0, end = n;
    while (have(end, pos, 8)) {
        uint64_t len = be32(p + pos), head = 8;
        if (len == 1) {
            if (!have(end, pos, 16))
                return NULL;
            len = (uint64_t)be32(p + pos + 8) << 32 | be32(p + pos + 12);
            head = 16;
        } else if (len == 0) {
            len = end - pos;
        }
        if (len < head || len > end - pos)
            return NULL;
        const uint8_t *type = p + pos + 4;
        if (memcmp(type, "jp2h", 4) == 0) {        /* descend: its boxes end where it does */
            end = pos + (size_t)len;
            pos += (size_t)head;
            continue;
        }
        if (memcmp(type, "ihdr", 4) == 0)
            return len >= head + 8 ? sized("JPEG 2000", be32(p + pos + head + 4),
                                           be32(p + pos + head), w, h) : NULL;
        pos += (size_t)len;
    }
    return NULL;
}

/* OpenEXR: magic, 4-byte version, then attributes "name\0type\0" u32 size, value, up to an
 * empty name. dataWindow (box2i: xMin, yMin, xMax, yMax as i32) is what gets decoded. */
static const char *probe_exr(const uint8_t *p, size_t n, int64_t *w, int64_t *h)
{
    size_t pos = 8;
    while (pos < n && p[pos] != 0) {
        const uint8_t *name = p + pos;
        const uint8_t *z = memchr(name, 0, n - pos);
        if (!z)
            return NULL;
        size_t nl = (size_t)(z - name);
        pos += nl + 1;
        const uint8_t *tz = pos < n ? memchr(p + pos, 0, n - pos) : NULL;
        if (!tz)
            return NULL;
        pos = (size_t)(tz - p) + 1;
        if (!have(n, pos, 4))
            return NULL;
        uint32_t size = le32(p + pos);
        pos += 4;
        if (!have(n, pos, size))
            return NULL;
        if (nl == 10 && memcmp(name, "dataWindow", 10) == 0 && size == 16) {
            int64_t x0 = (int32_t)le32(p + pos), y0 = (int32_t)le32(p + pos + 4);
            int64_t x1 = (int32_t)le32(p + pos + 8), y1 = (int32_t)le32(p + pos + 12);
            return sized("OpenEXR", x1 - x0 + 1, y1 - y0 + 1, w, h);
        }
        pos += size;
    }
    return NULL;
}

/* The order matters: cv::imdecode gives the bytes to the first decoder whose signature check
 * accepts them, in the order BMP, HDR, JPEG, WebP, Sun raster, PxM, PAM, PFM, TIFF, PNG,
 * DICOM, JPEG 2000, OpenEXR. The checks before DICOM below are exactly OpenCV's (plain
 * prefixes); WebP's and the Netpbm ones are stricter in OpenCV than here, so a file that
 * also has DICOM's mark is called DICOM before those are tried: better refused than given
 * to the DICOM decoder. */
const char *yolo_image_format(const uint8_t *p, size_t n)
{
    static const uint8_t png[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
    static const uint8_t jp2[12] = { 0, 0, 0, 12, 'j', 'P', ' ', ' ', '\r', '\n', 0x87, '\n' };
    static const uint8_t sun[4] = { 0x59, 0xA6, 0x6A, 0x95 };
    static const uint8_t exr[4] = { 0x76, 0x2F, 0x31, 0x01 };
    if (!p || n < 4)
        return NULL;
    if (n >= 8 && memcmp(p, png, 8) == 0)
        return "PNG";
    if (p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        return "JPEG";
    if (p[0] == 'B' && p[1] == 'M')
        return "BMP";
    if (memcmp(p, sun, 4) == 0)
        return "Sun raster";
    if ((p[0] == 'I' && p[1] == 'I' && p[2] == 42 && p[3] == 0) ||
        (p[0] == 'M' && p[1] == 'M' && p[2] == 0 && p[3] == 42))
        return "TIFF";
    if ((n >= 10 && memcmp(p, "#?RADIANCE", 10) == 0) || (n >= 6 && memcmp(p, "#?RGBE", 6) == 0))
        return "HDR";
    /* DICOM (PS3.10 7.1): a 128-byte preamble, then "DICM" */
    if (n >= 132 && memcmp(p + 128, "DICM", 4) == 0)
        return "DICOM";
    if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
        return "WebP";
    if (p[0] == 'P' && p[1] >= '1' && p[1] <= '6')
        return "PNM";
    if (p[0] == 'P' && (p[1] == 'F' || p[1] == 'f'))
        return "PFM";
    if (p[0] == 'P' && p[1] == '7' && (p[2] == '\n' || p[2] == '\r'))
        return "PAM";
    if ((p[0] == 0xFF && p[1] == 0x4F && p[2] == 0xFF && p[3] == 0x51) ||
        (n >= 12 && memcmp(p, jp2, 12) == 0))
        return "JPEG 2000";
    if (memcmp(p, exr, 4) == 0)
        return "OpenEXR";
    return NULL;
}

const char *yolo_image_probe(const uint8_t *p, size_t n, int64_t *w, int64_t *h)
{
    *w = *h = -1;
    const char *f = yolo_image_format(p, n);
    if (!f)
        return NULL;
    switch (f[0] == 'P' && f[1] == 'N' ? 'N' : f[0]) {
    case 'N':                                       /* PNG, PNM */
        return f[2] == 'G' ? probe_png(p, n, w, h) : probe_pnm(p, n, w, h);
    case 'J':                                       /* JPEG, JPEG 2000 */
        if (f[4] == 0)
            return probe_jpeg(p, n, w, h);
        return p[0] == 0xFF ? probe_j2k(p, n, w, h) : probe_jp2(p, n, w, h);
    case 'B': return probe_bmp(p, n, w, h);
    case 'W': return probe_webp(p, n, w, h);
    case 'T': return probe_tiff(p, n, w, h);
    case 'P': return f[1] == 'F' ? probe_pnm(p, n, w, h) : probe_pam(p, n, w, h);
    case 'S': return have(n, 4, 8) ? sized("Sun raster", be32(p + 4), be32(p + 8), w, h) : NULL;
    case 'H': return probe_hdr(p, n, w, h);
    case 'O': return probe_exr(p, n, w, h);
    default:  return NULL;                          /* DICOM: not probed, refused by policy */
    }
}

int64_t yolo_jpeg_scans(const uint8_t *p, size_t n, int64_t stop)
{
    int64_t scans = 0;
    size_t pos = 2;                            /* after SOI */
    while (pos + 1 < n && scans < stop) {
        if (p[pos] != 0xFF) {                  /* stray byte: decoders skip to the next FF */
            pos++;
            continue;
        }
        uint8_t m = p[pos + 1];
        if (m == 0xFF || m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
            pos += m == 0xFF ? 1 : 2;          /* fill byte, stuffed zero, TEM, restart */
            continue;
        }
        pos += 2;
        if (m == 0xD9 || m == 0xD8)            /* EOI, or a second SOI: decoding ends */
            break;
        if (!have(n, pos, 2))
            break;
        size_t len = be16(p + pos);
        if (len < 2)
            break;
        pos += len;
        if (m != 0xDA)
            continue;
        scans++;                               /* SOS: entropy-coded data up to a marker */
        while (pos + 1 < n && !(p[pos] == 0xFF && p[pos + 1] != 0x00 && p[pos + 1] != 0xFF &&
                                !(p[pos + 1] >= 0xD0 && p[pos + 1] <= 0xD7)))
            pos++;
    }
    return scans;
}
