/* test_resource_bounds.c: hostile files that claim more than they contain are refused fast,
 * with a clear message, without allocating more than the file implies.
 *
 * Linked with the allocator hook (tests/hooks/alloc_hook.c, TEST_LDFLAGS_test_resource_bounds)
 * so each case measures the most bytes the library had allocated at once, and checks it
 * against a budget proportional to the file (the ONNX parser's own budget is 32 x the file
 * + 64 MiB; everything else stays far below). Each case must also finish within 3 s.
 *   ONNX: an initializer claiming 2^40 elements (4 bytes of data) or 2^32 without data; a
 *         ConstantOfShape / Expand folding into gigabytes; a 65536 x 65536 input; a million
 *         empty nodes; 200000 nested subgraphs (recursion); a 10^6-dimension shape; a field
 *         whose length runs past the end of the file.
 *   Engine (the tiny detector's engine, edited, CRCs recomputed): 2^32 - 1 tensors, nodes or
 *         metadata entries, a 2^50-byte activation arena, a 1 GiB label string, 4 billion
 *         sections, a 30000 x 30000 input; and a consistent engine (shapes re-inferred, arena
 *         planned) for a 9000 x 9000 input, beyond what yolo build makes.
 *   Images (yolo_image_read_limited): a PNG header claiming 100000 x 100000 pixels is refused
 *         from its header; --max-pixels semantics at the boundary; the header probe agrees
 *         with the decoder on every format of the fuzz seed corpus; decoding every seed and
 *         regression image three times keeps no file descriptor open. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cv_adapter.h"
#include "engine.h"
#include "harness.h"
#include "image_probe.h"
#include "onnx_writer.h"
#include "passes.h"
#include "tiny_model.h"
#include "yolo.h"

#include "hooks/alloc_hook.c"
#include "clock.h"

#define MIB ((uint64_t)1 << 20)

struct ctx {
    struct harness *h;
    char dir[512], path[600], out[600];
};

/* Runs yolo_build (engine = 0) or yolo_model_load (engine = 1) on the bytes; checks the
 * status, that the message contains `want`, the peak allocation and the time. */
static void expect_refused(struct ctx *c, const char *label, int engine, const uint8_t *bytes,
                           size_t n, const char *want, uint64_t budget)
{
    struct harness *h = c->h;
    CHECK(h, harness_write_file(c->path, bytes, n) == 0, "%s: cannot write %s", label, c->path);
    struct yolo_diag d = { 0 };
    struct yolo_model *m = NULL;
    double t0 = (yolo_now_ms() / 1e3);
    hook_window_open();
    int rc = engine ? yolo_model_load(c->path, NULL, &m, &d)
                    : yolo_build(c->path, c->out, NULL, NULL, &d);
    yolo_model_free(m);
    long leaked = hook_window_close(label, 0);
    uint64_t peak = hook_peak_bytes();
    double dt = (yolo_now_ms() / 1e3) - t0;
    CHECK(h, rc != 0, "%s: accepted", label);
    CHECK(h, rc == 0 || (d.msg[0] && strstr(d.msg, want)), "%s: message '%s' lacks '%s'", label,
          d.msg, want);
    CHECK(h, peak <= budget, "%s: %llu bytes allocated at once for a %zu-byte file (budget %llu)",
          label, (unsigned long long)peak, n, (unsigned long long)budget);
    CHECK(h, dt < 3.0, "%s: took %.2f s", label, dt);
    CHECK(h, leaked == 0, "%s: leaked %ld blocks", label, leaked);
    CHECK(h, access(c->out, F_OK) != 0, "%s: an engine was written", label);
    printf("%-34s %8zu-byte file: refused in %6.1f ms, peak %8.1f KiB: %.150s\n", label, n, dt * 1e3,
           peak / 1024.0, d.msg);
    unlink(c->out);
}

/* ------------------------------------------------------------------ ONNX */

static uint8_t *pack(struct onnx_writer *w, size_t *n)
{
    uint8_t *b = NULL;
    if (onnx_writer_pack(w, &b, n))
        b = NULL;
    onnx_writer_free(w);
    return b;
}

