/* nms.c: greedy NMS as torchvision.ops.nms on CPU (via reference.py's transcription),
 * scale_boxes/clip_boxes, and the whole postprocess chain.
 *
 * Order: candidates are sorted by score, descending, with a stable sort (equal scores keep
 * anchor order, as torchvision's CPU kernel does). Class-aware NMS shifts every box by
 * cls * 7680 (float32) so boxes of different classes never overlap. IoU is computed in
 * float32 with numpy's NaN propagation (a NaN coordinate makes the IoU NaN: nothing is
 * suppressed by it) and compared with the threshold in binary64, as torchvision does.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "postprocess.h"

struct order { float score; int32_t idx; };

static int order_cmp(const void *a, const void *b)
{
    const struct order *x = a, *y = b;
    if (x->score > y->score)
        return -1;
    if (x->score < y->score)
        return 1;
    return (x->idx > y->idx) - (x->idx < y->idx);   /* ties: input order (stable) */
}

/* numpy.maximum / minimum: NaN if either is NaN. */
static inline float max_np(float a, float b) { return (a != a || a > b) ? a : b; }
static inline float min_np(float a, float b) { return (a != a || a < b) ? a : b; }

static size_t align64(size_t v) { return (v + 63) & ~(size_t)63; }

static size_t nms_scratch_bytes(int64_t n, int64_t m)
{
    return align64((size_t)n * sizeof(struct order)) + 5 * align64((size_t)m * sizeof(float)) +
           align64((size_t)m);
}

static int check_params(const struct yolo_nms_params *p, struct yolo_diag *d)
{
    if (!p)
        return yolo_diag_set(d, YOLO_ERR_ARG, "nms: NULL parameters");
    if (!(p->iou == p->iou) || !(p->conf == p->conf))
        return yolo_diag_set(d, YOLO_ERR_ARG, "nms: conf and iou must be numbers");
    if (p->n_classes < 0 || (p->n_classes > 0 && !p->classes))
        return yolo_diag_set(d, YOLO_ERR_ARG, "nms: bad classes filter");
    return YOLO_OK;
}

/* Greedy NMS over cands[0..n) with scratch of nms_scratch_bytes(n, min(n, max_nms)). */
static int32_t nms_core(const struct yolo_det *cands, int64_t n, const struct yolo_nms_params *p,
                        uint8_t *scratch, struct yolo_det *out, int32_t cap)
{
    int64_t max_nms = p->max_nms > 0 ? p->max_nms : YOLO_NMS_MAX_NMS;
    int64_t m = n < max_nms ? n : max_nms;
    int32_t max_det = p->max_det > 0 ? p->max_det : 300;
    if (max_det > cap)
        max_det = cap;
    if (n <= 0 || max_det <= 0)
        return 0;

    struct order *ord = (struct order *)scratch;
    float *x1 = (float *)(scratch + align64((size_t)n * sizeof *ord));
    float *y1 = x1 + align64((size_t)m * sizeof(float)) / sizeof(float);
    float *x2 = y1 + align64((size_t)m * sizeof(float)) / sizeof(float);
    float *y2 = x2 + align64((size_t)m * sizeof(float)) / sizeof(float);
    float *area = y2 + align64((size_t)m * sizeof(float)) / sizeof(float);
    uint8_t *supp = (uint8_t *)(area + align64((size_t)m * sizeof(float)) / sizeof(float));

    for (int64_t i = 0; i < n; i++) {
        ord[i].score = cands[i].conf;
        ord[i].idx = (int32_t)i;
    }
    qsort(ord, (size_t)n, sizeof *ord, order_cmp);

    const float max_wh = p->agnostic ? 0.0f : (float)YOLO_NMS_MAX_WH;
    for (int64_t i = 0; i < m; i++) {
        const struct yolo_det *c = &cands[ord[i].idx];
        float off = (float)c->cls * max_wh;
        x1[i] = c->x1 + off;
        y1[i] = c->y1 + off;
        x2[i] = c->x2 + off;
        y2[i] = c->y2 + off;
        area[i] = (x2[i] - x1[i]) * (y2[i] - y1[i]);
        supp[i] = 0;
    }

    const double iou = p->iou;
    int32_t kept = 0;
    for (int64_t i = 0; i < m && kept < max_det; i++) {
        if (supp[i])
            continue;
        out[kept] = cands[ord[i].idx];
        out[kept].name = NULL;
        kept++;
        float ix1 = x1[i], iy1 = y1[i], ix2 = x2[i], iy2 = y2[i], ia = area[i];
        for (int64_t j = i + 1; j < m; j++) {
            if (supp[j])
                continue;
            float w = max_np(0.0f, min_np(ix2, x2[j]) - max_np(ix1, x1[j]));
            float h = max_np(0.0f, min_np(iy2, y2[j]) - max_np(iy1, y1[j]));
            float inter = w * h;
            float ovr = inter / (ia + area[j] - inter);
            if ((double)ovr > iou)
                supp[j] = 1;
        }
    }
    return kept;
}

