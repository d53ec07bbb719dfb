/* cv_adapter_nocv.c: the cv_adapter.h API without OpenCV, for `make NOCV=1` (a machine with
 * no OpenCV or FFmpeg). Built instead of cv_adapter.cpp, never next to it in one library.
 *
 * Images: PNG through libpng and JPEG through libjpeg(-turbo), the same shared libraries
 * Debian's OpenCV 4.6 links, driven as its decoders drive them, so the BGR pixels equal
 * cv::imdecode(IMREAD_COLOR)'s (tests/test_nocv_pixels.c checks it on the shared images and
 * on made-up edge cases; it is part of the normal `make test`):
 *  - JPEG: a suspending memory source (fill_input_buffer says "no more data", as OpenCV's
 *    does: a truncated baseline file repeats its last decoded row, a truncated progressive
 *    one fails; one cut before its first row could be output gives black rows here and
 *    uninitialized memory in OpenCV), default DCT and upsampling, output JCS_RGB swapped to BGR (gray files
 *    replicated by libjpeg), CMYK/YCCK as JCS_CMYK with OpenCV's k - ((255 - c) * k >> 8).
 *    MJPEG frames without Huffman tables decode with the standard tables: libjpeg-turbo
 *    installs them itself (OpenCV loads the same tables by hand).
 *  - EXIF orientation from a JPEG's first APP1 segment or a PNG's eXIf chunk (the one before
 *    the image data, else the one after), parsed as OpenCV's ExifReader parses it (IFD0
 *    only; the entries before a malformed one still count), applied as its
 *    ApplyExifOrientation applies it.
 *  - PNG: 16 bits stripped to 8, alpha stripped, palettes and 1/2/4-bit gray expanded, gray
 *    replicated, RGB swapped to BGR, interlacing handled; png_read_end must succeed.
 *  - Sizes over OpenCV's limits (2^20 per side, 2^30 pixels) are refused as OpenCV does.
 * Other formats (BMP, WebP, TIFF, ...) are refused with a message saying this build reads
 * only PNG and JPEG. Writing: PNG (filter Sub, zlib level 1, strategy RLE) and JPEG (libjpeg
 * defaults, quality 95 unless given), OpenCV's settings, so the files are byte-identical.
 * Resize: yolo_resize_linear_u8, the pure C copy of cv::resize(INTER_LINEAR).
 * Video: every entry point fails with "<source>: video needs a build with OpenCV".
 *
 * No global state: every call owns its decoder; libjpeg and libpng errors come back
 * through setjmp/longjmp into the call that met them. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>

#include "cv_adapter.h"
#include "fileio.h"
#include "image_probe.h"
#include "postprocess.h"
#include "status.h"

#define NOCV_VIDEO_MSG "video needs a build with OpenCV (this one was built with NOCV=1)"

/* cv::imdecode's limits (CV_IO_MAX_IMAGE_WIDTH/HEIGHT/PIXELS). */
#define MAX_SIDE   ((int64_t)1 << 20)
#define MAX_PIXELS ((int64_t)1 << 30)

const char *yolo_cv_backend(void)
{
    return "libpng " PNG_LIBPNG_VER_STRING " + libjpeg (NOCV=1: PNG and JPEG only, no video)";
}

/* ------------------------------------------------------------------ files */

static int read_file(const char *path, uint8_t **out, size_t *n_out, struct yolo_diag *d)
{
    *out = NULL;
    *n_out = 0;
    /* O_NONBLOCK: a FIFO or device must not block the open; only regular files are read. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return yolo_diag_set(d, YOLO_ERR_IO, "%s: cannot open file: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return yolo_diag_set(d, YOLO_ERR_IO, "%s: not a regular file", path);
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return yolo_diag_set(d, YOLO_ERR_IO, "%s: cannot open file: %s", path, strerror(errno));
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, got;
    int rc = YOLO_OK;
    for (;;) {
        if (cap - len < 65536) {
            size_t ncap = cap ? cap * 2 : (size_t)st.st_size + 65536;
            uint8_t *nb = ncap > cap ? realloc(buf, ncap) : NULL;
            if (!nb) {
                rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory reading the file", path);
                break;
            }
            buf = nb;
            cap = ncap;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int err = !rc && ferror(f);
    int saved = errno;
    fclose(f);
    if (err)
        rc = yolo_diag_set(d, YOLO_ERR_IO, "%s: read failed: %s", path, strerror(saved));
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *n_out = len;
    return YOLO_OK;
}

/* Grows im's buffer to hold bytes (keeping it when it is large enough). */
static int reserve(struct yolo_cv_image *im, size_t bytes, const char *what, struct yolo_diag *d)
{
    if (im->cap_bytes >= bytes)
        return YOLO_OK;
    free(im->data);
    im->data = malloc(bytes);
    im->cap_bytes = im->data ? bytes : 0;
    if (!im->data)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: cannot allocate %zu bytes for the image",
                             what, bytes);
    return YOLO_OK;
}