/* input x [1,3,32,32] -> node(s) -> "output0"; the caller adds the middle. */
static struct onnx_writer *base_model(int64_t h, int64_t w)
{
    struct onnx_writer *wr = onnx_writer_create(17);
    int64_t xd[4] = { 1, 3, h, w };
    onnx_writer_input(wr, "images", YOLO_DT_F32, 4, xd);
    onnx_writer_output(wr, "output0", YOLO_DT_F32);
    return wr;
}

static void onnx_cases(struct ctx *c)
{
    size_t n;
    uint8_t *b;
    const uint64_t small = 4 * MIB;   /* these files are a few hundred bytes */

    /* an initializer of 2^40 floats with 4 bytes of raw data */
    struct onnx_writer *w = base_model(32, 32);
    int64_t huge[1] = { (int64_t)1 << 40 };
    float one = 1;
    onnx_writer_initializer(w, "W", YOLO_DT_F32, 1, huge, &one, 4, ONNX_WRITER_RAW);
    onnx_writer_node(w, "Add", "/add", 2, (const char *[]){ "images", "W" }, 1,
                     (const char *[]){ "output0" });
    b = pack(w, &n);
    expect_refused(c, "onnx: 2^40-element initializer", 0, b, n, "W", small);
    free(b);

    /* 2^32 floats declared as typed float_data, with none */
    w = base_model(32, 32);
    int64_t d2[2] = { 65536, 65536 };
    onnx_writer_initializer(w, "W", YOLO_DT_F32, 1, (int64_t[]){ 1 }, &one, 4, ONNX_WRITER_RAW);
    Onnx__TensorProto *tp = onnx_writer_last_initializer(w);
    if (tp) {
        int64_t *dims = malloc(2 * sizeof *dims);
        memcpy(dims, d2, sizeof d2);
        free(tp->dims);
        tp->dims = dims;
        tp->n_dims = 2;
        tp->has_raw_data = 0;
        free(tp->raw_data.data);
        tp->raw_data.data = NULL;
        tp->raw_data.len = 0;
    }
    onnx_writer_node(w, "Add", "/add", 2, (const char *[]){ "images", "W" }, 1,
                     (const char *[]){ "output0" });
    b = pack(w, &n);
    expect_refused(c, "onnx: 2^32 floats, no data", 0, b, n, "W", small);
    free(b);

    /* ConstantOfShape [16384, 16384] float: 1 GiB folded from 16 bytes */
    w = base_model(32, 32);
    int64_t shp[2] = { 16384, 16384 };
    onnx_writer_initializer_i64(w, "shape", 1, (int64_t[]){ 2 }, shp);
    onnx_writer_node(w, "ConstantOfShape", "/cos", 1, (const char *[]){ "shape" }, 1,
                     (const char *[]){ "big" });
    onnx_writer_node(w, "Add", "/add", 2, (const char *[]){ "images", "big" }, 1,
                     (const char *[]){ "output0" });
    b = pack(w, &n);
    expect_refused(c, "onnx: ConstantOfShape to 1 GiB", 0, b, n, "cannot fold", small);
    free(b);

    /* Expand of one float to [1, 16, 4096, 4096]: 1 GiB */
    w = base_model(32, 32);
    int64_t es[4] = { 1, 16, 4096, 4096 };
    onnx_writer_initializer_f32(w, "v", 0, NULL, &one);
    onnx_writer_initializer_i64(w, "eshape", 1, (int64_t[]){ 4 }, es);
    onnx_writer_node(w, "Expand", "/exp", 2, (const char *[]){ "v", "eshape" }, 1,
                     (const char *[]){ "big" });
    onnx_writer_node(w, "Add", "/add", 2, (const char *[]){ "images", "big" }, 1,
                     (const char *[]){ "output0" });
    b = pack(w, &n);
    expect_refused(c, "onnx: Expand to 1 GiB", 0, b, n, "cannot fold", small);
    free(b);

    /* a fixed 65536 x 65536 input */
    w = base_model(65536, 65536);
    onnx_writer_node(w, "Sigmoid", "/s", 1, (const char *[]){ "images" }, 1,
                     (const char *[]){ "output0" });
    b = pack(w, &n);
    expect_refused(c, "onnx: 65536x65536 input", 0, b, n, "8192", small);
    free(b);

    /* a shape with a million dimensions */
    w = base_model(32, 32);
    onnx_writer_node(w, "Sigmoid", "/s", 1, (const char *[]){ "images" }, 1,
                     (const char *[]){ "output0" });
    Onnx__ModelProto *mp = onnx_writer_model(w);
    Onnx__TensorShapeProto *sp = mp->graph->input[0]->type->tensor_type->shape;
    size_t nd = 1000000;
    Onnx__TensorShapeProto__Dimension **dims = calloc(nd, sizeof *dims);
    for (size_t i = 0; dims && i < nd; i++) {
        dims[i] = malloc(sizeof **dims);
        onnx__tensor_shape_proto__dimension__init(dims[i]);
        dims[i]->has_dim_value = 1;
        dims[i]->dim_value = 1;
    }
    for (size_t i = 0; i < sp->n_dim; i++)
        free(sp->dim[i]);
    free(sp->dim);
    sp->dim = dims;
    sp->n_dim = dims ? nd : 0;
    b = pack(w, &n);
    expect_refused(c, "onnx: 10^6-dimension shape", 0, b, n, "rank", 32 * n + 64 * MIB);
    free(b);

    /* a million empty nodes: 2 bytes each */
    w = base_model(32, 32);
    onnx_writer_node(w, "Sigmoid", "/s", 1, (const char *[]){ "images" }, 1,
                     (const char *[]){ "output0" });
    uint8_t *head = pack(w, &n);
    size_t extra = 2 * 1000000, total = 0;
    /* graph (field 7) is the last field written: re-frame it with the nodes appended */
    b = malloc(n + extra + 16);
    if (head && b) {
        size_t pos = 0;
        while (pos < n && head[pos] != (7 << 3 | 2)) {   /* skip fields before the graph */
            uint8_t t = head[pos++];
            uint64_t v = 0;
            int s = 0;
            do
                v |= (uint64_t)(head[pos] & 0x7f) << s, s += 7;
            while (head[pos++] & 0x80);
            if ((t & 7) == 2)
                pos += v;
        }
        memcpy(b, head, pos);
        total = pos;
        size_t gp = pos + 1;
        uint64_t glen = 0;
        int s = 0;
        do
            glen |= (uint64_t)(head[gp] & 0x7f) << s, s += 7;
        while (head[gp++] & 0x80);
        uint64_t nl = glen + extra;
        b[total++] = 7 << 3 | 2;
        do {
            b[total++] = (uint8_t)((nl & 0x7f) | (nl > 0x7f ? 0x80 : 0));
            nl >>= 7;
        } while (nl);
        memcpy(b + total, head + gp, (size_t)glen);
        total += (size_t)glen;
        for (size_t i = 0; i < extra / 2; i++) {
            b[total++] = 1 << 3 | 2;       /* GraphProto.node, empty */
            b[total++] = 0;
        }
        memcpy(b + total, head + gp + glen, n - (gp + (size_t)glen));
        total += n - (gp + (size_t)glen);
        expect_refused(c, "onnx: a million empty nodes", 0, b, total, "not a plausible ONNX",
                       32 * total + 64 * MIB);
    }
    free(head);
    free(b);

    /* 200000 nested If-style subgraphs: GraphProto.node / NodeProto.attribute / .g */
    int depth = 200000;
    size_t cap = (size_t)depth * 3 * 6 + 16, len = 0;
    uint8_t *rev = malloc(cap);
    b = malloc(cap);
    if (rev && b) {
        static const int fields[3] = { 6, 5, 1 };
        for (int i = 0; i < depth * 3 + 1; i++) {
            uint64_t size = len;
            uint8_t hdr[12];
            int k = 0;
            hdr[k++] = (uint8_t)((i < depth * 3 ? fields[i % 3] : 7) << 3 | 2);
            do {
                hdr[k++] = (uint8_t)((size & 0x7f) | (size > 0x7f ? 0x80 : 0));
                size >>= 7;
            } while (size);
            while (k > 0)
                rev[len++] = hdr[--k];
        }
        b[0] = 0x08;
        b[1] = 0x08;
        for (size_t i = 0; i < len; i++)
            b[2 + i] = rev[len - 1 - i];
        expect_refused(c, "onnx: 200000 nested subgraphs", 0, b, len + 2, "node",
                       32 * (len + 2) + 64 * MIB);
    }
    free(rev);
    free(b);

    /* a raw_data field claiming 2 GiB in a small file */
    w = base_model(32, 32);
    onnx_writer_node(w, "Sigmoid", "/s", 1, (const char *[]){ "images" }, 1,
                     (const char *[]){ "output0" });
    head = pack(w, &n);
    b = malloc(n + 16);
    if (head && b) {
        memcpy(b, head, n);
        const uint8_t tail[7] = { 6 << 3 | 2, 0x80, 0x80, 0x80, 0x80, 0x08, 'x' };  /* doc_string */
        memcpy(b + n, tail, sizeof tail);
        expect_refused(c, "onnx: field of 2 GiB in 7 bytes", 0, b, n + sizeof tail, "truncated",
                       small);
    }
    free(head);
    free(b);
}

