/* gen_corpus.c: writes the fuzz seed corpus, tests/fuzz/corpus/<target>/ (run by
 * tests/fuzz/make_corpus.sh; the output is committed, so this runs only when the formats
 * change). Small valid files of each kind, then truncations and bit flips of them, and a
 * few known-bad shapes. Names tell test_fuzz_regress what to expect: "ok-*" must be
 * accepted, "bad-*" refused, anything else only must not crash. Deterministic (seed 5),
 * except the engines' builder metadata (version, commit). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cv_adapter.h"
#include "frame_headers.h"
#include "harness.h"
#include "onnx_writer.h"
#include "tiny_model.h"
#include "yolo.h"

static const char *out_dir;
static uint64_t rng = 5;

static int put(const char *target, const char *name, const void *data, size_t n)
{
    char dir[1024], path[1200];
    snprintf(dir, sizeof dir, "%s/%s", out_dir, target);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return -1;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int bad = n && fwrite(data, 1, n, f) != n;
    bad |= fclose(f) != 0;
    if (bad)
        fprintf(stderr, "gen_corpus: cannot write %s\n", path);
    return bad ? -1 : 0;
}

static int put_str(const char *target, const char *name, const char *s)
{
    return put(target, name, s, strlen(s));
}

/* Truncations at n_cuts spread positions and n_flips single-bit flips of data. */
static void mutants(const char *target, const char *stem, const char *ext, const uint8_t *data,
                    size_t n, int n_cuts, int n_flips, int truncated_is_bad)
{
    char name[256];
    for (int i = 1; i <= n_cuts; i++) {
        size_t at = n * (size_t)i / (size_t)(n_cuts + 1);
        snprintf(name, sizeof name, "%strunc%zu-%s%s", truncated_is_bad ? "bad-" : "", at, stem, ext);
        put(target, name, data, at);
    }
    uint8_t *c = malloc(n ? n : 1);
    for (int i = 0; c && i < n_flips; i++) {
        memcpy(c, data, n);
        size_t at = (size_t)(harness_rand(&rng) % n);
        int bit = (int)(harness_rand(&rng) % 8);
        c[at] ^= (uint8_t)(1u << bit);
        snprintf(name, sizeof name, "flip%zu.%d-%s%s", at, bit, stem, ext);
        put(target, name, c, n);
    }
    free(c);
}

/* ------------------------------------------------------------------ ONNX and engines */

/* Not a detector's shape, but many ops: Resize, Transpose, Slice, Concat, a shape subgraph
 * (Shape, Gather, Unsqueeze, Concat, Reshape), Softmax, ReduceMax. Output [1, 6, 1024]. */
