/* test_cv_adapter.c: the OpenCV adapter's C API. Reading (missing file, garbage, empty file,
 * bus.jpg), decoding from memory, buffer reuse, EXIF orientation (a JPEG with an APP1
 * orientation tag spliced in comes back rotated, as cv2.imread gives it), lossless PNG round
 * trips (BGR, gray, BGRA), JPEG quality, atomic writes (no temporary left behind, an existing
 * file replaced), unknown extensions, unwritable paths, and cv::resize errors as statuses.
 * Files go to a fresh directory under $TMPDIR (default /tmp). Env SHARED as the other tests. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "../detect/cv_adapter.h"

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* A 40x20 BGR image: left half red, right half blue, with a green top-left corner block. */
static void make_image(uint8_t *p, int32_t w, int32_t h)
{
    for (int32_t y = 0; y < h; y++)
        for (int32_t x = 0; x < w; x++) {
            uint8_t *q = p + ((size_t)y * w + x) * 3;
            int green = x < 8 && y < 8, left = x < w / 2;
            q[0] = green ? 0 : left ? 0 : 255;
            q[1] = green ? 255 : 0;
            q[2] = green ? 0 : left ? 255 : 0;
        }
}

static int near(const uint8_t *p, int b, int g, int r)
{
    return abs(p[0] - b) < 60 && abs(p[1] - g) < 60 && abs(p[2] - r) < 60;
}

static void reading(struct harness *h, const char *dir)
{
    struct yolo_cv_image im = { 0 };
    struct yolo_diag d = { 0 };
    char path[1024];

    snprintf(path, sizeof path, "%s/missing.jpg", dir);
    CHECK(h, yolo_cv_image_read(path, &im, &d) == YOLO_ERR_IO && strstr(d.msg, path) == d.msg &&
          strstr(d.msg, "cannot open file"), "missing: %s", d.msg);

    snprintf(path, sizeof path, "%s/x.jpg", dir);
    harness_write_file(path, "this is not an image\n", 21);
    CHECK(h, yolo_cv_image_read(path, &im, &d) == YOLO_ERR_FORMAT &&
          strstr(d.msg, "x.jpg: cannot decode image") && im.width == 0, "garbage: %s", d.msg);
    harness_write_file(path, "", 0);
    CHECK(h, yolo_cv_image_read(path, &im, &d) == YOLO_ERR_FORMAT, "empty: %s", d.msg);
    CHECK(h, yolo_cv_image_read(NULL, &im, &d) == YOLO_ERR_ARG, "NULL path");
    CHECK(h, yolo_cv_image_read(dir, &im, &d) != YOLO_OK, "a directory: %s", d.msg);

    snprintf(path, sizeof path, "%s/data/images/bus.jpg", harness_shared_dir());
    CHECK(h, yolo_cv_image_read(path, &im, &d) == 0 && im.width == 810 && im.height == 1080 &&
          im.stride_bytes == 810 * 3, "bus.jpg: %s %dx%d", d.msg, im.width, im.height);
    /* Reading the same size again reuses the buffer. */
    uint8_t *first = im.data;
    CHECK(h, yolo_cv_image_read(path, &im, &d) == 0 && im.data == first, "buffer reused");
    size_t n = 0;
    char *bytes = harness_read_file(path, &n);
    struct yolo_cv_image mem = { 0 };
    CHECK(h, bytes && yolo_cv_image_decode(bytes, n, "bus", &mem, &d) == 0 &&
          mem.width == im.width && mem.height == im.height &&
          !memcmp(mem.data, im.data, (size_t)im.stride_bytes * im.height), "decode from memory");
    CHECK(h, yolo_cv_image_decode(bytes, 100, NULL, &mem, &d) == YOLO_ERR_FORMAT &&
          strstr(d.msg, "image: cannot decode image"), "truncated: %s", d.msg);
    free(bytes);
    yolo_cv_image_free(&mem);
    yolo_cv_image_free(&im);
    yolo_cv_image_free(NULL);
}

/* Splices an APP1 Exif segment with Orientation = `orient` right after the JPEG's SOI. */
static size_t add_exif(const uint8_t *jpg, size_t n, uint8_t *out, int orient)
{
    static const uint8_t head[] = {
        0xFF, 0xE1, 0x00, 0x22,                         /* APP1, length 34 */
        'E', 'x', 'i', 'f', 0, 0,
        'M', 'M', 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08,   /* big-endian TIFF, IFD0 at 8 */
        0x00, 0x01,                                     /* one entry */
        0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, /* Orientation, SHORT, count 1 */
        0x00, 0x00, 0x00, 0x00,                         /* value (set below) */
        0x00, 0x00, 0x00, 0x00,                         /* no next IFD */
    };
    memcpy(out, jpg, 2);
    memcpy(out + 2, head, sizeof head);
    out[2 + 29] = (uint8_t)orient;   /* big-endian SHORT: first two bytes of the field */
    memcpy(out + 2 + sizeof head, jpg + 2, n - 2);
    return n + sizeof head;
}