/* ------------------------------------------------------------------ EXIF orientation */

/* The Orientation tag of IFD0, read the way OpenCV 4.6's ExifReader reads it: byte order
 * "II" little-endian, anything else big-endian; the tag mark 0x2A must be there; the
 * entries of IFD0 are taken in order and a read past the end of the data (also one that
 * only a known tag's value pointer causes) ends the parse, keeping what came before; the
 * first Orientation entry wins. Returns 1 (no change) when there is none. */
struct exif {
    const uint8_t *p;
    size_t n;
    int le;
};

static int exif_u16(const struct exif *x, size_t at, uint32_t *v)
{
    if (at + 1 >= x->n)
        return -1;
    *v = x->le ? (uint32_t)x->p[at] | (uint32_t)x->p[at + 1] << 8
               : (uint32_t)x->p[at] << 8 | (uint32_t)x->p[at + 1];
    return 0;
}

static int exif_u32(const struct exif *x, size_t at, uint32_t *v)
{
    if (at + 3 >= x->n)
        return -1;
    if (x->le)
        *v = (uint32_t)x->p[at] | (uint32_t)x->p[at + 1] << 8 | (uint32_t)x->p[at + 2] << 16 |
             (uint32_t)x->p[at + 3] << 24;
    else
        *v = (uint32_t)x->p[at] << 24 | (uint32_t)x->p[at + 1] << 16 |
             (uint32_t)x->p[at + 2] << 8 | (uint32_t)x->p[at + 3];
    return 0;
}

/* Reads the n_rational unsigned rationals a known tag's value points to (only to fail where
 * OpenCV's reader fails); the pointer steps in 32-bit arithmetic, as there. */
static int exif_rationals(const struct exif *x, size_t entry, int n_rational)
{
    uint32_t off, v;
    if (exif_u32(x, entry + 8, &off))
        return -1;
    for (int i = 0; i < n_rational; i++, off += 8)
        if (exif_u32(x, off, &v) || exif_u32(x, (size_t)off + 4, &v))
            return -1;
    return 0;
}

static int exif_orientation(const uint8_t *p, size_t n)
{
    struct exif x = { p, n, 0 };
    if (n < 1 || (n > 1 && p[0] != p[1]))
        x.le = 0;
    else
        x.le = p[0] == 'I';
    uint32_t mark, ifd, n_entries, tag, v;
    if (exif_u16(&x, 2, &mark) || mark != 0x2A || exif_u32(&x, 4, &ifd) ||
        exif_u16(&x, ifd, &n_entries))
        return 1;
    int orientation = 0;   /* 0: not seen */
    size_t at = (size_t)ifd + 2;
    for (uint32_t i = 0; i < n_entries; i++, at += 12) {
        if (exif_u16(&x, at, &tag))
            break;
        int bad = 0;
        switch (tag) {
        case 0x010E: case 0x010F: case 0x0110: case 0x0131: case 0x0132: case 0x8298: {
            /* strings: the count, then (over 4 bytes) an offset; OpenCV checks the range */
            uint32_t count, off = 8;
            bad = exif_u32(&x, at + 4, &count);
            if (!bad && count > 4)
                bad = exif_u32(&x, at + 8, &off);
            if (!bad && ((size_t)off > n || (size_t)off + count > n))
                bad = 1;
            break;
        }
        case 0x0112:   /* Orientation */
            bad = exif_u16(&x, at + 8, &v);
            if (!bad && !orientation)
                orientation = (int)v ? (int)v : -1;
            break;
        case 0x0128: case 0x0213:   /* ResolutionUnit, YCbCrPositioning */
            bad = exif_u16(&x, at + 8, &v);
            break;
        case 0x011A: case 0x011B:   /* X/YResolution */
            bad = exif_rationals(&x, at, 1);
            break;
        case 0x013E:                /* WhitePoint */
            bad = exif_rationals(&x, at, 2);
            break;
        case 0x013F: case 0x0214:   /* PrimaryChromaticities, ReferenceBlackWhite */
            bad = exif_rationals(&x, at, 6);
            break;
        case 0x0211:                /* YCbCrCoefficients */
            bad = exif_rationals(&x, at, 3);
            break;
        default:
            break;
        }
        if (bad)
            break;
    }
    return orientation > 0 ? orientation : 1;
}