static int ops_model(uint8_t **buf, size_t *len)
{
    struct onnx_writer *w = onnx_writer_create(17);
    int64_t xd[4] = { 1, 3, 16, 16 }, one[1] = { 1 }, four[1] = { 4 };
    float scales[4] = { 1, 1, 2, 2 };
    int64_t st[1] = { 0 }, en[1] = { 2 }, ax[1] = { 1 }, i0 = 0, ax0[1] = { 0 }, five[1] = { 5 },
            m1[1] = { -1 };
    onnx_writer_input(w, "images", YOLO_DT_F32, 4, xd);
    onnx_writer_output(w, "output0", YOLO_DT_F32);
    onnx_writer_initializer_f32(w, "scales", 1, four, scales);
    onnx_writer_initializer_i64(w, "st", 1, one, st);
    onnx_writer_initializer_i64(w, "en", 1, one, en);
    onnx_writer_initializer_i64(w, "ax", 1, one, ax);
    onnx_writer_initializer_i64(w, "i0", 0, NULL, &i0);
    onnx_writer_initializer_i64(w, "ax0", 1, one, ax0);
    onnx_writer_initializer_i64(w, "five", 1, one, five);
    onnx_writer_initializer_i64(w, "m1", 1, one, m1);
    onnx_writer_node(w, "Resize", "/up", 3, (const char *[]){ "images", "", "scales" }, 1,
                     (const char *[]){ "r" });
    onnx_writer_attr_string(w, "mode", "nearest");
    onnx_writer_node(w, "Transpose", "/t", 1, (const char *[]){ "r" }, 1, (const char *[]){ "t" });
    onnx_writer_attr_ints(w, "perm", 4, (int64_t[]){ 0, 1, 3, 2 });
    onnx_writer_node(w, "Slice", "/sl", 4, (const char *[]){ "t", "st", "en", "ax" }, 1,
                     (const char *[]){ "sl" });
    onnx_writer_node(w, "Concat", "/cat", 2, (const char *[]){ "t", "sl" }, 1,
                     (const char *[]){ "c" });
    onnx_writer_attr_int(w, "axis", 1);
    onnx_writer_node(w, "Shape", "/shape", 1, (const char *[]){ "c" }, 1, (const char *[]){ "sh" });
    onnx_writer_node(w, "Gather", "/g", 2, (const char *[]){ "sh", "i0" }, 1,
                     (const char *[]){ "g" });
    onnx_writer_attr_int(w, "axis", 0);
    onnx_writer_node(w, "Unsqueeze", "/u", 2, (const char *[]){ "g", "ax0" }, 1,
                     (const char *[]){ "u" });
    onnx_writer_node(w, "Concat", "/shp", 3, (const char *[]){ "u", "five", "m1" }, 1,
                     (const char *[]){ "shp" });
    onnx_writer_attr_int(w, "axis", 0);
    onnx_writer_node(w, "Reshape", "/rs", 2, (const char *[]){ "c", "shp" }, 1,
                     (const char *[]){ "rs" });
    onnx_writer_node(w, "Softmax", "/sm", 1, (const char *[]){ "rs" }, 1, (const char *[]){ "sm" });
    onnx_writer_attr_int(w, "axis", 1);
    onnx_writer_node(w, "ReduceMax", "/mx", 1, (const char *[]){ "sm" }, 1, (const char *[]){ "mx" });
    onnx_writer_attr_ints(w, "axes", 1, (int64_t[]){ 1 });
    onnx_writer_attr_int(w, "keepdims", 1);
    onnx_writer_node(w, "Concat", "/out", 2, (const char *[]){ "sm", "mx" }, 1,
                     (const char *[]){ "output0" });
    onnx_writer_attr_int(w, "axis", 1);
    onnx_writer_metadata(w, "stride", "8");
    int rc = onnx_writer_pack(w, buf, len);
    onnx_writer_free(w);
    return rc;
}

/* An ONNX file of `depth` nested GraphProto / NodeProto / AttributeProto.g messages, the
 * way If/Loop subgraphs nest (which the importer does not read: they must be skipped
 * without recursing). Built from the inside out. */
static uint8_t *deep_onnx(int depth, size_t *n)
{
    size_t cap = (size_t)depth * 3 * 6 + 64, len = 0;
    uint8_t *rev = malloc(cap), *out = malloc(cap);
    if (!rev || !out) {
        free(rev);
        free(out);
        return NULL;
    }
    /* rev holds the headers backwards: each is a tag then the size of all that follows */
    static const int fields[3] = { 6, 5, 1 };
    for (int i = 0; i < depth * 3 + 1; i++) {
        uint64_t size = len;
        uint8_t hdr[12];
        int h = 0;
        hdr[h++] = (uint8_t)((i < depth * 3 ? fields[i % 3] : 7) << 3 | 2);
        do {
            hdr[h++] = (uint8_t)((size & 0x7f) | (size > 0x7f ? 0x80 : 0));
            size >>= 7;
        } while (size);
        for (int k = h - 1; k >= 0; k--)
            rev[len++] = hdr[k];
    }
    out[0] = 0x08;          /* ir_version 8 */
    out[1] = 0x08;
    for (size_t i = 0; i < len; i++)
        out[2 + i] = rev[len - 1 - i];
    free(rev);
    *n = len + 2;
    return out;
}

