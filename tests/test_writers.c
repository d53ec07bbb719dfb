/* test_writers.c: shortest round-trip float formatting (Python repr layout), JSON string
 * escaping, the detection JSON object and list, YOLO txt label lines, snprintf-style
 * truncation and the FILE* forms with their error path. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../postprocess/postprocess.h"

static void fmt_is(struct harness *h, float v, const char *want)
{
    char buf[48];
    int n = yolo_fmt_float(buf, sizeof buf, v);
    CHECK(h, n == (int)strlen(want) && !strcmp(buf, want), "%.9g -> '%s', want '%s'", v, buf, want);
}

static int sig_digits(const char *s)
{
    int n = 0, started = 0, trailing_zeros = 0;
    for (; *s && *s != 'e'; s++) {
        if (*s < '0' || *s > '9')
            continue;
        if (*s != '0')
            started = 1;
        if (!started)
            continue;
        n++;
        trailing_zeros = *s == '0' ? trailing_zeros + 1 : 0;
    }
    return n - trailing_zeros;
}

static void floats(struct harness *h)
{
    fmt_is(h, 0.92325133f, "0.92325133");
    fmt_is(h, 672.2517f, "672.2517");
    fmt_is(h, 810.0f, "810.0");
    fmt_is(h, 1.0f, "1.0");
    fmt_is(h, -2.5f, "-2.5");
    fmt_is(h, 0.0f, "0.0");
    fmt_is(h, -0.0f, "-0.0");
    fmt_is(h, 0.0001f, "0.0001");
    fmt_is(h, 0.00001f, "1e-05");
    fmt_is(h, 1.5e-7f, "1.5e-07");
    fmt_is(h, 123456.7f, "123456.7");
    fmt_is(h, 16777216.0f, "16777216.0");
    fmt_is(h, 1e16f, "1e+16");
    fmt_is(h, 3.4028235e38f, "3.4028235e+38");
    fmt_is(h, 0.1f, "0.1");
    fmt_is(h, 1.4e-45f, "1e-45");
    fmt_is(h, NAN, "nan");
    fmt_is(h, -INFINITY, "-inf");

    /* Every finite float32 reads back exactly, with the fewest significant digits. */
    uint64_t seed = 99;
    printf("float round trip: seed %llu\n", (unsigned long long)seed);
    int bad = 0;
    for (int i = 0; i < 50000; i++) {
        uint32_t bits = (uint32_t)(harness_rand(&seed) >> 32);
        float v;
        memcpy(&v, &bits, 4);
        if (!isfinite(v))
            continue;
        char buf[48], fewer[48];
        yolo_fmt_float(buf, sizeof buf, v);
        int ok = strtof(buf, NULL) == v && (signbit(strtof(buf, NULL)) == signbit(v));
        int nd = sig_digits(buf);
        if (ok && nd > 1) {
            snprintf(fewer, sizeof fewer, "%.*e", nd - 2, (double)v);
            ok = strtof(fewer, NULL) != v;
        }
        if (!ok && bad++ < 5)
            CHECK(h, ok, "%.9g (0x%08x) -> '%s' (%d digits)", v, bits, buf, nd);
    }
    CHECK(h, bad == 0, "%d floats not shortest round-trip", bad);

    /* snprintf semantics. */
    char small[4];
    int n = yolo_fmt_float(small, sizeof small, 672.2517f);
    CHECK(h, n == 8 && !strcmp(small, "672"), "truncated: %d '%s'", n, small);
    CHECK(h, yolo_fmt_float(NULL, 0, 0.5f) == 3, "length only");
}

static void strings(struct harness *h)
{
    char buf[128];
    int n = yolo_json_escape(buf, sizeof buf, "a\"b\\c\nd\te\x01 caf\xc3\xa9 \xff!");
    const char *want = "\"a\\\"b\\\\c\\nd\\te\\u0001 caf\xc3\xa9 \\udcff!\"";
    CHECK(h, n == (int)strlen(want) && !strcmp(buf, want), "escape: '%s'", buf);
    n = yolo_json_escape(buf, sizeof buf, "\xe2\x82\xac \xed\xa0\x80 \xc0\xaf");  /* euro, surrogate, overlong */
    want = "\"\xe2\x82\xac \\udced\\udca0\\udc80 \\udcc0\\udcaf\"";
    CHECK(h, !strcmp(buf, want), "utf-8 checks: '%s'", buf);
    CHECK(h, yolo_json_escape(buf, sizeof buf, NULL) < 0, "NULL string");
}