/* Writes src (w x h BGR, packed) turned as EXIF orientation o (2..8) says into dst (packed;
 * w x h, or h x w for 5..8): 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90
 * clockwise, 7 transverse, 8 rotate 90 counter-clockwise. */
static void orient(const uint8_t *src, int32_t w, int32_t h, int o, uint8_t *dst)
{
    int tr = o >= 5, fx = o == 2 || o == 3 || o == 6 || o == 7, fy = o == 3 || o == 4 || o == 7 || o == 8;
    int32_t ow = tr ? h : w, oh = tr ? w : h;
    for (int32_t y = 0; y < oh; y++) {
        uint8_t *q = dst + (size_t)y * ow * 3;
        int32_t ty = fy ? oh - 1 - y : y;
        for (int32_t x = 0; x < ow; x++, q += 3) {
            int32_t tx = fx ? ow - 1 - x : x;
            int32_t sx = tr ? ty : tx, sy = tr ? tx : ty;
            const uint8_t *s = src + ((size_t)sy * w + sx) * 3;
            q[0] = s[0];
            q[1] = s[1];
            q[2] = s[2];
        }
    }
}

/* ------------------------------------------------------------------ JPEG */

struct jpeg_err {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
};

/* A memory source that suspends when the data runs out, as OpenCV's does (libjpeg's own
 * jpeg_mem_src would insert an EOI instead and decode a cut file differently). */
struct jpeg_src {
    struct jpeg_source_mgr pub;
};

static void jpeg_src_noop(j_decompress_ptr c)
{
    (void)c;
}

static boolean jpeg_src_fill(j_decompress_ptr c)
{
    (void)c;
    return FALSE;
}

static void jpeg_src_skip(j_decompress_ptr c, long n)
{
    struct jpeg_source_mgr *s = c->src;
    if (n <= 0)
        return;
    size_t k = (size_t)n < s->bytes_in_buffer ? (size_t)n : s->bytes_in_buffer;
    s->next_input_byte += k;
    s->bytes_in_buffer -= k;
}

static void jpeg_fail(j_common_ptr c)
{
    longjmp(((struct jpeg_err *)c->err)->jump, 1);
}

/* What survives the longjmp out of libjpeg lives here, not in locals. */
struct jpeg_job {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_err err;
    struct jpeg_src src;
    int created, rows_done, rc, orientation;
    int32_t w, h;
    uint8_t *pixels;     /* output rows, w * 3 apart */
    uint8_t *own;        /* a temporary buffer when the image is then turned */
};

