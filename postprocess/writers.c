/* writers.c: YOLO txt label lines and JSON detections.
 *
 * Floats in JSON are the shortest decimal that reads back as the same float32, laid out as
 * Python's repr lays out a float (positional for 1e-4 <= |v| < 1e16 with at least one
 * fractional digit, else d.ddde+XX), because reference.py writes float(str(np.float32(v))):
 * for the same values our dets JSON is byte-identical to the golden files.
 * txt lines follow Ultralytics' save_txt: "%g" of float32 xywhn values.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "postprocess.h"

/* snprintf-style accumulator: writes what fits (always NUL-terminated when cap > 0) and
 * counts everything. */
struct sbuf { char *buf; size_t cap, len; };

static void sb_putc(struct sbuf *s, char c)
{
    if (s->len + 1 < s->cap)
        s->buf[s->len] = c;
    s->len++;
    if (s->cap)
        s->buf[s->len < s->cap ? s->len : s->cap - 1] = 0;
}

static void sb_puts(struct sbuf *s, const char *t)
{
    while (*t)
        sb_putc(s, *t++);
}

static void sb_printf(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *s, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    sb_puts(s, tmp);
}

static int sb_done(const struct sbuf *s)
{
    return s->len > (size_t)INT32_MAX ? -1 : (int)s->len;
}

