/* test_decode_nms.c: decoders, NMS, scale_boxes and the whole postprocess against the golden
 * reference detections (../shared/golden, made by tools/reference.py), plus unit cases:
 * duplicates, zero-area boxes, NaN scores, class-aware vs agnostic, the max_det cap,
 * clamping, the classes filter, threshold strictness, ties, and a brute-force NMS oracle on
 * random tie-heavy sets. Env SHARED: the shared folder (default ../shared). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../postprocess/postprocess.h"

static const char *const COCO[80] = {
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
};

/* ------------------------------------------------------------------ files */

/* ------------------------------------------------------------------ a tiny JSON reader
 * Just enough for the golden files: objects, arrays, strings (no escapes beyond \" and \\),
 * numbers. Numbers are read with strtof: the golden floats are shortest round-trip float32
 * strings, so this gives the exact float32 values. */

struct jr { const char *p; int bad; };

static void jws(struct jr *j) { while (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t') j->p++; }

static int jeat(struct jr *j, char c)
{
    jws(j);
    if (*j->p == c) {
        j->p++;
        return 1;
    }
    return 0;
}

static void jstring(struct jr *j, char *out, size_t cap)
{
    size_t n = 0;
    if (!jeat(j, '"')) {
        j->bad = 1;
        return;
    }
    while (*j->p && *j->p != '"') {
        if (*j->p == '\\' && j->p[1])
            j->p++;
        if (n + 1 < cap)
            out[n++] = *j->p;
        j->p++;
    }
    if (cap)
        out[n] = 0;
    if (!jeat(j, '"'))
        j->bad = 1;
}

static float jnumber(struct jr *j)
{
    jws(j);
    char *end;
    float v = strtof(j->p, &end);
    if (end == j->p)
        j->bad = 1;
    j->p = end;
    return v;
}

struct ref_det { int cls; char name[64]; float conf; float box[4]; };

/* Parses a dets_*.json list; returns the count or -1. */
static int parse_dets(const char *text, struct ref_det *out, int cap)
{
    struct jr j = { text, 0 };
    int n = 0;
    if (!jeat(&j, '['))
        return -1;
    if (jeat(&j, ']'))
        return 0;
    do {
        if (n >= cap || !jeat(&j, '{'))
            return -1;
        struct ref_det *r = &out[n++];
        memset(r, 0, sizeof *r);
        do {
            char key[32];
            jstring(&j, key, sizeof key);
            if (!jeat(&j, ':'))
                return -1;
            if (!strcmp(key, "cls")) {
                r->cls = (int)jnumber(&j);
            } else if (!strcmp(key, "name")) {
                jstring(&j, r->name, sizeof r->name);
            } else if (!strcmp(key, "conf")) {
                r->conf = jnumber(&j);
            } else if (!strcmp(key, "box")) {
                if (!jeat(&j, '['))
                    return -1;
                for (int k = 0; k < 4; k++) {
                    r->box[k] = jnumber(&j);
                    if (k < 3 && !jeat(&j, ','))
                        return -1;
                }
                if (!jeat(&j, ']'))
                    return -1;
            } else {
                return -1;
            }
        } while (jeat(&j, ','));
        if (!jeat(&j, '}'))
            return -1;
    } while (jeat(&j, ','));
    if (!jeat(&j, ']') || j.bad)
        return -1;
    return n;
}

/* "dims": [1, 84, 8400] from an out_*.json file. Returns the count of dims or -1. */
static int parse_dims(const char *text, int64_t *dims, int cap)
{
    const char *k = strstr(text, "\"dims\"");
    if (!k)
        return -1;
    struct jr j = { k + 6, 0 };
    if (!jeat(&j, ':') || !jeat(&j, '['))
        return -1;
    int n = 0;
    do {
        if (n >= cap)
            return -1;
        dims[n++] = (int64_t)jnumber(&j);
    } while (jeat(&j, ','));
    return jeat(&j, ']') && !j.bad ? n : -1;
}

/* ------------------------------------------------------------------ golden */

static float iou_of(const float *a, const float *b)
{
    float w = fminf(a[2], b[2]) - fmaxf(a[0], b[0]), h = fminf(a[3], b[3]) - fmaxf(a[1], b[1]);
    if (w <= 0 || h <= 0)
        return 0;
    float in = w * h;
    return in / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - in);
}

static void golden_model(struct harness *h, const char *model, int match_by_box)
{
    char path[1024];
    size_t nb = 0;
    snprintf(path, sizeof path, "%s/golden/out_%s_bus.json", harness_shared_dir(), model);
    char *meta = harness_read_file(path, NULL);
    CHECK(h, meta != NULL, "%s: cannot read (set SHARED to the shared folder)", path);
    if (!meta)
        return;
    int64_t dims[4];
    int nd = parse_dims(meta, dims, 4);
    free(meta);
    CHECK(h, nd == 3 && dims[0] == 1, "%s: bad dims", path);
    if (nd != 3)
        return;
    snprintf(path, sizeof path, "%s/golden/out_%s_bus.bin", harness_shared_dir(), model);
    float *raw = (float *)harness_read_file(path, &nb);
    CHECK(h, raw && nb == (size_t)(dims[1] * dims[2]) * 4, "%s: %zu bytes", path, nb);
    snprintf(path, sizeof path, "%s/golden/dets_%s_bus.json", harness_shared_dir(), model);
    size_t ref_len = 0;
    char *ref_text = harness_read_file(path, &ref_len);
    CHECK(h, ref_text != NULL, "%s: cannot read", path);
    if (!raw || !ref_text || nb != (size_t)(dims[1] * dims[2]) * 4) {
        free(raw);
        free(ref_text);
        return;
    }
    struct ref_det ref[64];
    int nref = parse_dets(ref_text, ref, 64);
    CHECK(h, nref > 0, "%s: parse error", path);

    /* The layout as reference.py's guess_format picks it. */
    struct yolo_raw_output out = { raw, dims[2] == 6 ? YOLO_LAYOUT_E2E
                                        : dims[1] < dims[2] ? YOLO_LAYOUT_V8 : YOLO_LAYOUT_V5,
                                   dims[1], dims[2] };
    struct yolo_nms_params np;
    yolo_nms_params_default(&np);
    struct yolo_letterbox_geom g;
    struct yolo_diag d = { 0 };
    CHECK(h, yolo_letterbox_geom_compute(810, 1080, 640, 640, &g, &d) == 0, "geom: %s", d.msg);
    struct yolo_workspace ws = { 0 };
    struct yolo_det dets[300];
    int32_t n = -1;
    int st = yolo_postprocess(&out, &np, &g, &ws, dets, 300, &n, &d);
    CHECK(h, st == 0, "%s: postprocess: %s", model, d.msg);
    CHECK(h, n == nref, "%s: %d detections, reference %d", model, n, nref);

    int exact = 0, close = 0;
    float worst = 0;
    for (int i = 0; i < n && i < nref; i++) {
        const struct yolo_det *o = &dets[i];
        const struct ref_det *r = &ref[i];
        if (match_by_box) {      /* equal confs: the list order among them is not defined */
            float best = -1;
            for (int k = 0; k < nref; k++) {
                float b[4] = { o->x1, o->y1, o->x2, o->y2 };
                float v = ref[k].cls == o->cls ? iou_of(b, ref[k].box) : -1;
                if (v > best) {
                    best = v;
                    r = &ref[k];
                }
            }
        }
        float ob[4] = { o->x1, o->y1, o->x2, o->y2 };
        float diff = fabsf(o->conf - r->conf);
        for (int k = 0; k < 4; k++)
            diff = fmaxf(diff, fabsf(ob[k] - r->box[k]));
        worst = fmaxf(worst, diff);
        int same = o->cls == r->cls && o->conf == r->conf && !memcmp(ob, r->box, sizeof ob);
        exact += same;
        close += o->cls == r->cls && diff <= 1e-4f;
        CHECK(h, o->cls == r->cls && diff <= 1e-4f,
              "%s det %d: cls %d conf %.9g box [%.9g %.9g %.9g %.9g]; reference cls %d conf %.9g "
              "box [%.9g %.9g %.9g %.9g]", model, i, o->cls, o->conf, ob[0], ob[1], ob[2], ob[3],
              r->cls, r->conf, r->box[0], r->box[1], r->box[2], r->box[3]);
    }
    CHECK(h, exact == nref, "%s: %d of %d detections bit-identical (max |diff| %g)", model, exact,
          nref, worst);
    printf("%s: %d detections, %d bit-identical to reference.py, %d within 1e-4, max |diff| %g\n",
           model, n, exact, close, worst);

    /* The JSON list writer reproduces the golden file byte for byte (same float32 shortest
     * digits, Python's number layout), which also proves the values are identical. This
     * holds for the int8 model's equal confs too: both sides sort stably by conf. */
    {
        char *mem = NULL;
        size_t mem_len = 0;
        FILE *mf = open_memstream(&mem, &mem_len);
        CHECK(h, mf != NULL, "open_memstream");
        if (mf) {
            st = yolo_dets_json_write(mf, dets, n, COCO, 80, &d);
            fclose(mf);
            CHECK(h, st == 0, "%s: json write: %s", model, d.msg);
            CHECK(h, mem_len == ref_len && !memcmp(mem, ref_text, ref_len),
                  "%s: JSON differs from the golden file:\n%s---\n%s", model, mem ? mem : "",
                  ref_text);
            free(mem);
        }
    }

    /* Same result again on the warm workspace, which must not grow. */
    size_t cap_before = ws.cap_bytes;
    struct yolo_det again[300];
    int32_t n2 = -1;
    st = yolo_postprocess(&out, &np, &g, &ws, again, 300, &n2, &d);
    CHECK(h, st == 0 && n2 == n && !memcmp(again, dets, (size_t)n * sizeof *dets) &&
          ws.cap_bytes == cap_before, "%s: second run differs or workspace grew", model);
    yolo_workspace_free(&ws);
    free(raw);
    free(ref_text);
}

/* ------------------------------------------------------------------ unit cases */

/* A V8 output [4 + nc, A] built anchor by anchor. */
struct v8buf { float *data; int64_t nc, A; };

static void v8_set(struct v8buf *b, int64_t a, float x1, float y1, float x2, float y2, int cls,
                   float score)
{
    float *y = b->data;
    y[0 * b->A + a] = (x1 + x2) / 2;
    y[1 * b->A + a] = (y1 + y2) / 2;
    y[2 * b->A + a] = x2 - x1;
    y[3 * b->A + a] = y2 - y1;
    for (int64_t k = 0; k < b->nc; k++)
        y[(4 + k) * b->A + a] = 0.0f;
    if (cls >= 0)
        y[(4 + cls) * b->A + a] = score;
}

/* NMS through the public entry points: decode, then yolo_nms (no scaling). */
static int run_nms(const struct v8buf *b, const struct yolo_nms_params *p, struct yolo_det *out,
                   int32_t cap, struct yolo_workspace *ws)
{
    struct yolo_raw_output o = { b->data, YOLO_LAYOUT_V8, 4 + b->nc, b->A };
    struct yolo_det cands[64];
    int64_t n = 0;
    struct yolo_diag d;
    if (yolo_decode(&o, p, cands, 64, &n, &d))
        return -1;
    int32_t k = -1;
    if (yolo_nms(cands, n, p, ws, out, cap, &k, &d))
        return -1;
    return k;
}

static void unit_cases(struct harness *h)
{
    struct yolo_workspace ws = { 0 };
    struct yolo_nms_params p;
    struct yolo_det out[64];
    float data[(4 + 3) * 16];
    struct v8buf b = { data, 3, 16 };
    int n;

    /* Duplicates: identical boxes of one class, equal scores: the first anchor survives. */
    yolo_nms_params_default(&p);
    memset(data, 0, sizeof data);
    v8_set(&b, 0, 10, 10, 50, 50, 1, 0.8f);
    v8_set(&b, 1, 10, 10, 50, 50, 1, 0.8f);
    v8_set(&b, 2, 10, 10, 50, 50, 1, 0.9f);
    n = run_nms(&b, &p, out, 64, &ws);
    CHECK(h, n == 1 && out[0].conf == 0.9f && out[0].cls == 1, "duplicates: n %d", n);

    /* Ties: equal scores, disjoint boxes: kept in anchor order. */
    memset(data, 0, sizeof data);
    for (int a = 0; a < 4; a++)
        v8_set(&b, a, 100.0f * a, 0, 100.0f * a + 50, 50, 0, 0.5f);
    n = run_nms(&b, &p, out, 64, &ws);
    CHECK(h, n == 4 && out[0].x1 == 0 && out[1].x1 == 100 && out[2].x1 == 200 && out[3].x1 == 300,
          "ties keep anchor order: n %d", n);

    /* Zero-area boxes: IoU 0/0 = NaN suppresses nothing; both identical points survive. */
    memset(data, 0, sizeof data);
    v8_set(&b, 0, 20, 20, 20, 20, 0, 0.9f);
    v8_set(&b, 1, 20, 20, 20, 20, 0, 0.8f);
    v8_set(&b, 2, 10, 10, 30, 30, 0, 0.7f);
    n = run_nms(&b, &p, out, 64, &ws);
    CHECK(h, n == 3, "zero-area boxes: n %d, want 3", n);

    /* NaN scores: the anchor with a NaN class score is dropped even if another class is
     * high (numpy max is NaN); nothing crashes and no NaN conf comes out. */
    memset(data, 0, sizeof data);
    v8_set(&b, 0, 10, 10, 50, 50, 0, 0.9f);
    data[(4 + 2) * b.A + 0] = NAN;
    v8_set(&b, 1, 60, 60, 90, 90, 2, NAN);
    v8_set(&b, 2, 100, 100, 150, 150, 1, 0.6f);
    n = run_nms(&b, &p, out, 64, &ws);
    CHECK(h, n == 1 && out[0].cls == 1 && out[0].conf == 0.6f, "NaN scores: n %d", n);

    /* A NaN box coordinate: kept (as reference.py), suppresses nothing, no crash. */
    memset(data, 0, sizeof data);
    v8_set(&b, 0, 10, 10, 50, 50, 0, 0.9f);
    data[0] = NAN;
    v8_set(&b, 1, 10, 10, 50, 50, 0, 0.8f);
    n = run_nms(&b, &p, out, 64, &ws);
    CHECK(h, n == 2, "NaN box: n %d, want 2", n);

    /* Class-aware vs agnostic: same box, two classes. */
    memset(data, 0, sizeof data);
    v8_set(&b, 0, 10, 10, 50, 50, 0, 0.9f);
    v8_set(&b, 1, 12, 12, 50, 50, 1, 0.8f);
    n = run_nms(&b, &p, out, 64, &ws);
    CHECK(h, n == 2, "class-aware: n %d, want 2", n);
    p.agnostic = 1;
    n = run_nms(&b, &p, out, 64, &ws);
    CHECK(h, n == 1 && out[0].cls == 0, "agnostic: n %d, want 1", n);
    p.agnostic = 0;

    /* IoU threshold is strict: two 10x10 boxes overlapping by half have IoU 1/3 exactly? Use
     * boxes with IoU exactly 0.5: [0,0,20,10] and [0,0,10,10]: inter 100, union 200. */
    memset(data, 0, sizeof data);
    v8_set(&b, 0, 0, 0, 20, 10, 0, 0.9f);
    v8_set(&b, 1, 0, 0, 10, 10, 0, 0.8f);
    p.iou = 0.5;
    n = run_nms(&b, &p, out, 64, &ws);
    CHECK(h, n == 2, "IoU 0.5 with iou 0.5 is not suppressed: n %d", n);
    p.iou = 0.4999;
    n = run_nms(&b, &p, out, 64, &ws);
    CHECK(h, n == 1, "IoU 0.5 with iou 0.4999 is suppressed: n %d", n);
    yolo_nms_params_default(&p);

    /* max_det cap, and cap smaller than max_det. */
    memset(data, 0, sizeof data);
    for (int a = 0; a < 10; a++)
        v8_set(&b, a, 60.0f * a, 0, 60.0f * a + 50, 50, a % 3, 0.3f + 0.05f * a);
    p.max_det = 3;
    n = run_nms(&b, &p, out, 64, &ws);
    CHECK(h, n == 3 && out[0].conf == 0.3f + 0.05f * 9 && out[2].conf == 0.3f + 0.05f * 7,
          "max_det 3: n %d", n);
    p.max_det = 300;
    n = run_nms(&b, &p, out, 2, &ws);
    CHECK(h, n == 2, "cap 2: n %d", n);

    /* max_nms: only the best 4 candidates enter NMS. */
    p.max_nms = 4;
    n = run_nms(&b, &p, out, 64, &ws);
    CHECK(h, n == 4 && out[3].conf == 0.3f + 0.05f * 6, "max_nms 4: n %d", n);
    p.max_nms = 0;

    /* classes filter. */
    int32_t keep[1] = { 2 };
    p.classes = keep;
    p.n_classes = 1;
    n = run_nms(&b, &p, out, 64, &ws);
    int all2 = 1;
    for (int i = 0; i < n; i++)
        all2 &= out[i].cls == 2;
    CHECK(h, n == 3 && all2, "classes {2}: n %d", n);
    yolo_nms_params_default(&p);

    /* conf is compared in float32 and strictly: float32(0.25) itself is rejected. */
    memset(data, 0, sizeof data);
    v8_set(&b, 0, 0, 0, 10, 10, 0, 0.25f);
    v8_set(&b, 1, 20, 0, 30, 10, 0, nextafterf(0.25f, 1.0f));
    n = run_nms(&b, &p, out, 64, &ws);
    CHECK(h, n == 1 && out[0].x1 == 20, "conf 0.25 strict: n %d", n);
    p.conf = 0.001;
    memset(data, 0, sizeof data);
    v8_set(&b, 0, 0, 0, 10, 10, 0, (float)0.001);
    n = run_nms(&b, &p, out, 64, &ws);
    CHECK(h, n == 0, "score == float32(0.001) is rejected at conf 0.001: n %d", n);
    yolo_nms_params_default(&p);

    /* nc smaller than the rows: extra rows (masks...) are ignored. */
    memset(data, 0, sizeof data);
    v8_set(&b, 0, 0, 0, 10, 10, 2, 0.9f);    /* class 2 lives in the "extra" row */
    v8_set(&b, 1, 20, 0, 30, 10, 1, 0.5f);
    p.nc = 2;
    n = run_nms(&b, &p, out, 64, &ws);
    CHECK(h, n == 1 && out[0].cls == 1, "nc 2 ignores row 6: n %d", n);
    p.nc = 4;
    struct yolo_raw_output o = { data, YOLO_LAYOUT_V8, 7, 16 };
    struct yolo_det cands[16];
    int64_t nn;
    struct yolo_diag d;
    CHECK(h, yolo_decode(&o, &p, cands, 16, &nn, &d) == YOLO_ERR_ARG, "nc 4 > 3 rejected");
    yolo_nms_params_default(&p);
    CHECK(h, yolo_decode(&o, &p, cands, 15, &nn, &d) == YOLO_ERR_ARG, "cap too small rejected");
    struct yolo_raw_output bad = { data, YOLO_LAYOUT_V8, 4, 16 };
    CHECK(h, yolo_decode(&bad, &p, cands, 16, &nn, &d) == YOLO_ERR_ARG, "4 rows rejected: %s",
          d.msg);
    p.iou = NAN;
    int32_t kk;
    CHECK(h, yolo_nms(cands, 0, &p, &ws, out, 64, &kk, &d) == YOLO_ERR_ARG, "NaN iou rejected");
    yolo_nms_params_default(&p);

    /* V5: objectness first, then conf = obj * cls. */
    float v5[3 * 8];   /* A = 3, 5 + nc = 8 (nc 3) */
    memset(v5, 0, sizeof v5);
    float r0[8] = { 50, 50, 20, 20, 0.3f, 0.1f, 0.9f, 0.2f };     /* 0.27 > 0.25: class 1 */
    float r1[8] = { 150, 50, 20, 20, 0.26f, 0.9f, 0.0f, 0.0f };   /* 0.234: dropped */
    float r2[8] = { 250, 50, 20, 20, 0.25f, 1.0f, 1.0f, 1.0f };   /* obj not > 0.25: dropped */
    memcpy(v5, r0, sizeof r0);
    memcpy(v5 + 8, r1, sizeof r1);
    memcpy(v5 + 16, r2, sizeof r2);
    struct yolo_raw_output o5 = { v5, YOLO_LAYOUT_V5, 3, 8 };
    CHECK(h, yolo_decode(&o5, &p, cands, 16, &nn, &d) == 0 && nn == 1 && cands[0].cls == 1 &&
          cands[0].conf == 0.9f * 0.3f && cands[0].x1 == 40 && cands[0].y2 == 60,
          "v5 decode: n %lld", (long long)nn);
    v5[4] = NAN;
    CHECK(h, yolo_decode(&o5, &p, cands, 16, &nn, &d) == 0 && nn == 0, "v5 NaN objectness");

    /* E2E: model order, max_det before the classes filter, then sorted by conf. */
    float e[5 * 6] = {
        0, 0, 10, 10, 0.5f, 1,
        0, 0, 10, 10, 0.9f, 2,     /* same box, no NMS: both stay */
        5, 5, 10, 10, 0.1f, 1,     /* below conf */
        1, 1, 10, 10, 0.7f, 1,
        2, 2, 10, 10, NAN, 1,
    };
    struct yolo_raw_output oe = { e, YOLO_LAYOUT_E2E, 5, 6 };
    struct yolo_letterbox_geom g;
    yolo_letterbox_geom_compute(640, 640, 640, 640, &g, &d);
    int32_t ne = -1;
    CHECK(h, yolo_postprocess(&oe, &p, &g, &ws, out, 64, &ne, &d) == 0 && ne == 3 &&
          out[0].conf == 0.9f && out[1].conf == 0.7f && out[2].conf == 0.5f, "e2e: n %d", ne);
    p.max_det = 2;
    int32_t one[1] = { 1 };
    p.classes = one;
    p.n_classes = 1;
    CHECK(h, yolo_postprocess(&oe, &p, &g, &ws, out, 64, &ne, &d) == 0 && ne == 1 &&
          out[0].conf == 0.5f, "e2e max_det before classes: n %d", ne);
    yolo_nms_params_default(&p);
    e[5] = NAN;    /* class NaN: row dropped */
    CHECK(h, yolo_postprocess(&oe, &p, &g, &ws, out, 64, &ne, &d) == 0 && ne == 2,
          "e2e NaN class dropped: n %d", ne);

    /* scale_boxes clamps to the image and keeps NaN; bus geometry: gain 0.5926, pad x 80. */
    yolo_letterbox_geom_compute(810, 1080, 640, 640, &g, &d);
    struct yolo_det s[3] = {
        { 0, 0.5f, -30, -5, 700, 700, NULL },
        { 0, 0.5f, 80, 0, 560, 640, NULL },
        { 0, 0.5f, NAN, 10, 100, 100, NULL },
    };
    yolo_scale_boxes(s, 3, &g);
    CHECK(h, s[0].x1 == 0 && s[0].y1 == 0 && s[0].x2 == 810 && s[0].y2 == 1080,
          "clamp: [%g %g %g %g]", s[0].x1, s[0].y1, s[0].x2, s[0].y2);
    CHECK(h, s[1].x1 == 0 && s[1].y1 == 0 && fabsf(s[1].x2 - 810) < 1e-3f &&
          fabsf(s[1].y2 - 1080) < 1e-3f, "full image: [%g %g %g %g]", s[1].x1, s[1].y1, s[1].x2,
          s[1].y2);
    CHECK(h, isnan(s[2].x1) && s[2].y1 >= 0, "NaN stays NaN");

    /* Sorting is stable. */
    struct yolo_det srt[5] = {
        { 1, 0.5f, 0, 0, 0, 0, NULL }, { 2, 0.9f, 0, 0, 0, 0, NULL }, { 3, 0.5f, 0, 0, 0, 0, NULL },
        { 4, 0.9f, 0, 0, 0, 0, NULL }, { 5, 0.1f, 0, 0, 0, 0, NULL },
    };
    struct yolo_det tmp[5];
    yolo_dets_sort(srt, 5, tmp);
    CHECK(h, srt[0].cls == 2 && srt[1].cls == 4 && srt[2].cls == 1 && srt[3].cls == 3 &&
          srt[4].cls == 5, "stable sort");
    yolo_workspace_free(&ws);
}

/* ------------------------------------------------------------------ brute-force oracle */

/* An independent, deliberately plain transcription of reference.py's nms_torchvision. */
static int oracle_nms(const struct yolo_det *c, int n, double iou, int agnostic, int max_det,
                      int *keep)
{
    int order[256], supp[256] = { 0 }, nk = 0;
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = 1; i < n; i++)      /* insertion sort: stable, descending */
        for (int j = i; j > 0 && c[order[j]].conf > c[order[j - 1]].conf; j--) {
            int t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
        }
    for (int a = 0; a < n; a++) {
        int i = order[a];
        if (supp[i])
            continue;
        keep[nk++] = i;
        float oi = agnostic ? 0.0f : (float)c[i].cls * 7680.0f;
        float ax1 = c[i].x1 + oi, ay1 = c[i].y1 + oi, ax2 = c[i].x2 + oi, ay2 = c[i].y2 + oi;
        float aa = (ax2 - ax1) * (ay2 - ay1);
        for (int bb = a + 1; bb < n; bb++) {
            int j = order[bb];
            if (supp[j])
                continue;
            float oj = agnostic ? 0.0f : (float)c[j].cls * 7680.0f;
            float bx1 = c[j].x1 + oj, by1 = c[j].y1 + oj, bx2 = c[j].x2 + oj, by2 = c[j].y2 + oj;
            float ba = (bx2 - bx1) * (by2 - by1);
            float w = fminf(ax2, bx2) - fmaxf(ax1, bx1), hh = fminf(ay2, by2) - fmaxf(ay1, by1);
            w = w > 0 ? w : 0;
            hh = hh > 0 ? hh : 0;
            float in = w * hh;
            if ((double)(in / (aa + ba - in)) > iou)
                supp[j] = 1;
        }
    }
    return nk < max_det ? nk : max_det;
}

