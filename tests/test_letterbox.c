/* test_letterbox.c: letterbox geometry, the pure C INTER_LINEAR resize against cv::resize
 * (byte equality on many random sizes: up- and down-scaling, odd sizes, 1-pixel images,
 * exact 2x, one axis unchanged, 4000x3000), the whole letterbox of bus.jpg and zidane.jpg
 * against the golden input tensors (memcmp, with both resize implementations), pixel formats
 * and strides, errors, and letterbox -> scale_boxes round trips.
 * Env SHARED: the shared folder (default ../shared). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../detect/cv_adapter.h"
#include "../postprocess/postprocess.h"

static void fill_random(uint8_t *p, size_t n, uint64_t *seed)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v = harness_rand(seed);
        memcpy(p + i, &v, 8);
    }
    for (; i < n; i++)
        p[i] = (uint8_t)(harness_rand(seed) >> 56);
}

/* ------------------------------------------------------------------ geometry */

static void check_geom(struct harness *h, int32_t w, int32_t hh, int32_t W, int32_t H,
                       int32_t nw, int32_t nh, int32_t l, int32_t r, int32_t t, int32_t b)
{
    struct yolo_letterbox_geom g;
    struct yolo_diag d;
    int st = yolo_letterbox_geom_compute(w, hh, W, H, &g, &d);
    CHECK(h, st == 0 && g.new_w == nw && g.new_h == nh && g.pad_left == l && g.pad_right == r &&
          g.pad_top == t && g.pad_bottom == b,
          "%dx%d -> %dx%d: new %dx%d pads l%d r%d t%d b%d; want %dx%d l%d r%d t%d b%d", w, hh, W,
          H, g.new_w, g.new_h, g.pad_left, g.pad_right, g.pad_top, g.pad_bottom, nw, nh, l, r, t,
          b);
    CHECK(h, g.pad_left + g.new_w + g.pad_right == W && g.pad_top + g.new_h + g.pad_bottom == H,
          "%dx%d: pads do not fill %dx%d", w, hh, W, H);
}

static void geometry(struct harness *h)
{
    check_geom(h, 810, 1080, 640, 640, 480, 640, 80, 80, 0, 0);      /* bus.jpg */
    check_geom(h, 1280, 720, 640, 640, 640, 360, 0, 0, 140, 140);    /* zidane.jpg */
    check_geom(h, 1280, 721, 640, 640, 640, 360, 0, 0, 140, 140);    /* rint(360.5) = 360 */
    check_geom(h, 1280, 723, 640, 640, 640, 362, 0, 0, 139, 139);    /* rint(361.5) = 362 */
    check_geom(h, 1000, 999, 640, 640, 640, 639, 0, 0, 0, 1);        /* dh 0.5: 0 top, 1 bottom */
    check_geom(h, 640, 640, 640, 640, 640, 640, 0, 0, 0, 0);
    check_geom(h, 100, 50, 640, 640, 640, 320, 0, 0, 160, 160);      /* scale up */
    check_geom(h, 1, 1, 640, 640, 640, 640, 0, 0, 0, 0);
    check_geom(h, 10000, 1, 640, 640, 640, 1, 0, 0, 319, 320);       /* sliver keeps 1 row */
    check_geom(h, 1920, 1080, 384, 640, 384, 216, 0, 0, 212, 212);   /* H 384, W 640 */
    struct yolo_letterbox_geom g;
    struct yolo_diag d;
    CHECK(h, yolo_letterbox_geom_compute(0, 10, 640, 640, &g, &d) == YOLO_ERR_ARG, "0 width");
    CHECK(h, yolo_letterbox_geom_compute(10, 10, 640, -1, &g, &d) == YOLO_ERR_ARG, "bad dst");
}

/* ------------------------------------------------------------------ resize vs OpenCV */

