/* test_nocv_pixels.c: the NOCV adapter (detect/cv_adapter_nocv.c: libpng and libjpeg, for
 * `make NOCV=1`) against the OpenCV one (cv::imdecode), byte for byte, in the normal build:
 * the NOCV adapter is linked next to the OpenCV one with its entry points renamed yolo_nocv_*
 * (tests/nocv_rename.h). Both must agree, success or failure and every BGR byte, on:
 *  - every image of $SHARED/data/images and $SHARED/data/coco128/images (at least 130);
 *  - made-up JPEGs: qualities, 4:4:4/4:2:2/4:2:0, gray, CMYK, YCCK, progressive, arithmetic
 *    coding, restart markers, no Huffman tables (MJPEG), cut short at several points, EXIF
 *    orientation 1..8 in both byte orders, an XMP APP1 before the EXIF one, a malformed EXIF
 *    entry before / after the orientation;
 *  - made-up PNGs: every color type and bit depth, palettes with and without tRNS, gray and
 *    RGB tRNS, Adam7 interlacing, an eXIf chunk, cut short, a bad CRC, no IEND.
 * And the files both write (PNG 1/3/4 channels, JPEG at default and given qualities) must be
 * the same bytes, and both resizes the same pixels. Not built with NOCV=1 (no OpenCV there). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>

#include "cv_adapter.h"
#include "harness.h"

/* the NOCV adapter, renamed */
const char *yolo_nocv_backend(void);
int yolo_nocv_image_decode(const void *bytes, size_t n_bytes, const char *what,
                           struct yolo_cv_image *im, struct yolo_diag *d);
void yolo_nocv_image_free(struct yolo_cv_image *im);
int yolo_nocv_image_write(const char *path, const uint8_t *pixels, int32_t width, int32_t height,
                          int64_t stride_bytes, int32_t channels, int32_t jpeg_quality,
                          struct yolo_diag *d);
int yolo_nocv_resize_linear(void *user, const uint8_t *src, int32_t src_w, int32_t src_h,
                            int64_t src_stride, uint8_t *dst, int32_t dst_w, int32_t dst_h,
                            int64_t dst_stride, int32_t cn, struct yolo_diag *d);
int yolo_nocv_video_open(const char *source, struct yolo_cv_video **out,
                         struct yolo_cv_video_info *info, struct yolo_diag *d);

struct tally {
    int compared, decoded;
};

/* Decodes with both; they must agree. */
static void same(struct harness *h, struct tally *t, const uint8_t *b, size_t n, const char *what)
{
    struct yolo_cv_image a = { 0 }, c = { 0 };
    struct yolo_diag da = { 0 }, dc = { 0 };
    int ra = yolo_cv_image_decode(b, n, what, &a, &da);
    int rc = yolo_nocv_image_decode(b, n, what, &c, &dc);
    t->compared++;
    CHECK(h, (ra == 0) == (rc == 0), "%s: OpenCV says '%s', NOCV says '%s'", what,
          ra ? da.msg : "ok", rc ? dc.msg : "ok");
    if (!ra && !rc) {
        int dims = a.width == c.width && a.height == c.height && a.stride_bytes == c.stride_bytes;
        CHECK(h, dims, "%s: OpenCV %dx%d, NOCV %dx%d", what, a.width, a.height, c.width, c.height);
        if (dims) {
            size_t bytes = (size_t)a.stride_bytes * (size_t)a.height, k = 0;
            while (k < bytes && a.data[k] == c.data[k])
                k++;
            CHECK(h, k == bytes, "%s: %dx%d, pixels differ from byte %zu (row %zu): OpenCV %d, "
                  "NOCV %d", what, a.width, a.height, k, k / (size_t)a.stride_bytes,
                  k < bytes ? a.data[k] : 0, k < bytes ? c.data[k] : 0);
            t->decoded += k == bytes;
        }
    }
    yolo_cv_image_free(&a);
    yolo_nocv_image_free(&c);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every .jpg/.jpeg/.png file of dir; returns how many. */
static int same_dir(struct harness *h, struct tally *t, const char *dir)
{
    DIR *dp = opendir(dir);
    CHECK(h, dp != NULL, "%s: cannot open folder", dir);
    if (!dp)
        return 0;
    char *names[1024];
    int n = 0, done = 0;
    struct dirent *e;
    while ((e = readdir(dp)) && n < 1024) {
        const char *dot = strrchr(e->d_name, '.');
        if (dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".png")))
            names[n++] = strdup(e->d_name);
    }
    closedir(dp);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len = 0;
        uint8_t *b = harness_read_file(path, &len);
        CHECK(h, b != NULL, "%s: cannot read", path);
        if (b) {
            same(h, t, b, len, path);
            done++;
        }
        free(b);
        free(names[i]);
    }
    return done;
}