/* ------------------------------------------------------------------ engines */

static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Offset of section tag's table entry (-1 if none). */
static long entry_of(const uint8_t *e, uint32_t tag)
{
    uint64_t ns = le(e + 20, 4);
    for (uint64_t i = 0; i < ns; i++)
        if (le(e + YOLO_ENGINE_HEADER_FIXED + i * YOLO_ENGINE_ENTRY_BYTES, 4) == tag)
            return (long)(YOLO_ENGINE_HEADER_FIXED + i * YOLO_ENGINE_ENTRY_BYTES);
    return -1;
}

static void fix_crcs(uint8_t *e, size_t n)
{
    uint64_t ns = le(e + 20, 4);
    for (uint64_t i = 0; i < ns && i < YOLO_ENGINE_MAX_SECTIONS; i++) {
        uint8_t *t = e + YOLO_ENGINE_HEADER_FIXED + i * YOLO_ENGINE_ENTRY_BYTES;
        uint64_t off = le(t + 8, 8), bytes = le(t + 16, 8);
        if (off <= n && bytes <= n - off)
            put_le(t + 24, yolo_crc32(yolo_crc32(0, t, 8), e + off, (size_t)bytes), 4);
    }
}

static void engine_cases(struct ctx *c, const uint8_t *good, size_t n)
{
    uint8_t *e = malloc(n);
    const uint64_t budget = 32 * n + MIB;
    long tn = entry_of(good, YOLO_ENGINE_TAG_TNSR), gr = entry_of(good, YOLO_ENGINE_TAG_GRPH);
    long mt = entry_of(good, YOLO_ENGINE_TAG_META), lb = entry_of(good, YOLO_ENGINE_TAG_LBLS);
    CHECK(c->h, e && tn > 0 && gr > 0 && mt > 0 && lb > 0, "engine sections");
    if (!e || tn <= 0 || gr <= 0 || mt <= 0 || lb <= 0) {
        free(e);
        return;
    }
    uint64_t toff = le(good + tn + 8, 8), goff = le(good + gr + 8, 8), moff = le(good + mt + 8, 8);
    uint64_t loff = le(good + lb + 8, 8);

    memcpy(e, good, n);
    put_le(e + toff, 0xFFFFFFFFu, 4);
    fix_crcs(e, n);
    expect_refused(c, "engine: 2^32-1 tensors", 1, e, n, "tensors", budget);

    memcpy(e, good, n);
    uint64_t nin = le(e + goff, 4), nout = le(e + goff + 4 + 4 * nin, 4);
    uint64_t arena_at = goff + 4 + 4 * nin + 4 + 4 * nout;
    put_le(e + arena_at + 8, 0xFFFFFFFFu, 4);     /* n_nodes follows the u64 arena */
    fix_crcs(e, n);
    expect_refused(c, "engine: 2^32-1 nodes", 1, e, n, "nodes", budget);

    memcpy(e, good, n);
    put_le(e + arena_at, (uint64_t)1 << 50, 8);
    fix_crcs(e, n);
    expect_refused(c, "engine: 2^50-byte arena", 1, e, n, "arena", budget);

    memcpy(e, good, n);
    put_le(e + moff, 0xFFFFFFFFu, 4);
    fix_crcs(e, n);
    expect_refused(c, "engine: 2^32-1 metadata entries", 1, e, n, "entries", budget);

    memcpy(e, good, n);
    put_le(e + loff + 4, (uint64_t)1 << 30, 4);   /* label 0's length */
    fix_crcs(e, n);
    expect_refused(c, "engine: 1 GiB label", 1, e, n, "label 0", budget);

    memcpy(e, good, n);
    put_le(e + 20, 0xFFFFFFFFu, 4);
    fix_crcs(e, n);
    expect_refused(c, "engine: 2^32-1 sections", 1, e, n, "sections", budget);

    /* the input tensor claims 30000 x 30000 (and so does everything inferred from it:
     * the graph check then finds the stored shapes disagree, or the model refuses) */
    memcpy(e, good, n);
    uint32_t nt = (uint32_t)le(e + toff, 4);
    uint64_t p = toff + 4;
    int patched = 0;
    for (uint32_t i = 0; i < nt && !patched; i++) {
        uint32_t flags = (uint32_t)le(e + p + 8 + 8 * YOLO_MAX_DIMS, 4);
        if (flags & YOLO_TF_INPUT) {
            put_le(e + p + 8 + 16, 30000, 8);
            put_le(e + p + 8 + 24, 30000, 8);
            patched = 1;
        }
        uint64_t nl = le(e + p + 8 + 8 * YOLO_MAX_DIMS + 12, 2);
        p += 8 + 8 * YOLO_MAX_DIMS + 12 + 2 + nl;
    }
    CHECK(c->h, patched, "no input tensor found in TNSR");
    fix_crcs(e, n);
    expect_refused(c, "engine: 30000x30000 input", 1, e, n, "lie outside", budget);
    free(e);
}

