/* test_image_limits.c: bounded work per image and sane end-to-end outputs (issue 17, items 3
 * and 5).
 *   - A progressive JPEG made of many tiny scans (each an end-of-band run over every block,
 *     12 bytes on disk, a pass over the whole image for the decoder) is refused before
 *     decoding when it has more than YOLO_JPEG_MAX_SCANS scans, with a message naming the
 *     file; the same image with 20 scans decodes. Before, 30,000 scans of a 514 KB file kept
 *     the decoder busy for 67 s.
 *   - An end-to-end (v10-style [1, N, 6]) model whose rows carry class ids outside its
 *     classes (1000000000, -1, 80), NaN or infinite boxes and an infinite score: yolo_detect
 *     keeps only the valid rows and counts the others in yolo_result.n_invalid (before, they
 *     came out with the name "?" and as null coordinates).
 * `test_image_limits --jpeg-scans N W H OUT.jpg` writes such a JPEG (for timing by hand). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "image_probe.h"
#include "onnx_writer.h"
#include "yolo.h"
#include "clock.h"

/* ------------------------------------------------------------------ JPEG writer */

struct bits { uint8_t *p; size_t n, cap; uint32_t acc; int nacc; };

static void put_byte(struct bits *b, uint8_t v)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 4096;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    b->p[b->n++] = v;
}

static void put16(struct bits *b, uint32_t v)
{
    put_byte(b, (uint8_t)(v >> 8));
    put_byte(b, (uint8_t)v);
}

/* entropy-coded bits, MSB first, 0xFF stuffed with 0x00 */
static void put_bits(struct bits *b, uint32_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        b->acc = b->acc << 1 | ((v >> i) & 1);
        if (++b->nacc == 8) {
            put_byte(b, (uint8_t)b->acc);
            if ((b->acc & 0xFF) == 0xFF)
                put_byte(b, 0);
            b->acc = 0;
            b->nacc = 0;
        }
    }
}

static void flush_bits(struct bits *b)
{
    while (b->nacc)
        put_bits(b, 1, 1);    /* pad with ones */
}

static void sos(struct bits *b, int ss, int se)
{
    put16(b, 0xFFDA);
    put16(b, 8);
    put_byte(b, 1);           /* one component */
    put_byte(b, 1);
    put_byte(b, 0x00);        /* DC table 0, AC table 0 */
    put_byte(b, (uint8_t)ss);
    put_byte(b, (uint8_t)se);
    put_byte(b, 0x00);        /* Ah = Al = 0 */
}

/* A w x h (multiples of 8) gray progressive JPEG: a DC scan (every block 0), then
 * `ac_scans` AC scans of the band 1..63, each one end-of-band run over all the blocks.
 * Huffman tables with one 1-bit code each: DC category 0, AC EOB run 2^14 (EOB14). */
static uint8_t *jpeg_scans(int w, int h, int ac_scans, size_t *len)
{
    struct bits b = { 0 };
    put16(&b, 0xFFD8);
    put16(&b, 0xFFDB);        /* DQT: all ones */
    put16(&b, 67);
    put_byte(&b, 0);
    for (int i = 0; i < 64; i++)
        put_byte(&b, 1);
    put16(&b, 0xFFC2);        /* SOF2 */
    put16(&b, 11);
    put_byte(&b, 8);
    put16(&b, (uint32_t)h);
    put16(&b, (uint32_t)w);
    put_byte(&b, 1);
    put_byte(&b, 1);
    put_byte(&b, 0x11);
    put_byte(&b, 0);
    for (int t = 0; t < 2; t++) {   /* DHT: DC 0 -> symbol 0x00; AC 0 -> symbol 0xE0 */
        put16(&b, 0xFFC4);
        put16(&b, 20);
        put_byte(&b, t ? 0x10 : 0x00);
        put_byte(&b, 1);
        for (int i = 1; i < 16; i++)
            put_byte(&b, 0);
        put_byte(&b, t ? 0xE0 : 0x00);
    }
    int64_t blocks = (int64_t)(w / 8) * (h / 8);
    sos(&b, 0, 0);
    for (int64_t i = 0; i < blocks; i++)
        put_bits(&b, 0, 1);
    flush_bits(&b);
    for (int s = 0; s < ac_scans; s++) {
        sos(&b, 1, 63);
        /* EOB runs of 16384 blocks (code 0 + 14 zero bits); the last run may cover more
         * blocks than are left, which decoders accept */
        for (int64_t left = blocks; left > 0; left -= 16384)
            put_bits(&b, 0, 15);
        flush_bits(&b);
    }
    put16(&b, 0xFFD9);
    *len = b.n;
    return b.p;
}