/* ------------------------------------------------------------------ made-up JPEGs */

struct jpeg_opts {
    int components;          /* 1, 3 or 4 (CMYK input) */
    J_COLOR_SPACE out_space; /* JCS_UNKNOWN: the library's default for the input */
    int quality, progressive, arith, restart_rows, h_samp;   /* h_samp: luma 1 or 2 (4:4:4 / 4:2:x) */
    int v_samp;
};

static uint8_t *make_jpeg(int32_t w, int32_t hh, const struct jpeg_opts *o, uint64_t *rng,
                          size_t *n_out)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    unsigned char *mem = NULL;
    unsigned long n = 0;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &n);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)hh;
    c.input_components = o->components;
    c.in_color_space = o->components == 1 ? JCS_GRAYSCALE : o->components == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&c);
    if (o->out_space != JCS_UNKNOWN)
        jpeg_set_colorspace(&c, o->out_space);
    jpeg_set_quality(&c, o->quality, TRUE);
    if (o->components > 1) {
        c.comp_info[0].h_samp_factor = o->h_samp;
        c.comp_info[0].v_samp_factor = o->v_samp;
    }
    c.arith_code = o->arith ? TRUE : FALSE;
    c.restart_in_rows = o->restart_rows;
    if (o->progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    uint8_t *row = malloc((size_t)w * (size_t)o->components);
    for (int32_t y = 0; y < hh; y++) {
        /* smooth gradients plus noise: real-looking content, every code path of the IDCT */
        for (int32_t x = 0; x < w; x++)
            for (int k = 0; k < o->components; k++)
                row[x * o->components + k] = (uint8_t)((x * (k + 1) * 3 + y * 2 + k * 40) / 2 +
                                                      (int)(harness_rand(rng) % 24));
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    *n_out = n;
    return mem;
}

/* Inserts seg (a whole marker segment) right after SOI. */
static uint8_t *with_segment(const uint8_t *jpg, size_t n, const uint8_t *seg, size_t n_seg, size_t *n_out)
{
    uint8_t *o = malloc(n + n_seg);
    memcpy(o, jpg, 2);
    memcpy(o + 2, seg, n_seg);
    memcpy(o + 2 + n_seg, jpg + 2, n - 2);
    *n_out = n + n_seg;
    return o;
}

/* An APP1 Exif segment: IFD0 with the given entries (tag, type, count, value as 4 bytes
 * in the file's byte order, written by this function from a uint32). le: "II". */
struct exif_entry {
    uint16_t tag, type;
    uint32_t count, value;
};

static size_t make_exif(uint8_t *seg, int le, const struct exif_entry *e, int n_e)
{
    size_t k = 0;
#define PUT16(v) do { uint16_t v_ = (uint16_t)(v); if (le) { seg[k++] = (uint8_t)v_; seg[k++] = (uint8_t)(v_ >> 8); } \
                      else { seg[k++] = (uint8_t)(v_ >> 8); seg[k++] = (uint8_t)v_; } } while (0)
#define PUT32(v) do { uint32_t w_ = (uint32_t)(v); if (le) { PUT16(w_); PUT16(w_ >> 16); } \
                      else { PUT16(w_ >> 16); PUT16(w_); } } while (0)
    seg[k++] = 0xFF;
    seg[k++] = 0xE1;
    k += 2;   /* length, below */
    memcpy(seg + k, "Exif\0\0", 6);
    k += 6;
    seg[k++] = le ? 'I' : 'M';
    seg[k++] = le ? 'I' : 'M';
    PUT16(0x2A);
    PUT32(8);
    PUT16(n_e);
    for (int i = 0; i < n_e; i++) {
        PUT16(e[i].tag);
        PUT16(e[i].type);
        PUT32(e[i].count);
        if (e[i].type == 3 && e[i].count == 1) {   /* a SHORT sits in the first two bytes */
            PUT16(e[i].value);
            PUT16(0);
        } else {
            PUT32(e[i].value);
        }
    }
    PUT32(0);
#undef PUT16
#undef PUT32
    seg[2] = (uint8_t)((k - 2) >> 8);
    seg[3] = (uint8_t)(k - 2);
    return k;
}