int yolo_nms(const struct yolo_det *cands, int64_t n, const struct yolo_nms_params *p,
             struct yolo_workspace *ws, struct yolo_det *out, int32_t cap, int32_t *n_out,
             struct yolo_diag *d)
{
    if (n_out)
        *n_out = 0;
    if ((!cands && n > 0) || !ws || !out || !n_out || n < 0 || cap < 0)
        return yolo_diag_set(d, YOLO_ERR_ARG, "nms: bad argument");
    int st = check_params(p, d);
    if (st)
        return st;
    if (n > INT32_MAX)
        return yolo_diag_set(d, YOLO_ERR_ARG, "nms: %lld candidates is too many", (long long)n);
    int64_t max_nms = p->max_nms > 0 ? p->max_nms : YOLO_NMS_MAX_NMS;
    int64_t m = n < max_nms ? n : max_nms;
    uint8_t *scratch = yolo_workspace_reserve(ws, nms_scratch_bytes(n, m), d);
    if (!scratch)
        return YOLO_ERR_NOMEM;
    *n_out = nms_core(cands, n, p, scratch, out, cap);
    return YOLO_OK;
}

void yolo_scale_boxes(struct yolo_det *dets, int32_t n, const struct yolo_letterbox_geom *g)
{
    struct yolo_letterbox_geom q;
    /* The same gain and rounded pads the letterbox used (Ultralytics scale_boxes recomputes
     * them from the two sizes with the same formulas). */
    if (!dets || !g || yolo_letterbox_geom_compute(g->src_w, g->src_h, g->dst_w, g->dst_h, &q,
                                                   NULL) != YOLO_OK)
        return;
    const float px = (float)q.pad_left, py = (float)q.pad_top, gain = (float)q.gain;
    const float w0 = (float)q.src_w, h0 = (float)q.src_h;
    for (int32_t i = 0; i < n; i++) {
        struct yolo_det *b = &dets[i];
        float v[4] = { (b->x1 - px) / gain, (b->y1 - py) / gain,
                       (b->x2 - px) / gain, (b->y2 - py) / gain };
        for (int k = 0; k < 4; k++) {
            float hi = (k & 1) ? h0 : w0;
            v[k] = v[k] < 0.0f ? 0.0f : v[k] > hi ? hi : v[k];   /* NaN stays NaN (np.clip) */
        }
        b->x1 = v[0];
        b->y1 = v[1];
        b->x2 = v[2];
        b->y2 = v[3];
    }
}

void yolo_dets_sort(struct yolo_det *dets, int32_t n, struct yolo_det *tmp)
{
    /* Bottom-up merge sort: stable, O(n log n), no allocation. */
    if (!dets || !tmp || n < 2)
        return;
    struct yolo_det *a = dets, *b = tmp;
    for (int64_t width = 1; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * width) {
            int64_t mid = lo + width < n ? lo + width : n;
            int64_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            int64_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                b[k++] = (a[j].conf > a[i].conf) ? a[j++] : a[i++];
            while (i < mid)
                b[k++] = a[i++];
            while (j < hi)
                b[k++] = a[j++];
        }
        struct yolo_det *t = a; a = b; b = t;
    }
    if (a != dets)
        memcpy(dets, a, (size_t)n * sizeof *dets);
}

