/* letterbox.c: Ultralytics LetterBox into a float NCHW tensor, and a pure C copy of OpenCV
 * 4.6's cv::resize(INTER_LINEAR) for 8-bit images that gives the same bytes.
 *
 * How OpenCV 4.6 (modules/imgproc/src/resize.cpp, built with the SSE2 baseline as Debian
 * does) resizes CV_8UC(cn) with INTER_LINEAR, and what this file copies:
 *  - scale_x = 1 / (dst_w / src_w) in binary64. For each destination column
 *    fx = (float)((dx + 0.5) * scale_x - 0.5), sx = floor(fx), fx -= sx. sx < 0 becomes
 *    sx = 0, fx = 0; sx >= src_w - 1 becomes sx = src_w - 1, fx = 0 and, from the first such
 *    column on ("xmax"), the horizontal pass copies src[sx] * 2048. Coefficients are
 *    rint((1 - fx) * 2048) and rint(fx * 2048) computed in float (INTER_RESIZE_COEF_BITS 11).
 *  - Rows: fy, sy the same way, but sy is not clamped when the coefficients are made; the
 *    two source rows are clamp(sy) and clamp(sy + 1) into [0, src_h - 1].
 *  - Horizontal pass: int32 row, D = S[sx] * a0 + S[sx + cn] * a1 (exact integers).
 *  - Vertical pass: for every element,
 *    ((((b0 * (S0 >> 4)) >> 16) + ((b1 * (S1 >> 4)) >> 16) + 2) >> 2.
 *    This is VResizeLinearVec_32s8u's SIMD arithmetic (pmulhw keeps the high 16 bits of
 *    each product). The generic VResizeLinear tail would round differently
 *    ((S0 * b0 + S1 * b1 + (1 << 21)) >> 22), but resize.cpp specializes VResizeLinear for
 *    uchar with a scalar tail that repeats the SIMD arithmetic, so where the SIMD loop stops
 *    does not matter. Measured against the linked libopencv_imgproc 4.6: with the generic
 *    tail on the last 1..4 elements of each row, 347 of 400 random sizes differed; with the
 *    single formula, 0 of 2000 (tests/test_letterbox.c keeps checking this).
 *  - An exact 2x downscale in both axes (|scale - 2| < DBL_EPSILON for x and y) is sent to
 *    OpenCV's INTER_AREA fast path: for 1, 3 and 4 channels each output is
 *    (a + b + c + d + 2) >> 2 (which the bilinear formulas above also give for
 *    fx = fy = 0.5); for 2 channels that path has no vector code and rounds sum * 0.25f half
 *    to even (cvRound), which differs when the sum is 2 mod 8. Copied as such.
 *    Same size: a plain copy (cv::resize does src.copyTo(dst)).
 * tests/test_letterbox.c compares this with cv::resize byte for byte on many sizes.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "preprocess.h"

#define COEF_BITS  11
#define COEF_SCALE (1 << COEF_BITS)
#define PAD_VALUE  114

int32_t yolo_pixfmt_channels(enum yolo_pixfmt f)
{
    switch (f) {
    case YOLO_PIXFMT_BGR: case YOLO_PIXFMT_RGB:   return 3;
    case YOLO_PIXFMT_BGRA: case YOLO_PIXFMT_RGBA: return 4;
    case YOLO_PIXFMT_GRAY:                       return 1;
    }
    return 0;
}

/* saturate_cast<short>(float): cvRound (round half to even in the default FP mode). */
static int16_t coef_round(float v)
{
    long r = lrintf(v);
    return (int16_t)(r < INT16_MIN ? INT16_MIN : r > INT16_MAX ? INT16_MAX : r);
}

static int32_t clamp_row(int32_t y, int32_t h)
{
    return y < 0 ? 0 : y >= h ? h - 1 : y;
}

/* One destination row from two horizontally resized int rows. OpenCV's SIMD body
 * (pmulhw = high 16 bits of the product) and its uchar scalar tail compute the same thing.
 * The result is always within 0..255 (S >> 4 <= 255 * 2049 >> 4 and b0 + b1 <= 2049), so
 * OpenCV's uchar() cast and packus saturation never change it. */