static int decode_jpeg(const uint8_t *bytes, size_t n, const char *what, struct yolo_cv_image *im,
                       struct yolo_diag *d)
{
    struct jpeg_job *j = calloc(1, sizeof *j);
    if (!j)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory while decoding", what);
    j->orientation = 1;
    j->cinfo.err = jpeg_std_error(&j->err.pub);
    j->err.pub.error_exit = jpeg_fail;
    if (setjmp(j->err.jump)) {
        /* an error inside libjpeg: a failure, unless every row was already out (OpenCV
         * counts the image as read from there on, errors of jpeg_finish_decompress aside) */
        if (!j->rows_done)
            j->rc = yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: cannot decode image", what);
        goto done;
    }
    jpeg_create_decompress(&j->cinfo);
    j->created = 1;
    j->src.pub.init_source = jpeg_src_noop;
    j->src.pub.fill_input_buffer = jpeg_src_fill;
    j->src.pub.skip_input_data = jpeg_src_skip;
    j->src.pub.resync_to_restart = jpeg_resync_to_restart;
    j->src.pub.term_source = jpeg_src_noop;
    j->src.pub.next_input_byte = bytes;
    j->src.pub.bytes_in_buffer = n;
    j->cinfo.src = &j->src.pub;
    jpeg_save_markers(&j->cinfo, JPEG_APP0 + 1, 0xffff);
    if (jpeg_read_header(&j->cinfo, TRUE) != JPEG_HEADER_OK) {
        j->rc = yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: cannot decode image", what);
        goto done;
    }
    j->cinfo.scale_num = 1;
    j->cinfo.scale_denom = 1;
    jpeg_calc_output_dimensions(&j->cinfo);
    j->w = (int32_t)j->cinfo.output_width;
    j->h = (int32_t)j->cinfo.output_height;
    if (j->w < 1 || j->h < 1 || j->w > MAX_SIDE || j->h > MAX_SIDE ||
        (int64_t)j->w * j->h > MAX_PIXELS) {
        j->rc = yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: cannot decode image: %ux%u is over the "
                              "limits of OpenCV's decoder", what, j->cinfo.output_width,
                              j->cinfo.output_height);
        goto done;
    }
    /* the first APP1 segment (read with the header), whatever it holds, as OpenCV takes it */
    for (jpeg_saved_marker_ptr m = j->cinfo.marker_list; m; m = m->next)
        if (m->marker == JPEG_APP0 + 1) {
            if (m->data_length > 6)
                j->orientation = exif_orientation(m->data + 6, m->data_length - 6);
            break;
        }
    if (j->orientation < 1 || j->orientation > 8)
        j->orientation = 1;
    size_t row = (size_t)j->w * 3, bytes_px = row * (size_t)j->h;
    if (j->orientation == 1) {
        if ((j->rc = reserve(im, bytes_px, what, d)))
            goto done;
        j->pixels = im->data;
    } else {
        j->own = malloc(bytes_px);
        if (!j->own) {
            j->rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: cannot allocate %zu bytes for the image",
                                  what, bytes_px);
            goto done;
        }
        j->pixels = j->own;
    }
    int cmyk = j->cinfo.num_components == 4;
    j->cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    j->cinfo.out_color_components = cmyk ? 4 : 3;
    jpeg_start_decompress(&j->cinfo);    /* a suspension here fails the first row read */
    JSAMPARRAY buf = (*j->cinfo.mem->alloc_sarray)((j_common_ptr)&j->cinfo, JPOOL_IMAGE,
                                                   (JDIMENSION)j->w * 4, 1);
    memset(buf[0], 0, (size_t)j->w * 4);  /* a row never decoded (data cut short) is defined */
    for (int32_t y = 0; y < j->h; y++) {
        /* a suspension (data cut short) returns no row: the previous one is repeated */
        jpeg_read_scanlines(&j->cinfo, buf, 1);
        const uint8_t *s = buf[0];
        uint8_t *q = j->pixels + (size_t)y * row;
        if (!cmyk)
            for (int32_t x = 0; x < j->w; x++, s += 3, q += 3) {
                q[0] = s[2];
                q[1] = s[1];
                q[2] = s[0];
            }
        else
            for (int32_t x = 0; x < j->w; x++, s += 4, q += 3) {
                int k = s[3];
                q[2] = (uint8_t)(k - ((255 - s[0]) * k >> 8));
                q[1] = (uint8_t)(k - ((255 - s[1]) * k >> 8));
                q[0] = (uint8_t)(k - ((255 - s[2]) * k >> 8));
            }
    }
    j->rows_done = 1;
    jpeg_finish_decompress(&j->cinfo);
done:
    if (j->created)
        jpeg_destroy_decompress(&j->cinfo);
    int rc = j->rc, o = j->orientation;
    int32_t w = j->w, h = j->h;
    if (!rc && o != 1 && !(rc = reserve(im, (size_t)w * h * 3, what, d))) {
        orient(j->own, w, h, o, im->data);
        if (o >= 5) {
            w = j->h;
            h = j->w;
        }
    }
    if (!rc) {
        im->width = w;
        im->height = h;
        im->stride_bytes = (int64_t)w * 3;
    }
    free(j->own);
    free(j);
    return rc;
}

/* ------------------------------------------------------------------ PNG */

struct png_in {
    const uint8_t *p;
    size_t n, pos;
};

static void png_read_mem(png_structp png, png_bytep out, size_t size)
{
    struct png_in *in = png_get_io_ptr(png);
    if (size > in->n - in->pos) {
        png_error(png, "PNG input buffer is incomplete");
        return;
    }
    memcpy(out, in->p + in->pos, size);
    in->pos += size;
}

struct png_job {
    png_structp png;
    png_infop info, end;
    struct png_in in;
    png_bytep *rows;
    int rc, orientation;
    int32_t w, h;
};