/* NMS (not for E2E) + scale_boxes + the final stable sort, on candidates at cands (which
 * the call may use as scratch after the scratch at cands_end). */
static int32_t finish(const struct yolo_det *cands, int64_t n, int e2e, const struct yolo_nms_params *p,
                      const struct yolo_letterbox_geom *g, uint8_t *scratch, struct yolo_det *dets,
                      int32_t cap)
{
    int32_t kept;
    if (e2e) {
        kept = (int32_t)(n < cap ? n : cap);
        memcpy(dets, cands, (size_t)kept * sizeof *dets);
    } else {
        kept = nms_core(cands, n, p, scratch, dets, cap);
    }
    yolo_scale_boxes(dets, kept, g);
    yolo_dets_sort(dets, kept, (struct yolo_det *)scratch);
    return kept;
}

int yolo_postprocess(const struct yolo_raw_output *out, const struct yolo_nms_params *p,
                     const struct yolo_letterbox_geom *g, struct yolo_workspace *ws,
                     struct yolo_det *dets, int32_t cap, int32_t *n_out, struct yolo_diag *d)
{
    if (n_out)
        *n_out = 0;
    if (!out || !g || !ws || !dets || !n_out || cap < 0)
        return yolo_diag_set(d, YOLO_ERR_ARG, "postprocess: bad argument");
    int st = check_params(p, d);
    if (st)
        return st;
    int64_t max = yolo_decode_max_candidates(out);
    if (max < 0)
        return yolo_diag_set(d, YOLO_ERR_ARG, "postprocess: output [%lld, %lld] does not fit "
                             "layout %d", (long long)out->dim1, (long long)out->dim2,
                             (int)out->layout);
    if (max > INT32_MAX)
        return yolo_diag_set(d, YOLO_ERR_ARG, "postprocess: %lld anchors is too many",
                             (long long)max);
    int64_t max_nms = p->max_nms > 0 ? p->max_nms : YOLO_NMS_MAX_NMS;
    int64_t m = max < max_nms ? max : max_nms;
    /* One reservation: candidates, then NMS scratch; the sort reuses the NMS scratch. */
    size_t cand_bytes = align64((size_t)max * sizeof(struct yolo_det));
    size_t nms_bytes = nms_scratch_bytes(max, m);
    size_t sort_bytes = (size_t)cap * sizeof(struct yolo_det);
    uint8_t *base = yolo_workspace_reserve(ws, cand_bytes + (nms_bytes > sort_bytes ? nms_bytes
                                                                               : sort_bytes), d);
    if (!base)
        return YOLO_ERR_NOMEM;
    struct yolo_det *cands = (struct yolo_det *)base;
    int64_t n = 0;
    st = yolo_decode(out, p, cands, max, &n, d);
    if (st)
        return st;
    *n_out = finish(cands, n, out->layout == YOLO_LAYOUT_E2E, p, g, base + cand_bytes, dets, cap);
    return YOLO_OK;
}

int yolo_postprocess_kept(const struct yolo_det *kept, int32_t n,
                         const struct yolo_letterbox_geom *g, struct yolo_workspace *ws,
                         struct yolo_det *dets, int32_t cap, int32_t *n_out, struct yolo_diag *d)
{
    if (n_out)
        *n_out = 0;
    if ((!kept && n > 0) || n < 0 || !g || !ws || !dets || !n_out || cap < 0)
        return yolo_diag_set(d, YOLO_ERR_ARG, "postprocess: bad argument");
    uint8_t *scratch = yolo_workspace_reserve(ws, (size_t)cap * sizeof(struct yolo_det) + 1, d);
    if (!scratch)
        return YOLO_ERR_NOMEM;
    /* finish() without NMS: the copy (cut to cap), scale_boxes, the final sort */
    *n_out = finish(kept, n, 1, NULL, g, scratch, dets, cap);
    return YOLO_OK;
}
