/* test_draw.c: box and label drawing. Palette and line width values; a drawn edge pixel has
 * the class colour; text pixels (white or black, whichever contrasts) appear inside the tag
 * and nowhere else; hide_labels / hide_conf; the tag moves inside the box at the top edge and
 * left at the right edge; and nothing is written outside the image for boxes at or over the
 * edges, tiny images (1x1, 3x2), huge line widths and absurd coordinates (checked with guard
 * bytes around the buffer and in the row padding). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../postprocess/postprocess.h"
#include "clock.h"

#define GUARD 4096
#define BG 0x80

/* An image with guard zones before, after and at the end of every row. */
struct canvas { uint8_t *mem, *img; int32_t w, h; int64_t stride; size_t bytes; };

static void canvas_init(struct canvas *c, int32_t w, int32_t h, int pad)
{
    c->w = w;
    c->h = h;
    c->stride = (int64_t)w * 3 + pad;
    c->bytes = (size_t)c->stride * h;
    c->mem = malloc(c->bytes + 2 * GUARD);
    memset(c->mem, 0xEE, c->bytes + 2 * GUARD);
    c->img = c->mem + GUARD;
    for (int32_t y = 0; y < h; y++)
        memset(c->img + y * c->stride, BG, (size_t)w * 3);
}

static int canvas_guards_ok(const struct canvas *c)
{
    for (size_t i = 0; i < GUARD; i++)
        if (c->mem[i] != 0xEE || c->mem[GUARD + c->bytes + i] != 0xEE)
            return 0;
    for (int32_t y = 0; y < c->h; y++)
        for (int64_t x = (int64_t)c->w * 3; x < c->stride; x++)
            if (c->img[y * c->stride + x] != 0xEE)
                return 0;
    return 1;
}