/* A consistent engine for a 9000 x 9000 input (shapes re-inferred, arena re-planned: 2.6 GB
 * of activations), as only a crafted file can be: yolo build stops at 8192. The loader must
 * refuse it before any context would allocate that arena. */
static void engine_too_large_input(struct ctx *c, const char *good_path)
{
    struct harness *h = c->h;
    struct yolo_engine *e = NULL;
    struct yolo_diag d = { 0 };
    CHECK(h, yolo_engine_load(good_path, 0, &e, &d) == 0, "engine: %s", d.msg);
    if (!e)
        return;
    struct yolo_graph g = e->graph;
    g.tensors = malloc(sizeof *g.tensors * (size_t)g.n_tensors);
    g.nodes = malloc(sizeof *g.nodes * (size_t)g.n_nodes);
    g.consts = malloc(g.consts_bytes ? g.consts_bytes : 1);
    if (g.tensors && g.nodes && g.consts) {
        memcpy(g.tensors, e->graph.tensors, sizeof *g.tensors * (size_t)g.n_tensors);
        memcpy(g.nodes, e->graph.nodes, sizeof *g.nodes * (size_t)g.n_nodes);
        memcpy(g.consts, e->graph.consts, g.consts_bytes);
        g.cap_tensors = g.n_tensors;
        g.cap_nodes = g.n_nodes;
        g.consts_cap = g.consts_bytes;
        g.owns_consts = 1;
        struct yolo_tensor *in = &g.tensors[g.inputs[0]];
        in->shape[2] = in->shape[3] = 9000;
        int rc = yolo_graph_infer(&g, 0, &d);
        rc = rc ? rc : yolo_plan(&g, NULL, &d);
        rc = rc ? rc : yolo_engine_write(c->path, &g, e->meta, e->n_meta,
                                         (const char *const *)e->labels, e->n_labels, &d);
        CHECK(h, rc == 0, "writing the 9000x9000 engine: %s", d.msg);
        size_t n = 0;
        uint8_t *b = rc ? NULL : harness_read_file(c->path, &n);
        if (b)
            expect_refused(c, "engine: consistent 9000x9000 input", 1, b, n, "outside what yolo build",
                           32 * n + MIB);
        free(b);
    }
    free(g.tensors);
    free(g.nodes);
    free(g.consts);
    yolo_engine_free(e);
}

