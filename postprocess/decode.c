/* decode.c: raw YOLO outputs -> candidate boxes, exactly as reference.py's decode (which is
 * Ultralytics' non_max_suppression front half, and YOLOv5's for the v5 layout).
 *
 * All arithmetic is float32 as in torch: the threshold is cast to float once and compared
 * strictly (score > conf), boxes are x1 = cx - w / 2 etc. A class score that is NaN makes
 * torch.max / numpy.max return NaN for the anchor, which then fails "> conf": the anchor is
 * dropped here too (not silently given its best non-NaN class).
 */
#include <math.h>
#include <string.h>

#include "postprocess.h"

void yolo_nms_params_default(struct yolo_nms_params *p)
{
    memset(p, 0, sizeof *p);
    p->conf = 0.25;
    p->iou = 0.7;
    p->max_det = 300;
    p->max_nms = YOLO_NMS_MAX_NMS;
}

int64_t yolo_decode_max_candidates(const struct yolo_raw_output *out)
{
    if (!out || !out->data || out->dim1 < 1 || out->dim2 < 1)
        return -1;
    switch (out->layout) {
    case YOLO_LAYOUT_V8:  return out->dim1 >= 5 ? out->dim2 : -1;
    case YOLO_LAYOUT_V5:  return out->dim2 >= 6 ? out->dim1 : -1;
    case YOLO_LAYOUT_E2E: return out->dim2 >= 6 ? out->dim1 : -1;
    }
    return -1;
}

static int class_allowed(const struct yolo_nms_params *p, int32_t cls)
{
    if (!p->classes || p->n_classes <= 0)
        return 1;
    for (int32_t i = 0; i < p->n_classes; i++)
        if (p->classes[i] == cls)
            return 1;
    return 0;
}

static void count_invalid(const struct yolo_nms_params *p)
{
    if (p->n_invalid)
        (*p->n_invalid)++;
}

static int finite_det(const struct yolo_det *c)
{
    return isfinite(c->x1) && isfinite(c->y1) && isfinite(c->x2) && isfinite(c->y2) &&
           isfinite(c->conf);
}

static void put_xywh(struct yolo_det *c, float cx, float cy, float w, float h, float conf,
                     int32_t cls)
{
    float hw = w / 2.0f, hh = h / 2.0f;
    c->x1 = cx - hw;
    c->y1 = cy - hh;
    c->x2 = cx + hw;
    c->y2 = cy + hh;
    c->conf = conf;
    c->cls = cls;
    c->name = NULL;
}

/* [4 + nc, A]: row r of anchor a at data[r * A + a]. */
static int64_t decode_v8(const struct yolo_raw_output *out, const struct yolo_nms_params *p,
                         int64_t nc, struct yolo_det *cands)
{
    const float *y = out->data, c = (float)p->conf;
    int64_t A = out->dim2, n = 0;
    for (int64_t a = 0; a < A; a++) {
        const float *s = y + 4 * A + a;
        float best = s[0];
        int32_t arg = 0;
        int nan = best != best;
        for (int64_t k = 1; k < nc; k++) {
            float v = s[k * A];
            if (v > best) {
                best = v;
                arg = (int32_t)k;
            } else if (v != v) {
                nan = 1;
            }
        }
        if (nan || !(best > c) || !class_allowed(p, arg))
            continue;
        put_xywh(&cands[n++], y[a], y[A + a], y[2 * A + a], y[3 * A + a], best, arg);
    }
    return n;
}