static void jpeg_cases(struct harness *h, const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/scans.jpg", dir);
    static const int scans[] = { 20, YOLO_JPEG_MAX_SCANS, 2000 };
    for (size_t k = 0; k < sizeof scans / sizeof *scans; k++) {
        size_t n;
        uint8_t *b = jpeg_scans(512, 512, scans[k] - 1, &n);
        CHECK(h, harness_write_file(path, b, n) == 0, "cannot write %s", path);
        free(b);
        struct yolo_image im = { 0 };
        struct yolo_diag d = { 0 };
        double t0 = (yolo_now_ms() / 1e3);
        int rc = yolo_image_read_limited(path, 100000000, &im, &d);
        double dt = (yolo_now_ms() / 1e3) - t0;
        printf("JPEG 512x512, %d scans, %zu bytes: %s in %.3f s%s%s\n", scans[k], n,
               rc ? "refused" : "decoded", dt, rc ? ": " : "", rc ? d.msg : "");
        if (scans[k] <= YOLO_JPEG_MAX_SCANS) {
            CHECK(h, rc == 0 && im.width == 512 && im.height == 512, "%d scans: %s", scans[k], d.msg);
        } else {
            CHECK(h, rc == YOLO_ERR_UNSUPPORTED && strstr(d.msg, path) && strstr(d.msg, "scans"),
                  "%d scans: status %d, '%s' (want a refusal naming the file and its scans)",
                  scans[k], rc, d.msg);
        }
        yolo_image_free(&im);
    }
    unlink(path);
}

/* ------------------------------------------------------------------ end-to-end outputs */

/* x [1, 3, 32, 32] -> Reshape [1, 512, 6] -> Mul 0 -> Add ROWS: an end-to-end head whose
 * output is the constant ROWS whatever the image: 2 valid rows, 6 broken ones (written
 * alone with --e2e-onnx for the CLI tests: yolo video's warning). */
static int write_e2e_onnx(const char *onnx)
{
    static float rows[512 * 6];
    const float inf = INFINITY, nan = NAN;
    const float set[][6] = {
        { 2, 2, 10, 10, 0.9f, 3 },            /* valid */
        { 4, 4, 12, 12, 0.9f, 1e9f },         /* class 1000000000 */
        { 4, 4, 12, 12, 0.8f, -1 },           /* class -1 */
        { 4, 4, 12, 12, 0.8f, 80 },           /* class 80 of 80 */
        { nan, 4, 12, 12, 0.8f, 2 },          /* NaN box */
        { 4, 4, inf, 12, 0.8f, 2 },           /* infinite box */
        { 4, 4, 12, 12, inf, 2 },             /* infinite score */
        { 20, 20, 30, 30, 0.7f, 79 },         /* valid */
        { 4, 4, 12, 12, 0.1f, 1e9f },         /* under conf: not a candidate, not counted */
    };
    memcpy(rows, set, sizeof set);
    struct onnx_writer *w = onnx_writer_create(13);
    int64_t xd[4] = { 1, 3, 32, 32 }, sd[1] = { 3 }, shape[3] = { 1, 512, 6 }, rd[3] = { 1, 512, 6 };
    int64_t zd[1] = { 1 };
    const float zero = 0;
    onnx_writer_input(w, "images", YOLO_DT_F32, 4, xd);
    onnx_writer_initializer_i64(w, "shape", 1, sd, shape);
    onnx_writer_initializer_f32(w, "zero", 1, zd, &zero);
    onnx_writer_initializer_f32(w, "rows", 3, rd, rows);
    const char *r_in[2] = { "images", "shape" }, *r_out[1] = { "r" };
    const char *m_in[2] = { "r", "zero" }, *m_out[1] = { "m" };
    const char *a_in[2] = { "m", "rows" }, *a_out[1] = { "output0" };
    onnx_writer_node(w, "Reshape", "reshape", 2, r_in, 1, r_out);
    onnx_writer_node(w, "Mul", "mul", 2, m_in, 1, m_out);
    onnx_writer_node(w, "Add", "add", 2, a_in, 1, a_out);
    onnx_writer_output(w, "output0", YOLO_DT_F32);
    onnx_writer_metadata(w, "stride", "32");
    int wrc = onnx_writer_save(w, onnx);
    onnx_writer_free(w);
    return wrc;
}