/* ------------------------------------------------------------------ images */

static int count_fds(void)
{
    DIR *dp = opendir("/proc/self/fd");
    int n = 0;
    while (dp && readdir(dp))
        n++;
    if (dp)
        closedir(dp);
    return n;
}

static void image_cases(struct ctx *c)
{
    struct harness *h = c->h;
    /* a real 200 x 100 PNG */
    int32_t w = 200, ht = 100;
    uint8_t *px = calloc((size_t)w * (size_t)ht, 3);
    char png[700];
    snprintf(png, sizeof png, "%s/img.png", c->dir);
    struct yolo_diag d = { 0 };
    CHECK(h, px && yolo_cv_image_write(png, px, w, ht, 3 * w, 3, 0, &d) == 0, "png: %s", d.msg);
    free(px);
    struct yolo_image im;
    int rc = yolo_image_read_limited(png, 19999, &im, &d);
    CHECK(h, rc == YOLO_ERR_UNSUPPORTED && strstr(d.msg, "200x100") && strstr(d.msg, "19999"),
          "200x100 PNG, limit 19999: %d %s", rc, d.msg);
    rc = yolo_image_read_limited(png, 20000, &im, &d);
    CHECK(h, rc == 0 && im.width == 200 && im.height == 100, "limit 20000: %d %s", rc, d.msg);
    yolo_image_free(&im);
    rc = yolo_image_read_limited(png, 0, &im, &d);
    CHECK(h, rc == 0 && im.width == 200, "no limit: %d %s", rc, d.msg);
    yolo_image_free(&im);
    CHECK(h, yolo_image_read_limited(png, -1, &im, &d) == YOLO_ERR_ARG, "negative limit");

    /* its header rewritten to claim 100000 x 100000: refused before decoding */
    size_t n = 0;
    uint8_t *b = harness_read_file(png, &n);
    if (b && n > 24) {
        static const uint8_t big[8] = { 0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0 };
        memcpy(b + 16, big, 8);
        harness_write_file(png, b, n);
        hook_window_open();
        double t0 = (yolo_now_ms() / 1e3);
        rc = yolo_image_read_limited(png, 100000000, &im, &d);
        double dt = (yolo_now_ms() / 1e3) - t0;
        hook_window_close("huge png", 0);
        uint64_t peak = hook_peak_bytes();
        CHECK(h, rc == YOLO_ERR_UNSUPPORTED && strstr(d.msg, "100000x100000"),
              "100000x100000 PNG header: %d %s", rc, d.msg);
        CHECK(h, peak <= n + 4096 && dt < 1, "huge PNG: %llu bytes allocated, %.2f s",
              (unsigned long long)peak, dt);
        printf("%-34s %8zu-byte file: refused in %6.1f ms, peak %8.1f KiB: %.90s\n",
               "image: PNG claiming 10^10 pixels", n, dt * 1e3, peak / 1024.0, d.msg);
    }
    free(b);
    unlink(png);

    /* the probe agrees with the decoder on every seed image of the fuzz corpus */
    const char *root = getenv("FUZZ_DIR") ? getenv("FUZZ_DIR") : "tests/fuzz";
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/corpus/image", root);
    DIR *dp = opendir(dir);
    int probed = 0;
    struct dirent *de;
    while (dp && (de = readdir(dp))) {
        if (strncmp(de->d_name, "ok-", 3) != 0)
            continue;
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        b = harness_read_file(path, &n);
        if (b && harness_nocv_skip_image(b, n, path)) {
            free(b);
            continue;
        }
        int64_t pw, ph;
        const char *fmt = b ? yolo_image_probe(b, n, &pw, &ph) : NULL;
        struct yolo_cv_image cv = { 0 };
        rc = b ? yolo_cv_image_decode(b, n, path, &cv, &d) : -1;
        CHECK(h, fmt && rc == 0 && pw == cv.width && ph == cv.height,
              "%s: probe says %s %lldx%lld, decoder %dx%d (%s)", de->d_name, fmt ? fmt : "nothing",
              (long long)pw, (long long)ph, cv.width, cv.height, rc ? d.msg : "ok");
        probed++;
        yolo_cv_image_free(&cv);
        free(b);
    }
    if (dp)
        closedir(dp);
    CHECK(h, probed >= (harness_nocv() ? 2 : 9), "only %d seed images probed in %s", probed, dir);
    printf("image probe: size matches the decoder on %d formats\n", probed);

    /* Decoding corrupt files keeps no file descriptor (OpenCV's HDR decoder leaked one per
     * corrupt file) and leaves no temporary file (OpenCV left /tmp/__opencv_temp.* behind
     * for corrupt PFM and Sun raster files): such formats are refused before it runs.
     * OpenCV's temporary files go to OPENCV_TEMP_PATH: a private folder that must stay empty. */
    char cvtmp[600];
    snprintf(cvtmp, sizeof cvtmp, "%s/cvtmp", c->dir);
    CHECK(h, mkdir(cvtmp, 0777) == 0 && setenv("OPENCV_TEMP_PATH", cvtmp, 1) == 0, "%s", cvtmp);
    int fds = count_fds(), n_files = 0;
    for (int pass = 0; pass < 3; pass++)
        for (int sub = 0; sub < 2; sub++) {
            snprintf(dir, sizeof dir, "%s/%s/image", root, sub ? "regress" : "corpus");
            dp = opendir(dir);
            while (dp && (de = readdir(dp))) {
                char path[1400];
                snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
                if (de->d_name[0] == '.' || !(b = harness_read_file(path, &n)))
                    continue;
                struct yolo_cv_image cv = { 0 };
                yolo_image_decode_limited(b, n, path, 1 << 22, &cv, &d);
                yolo_cv_image_free(&cv);
                free(b);
                n_files++;
            }
            if (dp)
                closedir(dp);
        }
    CHECK(h, count_fds() == fds, "%d file descriptors open after decoding %d corrupt and valid images, "
          "%d before", count_fds(), n_files, fds);
    unsetenv("OPENCV_TEMP_PATH");
    int tmp_left = 0;
    dp = opendir(cvtmp);
    while (dp && (de = readdir(dp)))
        tmp_left += de->d_name[0] != '.';
    if (dp)
        closedir(dp);
    CHECK(h, tmp_left == 0 && rmdir(cvtmp) == 0, "%d temporary files left by the decoder in %s",
          tmp_left, cvtmp);
    printf("%d image decodes: no file descriptor kept, no temporary file left\n", n_files);
}