static void vresize_row(const int32_t *s0, const int32_t *s1, int32_t b0, int32_t b1,
                        uint8_t *dst, int64_t width)
{
    for (int64_t x = 0; x < width; x++)
        dst[x] = (uint8_t)((((b0 * (s0[x] >> 4)) >> 16) + ((b1 * (s1[x] >> 4)) >> 16) + 2) >> 2);
}

static void hresize_row(const uint8_t *s, int32_t *d, const int32_t *xofs, const int16_t *alpha,
                        int32_t dst_w, int32_t xmax, int32_t cn)
{
    int32_t dx = 0;
    if (cn == 3) {                       /* the letterbox case, unrolled for the compiler */
        for (; dx < xmax; dx++) {
            const uint8_t *p = s + xofs[dx];
            int32_t a0 = alpha[2 * dx], a1 = alpha[2 * dx + 1];
            int32_t *o = d + dx * 3;
            o[0] = p[0] * a0 + p[3] * a1;
            o[1] = p[1] * a0 + p[4] * a1;
            o[2] = p[2] * a0 + p[5] * a1;
        }
    }
    for (; dx < xmax; dx++) {
        const uint8_t *p = s + xofs[dx];
        int32_t a0 = alpha[2 * dx], a1 = alpha[2 * dx + 1];
        for (int32_t k = 0; k < cn; k++)
            d[dx * cn + k] = p[k] * a0 + p[k + cn] * a1;
    }
    for (; dx < dst_w; dx++) {
        const uint8_t *p = s + xofs[dx];
        for (int32_t k = 0; k < cn; k++)
            d[dx * cn + k] = p[k] * COEF_SCALE;
    }
}

/* Scratch bytes resize_core needs: two int rows and the coefficient tables. */
static size_t resize_scratch_bytes(int32_t dst_w, int32_t dst_h, int32_t cn)
{
    return 2 * (size_t)dst_w * cn * sizeof(int32_t) +
           (size_t)dst_w * (sizeof(int32_t) + 2 * sizeof(int16_t)) +
           (size_t)dst_h * (sizeof(int32_t) + 2 * sizeof(int16_t)) + 64;
}

/* Arguments already checked; sizes differ; scratch holds resize_scratch_bytes. */
static void resize_core(uint8_t *scratch, const uint8_t *src, int32_t src_w, int32_t src_h,
                        int64_t src_stride, uint8_t *dst, int32_t dst_w, int32_t dst_h,
                        int64_t dst_stride, int32_t cn)
{
    int64_t width = (int64_t)dst_w * cn;
    int32_t *rows0 = (int32_t *)scratch;
    int32_t *rows1 = rows0 + width;
    int32_t *xofs  = rows1 + width;
    int32_t *yofs  = xofs + dst_w;
    int16_t *alpha = (int16_t *)(yofs + dst_h);
    int16_t *beta  = alpha + 2 * (size_t)dst_w;

    double scale_x = 1.0 / ((double)dst_w / src_w);
    double scale_y = 1.0 / ((double)dst_h / src_h);
    int32_t xmax = dst_w;
    for (int32_t dx = 0; dx < dst_w; dx++) {
        float fx = (float)((dx + 0.5) * scale_x - 0.5);
        int32_t sx = (int32_t)floorf(fx);
        fx -= (float)sx;
        if (sx < 0) {
            fx = 0.f;
            sx = 0;
        }
        if (sx + 1 >= src_w) {
            if (xmax > dx)
                xmax = dx;
            if (sx >= src_w - 1) {
                fx = 0.f;
                sx = src_w - 1;
            }
        }
        xofs[dx] = sx * cn;
        alpha[2 * dx]     = coef_round((1.f - fx) * COEF_SCALE);
        alpha[2 * dx + 1] = coef_round(fx * COEF_SCALE);
    }
    for (int32_t dy = 0; dy < dst_h; dy++) {
        float fy = (float)((dy + 0.5) * scale_y - 0.5);
        int32_t sy = (int32_t)floorf(fy);
        fy -= (float)sy;
        yofs[dy] = sy;
        beta[2 * dy]     = coef_round((1.f - fy) * COEF_SCALE);
        beta[2 * dy + 1] = coef_round(fy * COEF_SCALE);
    }

    /* rows0/rows1 hold the resized source rows r0/r1; reuse them while consecutive output
     * rows need the same source rows (OpenCV reuses them the same way; values are equal). */
    int32_t have0 = -1, have1 = -1;
    for (int32_t dy = 0; dy < dst_h; dy++) {
        int32_t r0 = clamp_row(yofs[dy], src_h), r1 = clamp_row(yofs[dy] + 1, src_h);
        if (r0 != have0) {
            if (r0 == have1) {
                int32_t *t = rows0; rows0 = rows1; rows1 = t;
                have1 = have0;
            } else {
                hresize_row(src + r0 * src_stride, rows0, xofs, alpha, dst_w, xmax, cn);
            }
            have0 = r0;
        }
        if (r1 != have1) {
            if (r1 == r0)
                memcpy(rows1, rows0, (size_t)width * sizeof(int32_t));
            else
                hresize_row(src + r1 * src_stride, rows1, xofs, alpha, dst_w, xmax, cn);
            have1 = r1;
        }
        vresize_row(rows0, rows1, beta[2 * dy], beta[2 * dy + 1], dst + dy * dst_stride, width);
    }
}