/* The JPEG without its DHT segments (before the first SOS): an MJPEG frame. */
static uint8_t *without_dht(const uint8_t *jpg, size_t n, size_t *n_out)
{
    uint8_t *o = malloc(n);
    size_t i = 2, k = 2;
    memcpy(o, jpg, 2);
    while (i + 4 <= n && jpg[i] == 0xFF && jpg[i + 1] != 0xDA) {
        size_t len = (size_t)jpg[i + 2] << 8 | jpg[i + 3];
        if (jpg[i + 1] != 0xC4) {
            memcpy(o + k, jpg + i, len + 2);
            k += len + 2;
        }
        i += len + 2;
    }
    memcpy(o + k, jpg + i, n - i);
    *n_out = k + n - i;
    return o;
}

static void jpegs(struct harness *h, struct tally *t)
{
    uint64_t rng = 7;
    static const struct jpeg_opts opts[] = {
        { 3, JCS_UNKNOWN, 95, 0, 0, 0, 2, 2 }, { 3, JCS_UNKNOWN, 30, 0, 0, 0, 1, 1 },
        { 3, JCS_UNKNOWN, 75, 0, 0, 0, 2, 1 }, { 1, JCS_UNKNOWN, 90, 0, 0, 0, 1, 1 },
        { 4, JCS_UNKNOWN, 90, 0, 0, 0, 1, 1 }, { 4, JCS_YCCK, 85, 0, 0, 0, 2, 2 },
        { 3, JCS_UNKNOWN, 90, 1, 0, 0, 2, 2 }, { 1, JCS_UNKNOWN, 80, 1, 0, 0, 1, 1 },
        { 3, JCS_UNKNOWN, 90, 0, 1, 0, 2, 2 }, { 3, JCS_UNKNOWN, 90, 0, 0, 2, 2, 2 },
        { 3, JCS_RGB, 90, 0, 0, 0, 1, 1 },
    };
    static const int32_t sizes[][2] = { { 37, 23 }, { 64, 48 }, { 1, 1 }, { 129, 3 } };
    char what[128];
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            size_t n;
            uint8_t *j = make_jpeg(sizes[s][0], sizes[s][1], &opts[i], &rng, &n);
            snprintf(what, sizeof what, "jpeg opts %zu %dx%d", i, sizes[s][0], sizes[s][1]);
            same(h, t, j, n, what);
            if (s == 1) {
                /* cut short: in the header, then past the first output row (before it,
                 * OpenCV gives uninitialized memory: nothing to compare) */
                static const int pct[] = { 5, 85, 95 };
                for (size_t p = 0; p < sizeof pct / sizeof *pct; p++) {
                    snprintf(what, sizeof what, "jpeg opts %zu cut at %d%%", i, pct[p]);
                    same(h, t, j, n * (size_t)pct[p] / 100, what);
                }
                if (!opts[i].arith) {
                    size_t nm;
                    uint8_t *m = without_dht(j, n, &nm);
                    snprintf(what, sizeof what, "jpeg opts %zu without DHT", i);
                    same(h, t, m, nm, what);
                    free(m);
                }
            }
            free(j);
        }

    /* EXIF orientation */
    static const struct jpeg_opts base = { 3, JCS_UNKNOWN, 90, 0, 0, 0, 2, 2 };
    size_t n;
    uint8_t *j = make_jpeg(40, 20, &base, &rng, &n);
    uint8_t seg[512];
    for (int le = 0; le <= 1; le++)
        for (uint32_t o = 0; o <= 9; o++) {
            struct exif_entry e[] = { { 0x0112, 3, 1, o } };
            size_t ns = make_exif(seg, le, e, 1), nx;
            uint8_t *x = with_segment(j, n, seg, ns, &nx);
            snprintf(what, sizeof what, "exif %s orientation %u", le ? "II" : "MM", o);
            same(h, t, x, nx, what);
            free(x);
        }
    /* a malformed entry (XResolution pointing past the data) before and after the
     * orientation; a second orientation entry; the value type ignored (LONG) */
    {
        struct exif_entry before[] = { { 0x011A, 5, 1, 5000 }, { 0x0112, 3, 1, 6 } };
        struct exif_entry after[] = { { 0x0112, 3, 1, 6 }, { 0x011A, 5, 1, 5000 } };
        struct exif_entry twice[] = { { 0x0112, 3, 1, 3 }, { 0x0112, 3, 1, 6 } };
        struct exif_entry lng[] = { { 0x010F, 2, 3, 0x41424300 }, { 0x0112, 4, 1, 6 } };
        struct exif_entry str[] = { { 0x010F, 2, 40, 900 }, { 0x0112, 3, 1, 8 } };
        const struct exif_entry *sets[] = { before, after, twice, lng, str };
        const char *names[] = { "bad entry before", "bad entry after", "two orientations",
                                "LONG orientation", "string past the end" };
        for (int k = 0; k < 5; k++)
            for (int le = 0; le <= 1; le++) {
                size_t ns = make_exif(seg, le, sets[k], 2), nx;
                uint8_t *x = with_segment(j, n, seg, ns, &nx);
                snprintf(what, sizeof what, "exif %s: %s", le ? "II" : "MM", names[k]);
                same(h, t, x, nx, what);
                free(x);
            }
    }
    /* an XMP APP1 before the EXIF one: OpenCV reads the first APP1 only */
    {
        static const uint8_t xmp[] = { 0xFF, 0xE1, 0x00, 0x0E, 'h', 't', 't', 'p', ':', '/', '/', 'n',
                                       's', '.', 'a', 'd' };
        struct exif_entry e[] = { { 0x0112, 3, 1, 6 } };
        size_t ns = make_exif(seg, 0, e, 1), n1, n2;
        uint8_t *x1 = with_segment(j, n, seg, ns, &n1);
        uint8_t *x2 = with_segment(x1, n1, xmp, sizeof xmp, &n2);
        same(h, t, x2, n2, "XMP APP1 before EXIF");
        free(x1);
        free(x2);
    }
    free(j);
}

