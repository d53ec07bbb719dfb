/* test_json.c: the JSON reader (eval/json.c) and the prediction-line reader built on it
 * (eval/predictions.c): valid documents, exact float32 numbers, every grammar error with
 * its position, nesting limits, and the fields `yolo val --predictions` needs. */
#include <math.h>

#include "harness.h"
#include "../eval/json.h"
#include "../eval/predictions.h"

/* Parses a NUL-terminated text; returns the document or NULL (message in d). */
static struct yolo_json_doc *parse(const char *text, struct yolo_diag *d)
{
    struct yolo_json_doc *doc = NULL;
    d->status = YOLO_OK;
    d->msg[0] = 0;
    yolo_json_parse(text, strlen(text), &doc, d);
    return doc;
}

static void test_values(struct harness *h)
{
    struct yolo_diag d;
    const char *text = " {\"a\": [1, -2.5e3, 0, true, false, null, \"x\"],\n \"b\": {\"c\": {}},"
                       " \"e\": [], \"a\": \"last\"}\r\n";
    struct yolo_json_doc *doc = parse(text, &d);
    CHECK(h, doc != NULL, "parse: %s", d.msg);
    if (doc) {
        const struct yolo_json *r = yolo_json_root(doc);
        CHECK(h, r->type == YOLO_JSON_OBJECT && r->n == 4, "root type %d n %d", r->type, r->n);
        const struct yolo_json *a = r->n == 4 ? &r->items[0] : NULL;
        CHECK(h, a && a->type == YOLO_JSON_ARRAY && a->n == 7, "a");
        if (a && a->n == 7) {
            CHECK(h, a->items[0].number == 1 && a->items[1].number == -2500 &&
                  a->items[1].number_f32 == -2500.0f && a->items[2].number == 0 &&
                  strcmp(a->items[1].str, "-2.5e3") == 0, "numbers");
            CHECK(h, a->items[3].type == YOLO_JSON_TRUE && a->items[4].type == YOLO_JSON_FALSE &&
                  a->items[5].type == YOLO_JSON_NULL, "literals");
            CHECK(h, a->items[6].type == YOLO_JSON_STRING && strcmp(a->items[6].str, "x") == 0 &&
                  a->items[6].n == 1, "string");
        }
        const struct yolo_json *last = yolo_json_get(r, "a");
        CHECK(h, last && last->type == YOLO_JSON_STRING && strcmp(last->str, "last") == 0,
              "duplicate key: the last wins");
        const struct yolo_json *c = yolo_json_get(yolo_json_get(r, "b"), "c");
        CHECK(h, c && c->type == YOLO_JSON_OBJECT && c->n == 0, "nested empty object");
        const struct yolo_json *e = yolo_json_get(r, "e");
        CHECK(h, e && e->type == YOLO_JSON_ARRAY && e->n == 0 && e->items == NULL, "empty array");
        CHECK(h, yolo_json_get(r, "zz") == NULL && yolo_json_get(a, "a") == NULL &&
              yolo_json_get(NULL, "a") == NULL, "get misses");
    }
    yolo_json_doc_free(doc);
    yolo_json_doc_free(NULL);

    /* Scalars at the top, and a text that is not NUL-terminated: only len bytes count. */
    doc = parse("  -0 ", &d);
    CHECK(h, doc && yolo_json_root(doc)->type == YOLO_JSON_NUMBER &&
          yolo_json_root(doc)->number == 0 && signbit(yolo_json_root(doc)->number), "-0: %s", d.msg);
    yolo_json_doc_free(doc);
    doc = NULL;
    const char buf[] = "[1, 2]garbage";
    CHECK(h, yolo_json_parse(buf, 6, &doc, &d) == YOLO_OK && yolo_json_root(doc)->n == 2,
          "length-bounded text: %s", d.msg);
    yolo_json_doc_free(doc);
    doc = parse("1e400", &d);
    CHECK(h, doc && isinf(yolo_json_root(doc)->number) && isinf(yolo_json_root(doc)->number_f32),
          "overflow reads as inf");
    yolo_json_doc_free(doc);
}