/* OpenCV's resizeAreaFast_ for an exact 2x2 reduction (see the top of the file). */
static void resize_area2(const uint8_t *src, int64_t src_stride, uint8_t *dst, int32_t dst_w,
                         int32_t dst_h, int64_t dst_stride, int32_t cn)
{
    for (int32_t dy = 0; dy < dst_h; dy++) {
        const uint8_t *s0 = src + 2 * dy * src_stride, *s1 = s0 + src_stride;
        uint8_t *d = dst + dy * dst_stride;
        for (int32_t dx = 0; dx < dst_w; dx++, s0 += 2 * cn, s1 += 2 * cn, d += cn)
            for (int32_t k = 0; k < cn; k++) {
                int32_t sum = s0[k] + s0[k + cn] + s1[k] + s1[k + cn];
                d[k] = cn == 2 ? (uint8_t)lrintf((float)sum * 0.25f) : (uint8_t)((sum + 2) >> 2);
            }
    }
}

/* cv::hal::resize turns INTER_LINEAR into INTER_AREA when both scales are exactly 2. */
static int is_area2(int32_t src_w, int32_t src_h, int32_t dst_w, int32_t dst_h)
{
    double sx = 1.0 / ((double)dst_w / src_w), sy = 1.0 / ((double)dst_h / src_h);
    double ix = rint(sx), iy = rint(sy);
    return fabs(sx - ix) < DBL_EPSILON && fabs(sy - iy) < DBL_EPSILON && ix == 2 && iy == 2;
}

static int resize_args_ok(const uint8_t *src, int32_t src_w, int32_t src_h, int64_t src_stride,
                          const uint8_t *dst, int32_t dst_w, int32_t dst_h, int64_t dst_stride,
                          int32_t cn)
{
    return src && dst && src_w >= 1 && src_h >= 1 && dst_w >= 1 && dst_h >= 1 && cn >= 1 &&
           cn <= 4 && src_stride >= (int64_t)src_w * cn && dst_stride >= (int64_t)dst_w * cn;
}

int yolo_resize_linear_u8(struct yolo_workspace *ws, const uint8_t *src, int32_t src_w,
                          int32_t src_h, int64_t src_stride, uint8_t *dst, int32_t dst_w,
                          int32_t dst_h, int64_t dst_stride, int32_t cn, struct yolo_diag *d)
{
    if (!ws || !resize_args_ok(src, src_w, src_h, src_stride, dst, dst_w, dst_h, dst_stride, cn))
        return yolo_diag_set(d, YOLO_ERR_ARG, "resize: bad arguments (%dx%d -> %dx%d, cn %d)",
                             src_w, src_h, dst_w, dst_h, cn);
    if (src_w == dst_w && src_h == dst_h) {
        for (int32_t y = 0; y < dst_h; y++)
            memcpy(dst + y * dst_stride, src + y * src_stride, (size_t)dst_w * cn);
        return YOLO_OK;
    }
    if (is_area2(src_w, src_h, dst_w, dst_h)) {
        resize_area2(src, src_stride, dst, dst_w, dst_h, dst_stride, cn);
        return YOLO_OK;
    }
    uint8_t *scratch = yolo_workspace_reserve(ws, resize_scratch_bytes(dst_w, dst_h, cn), d);
    if (!scratch)
        return YOLO_ERR_NOMEM;
    resize_core(scratch, src, src_w, src_h, src_stride, dst, dst_w, dst_h, dst_stride, cn);
    return YOLO_OK;
}