static int decode_png(const uint8_t *bytes, size_t n, const char *what, struct yolo_cv_image *im,
                      struct yolo_diag *d)
{
    struct png_job *j = calloc(1, sizeof *j);
    if (!j)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory while decoding", what);
    j->in.p = bytes;
    j->in.n = n;
    j->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    if (j->png) {
        j->info = png_create_info_struct(j->png);
        j->end = png_create_info_struct(j->png);
    }
    if (!j->png || !j->info || !j->end) {
        j->rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory while decoding", what);
        goto done;
    }
    if (setjmp(png_jmpbuf(j->png))) {
        if (!j->rc)
            j->rc = yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: cannot decode image", what);
        goto done;
    }
    png_set_read_fn(j->png, &j->in, png_read_mem);
    png_read_info(j->png, j->info);
    png_uint_32 w = 0, h = 0;
    int depth = 0, color = 0;
    png_get_IHDR(j->png, j->info, &w, &h, &depth, &color, NULL, NULL, NULL);
    if (w < 1 || h < 1 || w > MAX_SIDE || h > MAX_SIDE || (int64_t)w * h > MAX_PIXELS) {
        j->rc = yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: cannot decode image: %ux%u is over the "
                              "limits of OpenCV's decoder", what, (unsigned)w, (unsigned)h);
        goto done;
    }
    size_t row = (size_t)w * 3;
    if ((j->rc = reserve(im, row * h, what, d)))
        goto done;
    j->rows = malloc(sizeof *j->rows * h);
    if (!j->rows) {
        j->rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory while decoding", what);
        goto done;
    }
    for (png_uint_32 y = 0; y < h; y++)
        j->rows[y] = im->data + y * row;
    if (depth == 16)
        png_set_strip_16(j->png);
    png_set_strip_alpha(j->png);
    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(j->png);
    if (!(color & PNG_COLOR_MASK_COLOR) && depth < 8)
        png_set_expand_gray_1_2_4_to_8(j->png);
    if (color & PNG_COLOR_MASK_COLOR)
        png_set_bgr(j->png);
    else
        png_set_gray_to_rgb(j->png);
    png_set_interlace_handling(j->png);
    png_read_update_info(j->png, j->info);
    png_read_image(j->png, j->rows);
    png_read_end(j->png, j->end);
    /* an eXIf chunk before the image data, else one after it, as OpenCV 4.6 looks for it */
    png_uint_32 n_exif = 0;
    png_bytep exif = NULL;
    if (png_get_valid(j->png, j->info, PNG_INFO_eXIf))
        png_get_eXIf_1(j->png, j->info, &n_exif, &exif);
    else if (png_get_valid(j->png, j->end, PNG_INFO_eXIf))
        png_get_eXIf_1(j->png, j->end, &n_exif, &exif);
    j->orientation = exif && n_exif ? exif_orientation(exif, n_exif) : 1;
    j->w = (int32_t)w;
    j->h = (int32_t)h;
done:;
    int rc = j->rc, o = j->orientation;
    if (!rc && o >= 2 && o <= 8) {
        /* turned through a copy: the size stays, width and height swap for 5..8 */
        size_t bytes_px = (size_t)j->w * (size_t)j->h * 3;
        uint8_t *copy = malloc(bytes_px);
        if (!copy) {
            rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: cannot allocate %zu bytes for the image",
                               what, bytes_px);
        } else {
            memcpy(copy, im->data, bytes_px);
            orient(copy, j->w, j->h, o, im->data);
            free(copy);
            if (o >= 5) {
                int32_t t = j->w;
                j->w = j->h;
                j->h = t;
            }
        }
    }
    if (!rc) {
        im->width = j->w;
        im->height = j->h;
        im->stride_bytes = (int64_t)j->w * 3;
    }
    if (j->png)
        png_destroy_read_struct(&j->png, j->info ? &j->info : NULL, j->end ? &j->end : NULL);
    free(j->rows);
    free(j);
    return rc;
}

/* ------------------------------------------------------------------ decode */

static int decode(const uint8_t *bytes, size_t n, const char *what, struct yolo_cv_image *im,
                  struct yolo_diag *d)
{
    im->width = im->height = 0;
    im->stride_bytes = 0;
    if (n == 0)
        return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: cannot decode image (empty file)", what);
    if (n > (size_t)INT32_MAX)
        return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: file too large (%zu bytes)", what, n);
    static const uint8_t png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
    if (n >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
        return decode_jpeg(bytes, n, what, im, d);
    if (n >= 8 && memcmp(bytes, png_sig, 8) == 0)
        return decode_png(bytes, n, what, im, d);
    const char *kind = yolo_image_format(bytes, n);
    if (kind)
        return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: cannot decode image: %s needs a build "
                             "with OpenCV (this one was built with NOCV=1: PNG and JPEG only)",
                             what, kind);
    return yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: cannot decode image", what);
}