static void e2e_cases(struct harness *h, const char *dir)
{
    char onnx[600], engine[600];
    snprintf(onnx, sizeof onnx, "%s/e2e.onnx", dir);
    snprintf(engine, sizeof engine, "%s/e2e.engine", dir);
    int wrc = write_e2e_onnx(onnx);
    CHECK(h, wrc == 0, "cannot write %s", onnx);
    struct yolo_diag d = { 0 };
    struct yolo_build_report rep;
    int rc = yolo_build(onnx, engine, NULL, &rep, &d);
    CHECK(h, rc == 0 && strcmp(rep.format, "e2e") == 0 && rep.n_classes == 80,
          "e2e model: %s (format '%s', %d classes)", d.msg, rc ? "" : rep.format, rc ? 0 : rep.n_classes);
    struct yolo_model *m = NULL;
    struct yolo_ctx *c = NULL;
    if (!rc)
        rc = yolo_model_load(engine, NULL, &m, &d);
    if (!rc)
        rc = yolo_ctx_create(m, NULL, &c, &d);
    CHECK(h, rc == 0, "e2e model: %s", d.msg);
    if (!rc) {
        static uint8_t px[32 * 32 * 3];
        struct yolo_image im = { px, 32, 32, 96, YOLO_PIXEL_BGR };
        struct yolo_result r;
        memset(&r, 0, sizeof r);
        rc = yolo_detect(c, &im, &r, &d);
        CHECK(h, rc == 0, "e2e detect: %s", d.msg);
        int bad = 0;
        for (int32_t i = 0; !rc && i < r.n_dets; i++) {
            const struct yolo_det *t = &r.dets[i];
            printf("  det %d: class %d '%s' conf %g box %g %g %g %g\n", i, t->cls,
                   t->name ? t->name : "(null)", t->conf, t->x1, t->y1, t->x2, t->y2);
            bad += t->cls < 0 || t->cls >= 80 || !t->name || strcmp(t->name, "?") == 0 ||
                   !isfinite(t->conf) || !isfinite(t->x1) || !isfinite(t->y1) || !isfinite(t->x2) ||
                   !isfinite(t->y2);
        }
        CHECK(h, rc || (r.n_dets == 2 && bad == 0), "e2e detect: %d detections, %d of them with a "
              "class outside 0..79 or a non-finite value (want the 2 valid rows)", r.n_dets, bad);
        CHECK(h, rc || r.n_invalid == 6, "e2e detect: %d rows counted invalid, want 6",
              r.n_invalid);
    }
    yolo_ctx_free(c);
    yolo_model_free(m);
    unlink(onnx);
    unlink(engine);
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "--jpeg-scans") == 0) {
        size_t n;
        uint8_t *b = jpeg_scans(atoi(argv[3]), atoi(argv[4]), atoi(argv[2]) - 1, &n);
        int rc = harness_write_file(argv[5], b, n);
        free(b);
        return rc ? 1 : 0;
    }
    if (argc == 3 && strcmp(argv[1], "--e2e-onnx") == 0)
        return write_e2e_onnx(argv[2]) ? 1 : 0;
    HARNESS_INIT(h, "test_image_limits");
    char dir[] = "/tmp/yolo-image-limits.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    jpeg_cases(&h, dir);
    e2e_cases(&h, dir);
    rmdir(dir);
    return harness_finish(&h);
}