static void writing(struct harness *h, const char *dir)
{
    const int32_t w = 40, hh = 20;
    uint8_t img[40 * 20 * 3];
    make_image(img, w, hh);
    struct yolo_cv_image im = { 0 };
    struct yolo_diag d = { 0 };
    char path[1024];

    /* PNG is lossless: exact round trip, also with a padded stride. */
    uint8_t padded[20 * (40 * 3 + 5)];
    for (int32_t y = 0; y < hh; y++) {
        memcpy(padded + y * (w * 3 + 5), img + y * w * 3, (size_t)w * 3);
        memset(padded + y * (w * 3 + 5) + w * 3, 0x5A, 5);
    }
    snprintf(path, sizeof path, "%s/a.PNG", dir);
    CHECK(h, yolo_cv_image_write(path, padded, w, hh, w * 3 + 5, 3, 0, &d) == 0, "png: %s", d.msg);
    CHECK(h, yolo_cv_image_read(path, &im, &d) == 0 && im.width == w && im.height == hh &&
          !memcmp(im.data, img, sizeof img), "png round trip: %s", d.msg);

    /* Overwrite an existing file; no temporary is left behind. */
    int before = count_entries(dir);
    uint8_t img2[sizeof img];
    memset(img2, 7, sizeof img2);
    CHECK(h, yolo_cv_image_write(path, img2, w, hh, w * 3, 3, 0, &d) == 0 &&
          yolo_cv_image_read(path, &im, &d) == 0 && !memcmp(im.data, img2, sizeof img2),
          "overwrite: %s", d.msg);
    CHECK(h, count_entries(dir) == before, "temporary left behind: %d entries, %d before",
          count_entries(dir), before);

    /* Gray and BGRA inputs come back as BGR (IMREAD_COLOR). */
    uint8_t gray[40 * 20], bgra[40 * 20 * 4];
    for (int i = 0; i < w * hh; i++) {
        gray[i] = (uint8_t)i;
        bgra[4 * i] = 1;
        bgra[4 * i + 1] = 2;
        bgra[4 * i + 2] = 3;
        bgra[4 * i + 3] = (uint8_t)i;
    }
    snprintf(path, sizeof path, "%s/g.png", dir);
    CHECK(h, yolo_cv_image_write(path, gray, w, hh, w, 1, 0, &d) == 0 &&
          yolo_cv_image_read(path, &im, &d) == 0 && im.data[3 * 77] == 77 &&
          im.data[3 * 77 + 1] == 77 && im.data[3 * 77 + 2] == 77, "gray png: %s", d.msg);
    CHECK(h, yolo_cv_image_write(path, bgra, w, hh, w * 4, 4, 0, &d) == 0 &&
          yolo_cv_image_read(path, &im, &d) == 0 && im.data[0] == 1 && im.data[1] == 2 &&
          im.data[2] == 3, "bgra png: %s", d.msg);

    /* JPEG: quality changes the size; the picture survives. */
    char p90[1024], p20[1024];
    snprintf(p90, sizeof p90, "%s/q90.jpg", dir);
    snprintf(p20, sizeof p20, "%s/q20.jpeg", dir);
    size_t n90 = 0, n20 = 0;
    CHECK(h, yolo_cv_image_write(p90, img, w, hh, w * 3, 3, 90, &d) == 0 &&
          yolo_cv_image_write(p20, img, w, hh, w * 3, 3, 20, &d) == 0, "jpeg: %s", d.msg);
    char *b90 = harness_read_file(p90, &n90), *b20 = harness_read_file(p20, &n20);
    CHECK(h, b90 && b20 && n20 < n90, "jpeg sizes q90 %zu q20 %zu", n90, n20);
    CHECK(h, yolo_cv_image_read(p90, &im, &d) == 0 && im.width == w && im.height == hh &&
          near(im.data + (10 * w + 30) * 3, 255, 0, 0) && near(im.data + (10 * w + 12) * 3, 0, 0, 255),
          "jpeg content");

    /* EXIF orientation 6 (rotate 90 degrees clockwise): 40x20 becomes 20x40, and the green
     * top-left block moves to the top-right. Orientation 1 changes nothing. */
    if (b90) {
        uint8_t *ex = malloc(n90 + 64);
        char pe[1024];
        snprintf(pe, sizeof pe, "%s/exif.jpg", dir);
        size_t ne = add_exif((const uint8_t *)b90, n90, ex, 6);
        harness_write_file(pe, ex, ne);
        int st = yolo_cv_image_read(pe, &im, &d);
        CHECK(h, st == 0 && im.width == hh && im.height == w, "exif 6: %s %dx%d", d.msg, im.width,
              im.height);
        if (st == 0 && im.width == hh)
            CHECK(h, near(im.data + (2 * im.width + im.width - 3) * 3, 0, 255, 0) &&
                  near(im.data + (2 * im.width + 2) * 3, 0, 0, 255), "exif 6 content");
        ne = add_exif((const uint8_t *)b90, n90, ex, 1);
        harness_write_file(pe, ex, ne);
        CHECK(h, yolo_cv_image_read(pe, &im, &d) == 0 && im.width == w && im.height == hh,
              "exif 1: %dx%d", im.width, im.height);
        free(ex);
    }
    free(b90);
    free(b20);

    /* Errors. */
    int entries = count_entries(dir);
    snprintf(path, sizeof path, "%s/a.xyz", dir);
    CHECK(h, yolo_cv_image_write(path, img, w, hh, w * 3, 3, 0, &d) == YOLO_ERR_ARG &&
          strstr(d.msg, "unknown image format"), "unknown ext: %s", d.msg);
    snprintf(path, sizeof path, "%s/noext", dir);
    CHECK(h, yolo_cv_image_write(path, img, w, hh, w * 3, 3, 0, &d) == YOLO_ERR_ARG,
          "no ext: %s", d.msg);
    snprintf(path, sizeof path, "%s/no/such/dir/a.png", dir);
    CHECK(h, yolo_cv_image_write(path, img, w, hh, w * 3, 3, 0, &d) == YOLO_ERR_IO &&
          strstr(d.msg, "cannot create file"), "missing dir: %s", d.msg);
    snprintf(path, sizeof path, "%s/b.png", dir);
    CHECK(h, yolo_cv_image_write(path, img, 0, hh, w * 3, 3, 0, &d) == YOLO_ERR_ARG, "0 width");
    CHECK(h, yolo_cv_image_write(path, img, w, hh, w * 3 - 1, 3, 0, &d) == YOLO_ERR_ARG, "stride");
    CHECK(h, yolo_cv_image_write(path, img, w, hh, w * 3, 2, 0, &d) == YOLO_ERR_ARG, "2 channels");
    CHECK(h, yolo_cv_image_write(path, img, w, hh, w * 3, 3, 101, &d) == YOLO_ERR_ARG, "quality");
    CHECK(h, count_entries(dir) == entries, "failed writes left files behind");

    /* A new name (linked in whole from an unnamed file) and a replaced one (through a temp
     * name and rename): one entry each time, no temp left, the mode a plain create gives. */
    snprintf(path, sizeof path, "%s/c.png", dir);
    CHECK(h, yolo_cv_image_write(path, img, w, hh, w * 3, 3, 0, &d) == 0, "c.png: %s", d.msg);
    CHECK(h, yolo_cv_image_write(path, img, 2, 2, w * 3, 3, 0, &d) == 0, "c.png again: %s", d.msg);
    CHECK(h, yolo_cv_image_read(path, &im, &d) == 0 && im.width == 2 && im.height == 2,
          "replaced c.png: %dx%d", im.width, im.height);
    CHECK(h, count_entries(dir) == entries + 1, "writes left %d entries, expected %d",
          count_entries(dir), entries + 1);
    mode_t mask = umask(0);
    umask(mask);
    struct stat st;
    CHECK(h, stat(path, &st) == 0 && (st.st_mode & 0777) == (0666 & ~mask), "c.png mode %o, umask %o",
          (unsigned)(st.st_mode & 0777), (unsigned)mask);

    /* cv::resize errors come back as statuses, never as exceptions. */
    uint8_t out[16];
    CHECK(h, yolo_cv_resize_linear(NULL, img, w, hh, w * 3, out, 2, 2, 6, 3, &d) == 0, "resize ok");
    CHECK(h, yolo_cv_resize_linear(NULL, img, w, hh, w * 3, out, 2, 2, 6, 5, &d) == YOLO_ERR_ARG,
          "resize 5 channels");
    yolo_cv_image_free(&im);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[1024];
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

int main(void)
{
    HARNESS_INIT(h, "test_cv_adapter");
    const char *tmp = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/yolo_test_cv_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    CHECK(&h, mkdtemp(dir) != NULL, "mkdtemp %s", dir);
    reading(&h, dir);
    writing(&h, dir);
    remove_dir(dir);
    return harness_finish(&h);
}