int yolo_cv_image_read(const char *path, struct yolo_cv_image *im, struct yolo_diag *d)
{
    if (!path || !im)
        return yolo_diag_set(d, YOLO_ERR_ARG, "image read: NULL argument");
    im->width = im->height = 0;
    im->stride_bytes = 0;
    uint8_t *bytes;
    size_t n;
    int rc = read_file(path, &bytes, &n, d);
    if (rc)
        return rc;
    rc = decode(bytes, n, path, im, d);
    free(bytes);
    return rc;
}

int yolo_cv_image_decode(const void *bytes, size_t n_bytes, const char *what,
                         struct yolo_cv_image *im, struct yolo_diag *d)
{
    if (!what)
        what = "image";
    if ((!bytes && n_bytes) || !im)
        return yolo_diag_set(d, YOLO_ERR_ARG, "%s: NULL argument", what);
    return decode(bytes, n_bytes, what, im, d);
}

void yolo_cv_image_free(struct yolo_cv_image *im)
{
    if (!im)
        return;
    free(im->data);
    memset(im, 0, sizeof *im);
}

/* ------------------------------------------------------------------ encode */

struct out_buf {
    uint8_t *p;
    size_t n, cap;
    int failed;
};

static void out_put(struct out_buf *o, const void *p, size_t n)
{
    if (o->failed)
        return;
    if (o->cap - o->n < n) {
        size_t cap = o->cap ? o->cap : 65536;
        while (cap - o->n < n && cap < SIZE_MAX / 2)
            cap *= 2;
        uint8_t *q = cap - o->n >= n ? realloc(o->p, cap) : NULL;
        if (!q) {
            o->failed = 1;
            return;
        }
        o->p = q;
        o->cap = cap;
    }
    memcpy(o->p + o->n, p, n);
    o->n += n;
}

static void png_write_mem(png_structp png, png_bytep p, size_t n)
{
    struct out_buf *o = png_get_io_ptr(png);
    out_put(o, p, n);
    if (o->failed)
        png_error(png, "out of memory");
}

static void png_flush_mem(png_structp png)
{
    (void)png;
}

struct png_wjob {
    png_structp png;
    png_infop info;
    png_bytep *rows;
    int ok;
};

/* OpenCV 4.6's PNG writer without parameters: filter Sub, zlib level 1, strategy RLE,
 * 8-bit gray / RGB / RGBA from gray / BGR / BGRA. Returns 0 or -1. */