static void test_strings(struct harness *h)
{
    struct yolo_diag d;
    /* Escapes, a 2-byte and a 4-byte character by \u (a surrogate pair), raw UTF-8 passed
     * through, and an embedded NUL that only n reveals. */
    struct yolo_json_doc *doc = parse("\"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t \\u00e9 \\ud83d\\ude00 "
                                      "\xc3\xa9\xe2\x82\xac \\u0000z\"", &d);
    const char want[] = "q\"b\\s/\b\f\n\r\t \xc3\xa9 \xf0\x9f\x98\x80 \xc3\xa9\xe2\x82\xac \0z";
    CHECK(h, doc != NULL, "strings: %s", d.msg);
    if (doc) {
        const struct yolo_json *s = yolo_json_root(doc);
        CHECK(h, s->n == (int32_t)sizeof want - 1 && memcmp(s->str, want, sizeof want) == 0,
              "decoded %d bytes, want %d", s->n, (int)sizeof want - 1);
    }
    yolo_json_doc_free(doc);

    /* Bytes that are not UTF-8 (a Latin-1 file name) survive a round trip through the one
     * writer, yolo_json_escape (as \udcXX), and this reader (as the bytes again). */
    const char *raw = "caf\xe9 \xff\xc0\xaf \xed\xa0\x80 \xc3\xa9\"\x01";
    char esc[128];
    yolo_json_escape(esc, sizeof esc, raw);
    doc = parse(esc, &d);
    CHECK(h, doc && yolo_json_root(doc)->n == (int32_t)strlen(raw) && !strcmp(yolo_json_root(doc)->str, raw),
          "round trip of non-UTF-8 bytes through %s: %s", esc, doc ? "other bytes" : d.msg);
    yolo_json_doc_free(doc);
}

/* float32 values printed with 9 significant digits (always enough to round-trip) come back
 * exactly; and a decimal just above a float32 rounding midpoint, where strtod-then-cast rounds
 * twice and lands on the wrong float, reads correctly through number_f32. */
static void test_numbers(struct harness *h)
{
    const uint64_t seed = 7177;
    uint64_t s = seed;
    int bad = 0;
    printf("test_numbers: seed %llu\n", (unsigned long long)seed);
    for (int i = 0; i < 2000; i++) {
        uint32_t bits = (uint32_t)(harness_rand(&s) >> 32);
        float f;
        memcpy(&f, &bits, sizeof f);
        if (!isfinite(f))
            continue;
        char text[64];
        snprintf(text, sizeof text, "%.9g", (double)f);
        struct yolo_diag d;
        struct yolo_json_doc *doc = parse(text, &d);
        if (!doc || yolo_json_root(doc)->number_f32 != f) {
            if (bad++ < 5)
                CHECK(h, 0, "%s: %s", text, doc ? "wrong value" : d.msg);
        }
        yolo_json_doc_free(doc);
    }
    CHECK(h, bad == 0, "%d of 2000 floats did not round-trip", bad);

    struct yolo_diag d;
    struct yolo_json_doc *doc = parse("1.00000005960464477550", &d);
    CHECK(h, doc && yolo_json_root(doc)->number_f32 == nextafterf(1.0f, 2.0f) &&
          (float)yolo_json_root(doc)->number == 1.0f, "double rounding case");
    yolo_json_doc_free(doc);
}