/* ------------------------------------------------------------------ made-up PNGs */

struct mem_out {
    uint8_t *p;
    size_t n, cap;
};

static void mem_write(png_structp png, png_bytep p, size_t n)
{
    struct mem_out *m = png_get_io_ptr(png);
    if (m->n + n > m->cap) {
        m->cap = (m->n + n) * 2;
        m->p = realloc(m->p, m->cap);
    }
    memcpy(m->p + m->n, p, n);
    m->n += n;
}

static void mem_flush(png_structp png)
{
    (void)png;
}

/* trns: 1 adds a tRNS chunk (palette: alpha per entry; gray/RGB: one transparent color);
 * exif_orient: 1..15 adds an eXIf chunk with that orientation before the image data, 16 + o
 * after it. */
static uint8_t *make_png(int32_t w, int32_t hh, int color, int depth, int interlace, int trns,
                         int exif_orient, uint64_t *rng, size_t *n_out)
{
    struct mem_out m = { 0 };
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(m.p);
        *n_out = 0;
        return NULL;
    }
    png_set_write_fn(png, &m, mem_write, mem_flush);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)hh, depth, color,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_color pal[256];
    png_byte alpha[256];
    int n_pal = 1 << depth;
    if (color == PNG_COLOR_TYPE_PALETTE) {
        for (int i = 0; i < n_pal; i++) {
            pal[i].red = (png_byte)(harness_rand(rng) & 255);
            pal[i].green = (png_byte)(harness_rand(rng) & 255);
            pal[i].blue = (png_byte)(harness_rand(rng) & 255);
            alpha[i] = (png_byte)(harness_rand(rng) & 255);
        }
        png_set_PLTE(png, info, pal, n_pal);
        if (trns)
            png_set_tRNS(png, info, alpha, n_pal, NULL);
    } else if (trns && !(color & PNG_COLOR_MASK_ALPHA)) {
        png_color_16 tc = { 0, 10, 20, 30, 5 };
        png_set_tRNS(png, info, NULL, 0, &tc);
    }
    png_byte ex[] = { 'M', 'M', 0, 0x2A, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1,
                      0, (png_byte)(exif_orient & 15), 0, 0, 0, 0, 0, 0 };
    if (exif_orient && exif_orient < 16)
        png_set_eXIf_1(png, info, sizeof ex, ex);
    png_write_info(png, info);
    if (exif_orient >= 16)   /* after the image data */
        png_set_eXIf_1(png, info, sizeof ex, ex);
    int ch = color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_PALETTE ? 1
           : color == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : color == PNG_COLOR_TYPE_RGB ? 3 : 4;
    size_t rowbytes = ((size_t)w * (size_t)ch * (size_t)depth + 7) / 8;
    uint8_t *img = malloc(rowbytes * (size_t)hh);
    png_bytep *rows = malloc(sizeof *rows * (size_t)hh);
    for (size_t k = 0; k < rowbytes * (size_t)hh; k++)
        img[k] = (uint8_t)(harness_rand(rng) & 255);
    for (int32_t y = 0; y < hh; y++)
        rows[y] = img + (size_t)y * rowbytes;
    png_write_image(png, rows);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(img);
    free(rows);
    *n_out = m.n;
    return m.p;
}