static void dets(struct harness *h)
{
    struct yolo_det d = { 0, 0.92325133f, 672.2517f, 374.39337f, 807.2673f, 876.00354f, NULL };
    char buf[256];
    int n = yolo_det_json(buf, sizeof buf, &d, "person");
    const char *want = "{\"cls\": 0, \"name\": \"person\", \"conf\": 0.92325133, \"box\": "
                       "[672.2517, 374.39337, 807.2673, 876.00354]}";
    CHECK(h, n == (int)strlen(want) && !strcmp(buf, want), "json: '%s'", buf);
    struct yolo_det e = { 12, NAN, 0, -0.0f, INFINITY, 5, "stop\"sign" };
    yolo_det_json(buf, sizeof buf, &e, NULL);
    CHECK(h, !strcmp(buf, "{\"cls\": 12, \"name\": \"stop\\\"sign\", \"conf\": null, \"box\": "
                          "[0.0, -0.0, null, 5.0]}"), "json non-finite / det->name: '%s'", buf);
    e.name = NULL;
    yolo_det_json(buf, sizeof buf, &e, NULL);
    CHECK(h, strstr(buf, "\"name\": \"12\"") != NULL, "json number name: '%s'", buf);
    char tiny[10];
    n = yolo_det_json(tiny, sizeof tiny, &d, "person");
    CHECK(h, n == (int)strlen(want) && strlen(tiny) == 9 && !strncmp(tiny, want, 9), "truncated");

    /* txt: Ultralytics xywhn in float32, %g. */
    struct yolo_det t = { 3, 0.923251f, 10, 20, 110, 220, NULL };
    n = yolo_det_txt_line(buf, sizeof buf, &t, 200, 400, 0);
    CHECK(h, n > 0 && !strcmp(buf, "3 0.3 0.3 0.5 0.5\n"), "txt: '%s'", buf);
    yolo_det_txt_line(buf, sizeof buf, &t, 200, 400, 1);
    CHECK(h, !strcmp(buf, "3 0.3 0.3 0.5 0.5 0.923251\n"), "txt conf: '%s'", buf);
    struct yolo_det u = { 0, 0.92325133f, 672.2517f, 374.39337f, 807.2673f, 876.00354f, NULL };
    yolo_det_txt_line(buf, sizeof buf, &u, 810, 1080, 1);
    CHECK(h, !strcmp(buf, "0 0.913283 0.578887 0.166686 0.464454 0.923251\n"), "txt bus: '%s'",
          buf);
    CHECK(h, yolo_det_txt_line(buf, sizeof buf, &u, 0, 1080, 1) < 0, "txt bad size");

    /* FILE* forms. */
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    struct yolo_diag dg;
    struct yolo_det two[2] = { d, t };
    static const char *const names[4] = { "person", "bicycle", "car", "motorcycle" };
    CHECK(h, f && yolo_dets_json_write(f, two, 2, names, 4, &dg) == 0, "list write");
    if (f)
        fclose(f);
    const char *list = "[\n {\"cls\": 0, \"name\": \"person\", \"conf\": 0.92325133, \"box\": "
                       "[672.2517, 374.39337, 807.2673, 876.00354]},\n {\"cls\": 3, \"name\": "
                       "\"motorcycle\", \"conf\": 0.923251, \"box\": [10.0, 20.0, 110.0, 220.0]}\n]\n";
    CHECK(h, mem && !strcmp(mem, list), "list: '%s'", mem ? mem : "");
    free(mem);
    mem = NULL;
    f = open_memstream(&mem, &len);
    CHECK(h, f && yolo_dets_json_write(f, NULL, 0, NULL, 0, &dg) == 0, "empty list");
    if (f)
        fclose(f);
    CHECK(h, mem && !strcmp(mem, "[]\n"), "empty list text");
    free(mem);
    mem = NULL;
    f = open_memstream(&mem, &len);
    CHECK(h, f && yolo_det_txt_write(f, &t, 200, 400, 0, &dg) == 0 &&
          yolo_det_json_write(f, &d, "person", &dg) == 0, "single writers");
    if (f)
        fclose(f);
    CHECK(h, mem && !strncmp(mem, "3 0.3 0.3 0.5 0.5\n{\"cls\": 0", 27), "single: '%s'", mem);
    free(mem);

    /* A long name takes the heap path; a read-only stream reports an I/O error. */
    char *longname = malloc(3000);
    memset(longname, 'x', 2999);
    longname[2999] = 0;
    mem = NULL;
    f = open_memstream(&mem, &len);
    CHECK(h, f && yolo_det_json_write(f, &d, longname, &dg) == 0, "long name");
    if (f)
        fclose(f);
    CHECK(h, mem && strlen(mem) > 3000 && strstr(mem, "\"conf\": 0.92325133"), "long name text");
    free(mem);
    free(longname);
    FILE *ro = fopen("/dev/null", "r");
    if (ro) {
        CHECK(h, yolo_det_json_write(ro, &d, "person", &dg) == YOLO_ERR_IO &&
              strstr(dg.msg, "write failed"), "read-only stream: %s", dg.msg);
        CHECK(h, yolo_det_txt_write(ro, &t, 200, 400, 0, &dg) == YOLO_ERR_IO, "txt read-only");
        fclose(ro);
    }
    CHECK(h, yolo_dets_json_write(NULL, two, 2, names, 4, &dg) == YOLO_ERR_ARG, "NULL file");
}

int main(void)
{
    HARNESS_INIT(h, "test_writers");
    floats(&h);
    strings(&h);
    dets(&h);
    return harness_finish(&h);
}