static int encode_png(const uint8_t *px, int32_t w, int32_t h, int64_t stride, int32_t cn,
                      struct out_buf *o)
{
    struct png_wjob *j = calloc(1, sizeof *j);
    if (!j)
        return -1;
    j->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    j->info = j->png ? png_create_info_struct(j->png) : NULL;
    j->rows = malloc(sizeof *j->rows * (size_t)h);
    if (!j->png || !j->info || !j->rows)
        goto done;
    if (setjmp(png_jmpbuf(j->png)))
        goto done;
    png_set_write_fn(j->png, o, png_write_mem, png_flush_mem);
    png_set_filter(j->png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
    png_set_compression_level(j->png, 1);
    png_set_compression_strategy(j->png, 3);    /* Z_RLE */
    png_set_IHDR(j->png, j->info, (png_uint_32)w, (png_uint_32)h, 8,
                 cn == 1 ? PNG_COLOR_TYPE_GRAY : cn == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(j->png, j->info);
    png_set_bgr(j->png);
    for (int32_t y = 0; y < h; y++)
        j->rows[y] = (png_bytep)(px + (size_t)y * (size_t)stride);
    png_write_image(j->png, j->rows);
    png_write_end(j->png, j->info);
    j->ok = !o->failed;
done:;
    int ok = j->ok;
    if (j->png)
        png_destroy_write_struct(&j->png, j->info ? &j->info : NULL);
    free(j->rows);
    free(j);
    return ok ? 0 : -1;
}

/* A destination appending to an out_buf through a fixed block. */
struct jpeg_dst {
    struct jpeg_destination_mgr pub;
    struct out_buf *o;
    JOCTET block[16384];
};

static void jpeg_dst_init(j_compress_ptr c)
{
    struct jpeg_dst *dst = (struct jpeg_dst *)c->dest;
    dst->pub.next_output_byte = dst->block;
    dst->pub.free_in_buffer = sizeof dst->block;
}

static boolean jpeg_dst_empty(j_compress_ptr c)
{
    struct jpeg_dst *dst = (struct jpeg_dst *)c->dest;
    out_put(dst->o, dst->block, sizeof dst->block);
    jpeg_dst_init(c);
    return TRUE;
}

static void jpeg_dst_term(j_compress_ptr c)
{
    struct jpeg_dst *dst = (struct jpeg_dst *)c->dest;
    out_put(dst->o, dst->block, sizeof dst->block - dst->pub.free_in_buffer);
}

struct jpeg_wjob {
    struct jpeg_compress_struct cinfo;
    struct jpeg_err err;
    struct jpeg_dst dst;
    int created, ok;
    uint8_t *row;
};

/* OpenCV 4.6's JPEG writer: libjpeg defaults, jpeg_set_quality(q, baseline), RGB (from BGR
 * or BGRA, alpha dropped) or gray input. Returns 0 or -1. */
static int encode_jpeg(const uint8_t *px, int32_t w, int32_t h, int64_t stride, int32_t cn,
                       int32_t quality, struct out_buf *o)
{
    struct jpeg_wjob *j = calloc(1, sizeof *j);
    if (!j)
        return -1;
    j->row = malloc((size_t)w * 3);
    if (!j->row)
        goto done;
    j->cinfo.err = jpeg_std_error(&j->err.pub);
    j->err.pub.error_exit = jpeg_fail;
    if (setjmp(j->err.jump))
        goto done;
    jpeg_create_compress(&j->cinfo);
    j->created = 1;
    j->dst.o = o;
    j->dst.pub.init_destination = jpeg_dst_init;
    j->dst.pub.empty_output_buffer = jpeg_dst_empty;
    j->dst.pub.term_destination = jpeg_dst_term;
    j->cinfo.dest = &j->dst.pub;
    j->cinfo.image_width = (JDIMENSION)w;
    j->cinfo.image_height = (JDIMENSION)h;
    j->cinfo.input_components = cn == 1 ? 1 : 3;
    j->cinfo.in_color_space = cn == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&j->cinfo);
    j->cinfo.restart_interval = 0;
    jpeg_set_quality(&j->cinfo, quality, TRUE);
    jpeg_start_compress(&j->cinfo, TRUE);
    for (int32_t y = 0; y < h; y++) {
        const uint8_t *s = px + (size_t)y * (size_t)stride;
        JSAMPROW r = (JSAMPROW)s;
        if (cn != 1) {
            for (int32_t x = 0; x < w; x++, s += cn) {
                j->row[3 * x] = s[2];
                j->row[3 * x + 1] = s[1];
                j->row[3 * x + 2] = s[0];
            }
            r = j->row;
        }
        jpeg_write_scanlines(&j->cinfo, &r, 1);
    }
    jpeg_finish_compress(&j->cinfo);
    j->ok = !o->failed;
done:;
    int ok = j->ok;
    if (j->created)
        jpeg_destroy_compress(&j->cinfo);
    free(j->row);
    free(j);
    return ok ? 0 : -1;
}

/* Lower-case extension of path's last component into ext ("" if none). */
static void extension(const char *path, char *ext, size_t cap)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    ext[0] = 0;
    if (!dot || dot == base)
        return;
    size_t i = 0;
    for (; dot[i] && i + 1 < cap; i++)
        ext[i] = dot[i] >= 'A' && dot[i] <= 'Z' ? (char)(dot[i] - 'A' + 'a') : dot[i];
    ext[i] = 0;
}