int yolo_fmt_float(char *buf, size_t cap, float v)
{
    struct sbuf s = { buf, buf ? cap : 0, 0 };
    if (isnan(v)) {
        sb_puts(&s, "nan");
        return sb_done(&s);
    }
    if (isinf(v)) {
        sb_puts(&s, v < 0 ? "-inf" : "inf");
        return sb_done(&s);
    }
    if (v == 0.0f) {
        sb_puts(&s, signbit(v) ? "-0.0" : "0.0");
        return sb_done(&s);
    }
    /* Fewest significant digits that round-trip through strtof. */
    char e[32];
    for (int p = 1; p <= 9; p++) {
        snprintf(e, sizeof e, "%.*e", p - 1, (double)v);
        if (strtof(e, NULL) == v)
            break;
    }
    /* e = "[-]d[.ddd]e[+-]XX": split into sign, digits, exponent. */
    char digits[16];
    int nd = 0, neg = e[0] == '-';
    const char *q = e + neg;
    for (; *q && *q != 'e'; q++)
        if (*q >= '0' && *q <= '9' && nd < 15)
            digits[nd++] = *q;
    int exp10 = *q == 'e' ? atoi(q + 1) : 0;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = 0;
    if (neg)
        sb_putc(&s, '-');
    if (exp10 >= -4 && exp10 < 16) {
        if (exp10 < 0) {
            sb_puts(&s, "0.");
            for (int i = 0; i < -exp10 - 1; i++)
                sb_putc(&s, '0');
            sb_puts(&s, digits);
        } else {
            for (int i = 0; i <= exp10; i++)
                sb_putc(&s, i < nd ? digits[i] : '0');
            sb_putc(&s, '.');
            if (nd > exp10 + 1)
                sb_puts(&s, digits + exp10 + 1);
            else
                sb_putc(&s, '0');
        }
    } else {
        sb_putc(&s, digits[0]);
        if (nd > 1) {
            sb_putc(&s, '.');
            sb_puts(&s, digits + 1);
        }
        sb_printf(&s, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    }
    return sb_done(&s);
}

/* Length of a valid UTF-8 sequence at p (1..4), or 0 if the bytes there are not one. */
static int utf8_len(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    int n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 && p[0] < 0xe0 ? 2 : 0;
    if (n == 0 || (n == 3 && p[0] > 0xef))
        return 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    /* No overlong 3/4-byte forms, no surrogates, nothing above U+10FFFF. */
    if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
        (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
        return 0;
    return n;
}

static void sb_json_string(struct sbuf *s, const char *str)
{
    const unsigned char *p = (const unsigned char *)str;
    sb_putc(s, '"');
    while (*p) {
        unsigned char c = *p;
        switch (c) {
        case '"':  sb_puts(s, "\\\""); p++; continue;
        case '\\': sb_puts(s, "\\\\"); p++; continue;
        case '\n': sb_puts(s, "\\n");  p++; continue;
        case '\r': sb_puts(s, "\\r");  p++; continue;
        case '\t': sb_puts(s, "\\t");  p++; continue;
        case '\b': sb_puts(s, "\\b");  p++; continue;
        case '\f': sb_puts(s, "\\f");  p++; continue;
        default: break;
        }
        if (c < 0x20) {
            sb_printf(s, "\\u%04x", c);
            p++;
            continue;
        }
        int n = utf8_len(p);
        if (n == 0) {              /* not UTF-8: a lone surrogate keeps the byte (yolo.h) */
            sb_printf(s, "\\u%04x", 0xdc00 + c);
            p++;
            continue;
        }
        for (int i = 0; i < n; i++)
            sb_putc(s, (char)p[i]);
        p += n;
    }
    sb_putc(s, '"');
}

int yolo_json_escape(char *buf, size_t cap, const char *str)
{
    if (!str)
        return -1;
    struct sbuf s = { buf, buf ? cap : 0, 0 };
    sb_json_string(&s, str);
    return sb_done(&s);
}

static void sb_json_float(struct sbuf *s, float v)
{
    char t[48];
    if (!isfinite(v)) {
        sb_puts(s, "null");
        return;
    }
    yolo_fmt_float(t, sizeof t, v);
    sb_puts(s, t);
}

int yolo_det_txt_line(char *buf, size_t cap, const struct yolo_det *det, int32_t img_w,
                      int32_t img_h, int with_conf)
{
    if (!det || img_w < 1 || img_h < 1)
        return -1;
    struct sbuf s = { buf, buf ? cap : 0, 0 };
    /* Ultralytics xyxy2xywh then / orig size, all float32; "%g" prints 6 digits. */
    float fw = (float)img_w, fh = (float)img_h;
    float xc = (det->x1 + det->x2) / 2.0f / fw, yc = (det->y1 + det->y2) / 2.0f / fh;
    float w = (det->x2 - det->x1) / fw, h = (det->y2 - det->y1) / fh;
    sb_printf(&s, "%d %g %g %g %g", det->cls, (double)xc, (double)yc, (double)w, (double)h);
    if (with_conf)
        sb_printf(&s, " %g", (double)det->conf);
    sb_putc(&s, '\n');
    return sb_done(&s);
}

static void sb_det_json(struct sbuf *s, const struct yolo_det *det, const char *name)
{
    char num[16];
    if (!name)
        name = det->name;
    if (!name) {
        snprintf(num, sizeof num, "%d", det->cls);
        name = num;
    }
    sb_printf(s, "{\"cls\": %d, \"name\": ", det->cls);
    sb_json_string(s, name);
    sb_puts(s, ", \"conf\": ");
    sb_json_float(s, det->conf);
    sb_puts(s, ", \"box\": [");
    const float b[4] = { det->x1, det->y1, det->x2, det->y2 };
    for (int k = 0; k < 4; k++) {
        if (k)
            sb_puts(s, ", ");
        sb_json_float(s, b[k]);
    }
    sb_puts(s, "]}");
}

int yolo_det_json(char *buf, size_t cap, const struct yolo_det *det, const char *name)
{
    if (!det)
        return -1;
    struct sbuf s = { buf, buf ? cap : 0, 0 };
    sb_det_json(&s, det, name);
    return sb_done(&s);
}

int yolo_image_json_line(char *buf, size_t cap, const char *path, const struct yolo_result *r,
                         const char *error)
{
    if (!path || (!error && (!r || (r->n_dets > 0 && !r->dets))))
        return -1;
    struct sbuf s = { buf, buf ? cap : 0, 0 };
    sb_puts(&s, "{\"path\": ");
    sb_json_string(&s, path);
    if (error) {
        sb_puts(&s, ", \"error\": ");
        sb_json_string(&s, error);
        sb_puts(&s, "}\n");
        return sb_done(&s);
    }
    /* %.3f of a double: three decimals are what the timings mean (the floats of the boxes
     * are float32 and written in their shortest form instead) */
    char num[96];
    snprintf(num, sizeof num, "%d, \"height\": %d", r->width, r->height);
    sb_puts(&s, ", \"width\": ");
    sb_puts(&s, num);
    snprintf(num, sizeof num, "%.3f, \"inference\": %.3f, \"postprocess\": %.3f", r->ms_preprocess,
             r->ms_inference, r->ms_postprocess);
    sb_puts(&s, ", \"ms\": {\"preprocess\": ");
    sb_puts(&s, num);
    sb_puts(&s, "}, \"detections\": [");
    for (int32_t i = 0; i < r->n_dets; i++) {
        if (i)
            sb_puts(&s, ", ");
        sb_det_json(&s, &r->dets[i], NULL);
    }
    sb_puts(&s, "]}\n");
    return sb_done(&s);
}

/* ------------------------------------------------------------------ FILE* forms */

static int write_text(FILE *f, const char *text, size_t n, const char *what, struct yolo_diag *d)
{
    if (n && fwrite(text, 1, n, f) != n)
        return yolo_diag_set(d, YOLO_ERR_IO, "%s: write failed", what);
    return YOLO_OK;
}

int yolo_det_txt_write(FILE *f, const struct yolo_det *det, int32_t img_w, int32_t img_h,
                       int with_conf, struct yolo_diag *d)
{
    char line[256];
    if (!f)
        return yolo_diag_set(d, YOLO_ERR_ARG, "txt labels: NULL file");
    int n = yolo_det_txt_line(line, sizeof line, det, img_w, img_h, with_conf);
    if (n < 0 || (size_t)n >= sizeof line)
        return yolo_diag_set(d, YOLO_ERR_ARG, "txt labels: bad detection or image size");
    return write_text(f, line, (size_t)n, "txt labels", d);
}

static const char *det_name(const struct yolo_det *det, const char *const *names, int32_t n_names)
{
    if (det->name)
        return det->name;
    if (names && det->cls >= 0 && det->cls < n_names && names[det->cls])
        return names[det->cls];
    return NULL;
}

int yolo_det_json_write(FILE *f, const struct yolo_det *det, const char *name,
                        struct yolo_diag *d)
{
    if (!f || !det)
        return yolo_diag_set(d, YOLO_ERR_ARG, "json: NULL argument");
    char stack[512];
    int n = yolo_det_json(stack, sizeof stack, det, name);
    if (n < 0)
        return yolo_diag_set(d, YOLO_ERR_ARG, "json: bad detection");
    if ((size_t)n < sizeof stack)
        return write_text(f, stack, (size_t)n, "json", d);
    char *big = malloc((size_t)n + 1);     /* a very long class name */
    if (!big)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "json: cannot allocate %d bytes", n + 1);
    yolo_det_json(big, (size_t)n + 1, det, name);
    int st = write_text(f, big, (size_t)n, "json", d);
    free(big);
    return st;
}

int yolo_dets_json_write(FILE *f, const struct yolo_det *dets, int32_t n,
                         const char *const *names, int32_t n_names, struct yolo_diag *d)
{
    if (!f || (!dets && n > 0) || n < 0)
        return yolo_diag_set(d, YOLO_ERR_ARG, "json: bad argument");
    if (n == 0)
        return write_text(f, "[]\n", 3, "json", d);
    int st = write_text(f, "[\n", 2, "json", d);
    for (int32_t i = 0; i < n && !st; i++) {
        st = write_text(f, " ", 1, "json", d);
        if (!st)
            st = yolo_det_json_write(f, &dets[i], det_name(&dets[i], names, n_names), d);
        if (!st)
            st = write_text(f, i + 1 < n ? ",\n" : "\n]\n", i + 1 < n ? 2 : 3, "json", d);
    }
    return st;
}