static int gen_models(void)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char onnx[512], engine[512];
    snprintf(onnx, sizeof onnx, "%s/gen_corpus_%ld.onnx", tmp, (long)getpid());
    snprintf(engine, sizeof engine, "%s/gen_corpus_%ld.engine", tmp, (long)getpid());
    struct tiny_model_opts o = { 32, 1, 7 };
    uint8_t *m = NULL, *e = NULL;
    size_t mn = 0, en = 0;
    int rc = 0;
    struct yolo_diag d = { 0 };

    if (tiny_model_pack(&o, &m, &mn) || put("onnx", "ok-tiny.onnx", m, mn))
        return -1;
    mutants("onnx", "tiny", ".onnx", m, mn, 4, 12, 1);
    if (put("onnx", "bad-text.onnx", "ir_version: 8\n", 14) ||
        put("onnx", "bad-empty.onnx", "", 0))
        rc = -1;
    /* the engine built from it */
    if (tiny_model_write(onnx, &o) || yolo_build(onnx, engine, NULL, NULL, &d) ||
        !(e = harness_read_file(engine, &en)) || put("engine", "ok-tiny.engine", e, en)) {
        fprintf(stderr, "gen_corpus: tiny engine: %s\n", d.msg);
        rc = -1;
    } else {
        mutants("engine", "tiny", ".engine", e, en, 5, 0, 1);
        mutants("engine", "tiny", ".engine", e, en, 0, 6, 0);
        e[8] = 1;   /* major version 1: the format before ops were stored by name */
        put("engine", "bad-major1.engine", e, en);
    }
    free(e);
    free(m);
    e = m = NULL;
    /* dynamic batch, built at its default size */
    o.batch = -1;
    o.seed = 9;
    if (tiny_model_pack(&o, &m, &mn) || put("onnx", "ok-dynbatch.onnx", m, mn))
        rc = -1;
    free(m);
    m = NULL;
    /* many ops */
    if (ops_model(&m, &mn) || put("onnx", "ok-ops.onnx", m, mn) || harness_write_file(onnx, m, mn)) {
        rc = -1;
    } else {
        if (yolo_build(onnx, engine, NULL, NULL, &d) == 0 && (e = harness_read_file(engine, &en)))
            put("engine", "ok-ops.engine", e, en);
        else
            fprintf(stderr, "gen_corpus: ops engine: %s\n", d.msg);
        mutants("onnx", "ops", ".onnx", m, mn, 0, 6, 0);
    }
    free(e);
    free(m);
    m = deep_onnx(2000, &mn);
    if (!m || put("onnx", "bad-deep.onnx", m, mn))
        rc = -1;
    free(m);
    unlink(onnx);
    unlink(engine);
    return rc;
}

/* ------------------------------------------------------------------ labels and yaml */

static int gen_text(void)
{
    int rc = 0;
    rc |= put_str("labels", "ok-boxes.txt", "0 0.5 0.5 0.25 0.125\n45 0.1 0.9 0.05 0.05\n\n79 1 1 0 0\n");
    rc |= put_str("labels", "ok-crlf-dup.txt", "3 0.5 0.5 0.2 0.2\r\n3 0.5 0.5 0.2 0.2\r\n1 .25 .75 1e-1 2E-1\r\n");
    rc |= put_str("labels", "ok-polygon.txt", "2 0.1 0.1 0.9 0.1 0.9 0.8 0.1 0.8\n7 0.2 0.2 0.4 0.3 0.3 0.5\n");
    rc |= put_str("labels", "ok-empty.txt", "");
    rc |= put_str("labels", "bad-class.txt", "80 0.5 0.5 0.1 0.1\n");
    rc |= put_str("labels", "bad-nan.txt", "0 nan 0.5 0.1 0.1\n");
    rc |= put_str("labels", "bad-columns.txt", "0 0.5 0.5 0.1\n");
    rc |= put_str("labels", "bad-range.txt", "0 0.5 1.5 0.1 0.1\n");
    rc |= put("labels", "bad-nul.txt", "0 0.5\0 0.5 0.1 0.1\n", 19);
    rc |= put_str("labels", "bad-fraction-class.txt", "1.5 0.5 0.5 0.1 0.1\n");

    rc |= put_str("yaml", "ok-coco.yaml",
                  "# COCO128\npath: ../datasets/coco128\ntrain: images/train2017\nval: images/train2017\n"
                  "test:  # optional\n\nnames:\n  0: person\n  1: bicycle\n  2: 'car'\n  3: \"motor cycle\"\n"
                  "download: https://example.com/coco128.zip\n");
    rc |= put_str("yaml", "ok-flow.yaml",
                  "\xef\xbb\xbfpath: .\r\ntrain: [a/images, b/images]\r\nval:\r\n  - v/images\r\n  - v2.txt\r\n"
                  "nc: 3\r\nnames: ['a', \"b\\u00e9\", c]\r\n");
    rc |= put_str("yaml", "ok-nc.yaml", "train: t\nval: v\nnc: 4\nkpt_shape: [17, 3]\nflip_idx: [0, 2, 1]\n");
    rc |= put_str("yaml", "ok-map.yaml", "val: v\nnames: {0: x, 1: 'y z'}\n");
    rc |= put_str("yaml", "bad-tab.yaml", "val: v\nnames:\n\t0: a\n");
    rc |= put_str("yaml", "ok-anchor.yaml", "val: &v v\nnames: [a]\n");   /* YAML anchors: libyaml resolves them */
    rc |= put_str("yaml", "bad-count.yaml", "val: v\nnc: 3\nnames: [a, b]\n");
    rc |= put_str("yaml", "bad-nonames.yaml", "val: v\n");
    rc |= put_str("yaml", "names-literal.yaml", "{0: 'person', 1: 'bicycle', 2: \"it's\"}");
    return rc;
}