static int compare_resize(struct harness *h, struct yolo_workspace *ws, uint64_t *seed,
                          int32_t sw, int32_t sh, int32_t dw, int32_t dh, int32_t cn, int pad)
{
    int64_t sstride = (int64_t)sw * cn + pad, dstride = (int64_t)dw * cn + pad;
    size_t sb = (size_t)sstride * sh, db = (size_t)dstride * dh;
    uint8_t *s = malloc(sb), *a = malloc(db), *b = malloc(db);
    int ok = s && a && b;
    CHECK(h, ok, "malloc");
    if (ok) {
        fill_random(s, sb, seed);
        memset(a, 0xAA, db);
        memset(b, 0xAA, db);
        struct yolo_diag d1 = { 0 }, d2 = { 0 };
        int st1 = yolo_cv_resize_linear(NULL, s, sw, sh, sstride, a, dw, dh, dstride, cn, &d1);
        int st2 = yolo_resize_linear_u8(ws, s, sw, sh, sstride, b, dw, dh, dstride, cn, &d2);
        CHECK(h, st1 == 0 && st2 == 0, "resize status %d (%s) / %d (%s)", st1, d1.msg, st2, d2.msg);
        size_t diff = 0, first = 0;
        for (size_t i = 0; i < db; i++)
            if (a[i] != b[i] && diff++ == 0)
                first = i;
        ok = diff == 0 && st1 == 0 && st2 == 0;
        CHECK(h, ok, "%dx%d -> %dx%d cn %d pad %d: %zu bytes differ, first at row %zu byte %zu "
              "(cv %d, C %d)", sw, sh, dw, dh, cn, pad, diff, first / (size_t)dstride,
              first % (size_t)dstride, a[first], b[first]);
    }
    free(s);
    free(a);
    free(b);
    return ok;
}

static void resize_vs_opencv(struct harness *h)
{
    uint64_t seed = 20240601;
    printf("resize vs cv::resize: seed %llu\n", (unsigned long long)seed);
    struct yolo_workspace ws = { 0 };
    static const int32_t fixed[][4] = {
        { 1, 1, 640, 640 }, { 1, 1, 1, 1 }, { 1, 7, 5, 3 }, { 7, 1, 3, 5 }, { 2, 2, 1, 1 },
        { 3, 2, 640, 427 }, { 1280, 720, 640, 360 }, { 1280, 960, 640, 480 }, /* exact 2x */
        { 810, 1080, 480, 640 }, { 641, 100, 640, 100 }, { 100, 641, 100, 640 }, /* one axis 1 */
        { 640, 100, 640, 37 }, { 37, 640, 640, 640 }, { 17, 13, 16, 16 }, { 16, 16, 17, 13 },
        { 5, 5, 4, 4 }, { 4, 4, 5, 5 }, { 333, 77, 111, 231 }, { 2, 640, 1, 320 },
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        for (int32_t cn = 1; cn <= 4; cn++)
            bad += !compare_resize(h, &ws, &seed, fixed[i][0], fixed[i][1], fixed[i][2],
                                   fixed[i][3], cn, (int)(i % 3) * 5);
    for (int t = 0; t < 300; t++) {
        int32_t cn = t % 2 ? 3 : 1 + (int32_t)(harness_rand(&seed) % 4);
        int32_t sw = 1 + (int32_t)(harness_rand(&seed) % 260), sh = 1 + (int32_t)(harness_rand(&seed) % 260);
        int32_t dw = 1 + (int32_t)(harness_rand(&seed) % 260), dh = 1 + (int32_t)(harness_rand(&seed) % 260);
        if (t % 7 == 0)
            dw = sw;                               /* unchanged width */
        if (t % 11 == 0)
            dh = sh;                               /* unchanged height */
        if (t % 13 == 0) {                         /* exact halving */
            dw = sw / 2 ? sw / 2 : 1;
            dh = sh / 2 ? sh / 2 : 1;
        }
        bad += !compare_resize(h, &ws, &seed, sw, sh, dw, dh, cn, (int)(t % 4));
    }
    /* A camera-sized image, down to the letterbox size. */
    bad += !compare_resize(h, &ws, &seed, 4000, 3000, 640, 480, 3, 0);
    bad += !compare_resize(h, &ws, &seed, 3000, 4000, 480, 640, 3, 12);
    printf("resize vs cv::resize: %d mismatching cases\n", bad);
    yolo_workspace_free(&ws);
}

/* ------------------------------------------------------------------ golden tensors */

static void golden(struct harness *h, const char *name, int32_t want_w, int32_t want_h)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/data/images/%s.jpg", harness_shared_dir(), name);
    struct yolo_cv_image im = { 0 };
    struct yolo_diag d = { 0 };
    int st = yolo_cv_image_read(path, &im, &d);
    CHECK(h, st == 0 && im.width == want_w && im.height == want_h, "%s: %s (%dx%d)", path, d.msg,
          im.width, im.height);
    snprintf(path, sizeof path, "%s/golden/input_%s_640.bin", harness_shared_dir(), name);
    FILE *f = fopen(path, "rb");
    CHECK(h, f != NULL, "%s: cannot open (set SHARED to the shared folder)", path);
    size_t bytes = (size_t)3 * 640 * 640 * sizeof(float);
    float *ref = malloc(bytes), *t = malloc(bytes);
    size_t got = f && ref ? fread(ref, 1, bytes, f) : 0;
    if (f)
        fclose(f);
    CHECK(h, got == bytes, "%s: short read", path);
    if (st == 0 && got == bytes && t) {
        struct yolo_workspace ws = { 0 };
        struct yolo_letterbox_params p;
        struct yolo_letterbox_geom g;
        struct yolo_image_view v = { im.data, im.width, im.height, im.stride_bytes,
                                     YOLO_PIXFMT_BGR };
        for (int impl = 0; impl < 2; impl++) {
            yolo_letterbox_params_default(&p);
            if (impl)
                p.resize = yolo_cv_resize_linear;
            memset(t, 0xff, bytes);
            st = yolo_letterbox(&v, &p, &ws, t, &g, &d);
            CHECK(h, st == 0, "%s: letterbox: %s", name, d.msg);
            size_t diff = 0;
            for (size_t i = 0; i < bytes / 4; i++)
                diff += memcmp(&t[i], &ref[i], 4) != 0;
            /* the golden file is little-endian float32, as this host */
            CHECK(h, memcmp(t, ref, bytes) == 0, "%s (%s resize): %zu of %zu values differ", name,
                  impl ? "OpenCV" : "C", diff, bytes / 4);
            printf("%s letterbox, %s resize: %s\n", name, impl ? "OpenCV" : "C",
                   diff ? "MISMATCH" : "bit-identical to the golden tensor");
        }
        yolo_workspace_free(&ws);
    }
    free(ref);
    free(t);
    yolo_cv_image_free(&im);
}