int yolo_cv_image_write(const char *path, const uint8_t *pixels, int32_t width, int32_t height,
                        int64_t stride_bytes, int32_t channels, int32_t jpeg_quality,
                        struct yolo_diag *d)
{
    if (!path || !pixels)
        return yolo_diag_set(d, YOLO_ERR_ARG, "image write: NULL argument");
    if (width < 1 || height < 1 || (channels != 1 && channels != 3 && channels != 4) ||
        stride_bytes < (int64_t)width * channels || jpeg_quality < 0 || jpeg_quality > 100)
        return yolo_diag_set(d, YOLO_ERR_ARG, "%s: bad image to write (%dx%d, %d channels, stride "
                             "%lld, quality %d)", path, width, height, channels,
                             (long long)stride_bytes, jpeg_quality);
    char ext[64];
    extension(path, ext, sizeof ext);
    if (!ext[0])
        return yolo_diag_set(d, YOLO_ERR_ARG, "%s: no file extension to choose the image format",
                             path);
    int png = !strcmp(ext, ".png");
    int jpg = !strcmp(ext, ".jpg") || !strcmp(ext, ".jpeg") || !strcmp(ext, ".jpe");
    if (!png && !jpg) {
        /* the other extensions OpenCV 4.6 writes */
        static const char *const cv_only[] = { ".bmp", ".dib", ".jp2", ".webp", ".tif", ".tiff",
                                               ".pbm", ".pgm", ".ppm", ".pxm", ".pnm", ".pam",
                                               ".sr", ".ras", ".exr", ".hdr", ".pic", ".pfm" };
        for (size_t i = 0; i < sizeof cv_only / sizeof *cv_only; i++)
            if (!strcmp(ext, cv_only[i]))
                return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: writing '%s' images needs a "
                                     "build with OpenCV (this one was built with NOCV=1: PNG and "
                                     "JPEG only)", path, ext);
        return yolo_diag_set(d, YOLO_ERR_ARG, "%s: unknown image format '%s'", path, ext);
    }
    struct out_buf o = { 0 };
    int bad = png ? encode_png(pixels, width, height, stride_bytes, channels, &o)
                  : encode_jpeg(pixels, width, height, stride_bytes, channels,
                                jpeg_quality ? jpeg_quality : 95, &o);
    int rc;
    if (bad)
        rc = o.failed ? yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory while encoding", path)
                      : yolo_diag_set(d, YOLO_ERR_FORMAT, "%s: cannot encode image as '%s'", path,
                                      ext);
    else
        rc = yolo_publish_file(path, o.p, o.n, d);
    free(o.p);
    return rc;
}

/* ------------------------------------------------------------------ resize */

int yolo_cv_resize_linear(void *user, const uint8_t *src, int32_t src_w, int32_t src_h,
                          int64_t src_stride, uint8_t *dst, int32_t dst_w, int32_t dst_h,
                          int64_t dst_stride, int32_t cn, struct yolo_diag *d)
{
    (void)user;
    struct yolo_workspace ws = { 0 };
    int rc = yolo_resize_linear_u8(&ws, src, src_w, src_h, src_stride, dst, dst_w, dst_h,
                                   dst_stride, cn, d);
    yolo_workspace_free(&ws);
    return rc;
}

/* ------------------------------------------------------------------ video: not in this build */

int yolo_cv_video_open(const char *source, struct yolo_cv_video **out,
                       struct yolo_cv_video_info *info, struct yolo_diag *d)
{
    if (out)
        *out = NULL;
    if (info) {
        memset(info, 0, sizeof *info);
        info->frame_count = -1;
    }
    if (!source || !out || !info)
        return yolo_diag_set(d, YOLO_ERR_ARG, "video open: NULL argument");
    return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: " NOCV_VIDEO_MSG, source);
}

int yolo_cv_video_read(struct yolo_cv_video *v, struct yolo_cv_image *im, double *pos_ms,
                       int *got, struct yolo_diag *d)
{
    (void)v;
    (void)im;
    if (got)
        *got = 0;
    if (pos_ms)
        *pos_ms = -1;
    return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "video: " NOCV_VIDEO_MSG);
}

int yolo_cv_video_skip(struct yolo_cv_video *v, int *got, struct yolo_diag *d)
{
    (void)v;
    if (got)
        *got = 0;
    return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "video: " NOCV_VIDEO_MSG);
}

void yolo_cv_video_close(struct yolo_cv_video *v)
{
    (void)v;   /* never opened in this build */
}

int yolo_cv_video_writer_open(const char *path, int32_t width, int32_t height, double fps,
                              struct yolo_cv_video_writer **out, struct yolo_diag *d)
{
    (void)width;
    (void)height;
    (void)fps;
    if (out)
        *out = NULL;
    if (!path || !out)
        return yolo_diag_set(d, YOLO_ERR_ARG, "video writer: NULL argument");
    return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: " NOCV_VIDEO_MSG, path);
}

int yolo_cv_video_writer_write(struct yolo_cv_video_writer *w, const uint8_t *bgr,
                               int64_t stride_bytes, struct yolo_diag *d)
{
    (void)w;
    (void)bgr;
    (void)stride_bytes;
    return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "video: " NOCV_VIDEO_MSG);
}

int64_t yolo_cv_video_writer_frames(const struct yolo_cv_video_writer *w)
{
    (void)w;
    return 0;
}

int yolo_cv_video_writer_close(struct yolo_cv_video_writer *w, int commit, struct yolo_diag *d)
{
    (void)commit;
    if (!w)
        return YOLO_OK;
    return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "video: " NOCV_VIDEO_MSG);
}
