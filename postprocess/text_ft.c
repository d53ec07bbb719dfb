/* text_ft.c: label text that is not ASCII (行人, Autobús, Пешеход), rendered with FreeType
 * from fonts of Debian packages: DejaVu Sans (fonts-dejavu-core: Latin, Greek, Cyrillic, ...)
 * then WenQuanYi Micro Hei (fonts-wqy-microhei: Chinese, Japanese, Korean), each character
 * from the first font that has it. Why not a compiled-in Unicode bitmap font: GNU Unifont,
 * the one that covers the BMP, is GPL-2+ in Debian (it would make libyolo's binaries GPL) and
 * adds 1.8 MB to every binary for glyphs most runs never draw; FreeType draws antialiased at
 * any size and is on every machine that has OpenCV. ASCII labels keep the embedded 5x9 font
 * (font.h), so their pixels do not change.
 *
 * No state outlives a call (no global FreeType library or face cache): a call opens what it
 * needs, which costs a fraction of a millisecond per image that has a non-ASCII label. */
#include <stdlib.h>
#include <string.h>

#include <ft2build.h>
#include FT_FREETYPE_H

#include "postprocess.h"

/* Absolute paths (installed by scripts/install-deps.sh); YOLO_FONT, a font file, goes first. */
static const char *const font_files[] = {
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
};
#define MAX_FACES 5

struct fonts {
    FT_Library lib;
    FT_Face    face[MAX_FACES];
    int        n;
};

static void fonts_close(struct fonts *f)
{
    for (int i = 0; i < f->n; i++)
        FT_Done_Face(f->face[i]);
    if (f->lib)
        FT_Done_FreeType(f->lib);
}

static int fonts_open(struct fonts *f, int32_t px)
{
    memset(f, 0, sizeof *f);
    if (FT_Init_FreeType(&f->lib))
        return -1;
    const char *user = getenv("YOLO_FONT");
    for (int i = -1; i < (int)(sizeof font_files / sizeof *font_files) && f->n < MAX_FACES; i++) {
        const char *path = i < 0 ? user : font_files[i];
        if (!path || !path[0] || FT_New_Face(f->lib, path, 0, &f->face[f->n]))
            continue;
        if (FT_Set_Pixel_Sizes(f->face[f->n], 0, (FT_UInt)px)) {
            FT_Done_Face(f->face[f->n]);
            continue;
        }
        f->n++;
    }
    if (f->n == 0) {
        fonts_close(f);
        return -1;
    }
    return 0;
}

/* The next code point of UTF-8 text (U+FFFD for a byte that is not UTF-8); 0 at the end. */
static uint32_t next_cp(const unsigned char **s)
{
    const unsigned char *p = *s;
    uint32_t c = p[0];
    int n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (!c)
        return 0;
    if (n == 0) {
        (*s)++;
        return 0xfffd;
    }
    c = n == 1 ? c : c & (0xff >> (n + 1));
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *s = p + i;
            return 0xfffd;
        }
        c = c << 6 | (p[i] & 0x3f);
    }
    *s = p + n;
    return c;
}

/* The face that has cp (the first one when none has it: it draws its "missing" box). */
static FT_Face face_for(const struct fonts *f, uint32_t cp, FT_UInt *glyph)
{
    for (int i = 0; i < f->n; i++)
        if ((*glyph = FT_Get_Char_Index(f->face[i], cp)) != 0)
            return f->face[i];
    *glyph = 0;
    return f->face[0];
}

/* Two passes over the text: measure (out NULL), then draw the glyphs into out. */
static int64_t layout(const struct fonts *f, const char *text, int32_t px, uint8_t *out, int64_t out_w)
{
    int64_t pen = 0;
    int32_t ascent = px * 4 / 5;              /* baseline: 4/5 down the line, as most fonts */
    const unsigned char *s = (const unsigned char *)text;
    uint32_t cp;
    while ((cp = next_cp(&s)) != 0) {
        FT_UInt gi;
        FT_Face face = face_for(f, cp, &gi);
        if (FT_Load_Glyph(face, gi, FT_LOAD_RENDER | FT_LOAD_TARGET_NORMAL))
            continue;
        FT_GlyphSlot g = face->glyph;
        if (out && g->bitmap.pixel_mode == FT_PIXEL_MODE_GRAY) {
            for (unsigned r = 0; r < g->bitmap.rows; r++) {
                int64_t y = ascent - g->bitmap_top + (int64_t)r;
                if (y < 0 || y >= px)
                    continue;
                const uint8_t *src = g->bitmap.buffer + (int64_t)r * g->bitmap.pitch;
                for (unsigned c = 0; c < g->bitmap.width; c++) {
                    int64_t x = pen + g->bitmap_left + (int64_t)c;
                    if (x >= 0 && x < out_w && src[c] > out[y * out_w + x])
                        out[y * out_w + x] = src[c];
                }
            }
        }
        pen += g->advance.x >> 6;
        if (pen > 1 << 20)                    /* a label that long is not drawn further */
            break;
    }
    return pen;
}

int yolo_text_render_ft(const char *text, int32_t px, uint8_t **alpha, int32_t *w)
{
    *alpha = NULL;
    *w = 0;
    if (!text || px < 1 || px > 4096)
        return -1;
    struct fonts f;
    if (fonts_open(&f, px))
        return -1;
    int64_t tw = layout(&f, text, px, NULL, 0);
    uint8_t *a = tw > 0 ? calloc((size_t)tw * (size_t)px, 1) : NULL;
    if (!a) {
        fonts_close(&f);
        return -1;
    }
    layout(&f, text, px, a, tw);
    fonts_close(&f);
    *alpha = a;
    *w = (int32_t)tw;
    return 0;
}