static void pngs(struct harness *h, struct tally *t)
{
    uint64_t rng = 11;
    static const struct { int color, depth; } kinds[] = {
        { PNG_COLOR_TYPE_GRAY, 1 }, { PNG_COLOR_TYPE_GRAY, 2 }, { PNG_COLOR_TYPE_GRAY, 4 },
        { PNG_COLOR_TYPE_GRAY, 8 }, { PNG_COLOR_TYPE_GRAY, 16 }, { PNG_COLOR_TYPE_GRAY_ALPHA, 8 },
        { PNG_COLOR_TYPE_GRAY_ALPHA, 16 }, { PNG_COLOR_TYPE_RGB, 8 }, { PNG_COLOR_TYPE_RGB, 16 },
        { PNG_COLOR_TYPE_RGB_ALPHA, 8 }, { PNG_COLOR_TYPE_RGB_ALPHA, 16 },
        { PNG_COLOR_TYPE_PALETTE, 1 }, { PNG_COLOR_TYPE_PALETTE, 2 }, { PNG_COLOR_TYPE_PALETTE, 4 },
        { PNG_COLOR_TYPE_PALETTE, 8 },
    };
    char what[160];
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        for (int il = 0; il <= 1; il++)
            for (int trns = 0; trns <= 1; trns++) {
                if (trns && (kinds[i].color & PNG_COLOR_MASK_ALPHA))
                    continue;
                size_t n;
                uint8_t *p = make_png(19, 11, kinds[i].color, kinds[i].depth, il, trns, 0, &rng, &n);
                snprintf(what, sizeof what, "png color %d depth %d%s%s", kinds[i].color,
                         kinds[i].depth, il ? " interlaced" : "", trns ? " tRNS" : "");
                CHECK(h, p != NULL, "%s: cannot make", what);
                if (p)
                    same(h, t, p, n, what);
                free(p);
            }
    size_t n;
    uint8_t *p = make_png(40, 20, PNG_COLOR_TYPE_RGB, 8, 0, 0, 6, &rng, &n);
    CHECK(h, p != NULL, "png with eXIf: cannot make");
    if (!p)
        return;
    same(h, t, p, n, "png with an eXIf orientation 6");
    for (int o = 1; o <= 9; o++)
        for (int after = 0; after <= 1; after++) {
            size_t no;
            uint8_t *q = make_png(23, 9, PNG_COLOR_TYPE_RGB, 8, 0, 0, o + 16 * after, &rng, &no);
            snprintf(what, sizeof what, "png with an eXIf orientation %d %s the image data", o,
                     after ? "after" : "before");
            if (q)
                same(h, t, q, no, what);
            free(q);
        }
    static const int pct[] = { 10, 50, 90, 99 };
    for (size_t k = 0; k < sizeof pct / sizeof *pct; k++) {
        snprintf(what, sizeof what, "png cut at %d%%", pct[k]);
        same(h, t, p, n * (size_t)pct[k] / 100, what);
    }
    same(h, t, p, n - 12, "png without IEND");
    uint8_t *bad = malloc(n);
    memcpy(bad, p, n);
    bad[n - 1] ^= 1;   /* IEND's CRC */
    same(h, t, bad, n, "png with a bad IEND CRC");
    memcpy(bad, p, n);
    bad[8 + 8 + 13] ^= 1;   /* IHDR's CRC */
    same(h, t, bad, n, "png with a bad IHDR CRC");
    free(bad);
    free(p);
    static const uint8_t junk[] = "\xFF\xD8\xFF this is no JPEG at all";
    same(h, t, junk, sizeof junk, "junk after a JPEG signature");
    same(h, t, (const uint8_t *)"\x89PNG\r\n\x1a\n", 8, "a PNG signature alone");
}

/* ------------------------------------------------------------------ writing and resizing */