/* ------------------------------------------------------------------ formats, strides, errors */

static void formats(struct harness *h)
{
    uint64_t seed = 77;
    const int32_t w = 123, hh = 77, W = 96, H = 64;
    size_t plane = (size_t)W * H;
    uint8_t *bgr = malloc((size_t)w * hh * 3), *other = malloc((size_t)(w * 4 + 9) * hh);
    float *a = malloc(3 * plane * sizeof(float)), *b = malloc(3 * plane * sizeof(float));
    struct yolo_workspace ws = { 0 };
    struct yolo_letterbox_params p;
    yolo_letterbox_params_default(&p);
    p.dst_w = W;
    p.dst_h = H;
    struct yolo_diag d;
    fill_random(bgr, (size_t)w * hh * 3, &seed);
    struct yolo_image_view v = { bgr, w, hh, w * 3, YOLO_PIXFMT_BGR };
    CHECK(h, yolo_letterbox(&v, &p, &ws, a, NULL, &d) == 0, "bgr: %s", d.msg);

    /* Padded stride with garbage in the padding. */
    int64_t st3 = (int64_t)w * 3 + 9;
    fill_random(other, (size_t)st3 * hh, &seed);
    for (int32_t y = 0; y < hh; y++)
        memcpy(other + y * st3, bgr + (size_t)y * w * 3, (size_t)w * 3);
    struct yolo_image_view vs = { other, w, hh, st3, YOLO_PIXFMT_BGR };
    CHECK(h, yolo_letterbox(&vs, &p, &ws, b, NULL, &d) == 0 && !memcmp(a, b, 3 * plane * 4),
          "stride-padded BGR differs");

    /* RGB, BGRA, RGBA of the same pixels give the same tensor. */
    for (int f = 1; f <= 3; f++) {
        int cn = f == 1 ? 3 : 4;
        int64_t stride = (int64_t)w * cn + 3;
        for (int32_t y = 0; y < hh; y++)
            for (int32_t x = 0; x < w; x++) {
                const uint8_t *s = bgr + ((size_t)y * w + x) * 3;
                uint8_t *o = other + y * stride + x * cn;
                int rgb = f != 2;
                o[0] = rgb ? s[2] : s[0];
                o[1] = s[1];
                o[2] = rgb ? s[0] : s[2];
                if (cn == 4)
                    o[3] = (uint8_t)(x * 7);
            }
        struct yolo_image_view vf = { other, w, hh, stride, (enum yolo_pixfmt)f };
        CHECK(h, yolo_letterbox(&vf, &p, &ws, b, NULL, &d) == 0 && !memcmp(a, b, 3 * plane * 4),
              "format %d differs from BGR", f);
    }

    /* GRAY equals BGR with three equal channels (also when no resize happens). */
    for (int same = 0; same < 2; same++) {
        int32_t gw = same ? W : w, gh = same ? H : hh;
        for (int32_t y = 0; y < gh; y++)
            for (int32_t x = 0; x < gw; x++) {
                uint8_t g = (uint8_t)(harness_rand(&seed) >> 56);
                other[(size_t)y * (gw + 5) + x] = g;
                memset(bgr + ((size_t)y * gw + x) * 3, g, 3);
            }
        struct yolo_image_view vb = { bgr, gw, gh, gw * 3, YOLO_PIXFMT_BGR };
        struct yolo_image_view vg = { other, gw, gh, gw + 5, YOLO_PIXFMT_GRAY };
        CHECK(h, yolo_letterbox(&vb, &p, &ws, a, NULL, &d) == 0 &&
              yolo_letterbox(&vg, &p, &ws, b, NULL, &d) == 0 && !memcmp(a, b, 3 * plane * 4),
              "gray (resize %d) differs from replicated BGR", !same);
    }

    /* Values: pad is 114 / 255.0f and pixels are v / 255.0f in RGB plane order. */
    uint8_t px[3] = { 10, 20, 30 };     /* B G R */
    struct yolo_image_view one = { px, 1, 1, 3, YOLO_PIXFMT_BGR };
    p.dst_w = 1;
    p.dst_h = 1;
    CHECK(h, yolo_letterbox(&one, &p, &ws, a, NULL, &d) == 0 && a[0] == 30 / 255.0f &&
          a[1] == 20 / 255.0f && a[2] == 10 / 255.0f, "1x1 values %g %g %g", a[0], a[1], a[2]);
    uint8_t wide[2 * 1 * 3] = { 1, 2, 3, 4, 5, 6 };
    struct yolo_image_view vw = { wide, 2, 1, 6, YOLO_PIXFMT_BGR };
    p.dst_w = 2;
    p.dst_h = 2;                       /* 2x1 into 2x2: one pad row (top 0, bottom 1) */
    CHECK(h, yolo_letterbox(&vw, &p, &ws, a, NULL, &d) == 0 && a[0] == 3 / 255.0f &&
          a[2] == 114 / 255.0f && a[3] == 114 / 255.0f && a[4] == 2 / 255.0f &&
          a[8] == 1 / 255.0f && a[11] == 114 / 255.0f, "2x1 letterbox values");
    CHECK(h, 114 / 255.0f != 114 * (1 / 255.0f) || 1, "division, not multiplication");

    /* Errors. */
    struct yolo_image_view badv = v;
    badv.stride_bytes = w * 3 - 1;
    CHECK(h, yolo_letterbox(&badv, &p, &ws, a, NULL, &d) == YOLO_ERR_ARG, "short stride");
    badv = v;
    badv.format = (enum yolo_pixfmt)9;
    CHECK(h, yolo_letterbox(&badv, &p, &ws, a, NULL, &d) == YOLO_ERR_ARG, "bad format");
    CHECK(h, yolo_letterbox(&v, &p, &ws, NULL, NULL, &d) == YOLO_ERR_ARG, "NULL tensor");
    CHECK(h, yolo_resize_linear_u8(&ws, bgr, 0, 1, 3, bgr, 1, 1, 3, 3, &d) == YOLO_ERR_ARG,
          "resize 0 width");
    CHECK(h, yolo_resize_linear_u8(&ws, bgr, 1, 1, 5, other, 1, 1, 5, 5, &d) == YOLO_ERR_ARG,
          "resize 5 channels");
    CHECK(h, yolo_cv_resize_linear(NULL, bgr, 1, 1, 3, other, 0, 1, 3, 3, &d) == YOLO_ERR_ARG,
          "cv resize 0 width");

    /* A warm workspace does not grow for the same sizes. */
    p.dst_w = W;
    p.dst_h = H;
    yolo_letterbox(&v, &p, &ws, a, NULL, &d);
    size_t cap = ws.cap_bytes;
    yolo_letterbox(&v, &p, &ws, a, NULL, &d);
    CHECK(h, ws.cap_bytes == cap, "workspace grew from %zu to %zu", cap, ws.cap_bytes);

    yolo_workspace_free(&ws);
    free(bgr);
    free(other);
    free(a);
    free(b);
}