/* [A, 5 + nc]: cx, cy, w, h, obj, class scores per row. */
static int64_t decode_v5(const struct yolo_raw_output *out, const struct yolo_nms_params *p,
                         int64_t nc, struct yolo_det *cands)
{
    const float c = (float)p->conf;
    int64_t A = out->dim1, stride = out->dim2, n = 0;
    for (int64_t a = 0; a < A; a++) {
        const float *r = out->data + a * stride;
        float obj = r[4];
        if (!(obj > c))                 /* objectness first, as YOLOv5's xc = x[..., 4] > conf */
            continue;
        float best = r[5] * obj;        /* conf = cls * obj, float32 */
        int32_t arg = 0;
        int nan = best != best;
        for (int64_t k = 1; k < nc; k++) {
            float v = r[5 + k] * obj;
            if (v > best) {
                best = v;
                arg = (int32_t)k;
            } else if (v != v) {
                nan = 1;
            }
        }
        if (nan || !(best > c) || !class_allowed(p, arg))
            continue;
        put_xywh(&cands[n++], r[0], r[1], r[2], r[3], best, arg);
    }
    return n;
}

/* [N, 6+]: x1, y1, x2, y2, score, class. Ultralytics keeps score > conf in model order,
 * cuts to max_det, then applies the classes filter; no NMS. */
static int64_t decode_e2e(const struct yolo_raw_output *out, const struct yolo_nms_params *p,
                          struct yolo_det *cands)
{
    const float c = (float)p->conf;
    int64_t N = out->dim1, stride = out->dim2, n = 0, taken = 0;
    int64_t max_det = p->max_det > 0 ? p->max_det : 300;
    for (int64_t i = 0; i < N && taken < max_det; i++) {
        const float *r = out->data + i * stride;
        if (!(r[4] > c))
            continue;
        taken++;
        /* astype(int64) truncates; a class that is not a number in int32 range, or not one
         * of the model's nc classes, is garbage from the model: the row is dropped and
         * counted, as is a NaN or infinite box or score. */
        float fc = r[5];
        if (!(fc > -2147483648.0f && fc < 2147483648.0f) ||
            (p->nc > 0 && !((int32_t)fc >= 0 && (int32_t)fc < p->nc))) {
            count_invalid(p);
            continue;
        }
        int32_t cls = (int32_t)fc;
        struct yolo_det *o = &cands[n];
        o->x1 = r[0];
        o->y1 = r[1];
        o->x2 = r[2];
        o->y2 = r[3];
        o->conf = r[4];
        o->cls = cls;
        o->name = NULL;
        if (!finite_det(o)) {
            count_invalid(p);
            continue;
        }
        if (!class_allowed(p, cls))
            continue;
        n++;
    }
    return n;
}

int yolo_decode(const struct yolo_raw_output *out, const struct yolo_nms_params *p,
                struct yolo_det *cands, int64_t cap, int64_t *n_out, struct yolo_diag *d)
{
    if (n_out)
        *n_out = 0;
    if (!out || !p || !cands || !n_out)
        return yolo_diag_set(d, YOLO_ERR_ARG, "decode: NULL argument");
    int64_t max = yolo_decode_max_candidates(out);
    if (max < 0)
        return yolo_diag_set(d, YOLO_ERR_ARG, "decode: output [%lld, %lld] does not fit layout %d",
                             (long long)out->dim1, (long long)out->dim2, (int)out->layout);
    if (cap < max)
        return yolo_diag_set(d, YOLO_ERR_ARG, "decode: room for %lld candidates, %lld needed",
                             (long long)cap, (long long)max);
    int64_t avail = out->layout == YOLO_LAYOUT_V8 ? out->dim1 - 4
                  : out->layout == YOLO_LAYOUT_V5 ? out->dim2 - 5 : 0;
    int64_t nc = p->nc > 0 ? p->nc : avail;
    if (out->layout != YOLO_LAYOUT_E2E && (nc > avail || nc > INT32_MAX))
        return yolo_diag_set(d, YOLO_ERR_ARG, "decode: %lld classes asked, the output has %lld",
                             (long long)nc, (long long)avail);
    switch (out->layout) {
    case YOLO_LAYOUT_V8:  *n_out = decode_v8(out, p, nc, cands); break;
    case YOLO_LAYOUT_V5:  *n_out = decode_v5(out, p, nc, cands); break;
    case YOLO_LAYOUT_E2E: *n_out = decode_e2e(out, p, cands);    break;
    }
    return YOLO_OK;
}