/* ------------------------------------------------------------------ letterbox */

void yolo_letterbox_params_default(struct yolo_letterbox_params *p)
{
    p->dst_w = 640;
    p->dst_h = 640;
    p->resize = NULL;
    p->resize_user = NULL;
}

int yolo_letterbox_geom_compute(int32_t src_w, int32_t src_h, int32_t dst_w, int32_t dst_h,
                                struct yolo_letterbox_geom *g, struct yolo_diag *d)
{
    if (!g || src_w < 1 || src_h < 1 || dst_w < 1 || dst_h < 1)
        return yolo_diag_set(d, YOLO_ERR_ARG, "letterbox: bad size %dx%d -> %dx%d",
                             src_w, src_h, dst_w, dst_h);
    double rh = (double)dst_h / src_h, rw = (double)dst_w / src_w;
    double r = rh < rw ? rh : rw;
    /* Python's round() is half to even: rint in the default rounding mode. */
    double nw = rint(src_w * r), nh = rint(src_h * r);
    g->src_w = src_w;
    g->src_h = src_h;
    g->dst_w = dst_w;
    g->dst_h = dst_h;
    g->gain  = r;
    /* A sliver (e.g. 10000 x 1) would round to 0 rows, which cv2.resize rejects: keep 1. */
    g->new_w = nw < 1 ? 1 : nw > dst_w ? dst_w : (int32_t)nw;
    g->new_h = nh < 1 ? 1 : nh > dst_h ? dst_h : (int32_t)nh;
    double dw = (dst_w - g->new_w) / 2.0, dh = (dst_h - g->new_h) / 2.0;
    g->pad_left   = (int32_t)rint(dw - 0.1);
    g->pad_right  = (int32_t)rint(dw + 0.1);
    g->pad_top    = (int32_t)rint(dh - 0.1);
    g->pad_bottom = (int32_t)rint(dh + 0.1);
    return YOLO_OK;
}

/* Converts packed 3-channel rows (BGR or RGB order per `bgr`) into the tensor's planes at
 * (left, top). lut[v] = v / 255.0f. */
static void put_rows(const uint8_t *src, int64_t stride, int32_t w, int32_t h, int32_t cn,
                     int bgr, int gray, const float *lut, float *tensor, int32_t W, int32_t H,
                     int32_t left, int32_t top)
{
    size_t plane = (size_t)W * H;
    int ir = gray ? 0 : bgr ? 2 : 0, ig = gray ? 0 : 1, ib = gray ? 0 : bgr ? 0 : 2;
    for (int32_t y = 0; y < h; y++) {
        const uint8_t *s = src + y * stride;
        size_t o = (size_t)(top + y) * W + left;
        float *r = tensor + o, *g = tensor + plane + o, *b = tensor + 2 * plane + o;
        for (int32_t x = 0; x < w; x++, s += cn) {
            r[x] = lut[s[ir]];
            g[x] = lut[s[ig]];
            b[x] = lut[s[ib]];
        }
    }
}

int yolo_letterbox(const struct yolo_image_view *im, const struct yolo_letterbox_params *p,
                   struct yolo_workspace *ws, float *tensor, struct yolo_letterbox_geom *geom,
                   struct yolo_diag *d)
{
    struct yolo_letterbox_params def;
    yolo_letterbox_params_default(&def);
    if (!p)
        p = &def;
    if (!im || !im->data || !ws || !tensor)
        return yolo_diag_set(d, YOLO_ERR_ARG, "letterbox: NULL argument");
    int32_t cn = yolo_pixfmt_channels(im->format);
    if (cn == 0)
        return yolo_diag_set(d, YOLO_ERR_ARG, "letterbox: unknown pixel format %d",
                             (int)im->format);
    if (im->width < 1 || im->height < 1 || im->stride_bytes < (int64_t)im->width * cn)
        return yolo_diag_set(d, YOLO_ERR_ARG, "letterbox: bad image %dx%d, stride %lld",
                             im->width, im->height, (long long)im->stride_bytes);
    struct yolo_letterbox_geom g;
    int st = yolo_letterbox_geom_compute(im->width, im->height, p->dst_w, p->dst_h, &g, d);
    if (st)
        return st;

