/* draw.c: boxes and label tags on a u8 BGR/RGB image, in the manner of Ultralytics'
 * Annotator.box_label: class colour from its 20-colour palette, line width
 * max(round((h + w + 3) / 2 * 0.003), 2) (its sum(im.shape) counts the 3 channels too), a
 * filled tag above the box (inside when there is no room above, shifted left to stay in the
 * image) with "name 0.92" in white or black; detections are drawn last to first so the most
 * confident end up on top. ASCII text uses the embedded bitmap font (font.h), magnified by
 * an integer factor equal to the line width, so a label is legible at any size; a label with
 * any other character (a class name in UTF-8: 行人, Autobús) is drawn antialiased by FreeType
 * (text_ft.c) at the same height, or at least 16 pixels, where CJK glyphs stay legible.
 * Every write is clipped to the image: boxes may lie partly or wholly outside it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "font.h"
#include "postprocess.h"

/* Ultralytics' Colors palette (RGB), in order. */
static const uint32_t palette[20] = {
    0xFF3838, 0xFF9D97, 0xFF701F, 0xFFB21D, 0xCFD231, 0x48F90A, 0x92CC17, 0x3DDB86, 0x1A9334,
    0x00D4BB, 0x2C99A8, 0x00C2FF, 0x344593, 0x6473FF, 0x0018EC, 0x8438FF, 0x520085, 0xCB38FF,
    0xFF95C8, 0xFF37C7,
};

uint32_t yolo_palette_rgb(int32_t cls)
{
    return palette[cls < 0 ? 0 : cls % 20];
}

int32_t yolo_draw_line_width(int32_t w, int32_t h)
{
    double v = rint(((double)w + h + 3) / 2 * 0.003);   /* Python round: half to even */
    return v < 2 ? 2 : v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

/* Black text on light colours, white on dark (ITU-R BT.601 luma). */
static uint32_t text_colour(uint32_t rgb)
{
    double luma = 0.299 * (rgb >> 16 & 0xff) + 0.587 * (rgb >> 8 & 0xff) + 0.114 * (rgb & 0xff);
    return luma > 150 ? 0x000000 : 0xFFFFFF;
}

void yolo_draw_fill_rect(uint8_t *img, int32_t w, int32_t h, int64_t stride_bytes,
                         enum yolo_pixfmt format, int64_t x0, int64_t y0, int64_t x1,
                         int64_t y1, uint32_t rgb)
{
    if (!img || (format != YOLO_PIXFMT_BGR && format != YOLO_PIXFMT_RGB))
        return;
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > w) x1 = w;
    if (y1 > h) y1 = h;
    if (x0 >= x1 || y0 >= y1)
        return;
    uint8_t r = (uint8_t)(rgb >> 16), g = (uint8_t)(rgb >> 8), b = (uint8_t)rgb;
    uint8_t c0 = format == YOLO_PIXFMT_BGR ? b : r, c2 = format == YOLO_PIXFMT_BGR ? r : b;
    for (int64_t y = y0; y < y1; y++) {
        uint8_t *p = img + y * stride_bytes + x0 * 3;
        for (int64_t x = x0; x < x1; x++, p += 3) {
            p[0] = c0;
            p[1] = g;
            p[2] = c2;
        }
    }
}

void yolo_draw_rect(uint8_t *img, int32_t w, int32_t h, int64_t stride_bytes,
                    enum yolo_pixfmt format, int64_t x1, int64_t y1, int64_t x2, int64_t y2,
                    int32_t line_width, uint32_t rgb)
{
    /* Each edge is a band of line_width pixels centred on it, like cv2.rectangle. */
    int64_t lw = line_width < 1 ? 1 : line_width, lo = lw / 2;
    if (x2 < x1) { int64_t t = x1; x1 = x2; x2 = t; }
    if (y2 < y1) { int64_t t = y1; y1 = y2; y2 = t; }
    int64_t ox0 = x1 - lo, oy0 = y1 - lo, ox1 = x2 - lo + lw, oy1 = y2 - lo + lw;
    yolo_draw_fill_rect(img, w, h, stride_bytes, format, ox0, oy0, ox1, oy0 + lw, rgb);
    yolo_draw_fill_rect(img, w, h, stride_bytes, format, ox0, oy1 - lw, ox1, oy1, rgb);
    yolo_draw_fill_rect(img, w, h, stride_bytes, format, ox0, oy0, ox0 + lw, oy1, rgb);
    yolo_draw_fill_rect(img, w, h, stride_bytes, format, ox1 - lw, oy0, ox1, oy1, rgb);
}