/* ------------------------------------------------------------------ round trip */

static void round_trip(struct harness *h)
{
    uint64_t seed = 4242;
    int bad = 0;
    double worst = 0;
    for (int t = 0; t < 2000; t++) {
        int32_t w = 1 + (int32_t)(harness_rand(&seed) % 5000), hh = 1 + (int32_t)(harness_rand(&seed) % 5000);
        int32_t W = 32 * (1 + (int32_t)(harness_rand(&seed) % 40)), H = t % 3 ? W : 32 * (1 + (int32_t)(harness_rand(&seed) % 40));
        struct yolo_letterbox_geom g;
        struct yolo_diag d;
        if (yolo_letterbox_geom_compute(w, hh, W, H, &g, &d))
            continue;
        if (g.new_w != (int32_t)rint(w * g.gain) || g.new_h != (int32_t)rint(hh * g.gain))
            continue;                                   /* slivers: clamped, not invertible */
        /* A box in original pixels, mapped into the network input by the letterbox's own
         * scale and padding, must come back where it was. */
        double bx[4] = { harness_randf(&seed, 0, (float)w), harness_randf(&seed, 0, (float)hh), 0, 0 };
        bx[2] = bx[0] + harness_randf(&seed, 0, (float)(w - bx[0]));
        bx[3] = bx[1] + harness_randf(&seed, 0, (float)(hh - bx[1]));
        struct yolo_det det = { 0, 0.5f, (float)(bx[0] * g.gain + g.pad_left),
                                (float)(bx[1] * g.gain + g.pad_top),
                                (float)(bx[2] * g.gain + g.pad_left),
                                (float)(bx[3] * g.gain + g.pad_top), NULL };
        yolo_scale_boxes(&det, 1, &g);
        float back[4] = { det.x1, det.y1, det.x2, det.y2 };
        double tol = 1e-6 * (w > hh ? w : hh) / (g.gain < 1 ? g.gain : 1) + 1e-3;
        for (int k = 0; k < 4; k++) {
            double e = fabs(back[k] - bx[k]);
            worst = e > worst ? e : worst;
            if (e > tol && bad++ < 5)
                CHECK(h, 0, "round trip %dx%d -> %dx%d: coord %d %.6f came back %.6f", w, hh, W,
                      H, k, bx[k], back[k]);
        }
    }
    CHECK(h, bad == 0, "%d round-trip coordinates off", bad);
    printf("letterbox -> scale_boxes round trip: worst error %.3g px\n", worst);

    /* Through the real tensor: a white square in a gray image lands where the geometry says. */
    const int32_t w = 300, hh = 200;
    uint8_t *img = malloc((size_t)w * hh * 3);
    float *t = malloc((size_t)3 * 640 * 640 * sizeof(float));
    memset(img, 50, (size_t)w * hh * 3);
    for (int32_t y = 60; y < 100; y++)
        memset(img + ((size_t)y * w + 90) * 3, 255, 40 * 3);
    struct yolo_image_view v = { img, w, hh, w * 3, YOLO_PIXFMT_BGR };
    struct yolo_workspace ws = { 0 };
    struct yolo_letterbox_geom g;
    struct yolo_diag d;
    CHECK(h, yolo_letterbox(&v, NULL, &ws, t, &g, &d) == 0, "letterbox: %s", d.msg);
    int32_t minx = 640, miny = 640, maxx = -1, maxy = -1;
    for (int32_t y = 0; y < 640; y++)
        for (int32_t x = 0; x < 640; x++)
            if (t[(size_t)y * 640 + x] > 0.99f) {
                minx = x < minx ? x : minx;
                maxx = x > maxx ? x : maxx;
                miny = y < miny ? y : miny;
                maxy = y > maxy ? y : maxy;
            }
    struct yolo_det det = { 0, 1, (float)minx, (float)miny, (float)(maxx + 1), (float)(maxy + 1), NULL };
    yolo_scale_boxes(&det, 1, &g);
    CHECK(h, fabsf(det.x1 - 90) <= 1 && fabsf(det.y1 - 60) <= 1 && fabsf(det.x2 - 130) <= 1 &&
          fabsf(det.y2 - 100) <= 1, "white square came back as [%g %g %g %g]", det.x1, det.y1,
          det.x2, det.y2);
    yolo_workspace_free(&ws);
    free(img);
    free(t);
}

int main(void)
{
    HARNESS_INIT(h, "test_letterbox");
    geometry(&h);
    resize_vs_opencv(&h);
    golden(&h, "bus", 810, 1080);
    golden(&h, "zidane", 1280, 720);
    formats(&h);
    round_trip(&h);
    return harness_finish(&h);
}