    /* cv2.resize works on the 3-channel image Ultralytics reads, so anything else is first
     * packed to 3 channels (alpha dropped, gray replicated): the resize's SIMD/scalar split
     * depends on the row width in elements, so resizing 1 channel would not give the same
     * bytes as resizing 3. */
    int resize = g.new_w != g.src_w || g.new_h != g.src_h;
    size_t pack_bytes = cn != 3 && resize ? (size_t)g.src_w * g.src_h * 3 : 0;
    size_t out_bytes = resize ? (size_t)g.new_w * g.new_h * 3 : 0;
    size_t scratch_bytes = resize && !p->resize ? resize_scratch_bytes(g.new_w, g.new_h, 3) : 0;
    pack_bytes = (pack_bytes + 63) & ~(size_t)63;
    out_bytes = (out_bytes + 63) & ~(size_t)63;
    const uint8_t *src = im->data;
    int64_t stride = im->stride_bytes;
    int32_t scn = cn;                     /* channels of src */
    uint8_t *buf = NULL;
    if (resize) {
        buf = yolo_workspace_reserve(ws, pack_bytes + out_bytes + scratch_bytes, d);
        if (!buf)
            return YOLO_ERR_NOMEM;
    }
    if (pack_bytes) {
        for (int32_t y = 0; y < g.src_h; y++) {
            const uint8_t *s = im->data + y * im->stride_bytes;
            uint8_t *o = buf + (size_t)y * g.src_w * 3;
            for (int32_t x = 0; x < g.src_w; x++, s += cn, o += 3) {
                o[0] = s[0];
                o[1] = s[cn == 1 ? 0 : 1];
                o[2] = s[cn == 1 ? 0 : 2];
            }
        }
        src = buf;
        stride = (int64_t)g.src_w * 3;
        scn = 3;
    }
    if (resize) {
        uint8_t *out = buf + pack_bytes;
        if (p->resize) {
            st = p->resize(p->resize_user, src, g.src_w, g.src_h, stride, out, g.new_w, g.new_h,
                           (int64_t)g.new_w * 3, 3, d);
            if (st)
                return st;
        } else if (is_area2(g.src_w, g.src_h, g.new_w, g.new_h)) {
            resize_area2(src, stride, out, g.new_w, g.new_h, (int64_t)g.new_w * 3, 3);
        } else {
            resize_core(out + out_bytes, src, g.src_w, g.src_h, stride, out, g.new_w, g.new_h,
                        (int64_t)g.new_w * 3, 3);
        }
        src = out;
        stride = (int64_t)g.new_w * 3;
    }

    float lut[256];
    for (int v = 0; v < 256; v++)
        lut[v] = (float)v / 255.0f;   /* a true division, as torch's x / 255 */
    const float padv = lut[PAD_VALUE];
    int32_t W = g.dst_w, H = g.dst_h;
    size_t plane = (size_t)W * H;
    for (int c = 0; c < 3; c++) {
        float *t = tensor + c * plane;
        for (int32_t y = 0; y < H; y++) {
            float *row = t + (size_t)y * W;
            if (y < g.pad_top || y >= g.pad_top + g.new_h) {
                for (int32_t x = 0; x < W; x++)
                    row[x] = padv;
                continue;
            }
            for (int32_t x = 0; x < g.pad_left; x++)
                row[x] = padv;
            for (int32_t x = g.pad_left + g.new_w; x < W; x++)
                row[x] = padv;
        }
    }
    int bgr = im->format == YOLO_PIXFMT_BGR || im->format == YOLO_PIXFMT_BGRA;
    put_rows(src, stride, g.new_w, g.new_h, scn, bgr, scn == 1, lut, tensor, W, H, g.pad_left,
             g.pad_top);
    if (geom)
        *geom = g;
    return YOLO_OK;
}