/* Glyph index for the next character of s, advancing *s: printable ASCII as is; any other
 * byte (a UTF-8 sequence counts once) becomes '?'. Returns -1 at the end. */
static int next_glyph(const unsigned char **s)
{
    unsigned char c = **s;
    if (!c)
        return -1;
    (*s)++;
    if (c >= YOLO_FONT_FIRST && c <= YOLO_FONT_LAST)
        return c - YOLO_FONT_FIRST;
    while (c >= 0xc0 && (**s & 0xc0) == 0x80)   /* skip continuation bytes */
        (*s)++;
    return '?' - YOLO_FONT_FIRST;
}

void yolo_text_size(const char *text, int32_t scale, int32_t *w, int32_t *h)
{
    int64_t n = 0, s = scale < 1 ? 1 : scale;
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    while (next_glyph(&p) >= 0)
        n++;
    int64_t tw = n * YOLO_FONT_CELL_W * s, th = YOLO_FONT_CELL_H * s;
    if (w)
        *w = tw > INT32_MAX ? INT32_MAX : (int32_t)tw;
    if (h)
        *h = th > INT32_MAX ? INT32_MAX : (int32_t)th;
}

void yolo_draw_text(uint8_t *img, int32_t w, int32_t h, int64_t stride_bytes,
                    enum yolo_pixfmt format, int64_t x, int64_t y, const char *text,
                    int32_t scale, uint32_t rgb)
{
    if (!img || !text)
        return;
    int64_t s = scale < 1 ? 1 : scale;
    const unsigned char *p = (const unsigned char *)text;
    int gi;
    for (int64_t cx = x; (gi = next_glyph(&p)) >= 0 && cx < w; cx += YOLO_FONT_CELL_W * s) {
        if (cx + YOLO_FONT_CELL_W * s <= 0)
            continue;
        const uint8_t *rows = yolo_font_5x9[gi];
        for (int r = 0; r < YOLO_FONT_H; r++)
            for (int k = 0; k < YOLO_FONT_W; k++)
                if (rows[r] >> (YOLO_FONT_W - 1 - k) & 1) {
                    int64_t px = cx + k * s, py = y + (r + 1) * s;   /* one blank row on top */
                    yolo_draw_fill_rect(img, w, h, stride_bytes, format, px, py, px + s, py + s,
                                        rgb);
                }
    }
}

/* Text colour over what is there, by the coverage mask alpha[0..aw) x [0..ah) at (x, y). */
static void blend_mask(uint8_t *img, int32_t w, int32_t h, int64_t stride_bytes, enum yolo_pixfmt format,
                       int64_t x, int64_t y, const uint8_t *alpha, int32_t aw, int32_t ah, uint32_t rgb)
{
    uint8_t r = (uint8_t)(rgb >> 16), g = (uint8_t)(rgb >> 8), b = (uint8_t)rgb;
    uint8_t c[3] = { format == YOLO_PIXFMT_BGR ? b : r, g, format == YOLO_PIXFMT_BGR ? r : b };
    for (int32_t j = 0; j < ah; j++) {
        int64_t py = y + j;
        if (py < 0 || py >= h)
            continue;
        for (int32_t i = 0; i < aw; i++) {
            int64_t px = x + i;
            unsigned a = alpha[(int64_t)j * aw + i];
            if (px < 0 || px >= w || !a)
                continue;
            uint8_t *p = img + py * stride_bytes + px * 3;
            for (int k = 0; k < 3; k++)
                p[k] = (uint8_t)((p[k] * (255 - a) + c[k] * a + 127) / 255);
        }
    }
}