int main(void)
{
    HARNESS_INIT(h, "test_resource_bounds");
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    struct ctx c = { .h = &h };
    snprintf(c.dir, sizeof c.dir, "%s/yolo_bounds_%ld", tmp, (long)getpid());
    CHECK(&h, mkdir(c.dir, 0777) == 0, "mkdir %s: %s", c.dir, strerror(errno));
    snprintf(c.path, sizeof c.path, "%s/input", c.dir);
    snprintf(c.out, sizeof c.out, "%s/out.engine", c.dir);

    onnx_cases(&c);

    char onnx[700], engine[700];
    snprintf(onnx, sizeof onnx, "%s/tiny.onnx", c.dir);
    snprintf(engine, sizeof engine, "%s/tiny.engine", c.dir);
    struct tiny_model_opts o = { 64, 1, 7 };
    struct yolo_diag d = { 0 };
    size_t n = 0;
    uint8_t *good = NULL;
    CHECK(&h, tiny_model_write(onnx, &o) == 0 && yolo_build(onnx, engine, NULL, NULL, &d) == 0 &&
              (good = harness_read_file(engine, &n)) != NULL, "tiny engine: %s", d.msg);
    if (good) {
        struct yolo_model *m = NULL;
        CHECK(&h, harness_write_file(c.path, good, n) == 0 && yolo_model_load(c.path, NULL, &m, &d) == 0,
              "the unmodified engine must load: %s", d.msg);
        yolo_model_free(m);
        engine_cases(&c, good, n);
        engine_too_large_input(&c, engine);
    }
    free(good);
    image_cases(&c);
    unlink(onnx);
    unlink(engine);
    unlink(c.path);
    CHECK(&h, rmdir(c.dir) == 0, "rmdir %s: %s", c.dir, strerror(errno));
    return harness_finish(&h);
}