static void test_errors(struct harness *h)
{
    const struct { const char *text; const char *msg; } cases[] = {
        { "", "column 1: expected a value, found end of text" },
        { "   ", "column 4: expected a value" },
        { "[1,]", "column 4: expected a value, found ']'" },
        { "[1 2]", "column 4: expected ',' or ']', found '2'" },
        { "{\"a\" 1}", "column 6: expected ':' after key \"a\", found '1'" },
        { "{\"a\":1,}", "column 8: expected a string key, found '}'" },
        { "{a:1}", "column 2: expected a string key" },
        { "[1", "column 1: unclosed array" },
        { "{\"a\":1", "column 1: unclosed object" },
        { "01", "column 1: invalid number (leading zero)" },
        { "1.", "column 3: invalid number (digit expected after '.')" },
        { "1e+", "column 4: invalid number (digit expected in the exponent)" },
        { "-", "column 1: invalid number" },
        { "+1", "column 1: expected a value, found '+'" },
        { ".5", "column 1: expected a value, found '.'" },
        { "NaN", "column 1: expected a value, found 'N'" },
        { "0x10", "column 2: unexpected 'x' after the value" },
        { "tru", "column 1: invalid literal (expected true)" },
        { "nul", "column 1: invalid literal (expected null)" },
        { "[1] x", "column 5: unexpected 'x' after the value" },
        { "\"abc", "column 1: unterminated string" },
        { "\"a\x01\"", "column 3: control character 0x01" },
        { "\"a\tb\"", "column 3: control character 0x09" },
        { "\"\\x\"", "column 2: invalid escape '\\x'" },
        { "\"\\u12\"", "column 2: \\u needs 4 hex digits" },
        { "\"\\ud800\"", "column 2: high surrogate \\ud800 without a low surrogate" },
        { "\"\\ud800\\u0041\"", "column 2: high surrogate" },
        { "\"\\udc00\"", "column 2: unpaired low surrogate" },
        { "\"\xff\"", "column 2: invalid UTF-8" },
        { "\"\xc0\xaf\"", "column 2: invalid UTF-8" },            /* overlong '/' */
        { "\"\xed\xa0\x80\"", "column 2: invalid UTF-8" },        /* a surrogate in UTF-8 */
        { "\"\xe2\x82\"", "column 2: invalid UTF-8" },            /* truncated */
        { "{\"a\":\n  [1,\n  2,,]}", "line 3, column 5: expected a value, found ','" },
        { "[1]\n\x01", "line 2, column 1: unexpected byte 0x01 after the value" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct yolo_diag d;
        struct yolo_json_doc *doc = parse(cases[i].text, &d);
        CHECK(h, doc == NULL && d.status == YOLO_ERR_FORMAT && strstr(d.msg, cases[i].msg),
              "case %d: got \"%s\", want \"%s\"", (int)i, d.msg, cases[i].msg);
        yolo_json_doc_free(doc);
    }
    /* A line's own end does not make it a multi-line text: no "line 1, ". */
    struct yolo_diag d;
    struct yolo_json_doc *doc = parse("[1 2]\r\n", &d);
    CHECK(h, !doc && strncmp(d.msg, "column 4: expected ','", 22) == 0, "line end: %s", d.msg);
    doc = (struct yolo_json_doc *)1;
    CHECK(h, yolo_json_parse(NULL, 3, &doc, &d) == YOLO_ERR_ARG && doc == NULL, "NULL text");
}

/* YOLO_JSON_MAX_DEPTH nested arrays parse; one more is an error, not a stack overflow. */
static void test_depth(struct harness *h)
{
    char text[2 * (YOLO_JSON_MAX_DEPTH + 1) + 1];
    for (int extra = 0; extra <= 1; extra++) {
        int n = YOLO_JSON_MAX_DEPTH + extra;
        for (int i = 0; i < n; i++) {
            text[i] = '[';
            text[n + i] = ']';
        }
        text[2 * n] = 0;
        struct yolo_diag d;
        struct yolo_json_doc *doc = parse(text, &d);
        if (extra)
            CHECK(h, !doc && strstr(d.msg, "nesting deeper than"), "depth %d: %s", n, d.msg);
        else
            CHECK(h, doc != NULL, "depth %d: %s", n, d.msg);
        yolo_json_doc_free(doc);
    }
    /* Many items: the scratch stack and the arena grow past their first blocks. */
    size_t cap = 12 * 20000 + 16, k = 0;
    char *big = malloc(cap);
    if (!big)
        return;
    big[k++] = '[';
    for (int i = 0; i < 20000; i++)
        k += (size_t)snprintf(big + k, cap - k, "%s[%d,\"s\"]", i ? "," : "", i);
    big[k++] = ']';
    struct yolo_json_doc *doc = NULL;
    struct yolo_diag d;
    int rc = yolo_json_parse(big, k, &doc, &d);
    const struct yolo_json *r = yolo_json_root(doc);
    CHECK(h, rc == YOLO_OK && r->n == 20000 && r->items[19999].items[0].number == 19999 &&
          strcmp(r->items[12345].items[1].str, "s") == 0, "big array: %s", d.msg);
    yolo_json_doc_free(doc);
    free(big);
}

/* ------------------------------------------------------------------ prediction lines */

static int pred_parse(const char *line, struct yolo_pred_line *pl, struct yolo_diag *d)
{
    d->msg[0] = 0;
    return yolo_pred_line_parse(line, strlen(line), pl, d);
}

static void test_pred_lines(struct harness *h)
{
    struct yolo_pred_line pl;
    struct yolo_diag d;
    /* What `yolo detect --json` writes. */
    const char *line = "{\"path\": \"/d/imgs/bus.jpg\", \"width\": 810, \"height\": 1080, \"ms\": "
                       "{\"preprocess\": 1.0, \"inference\": 50.2, \"postprocess\": 0.3}, "
                       "\"detections\": [{\"cls\": 0, \"name\": \"person\", \"conf\": 0.92325133, "
                       "\"box\": [672.2517, 374.39337, 807.2673, 876.00354]}, {\"cls\": 5, "
                       "\"conf\": 1e-3, \"box\": [0, 0.5, 10, 2e1]}]}\n";
    int rc = pred_parse(line, &pl, &d);
    CHECK(h, rc == YOLO_OK, "detect line: %s", d.msg);
    if (rc == YOLO_OK) {
        CHECK(h, strcmp(pl.path, "/d/imgs/bus.jpg") == 0 && pl.width == 810 && pl.height == 1080 &&
              pl.n_dets == 2, "fields");
        CHECK(h, pl.dets[0].cls == 0 && pl.dets[0].conf == strtof("0.92325133", NULL) &&
              pl.dets[0].x1 == strtof("672.2517", NULL) && pl.dets[0].y2 == strtof("876.00354", NULL) &&
              pl.dets[0].name && strcmp(pl.dets[0].name, "person") == 0, "detection 0 exact");
        CHECK(h, pl.dets[1].cls == 5 && pl.dets[1].conf == 0.001f && pl.dets[1].name == NULL &&
              pl.dets[1].y1 == 0.5f && pl.dets[1].y2 == 20.0f, "detection 1");
    }
    yolo_pred_line_release(&pl);
    CHECK(h, pl.path == NULL && pl.dets == NULL && pl.n_dets == 0, "release zeroes");
    yolo_pred_line_release(NULL);

    /* Optional fields: no size (or null), no detections, whole numbers written as 3.0. */
    rc = pred_parse("{\"detections\": [], \"path\": \"a.jpg\", \"height\": null}", &pl, &d);
    CHECK(h, rc == YOLO_OK && pl.width == 0 && pl.height == 0 && pl.n_dets == 0 && !pl.dets,
          "minimal line: %s", d.msg);
    yolo_pred_line_release(&pl);
    rc = pred_parse("{\"path\":\"a\",\"width\":6.4e2,\"height\":480,\"detections\":[{\"cls\":3.0,"
                    "\"conf\":0.5,\"box\":[1,2,3,4],\"name\":null}]}", &pl, &d);
    CHECK(h, rc == YOLO_OK && pl.width == 640 && pl.dets[0].cls == 3, "whole numbers: %s", d.msg);
    yolo_pred_line_release(&pl);

    const struct { const char *line; const char *msg; } bad[] = {
        { "[1]", "expected a JSON object per line, got array" },
        { "{\"path\": \"a\", \"detections\": [}", "column 30: expected a value, found '}'" },
        { "{\"detections\": []}", "path: missing" },
        { "{\"path\": 3, \"detections\": []}", "path: expected a non-empty string" },
        { "{\"path\": \"\", \"detections\": []}", "path: expected a non-empty string" },
        { "{\"path\": \"a\\u0000b\", \"detections\": []}", "path: expected a non-empty string" },
        { "{\"path\": \"a\"}", "detections: missing" },
        { "{\"path\": \"a\", \"detections\": {}}", "detections: expected an array" },
        { "{\"path\": \"a\", \"width\": 0, \"detections\": []}", "width: expected a whole number >= 1, got 0" },
        { "{\"path\": \"a\", \"height\": \"9\", \"detections\": []}", "height: expected a whole number >= 1, got string" },
        { "{\"path\": \"a\", \"detections\": [3]}", "detections[0]: expected an object, got number" },
        { "{\"path\": \"a\", \"detections\": [{\"conf\": 1, \"box\": [0,0,1,1]}]}", "detections[0]: cls: missing" },
        { "{\"path\": \"a\", \"detections\": [{\"cls\": 1.5, \"conf\": 1, \"box\": [0,0,1,1]}]}",
          "detections[0]: cls: expected a whole number >= 0" },
        { "{\"path\": \"a\", \"detections\": [{\"cls\": -1, \"conf\": 1, \"box\": [0,0,1,1]}]}",
          "detections[0]: cls: expected a whole number >= 0" },
        { "{\"path\": \"a\", \"detections\": [{\"cls\": 1, \"box\": [0,0,1,1]}]}", "detections[0]: conf: missing" },
        { "{\"path\": \"a\", \"detections\": [{\"cls\": 1, \"conf\": \"0.5\", \"box\": [0,0,1,1]}]}",
          "detections[0]: conf: expected a finite number" },
        { "{\"path\": \"a\", \"detections\": [{\"cls\": 1, \"conf\": 1e39, \"box\": [0,0,1,1]}]}",
          "detections[0]: conf: expected a finite number" },
        { "{\"path\": \"a\", \"detections\": [{\"cls\": 0, \"conf\": 1, \"box\": [0,0,1,1]}, "
          "{\"cls\": 1, \"conf\": 1, \"box\": [0,0,1]}]}", "detections[1]: box: expected [x1, y1, x2, y2]" },
        { "{\"path\": \"a\", \"detections\": [{\"cls\": 1, \"conf\": 1, \"box\": [0,0,1,\"1\"]}]}",
          "detections[0]: box[3]: expected a finite number" },
        { "{\"path\": \"a\", \"detections\": [{\"cls\": 1, \"conf\": 1}]}", "detections[0]: box: missing" },
        { "{\"path\": \"a\", \"detections\": [{\"cls\": 1, \"conf\": 1, \"box\": [0,0,1,1], \"name\": 7}]}",
          "detections[0]: name: expected a string" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&pl, 0x55, sizeof pl);
        rc = pred_parse(bad[i].line, &pl, &d);
        CHECK(h, rc == YOLO_ERR_FORMAT && strstr(d.msg, bad[i].msg) && pl.path == NULL &&
              pl.dets == NULL, "bad line %d: got \"%s\", want \"%s\"", (int)i, d.msg, bad[i].msg);
        yolo_pred_line_release(&pl);
    }
}

int main(void)
{
    HARNESS_INIT(h, "test_json");
    test_values(&h);
    test_strings(&h);
    test_numbers(&h);
    test_errors(&h);
    test_depth(&h);
    test_pred_lines(&h);
    return harness_finish(&h);
}