static void random_sets(struct harness *h)
{
    uint64_t seed = 0x5eed1234ULL;
    printf("random NMS sets: seed %llu\n", (unsigned long long)seed);
    struct yolo_workspace ws = { 0 };
    struct yolo_det c[200], out[200];
    int keep[200], bad = 0;
    for (int t = 0; t < 300; t++) {
        int n = 1 + (int)(harness_rand(&seed) % 200);
        for (int i = 0; i < n; i++) {   /* coarse grid and 8 score levels: many ties */
            float x = (float)(harness_rand(&seed) % 20) * 8, y = (float)(harness_rand(&seed) % 20) * 8;
            float w = (float)(1 + harness_rand(&seed) % 8) * 6, hh = (float)(1 + harness_rand(&seed) % 8) * 6;
            c[i] = (struct yolo_det){ (int32_t)(harness_rand(&seed) % 3),
                                      0.3f + 0.05f * (float)(harness_rand(&seed) % 8), x, y,
                                      x + w, y + hh, NULL };
        }
        struct yolo_nms_params p;
        yolo_nms_params_default(&p);
        p.iou = (double[]){ 0.45, 0.5, 0.7, 0.9 }[t % 4];
        p.agnostic = (t / 4) % 2;
        p.max_det = t % 7 == 0 ? 5 : 300;
        int32_t k = -1;
        struct yolo_diag d;
        int st = yolo_nms(c, n, &p, &ws, out, 200, &k, &d);
        int nk = oracle_nms(c, n, p.iou, p.agnostic, p.max_det, keep);
        int same = st == 0 && k == nk;
        for (int i = 0; same && i < nk; i++)
            same = !memcmp(&out[i], &c[keep[i]], sizeof out[i]);
        if (!same && bad++ < 5)
            CHECK(h, same, "random set %d (n %d, iou %g, agnostic %d): kept %d, oracle %d", t, n,
                  p.iou, p.agnostic, k, nk);
    }
    CHECK(h, bad == 0, "%d of 300 random sets differ from the oracle", bad);
    yolo_workspace_free(&ws);
}

int main(void)
{
    HARNESS_INIT(h, "test_decode_nms");
    golden_model(&h, "yolov5n", 0);
    golden_model(&h, "yolov8n_dq", 0);
    golden_model(&h, "yolo11n_dq", 0);
    golden_model(&h, "yolov10n_dq", 0);
    golden_model(&h, "yolov8n_int8_qdq", 1);
    unit_cases(&h);
    random_sets(&h);
    return harness_finish(&h);
}