/* ------------------------------------------------------------------ images */

static int gen_images(void)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    static const char *exts[] = { ".png", ".jpg", ".bmp", ".webp", ".tiff", ".ppm", ".pgm", ".pam",
                                  ".pfm", ".ras", ".hdr", ".jp2" };
    int rc = 0;
    for (size_t k = 0; k < sizeof exts / sizeof *exts; k++) {
        int32_t w = strcmp(exts[k], ".jp2") == 0 ? 32 : 9, h = strcmp(exts[k], ".jp2") == 0 ? 32 : 7;
        int32_t ch = strcmp(exts[k], ".pgm") == 0 ? 1 : 3;
        uint8_t px[32 * 32 * 3];
        for (int32_t i = 0; i < w * h * ch; i++)
            px[i] = (uint8_t)(harness_rand(&rng) >> 56);
        char path[512], name[64];
        snprintf(path, sizeof path, "%s/gen_corpus_%ld%s", tmp, (long)getpid(), exts[k]);
        struct yolo_diag d = { 0 };
        if (yolo_cv_image_write(path, px, w, h, (int64_t)w * ch, ch, 0, &d)) {
            fprintf(stderr, "gen_corpus: %s: %s (skipped)\n", exts[k], d.msg);
            continue;
        }
        size_t n = 0;
        uint8_t *b = harness_read_file(path, &n);
        unlink(path);
        if (!b) {
            rc = -1;
            continue;
        }
        /* refused by policy (OpenCV decodes them through temporary files): image_limit.c */
        int refused = !strcmp(exts[k], ".hdr") || !strcmp(exts[k], ".pfm") || !strcmp(exts[k], ".ras");
        snprintf(name, sizeof name, "%s-small%s", refused ? "bad" : "ok", exts[k]);
        rc |= put("image", name, b, n);
        if (k < 2) {       /* PNG, JPEG: cut and flipped */
            mutants("image", "small", exts[k], b, n, 3, 4, 1);
        }
        if (k == 0 && n > 24) {   /* a PNG header claiming 100000 x 100000 pixels */
            static const uint8_t big[8] = { 0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0 };
            memcpy(b + 16, big, 8);
            rc |= put("image", "bad-huge.png", b, n);
        }
        free(b);
    }
    rc |= put("image", "bad-empty.jpg", "", 0);
    rc |= put_str("image", "bad-text.png", "not an image at all\n");
    return rc;
}

/* video: each real packet header behind its codec byte (fuzz_video.c), with a few of its
 * truncations and bit flips; the files with and without a second container joined on. */
static int gen_video(void)
{
    int rc = 0;
    for (size_t k = 0; k < sizeof frame_header_cases / sizeof frame_header_cases[0]; k++) {
        uint8_t b[260];
        b[0] = (uint8_t)frame_header_cases[k].c;
        size_t n = 1 + frame_header_bytes(frame_header_cases[k].hex, b + 1, sizeof b - 1);
        char stem[64];
        snprintf(stem, sizeof stem, "hdr%02zu", k);
        char name[80];
        snprintf(name, sizeof name, "ok-%s", stem);
        rc |= put("video", name, b, n);
        mutants("video", stem, "", b, n, 2, 2, 0);
    }
    static const struct { const char *name; const char *const *parts; } files[] = {
        { "one-mp4", frame_one_mp4 },         { "ok-joined-mp4", frame_joined_mp4 },
        { "ok-joined-avi", frame_joined_avi }, { "ok-joined-mkv", frame_joined_mkv },
        { "joined-mkv-same-size", frame_joined_mkv_same },
    };
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        uint8_t b[512];
        size_t n = 0;
        for (const char *const *p = files[k].parts; *p; p++)
            n += frame_header_bytes(*p, b + n, sizeof b - n);
        rc |= put("video", files[k].name, b, n);
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_corpus OUT_DIR\n");
        return 2;
    }
    out_dir = argv[1];
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "gen_corpus: %s: %s\n", out_dir, strerror(errno));
        return 1;
    }
    int rc = gen_models() | gen_text() | gen_images() | gen_video();
    return rc ? 1 : 0;
}