static void writes(struct harness *h, const char *dir)
{
    uint64_t rng = 13;
    const int32_t w = 53, hh = 31;
    uint8_t img[53 * 31 * 4];
    for (size_t k = 0; k < sizeof img; k++)
        img[k] = (uint8_t)((k * 7 + (k / 160) * 3) / 2 + harness_rand(&rng) % 16);
    static const struct { const char *ext; int cn, q; } cases[] = {
        { "png", 1, 0 }, { "png", 3, 0 }, { "png", 4, 0 }, { "jpg", 3, 0 }, { "jpeg", 3, 90 },
        { "jpg", 1, 20 }, { "jpg", 4, 75 }, { "JPG", 3, 100 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char pa[1024], pb[1024];
        struct yolo_diag d = { 0 };
        snprintf(pa, sizeof pa, "%s/cv%zu.%s", dir, i, cases[i].ext);
        snprintf(pb, sizeof pb, "%s/nocv%zu.%s", dir, i, cases[i].ext);
        int64_t stride = (int64_t)w * cases[i].cn + 3;
        int ra = yolo_cv_image_write(pa, img, w, hh, stride, cases[i].cn, cases[i].q, &d);
        int rb = yolo_nocv_image_write(pb, img, w, hh, stride, cases[i].cn, cases[i].q, &d);
        size_t na = 0, nb = 0;
        char *a = ra ? NULL : harness_read_file(pa, &na), *b = rb ? NULL : harness_read_file(pb, &nb);
        CHECK(h, a && b && na == nb && !memcmp(a, b, na), "write .%s, %d channels, quality %d: "
              "OpenCV %zu bytes, NOCV %zu bytes (%s)", cases[i].ext, cases[i].cn, cases[i].q, na,
              nb, d.msg);
        free(a);
        free(b);
        unlink(pa);
        unlink(pb);
    }
    /* resizes */
    static const int32_t rs[][4] = { { 53, 31, 20, 11 }, { 53, 31, 640, 377 }, { 52, 30, 26, 15 },
                                     { 53, 31, 53, 31 }, { 1, 1, 7, 3 } };
    for (size_t i = 0; i < sizeof rs / sizeof *rs; i++)
        for (int32_t cn = 1; cn <= 4; cn++) {
            size_t nd = (size_t)rs[i][2] * (size_t)rs[i][3] * (size_t)cn;
            uint8_t *a = malloc(nd), *b = malloc(nd);
            struct yolo_diag d = { 0 };
            int ra = yolo_cv_resize_linear(NULL, img, rs[i][0], rs[i][1], (int64_t)rs[i][0] * cn, a,
                                           rs[i][2], rs[i][3], (int64_t)rs[i][2] * cn, cn, &d);
            int rb = yolo_nocv_resize_linear(NULL, img, rs[i][0], rs[i][1], (int64_t)rs[i][0] * cn,
                                             b, rs[i][2], rs[i][3], (int64_t)rs[i][2] * cn, cn, &d);
            CHECK(h, !ra && !rb && !memcmp(a, b, nd), "resize %dx%d -> %dx%d, %d channels differs",
                  rs[i][0], rs[i][1], rs[i][2], rs[i][3], cn);
            free(a);
            free(b);
        }
    /* video: a clear error, no crash */
    struct yolo_cv_video *v = (struct yolo_cv_video *)1;
    struct yolo_cv_video_info vi;
    struct yolo_diag d = { 0 };
    CHECK(h, yolo_nocv_video_open("clip.mp4", &v, &vi, &d) == YOLO_ERR_UNSUPPORTED && v == NULL &&
          !strcmp(d.msg, "clip.mp4: video needs a build with OpenCV (this one was built with NOCV=1)"),
          "video open: %s", d.msg);
    CHECK(h, strstr(yolo_nocv_backend(), "NOCV=1") && !strstr(yolo_cv_backend(), "NOCV=1"),
          "backends: '%s' and '%s'", yolo_cv_backend(), yolo_nocv_backend());
}

int main(void)
{
    HARNESS_INIT(h, "test_nocv_pixels");
    struct tally t = { 0 };
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/data/images", harness_shared_dir());
    int n_shared = same_dir(&h, &t, dir);
    snprintf(dir, sizeof dir, "%s/data/coco128/images/train2017", harness_shared_dir());
    n_shared += same_dir(&h, &t, dir);
    CHECK(&h, n_shared >= 130, "only %d shared images compared (want bus, zidane and coco128)",
          n_shared);
    printf("shared images: %d compared, %d identical\n", n_shared, t.decoded);
    int before = t.compared;
    jpegs(&h, &t);
    pngs(&h, &t);
    printf("made-up images: %d compared (identical pixels or both refused)\n", t.compared - before);
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/yolo_test_nocv_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    CHECK(&h, mkdtemp(dir) != NULL, "mkdtemp %s", dir);
    writes(&h, dir);
    rmdir(dir);
    return harness_finish(&h);
}