static uint32_t px_rgb(const struct canvas *c, int32_t x, int32_t y, enum yolo_pixfmt f)
{
    const uint8_t *p = c->img + y * c->stride + (int64_t)x * 3;
    return f == YOLO_PIXFMT_BGR ? (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]
                                : (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static void palette_and_width(struct harness *h)
{
    CHECK(h, yolo_palette_rgb(0) == 0xFF3838 && yolo_palette_rgb(1) == 0xFF9D97 &&
          yolo_palette_rgb(5) == 0x48F90A && yolo_palette_rgb(19) == 0xFF37C7 &&
          yolo_palette_rgb(20) == 0xFF3838 && yolo_palette_rgb(27) == 0x3DDB86 &&
          yolo_palette_rgb(-3) == 0xFF3838, "palette");
    /* max(round((h + w + 3) / 2 * 0.003), 2) */
    CHECK(h, yolo_draw_line_width(640, 640) == 2, "lw 640: %d", yolo_draw_line_width(640, 640));
    CHECK(h, yolo_draw_line_width(810, 1080) == 3, "lw bus: %d", yolo_draw_line_width(810, 1080));
    CHECK(h, yolo_draw_line_width(1920, 1080) == 5, "lw 1080p: %d", yolo_draw_line_width(1920, 1080));
    CHECK(h, yolo_draw_line_width(4000, 3000) == 11, "lw 4000x3000: %d",
          yolo_draw_line_width(4000, 3000));
    CHECK(h, yolo_draw_line_width(1, 1) == 2, "lw 1x1");
    int32_t tw, th;
    yolo_text_size("ab", 2, &tw, &th);
    CHECK(h, tw == 24 && th == 22, "text size %dx%d", tw, th);
    yolo_text_size("caf\xc3\xa9", 1, &tw, &th);       /* UTF-8 e-acute is one glyph */
    CHECK(h, tw == 24 && th == 11, "utf-8 text size %dx%d", tw, th);
}

static void labels(struct harness *h)
{
    static const char *const names[] = { "person", "bicycle", "car", "motorcycle" };
    struct yolo_draw_params p = { 0, 0, 0 };
    for (int f = 0; f < 2; f++) {
        enum yolo_pixfmt fmt = f ? YOLO_PIXFMT_RGB : YOLO_PIXFMT_BGR;
        struct canvas c;
        canvas_init(&c, 200, 150, 7);
        struct yolo_det d = { 0, 0.92f, 50, 60, 150, 140, NULL };
        CHECK(h, yolo_draw_dets(c.img, c.w, c.h, c.stride, fmt, &d, 1, names, 4, &p) == 0,
              "draw");
        int32_t lw = yolo_draw_line_width(200, 150);        /* 2 */
        CHECK(h, px_rgb(&c, 100, 60, fmt) == 0xFF3838 && px_rgb(&c, 50, 100, fmt) == 0xFF3838 &&
              px_rgb(&c, 150, 100, fmt) == 0xFF3838 && px_rgb(&c, 100, 140, fmt) == 0xFF3838,
              "fmt %d: edge pixels %06x %06x %06x %06x", f, px_rgb(&c, 100, 60, fmt),
              px_rgb(&c, 50, 100, fmt), px_rgb(&c, 150, 100, fmt), px_rgb(&c, 100, 140, fmt));
        CHECK(h, px_rgb(&c, 100, 100, fmt) == 0x808080, "box interior untouched");
        /* The tag: "person 0.92" at scale lw, above the box, starting at x1. */
        int32_t tw, th;
        yolo_text_size("person 0.92", lw, &tw, &th);
        int64_t tx0 = 50, tx1 = 50 + tw + lw, ty0 = 60 - th, ty1 = 60;
        long text = 0, tag = 0, other = 0, text_outside = 0;
        for (int32_t y = 0; y < c.h; y++)
            for (int32_t x = 0; x < c.w; x++) {
                uint32_t v = px_rgb(&c, x, y, fmt);
                int in_tag = x >= tx0 && x < tx1 && y >= ty0 && y < ty1;
                if (in_tag) {
                    text += v == 0xFFFFFF;
                    tag += v == 0xFF3838;
                    other += v != 0xFFFFFF && v != 0xFF3838;
                } else {
                    text_outside += v == 0xFFFFFF;
                }
            }
        CHECK(h, text > 50 && tag > text && other == 0 && text_outside == 0,
              "fmt %d tag: %ld text px, %ld tag px, %ld other, %ld text outside", f, text, tag,
              other, text_outside);
        CHECK(h, canvas_guards_ok(&c), "guards");
        free(c.mem);
    }

    /* A light class colour gets black text; hide_conf makes a narrower tag; hide_labels
     * draws no tag at all. */
    struct canvas c;
    canvas_init(&c, 300, 200, 0);
    struct yolo_det d = { 3, 0.5f, 100, 80, 200, 180, NULL };   /* FFB21D */
    yolo_draw_dets(c.img, c.w, c.h, c.stride, YOLO_PIXFMT_BGR, &d, 1, names, 4, &p);
    long black = 0;
    for (int32_t y = 0; y < 80; y++)
        for (int32_t x = 0; x < c.w; x++)
            black += px_rgb(&c, x, y, YOLO_PIXFMT_BGR) == 0x000000;
    CHECK(h, black > 50, "black text on a light tag: %ld", black);
    free(c.mem);

    int32_t widths[2];
    for (int hc = 0; hc < 2; hc++) {
        canvas_init(&c, 300, 200, 0);
        struct yolo_draw_params q = { 0, 0, hc };
        struct yolo_det e = { 2, 0.5f, 10, 80, 200, 180, NULL };    /* "car" */
        yolo_draw_dets(c.img, c.w, c.h, c.stride, YOLO_PIXFMT_BGR, &e, 1, names, 4, &q);
        int32_t x = 10;
        while (x < c.w && px_rgb(&c, x, 70, YOLO_PIXFMT_BGR) != 0x808080)
            x++;
        widths[hc] = x - 10;
        free(c.mem);
    }
    CHECK(h, widths[1] < widths[0] && widths[1] > 0, "hide_conf tag %d, with conf %d", widths[1],
          widths[0]);
    canvas_init(&c, 300, 200, 0);
    struct yolo_draw_params hl = { 0, 1, 0 };
    yolo_draw_dets(c.img, c.w, c.h, c.stride, YOLO_PIXFMT_BGR, &d, 1, names, 4, &hl);
    long changed = 0;
    for (int32_t y = 0; y < 78; y++)
        for (int32_t x = 0; x < c.w; x++)
            changed += px_rgb(&c, x, y, YOLO_PIXFMT_BGR) != 0x808080;
    CHECK(h, changed == 0, "hide_labels: %ld pixels above the box changed", changed);
    free(c.mem);

    /* No room above: the tag goes inside the box, below its top edge. At the right edge the
     * tag shifts left so it ends at the image border. */
    canvas_init(&c, 300, 200, 0);
    struct yolo_det top = { 0, 0.9f, 200, 0, 299, 100, NULL };
    yolo_draw_dets(c.img, c.w, c.h, c.stride, YOLO_PIXFMT_BGR, &top, 1, names, 4, &p);
    int32_t tw, th;
    yolo_text_size("person 0.90", 2, &tw, &th);
    long white = 0, white_out = 0;
    for (int32_t y = 0; y < c.h; y++)
        for (int32_t x = 0; x < c.w; x++)
            if (px_rgb(&c, x, y, YOLO_PIXFMT_BGR) == 0xFFFFFF) {
                if (y < th && x >= 300 - tw - 2)
                    white++;
                else
                    white_out++;
            }
    CHECK(h, white > 50 && white_out == 0, "tag inside/left: %ld in, %ld out", white, white_out);
    CHECK(h, px_rgb(&c, 300 - tw - 2, 5, YOLO_PIXFMT_BGR) == 0xFF3838 &&
          px_rgb(&c, 299 - tw - 2, 5, YOLO_PIXFMT_BGR) == 0x808080 &&
          px_rgb(&c, 299, 5, YOLO_PIXFMT_BGR) == 0xFF3838, "tag ends at the border");
    free(c.mem);

    /* Drawing order: the first detection ends up on top where two boxes share an edge. */
    canvas_init(&c, 300, 200, 0);
    struct yolo_det two[2] = { { 0, 0.9f, 50, 50, 150, 150, NULL }, { 5, 0.8f, 50, 50, 150, 150, NULL } };
    yolo_draw_dets(c.img, c.w, c.h, c.stride, YOLO_PIXFMT_BGR, two, 2, names, 4, &p);
    CHECK(h, px_rgb(&c, 100, 150, YOLO_PIXFMT_BGR) == 0xFF3838, "first det on top: %06x",
          px_rgb(&c, 100, 150, YOLO_PIXFMT_BGR));
    free(c.mem);

    /* Names: det->name wins, then names[], then the class number. */
    canvas_init(&c, 300, 200, 0);
    struct yolo_det nm = { 77, 0.5f, 10, 100, 50, 150, NULL };
    CHECK(h, yolo_draw_dets(c.img, c.w, c.h, c.stride, YOLO_PIXFMT_BGR, &nm, 1, names, 4, &p) == 0,
          "unknown class draws its number");
    free(c.mem);
}

static void robustness(struct harness *h)
{
    static const char *const names[] = { "a\xff\xfe long name with \"quotes\" and UTF-8 \xc3\xa9" };
    const struct yolo_det dets[] = {
        { 0, 0.9f, -50, -50, 30, 30, NULL },            /* over the top-left corner */
        { 1, 0.8f, 5, 5, 5000, 5000, NULL },            /* over the bottom-right */
        { 2, 0.7f, -1e30f, -1e30f, 1e30f, 1e30f, NULL },/* absurd */
        { 3, 0.6f, NAN, 0, 10, 10, NULL },              /* skipped */
        { 4, NAN, 0, 0, INFINITY, 10, NULL },           /* skipped */
        { -7, 0.5f, 3, 2, 1, 0, NULL },                 /* reversed, negative class */
        { 0, 0.4f, 1e6f, 1e6f, 2e6f, 2e6f, NULL },      /* wholly outside */
        { 0, 0.3f, -2e6f, -10, -1e6f, 10, NULL },
        { 0, 1.0f, 0, 0, 0, 0, NULL },                  /* a point */
    };
    const int32_t n = (int32_t)(sizeof dets / sizeof dets[0]);
    static const int32_t sizes[][2] = { { 1, 1 }, { 3, 2 }, { 2, 3 }, { 17, 5 }, { 64, 48 }, { 640, 480 } };
    static const int32_t lws[] = { 0, 1, 2, 7, 1000, 2147483647 };
    int bad = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (size_t l = 0; l < sizeof lws / sizeof lws[0]; l++)
            for (int f = 0; f < 2; f++) {
                struct canvas c;
                canvas_init(&c, sizes[s][0], sizes[s][1], (int)(s % 3));
                struct yolo_draw_params p = { lws[l], 0, 0 };
                int st = yolo_draw_dets(c.img, c.w, c.h, c.stride, (enum yolo_pixfmt)f, dets, n,
                                        names, 1, &p);
                int ok = st == 0 && canvas_guards_ok(&c);
                if (!ok && bad++ < 5)
                    CHECK(h, ok, "%dx%d lw %d fmt %d: status %d, guards %d", c.w, c.h, lws[l], f,
                          st, canvas_guards_ok(&c));
                free(c.mem);
            }
    CHECK(h, bad == 0, "%d robustness cases wrote outside the image", bad);

    /* A 1x1 image under a covering box takes the class colour (or its text colour). */
    struct canvas c;
    canvas_init(&c, 1, 1, 0);
    struct yolo_det one = { 0, 0.5f, 0, 0, 1, 1, NULL };
    struct yolo_draw_params p = { 0, 1, 0 };
    yolo_draw_dets(c.img, 1, 1, 3, YOLO_PIXFMT_BGR, &one, 1, NULL, 0, &p);
    CHECK(h, px_rgb(&c, 0, 0, YOLO_PIXFMT_BGR) == 0xFF3838, "1x1: %06x",
          px_rgb(&c, 0, 0, YOLO_PIXFMT_BGR));
    /* Bad arguments. */
    CHECK(h, yolo_draw_dets(NULL, 1, 1, 3, YOLO_PIXFMT_BGR, &one, 1, NULL, 0, NULL) == YOLO_ERR_ARG,
          "NULL image");
    CHECK(h, yolo_draw_dets(c.img, 1, 1, 3, YOLO_PIXFMT_GRAY, &one, 1, NULL, 0, NULL) == YOLO_ERR_ARG,
          "gray image");
    CHECK(h, yolo_draw_dets(c.img, 1, 1, 2, YOLO_PIXFMT_BGR, &one, 1, NULL, 0, NULL) == YOLO_ERR_ARG,
          "short stride");
    CHECK(h, yolo_draw_dets(c.img, 1, 1, 3, YOLO_PIXFMT_BGR, NULL, 1, NULL, 0, NULL) == YOLO_ERR_ARG,
          "NULL dets");
    CHECK(h, canvas_guards_ok(&c), "1x1 guards");
    free(c.mem);

    /* The text primitive clips at every side. */
    canvas_init(&c, 20, 10, 3);
    yolo_draw_text(c.img, c.w, c.h, c.stride, YOLO_PIXFMT_BGR, -7, -5, "Wgy|~", 3, 0xFFFFFF);
    yolo_draw_text(c.img, c.w, c.h, c.stride, YOLO_PIXFMT_BGR, 15, 6, "@@@", 4, 0xFFFFFF);
    yolo_draw_rect(c.img, c.w, c.h, c.stride, YOLO_PIXFMT_BGR, -100, -100, 100, 100, 90, 0x123456);
    CHECK(h, canvas_guards_ok(&c), "text/rect clipping guards");
    free(c.mem);
}

/* Class names that are not ASCII are drawn with their own glyphs (FreeType, text_ft.c), not
 * as '?': different names give different pixels, each differs from "??", and the text is in
 * the tag; near the edges and on tiny images nothing is written outside. Also times a CJK
 * label (what one such label costs an image: opening the fonts and rendering). */
static void unicode_labels(struct harness *h)
{
    const char *names[] = { "\xe8\xa1\x8c\xe4\xba\xba", "\xe8\xa1\x8c\xe8\xbd\xa6", "??",
                            "Autob\xc3\xbas", "Autobus", "\xd0\x9f\xd0\xb5\xd1\x88" };
    enum { N = 6 };
    struct canvas c[N];
    struct yolo_draw_params p = { 0 };
    p.hide_conf = 1;
    for (int i = 0; i < N; i++) {
        canvas_init(&c[i], 320, 160, 5);
        struct yolo_det d = { 0, 0.9f, 40, 80, 200, 150, names[i] };
        yolo_draw_dets(c[i].img, c[i].w, c[i].h, c[i].stride, YOLO_PIXFMT_BGR, &d, 1, NULL, 0, &p);
        CHECK(h, canvas_guards_ok(&c[i]), "guards, label %d", i);
    }
    CHECK(h, memcmp(c[0].img, c[1].img, c[0].bytes) != 0, "two CJK names draw the same pixels");
    CHECK(h, memcmp(c[0].img, c[2].img, c[0].bytes) != 0, "a CJK name is drawn as question marks");
    CHECK(h, memcmp(c[3].img, c[4].img, c[3].bytes) != 0, "Autob\xc3\xbas is drawn as Autobus");
    CHECK(h, memcmp(c[5].img, c[2].img, c[5].bytes) != 0, "a Cyrillic name is drawn as question marks");
    /* antialiased text: shades between the tag colour and white, only above the box */
    int64_t shades = 0, outside = 0;
    for (int32_t y = 0; y < c[0].h; y++)
        for (int32_t x = 0; x < c[0].w; x++) {
            uint32_t v = px_rgb(&c[0], x, y, YOLO_PIXFMT_BGR);
            int in_tag = y < 80 && x >= 40;
            if (v != 0x808080 && v != yolo_palette_rgb(0) && v != 0xFFFFFF) {
                shades += in_tag;
                outside += !in_tag;
            }
        }
    CHECK(h, shades > 10 && outside == 0, "CJK text: %lld antialiased pixels in the tag, %lld elsewhere",
          (long long)shades, (long long)outside);
    for (int i = 0; i < N; i++)
        free(c[i].mem);

    /* edges and tiny images */
    const int32_t sizes[][2] = { { 1, 1 }, { 7, 3 }, { 40, 12 }, { 200, 20 } };
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        struct canvas e;
        canvas_init(&e, sizes[k][0], sizes[k][1], 3);
        struct yolo_det d[2] = { { 0, 0.9f, -5, -5, 3, 3, names[0] },
                                 { 1, 0.8f, (float)sizes[k][0] - 2, 0, (float)sizes[k][0] + 9, 9, names[3] } };
        struct yolo_draw_params q = { 0 };
        q.line_width = 40;
        yolo_draw_dets(e.img, e.w, e.h, e.stride, YOLO_PIXFMT_RGB, d, 2, NULL, 0, &q);
        CHECK(h, canvas_guards_ok(&e), "guards, %dx%d", sizes[k][0], sizes[k][1]);
        free(e.mem);
    }

    struct canvas t;
    canvas_init(&t, 640, 480, 0);
    struct yolo_det d = { 0, 0.9f, 100, 100, 300, 300, names[0] };
    struct yolo_det a = { 0, 0.9f, 100, 100, 300, 300, "person" };
    double t0 = yolo_now_ms(), t1, t2;
    for (int i = 0; i < 50; i++)
        yolo_draw_dets(t.img, t.w, t.h, t.stride, YOLO_PIXFMT_BGR, &d, 1, NULL, 0, NULL);
    t1 = yolo_now_ms();
    for (int i = 0; i < 50; i++)
        yolo_draw_dets(t.img, t.w, t.h, t.stride, YOLO_PIXFMT_BGR, &a, 1, NULL, 0, NULL);
    t2 = yolo_now_ms();
    printf("one label on 640x480: CJK (FreeType) %.3f ms, ASCII (bitmap font) %.3f ms\n", (t1 - t0) / 50,
           (t2 - t1) / 50);
    free(t.mem);
}

int main(void)
{
    HARNESS_INIT(h, "test_draw");
    palette_and_width(&h);
    labels(&h);
    robustness(&h);
    unicode_labels(&h);
    return harness_finish(&h);
}