static int is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 0;
    return 1;
}

/* float pixel coordinate -> integer as Python's int() (toward zero), kept in a range where
 * the int64 arithmetic below cannot overflow. */
static int64_t coord(float v)
{
    if (v > 1e9f)
        return 1000000000;
    if (v < -1e9f)
        return -1000000000;
    return (int64_t)v;
}

int yolo_draw_dets(uint8_t *img, int32_t w, int32_t h, int64_t stride_bytes,
                   enum yolo_pixfmt format, const struct yolo_det *dets, int32_t n,
                   const char *const *names, int32_t n_names, const struct yolo_draw_params *p)
{
    if (!img || w < 1 || h < 1 || stride_bytes < (int64_t)w * 3 || n < 0 || (n > 0 && !dets) ||
        (format != YOLO_PIXFMT_BGR && format != YOLO_PIXFMT_RGB))
        return YOLO_ERR_ARG;
    int32_t lw = p && p->line_width > 0 ? p->line_width : yolo_draw_line_width(w, h);
    /* Glyphs as thick as the line, but a cell never taller than the image (a huge line
     * width must not make every glyph pixel cover the whole picture). */
    int32_t scale = lw, cap = h / YOLO_FONT_CELL_H;
    if (scale > cap)
        scale = cap;
    if (scale < 1)
        scale = 1;
    /* Last to first, as Ultralytics' Results.plot: the first (most confident) detections end
     * up on top. */
    for (int32_t i = n - 1; i >= 0; i--) {
        const struct yolo_det *d = &dets[i];
        if (!isfinite(d->x1) || !isfinite(d->y1) || !isfinite(d->x2) || !isfinite(d->y2))
            continue;
        int64_t x1 = coord(d->x1), y1 = coord(d->y1), x2 = coord(d->x2), y2 = coord(d->y2);
        uint32_t colour = yolo_palette_rgb(d->cls);
        yolo_draw_rect(img, w, h, stride_bytes, format, x1, y1, x2, y2, lw, colour);
        if (p && p->hide_labels)
            continue;

        char label[160], num[16];
        const char *name = d->name;
        if (!name && names && d->cls >= 0 && d->cls < n_names)
            name = names[d->cls];
        if (!name) {
            snprintf(num, sizeof num, "%d", d->cls);
            name = num;
        }
        if (p && p->hide_conf)
            snprintf(label, sizeof label, "%s", name);
        else
            snprintf(label, sizeof label, "%s %.2f", name, (double)d->conf);
        int32_t tw, th;
        uint8_t *mask = NULL;
        int32_t mask_h = YOLO_FONT_CELL_H * scale < 16 ? 16 : YOLO_FONT_CELL_H * scale;
        if (mask_h > h)
            mask_h = h;
        if (!is_ascii(label) && yolo_text_render_ft(label, mask_h, &mask, &tw) == 0)
            th = mask_h;
        else
            yolo_text_size(label, scale, &tw, &th);
        int64_t tag_w = (int64_t)tw + scale;         /* one magnified pixel of left margin */
        int64_t tx = x1 < x2 ? x1 : x2, ty = y1 < y2 ? y1 : y2;
        if (tx > w - tag_w)                           /* keep the tag inside on the right */
            tx = w - tag_w;
        if (tx < 0)
            tx = 0;
        ty = ty >= th ? ty - th : ty;                 /* above the box, else inside it */
        yolo_draw_fill_rect(img, w, h, stride_bytes, format, tx, ty, tx + tag_w, ty + th, colour);
        if (mask)
            blend_mask(img, w, h, stride_bytes, format, tx + scale, ty, mask, tw, th, text_colour(colour));
        else
            yolo_draw_text(img, w, h, stride_bytes, format, tx + scale, ty, label, scale,
                           text_colour(colour));
        free(mask);
    }
    return YOLO_OK;
}
