/* metrics.c: the mAP evaluator (see metrics.h for what is reproduced from Ultralytics and why).
 *
 * Per prediction we keep its confidence, class and a 10-bit TP mask (one bit per IoU threshold);
 * per class the number of ground-truth boxes and of images that contain the class. Everything
 * else is computed at yolo_eval_compute time from those arrays.
 *
 * Floating point: IoU is float32, op by op as torch computes it; the AP, P/R curves and means are
 * double with numpy's evaluation order (np.interp's formula, pairwise summation for np.sum /
 * np.trapz / np.mean over a contiguous axis, sequential sums for a mean over axis 0), so the
 * results agree with Ultralytics to the last bit except where its sort order is undefined (ties,
 * see metrics.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo_core.h"
#include "metrics.h"

#define N_GRID 1000     /* Ultralytics' confidence grid: np.linspace(0, 1, 1000) */
#define N_AP   101      /* COCO's recall grid: np.linspace(0, 1, 101) */
#define SMOOTH_HALF 50  /* smooth(y, 0.1): nf = round(1000 * 0.1 * 2) // 2 + 1 = 101 taps */

/* torch.linspace(0.5, 0.95, 10) in float32. Its kernel computes start + step * i (first half)
 * and end - step * (9 - i) (second half) with step = (0.95f - 0.5f) / 9 in float; with and
 * without FMA that lands on exactly these nearest-float literals (checked). */
static const float iou_thr[YOLO_EVAL_N_IOU] = {
    0.5f, 0.55f, 0.6f, 0.65f, 0.7f, 0.75f, 0.8f, 0.85f, 0.9f, 0.95f
};

struct yolo_eval {
    int32_t   n_classes;
    int64_t   n_images;
    int64_t  *n_inst;     /* [n_classes] ground-truth boxes per class */
    int64_t  *n_img;      /* [n_classes] images containing the class */
    int64_t  *img_stamp;  /* [n_classes] last image (1-based) counted in n_img */
    int64_t   n_preds, cap_preds;
    float    *conf;       /* [n_preds] */
    int32_t  *cls;        /* [n_preds] */
    uint16_t *tp;         /* [n_preds] bit k: true positive at iou_thr[k] */
};

const float *yolo_eval_iou_thresholds(void)
{
    return iou_thr;
}

/* ------------------------------------------------------------------ sizes and sorting */

static int mul_ok(size_t a, size_t b, size_t *out)
{
    if (a && b > SIZE_MAX / a)
        return 0;
    *out = a * b;
    return 1;
}

static void *alloc_array(size_t n, size_t elem)
{
    size_t bytes;
    if (!mul_ok(n, elem, &bytes))
        return NULL;
    return malloc(bytes ? bytes : 1);
}

/* Stable merge sort of idx[0..n) by key[idx] descending (equal keys keep their order). */
static void sort_desc(int64_t *idx, int64_t *tmp, int64_t n, const float *key)
{
    for (int64_t w = 1; w < n; w *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = lo + w < n ? lo + w : n;
            int64_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            int64_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi)
                tmp[o++] = key[idx[b]] > key[idx[a]] ? idx[b++] : idx[a++];
            while (a < mid)
                tmp[o++] = idx[a++];
            while (b < hi)
                tmp[o++] = idx[b++];
        }
        memcpy(idx, tmp, (size_t)n * sizeof *idx);
    }
}

/* ------------------------------------------------------------------ matching */

float yolo_eval_box_iou(const struct yolo_eval_box *g, const struct yolo_eval_det *p)
{
    /* torch: inter = (min(a2, b2) - max(a1, b1)).clamp(0).prod(2);
     *        iou = inter / ((a2 - a1).prod(2) + (b2 - b1).prod(2) - inter + eps), all float32. */
    float iw = (g->x2 < p->x2 ? g->x2 : p->x2) - (g->x1 > p->x1 ? g->x1 : p->x1);
    float ih = (g->y2 < p->y2 ? g->y2 : p->y2) - (g->y1 > p->y1 ? g->y1 : p->y1);
    if (iw < 0.0f)
        iw = 0.0f;
    if (ih < 0.0f)
        ih = 0.0f;
    float inter = iw * ih;
    float area_g = (g->x2 - g->x1) * (g->y2 - g->y1);
    float area_p = (p->x2 - p->x1) * (p->y2 - p->y1);
    float uni = area_g + area_p;
    uni = uni - inter;
    uni = uni + 1e-7f;
    return inter / uni;
}

int yolo_eval_match(const struct yolo_eval_box *gt, int32_t n_gt, const struct yolo_eval_det *pred,
                    int32_t n_pred, uint16_t *tp, struct yolo_diag *d)
{
    float   *iou = NULL;
    int32_t *best = NULL;
    uint8_t *taken = NULL;
    size_t   n_pairs;

    if (n_gt < 0 || n_pred < 0 || (n_gt && !gt) || (n_pred && (!pred || !tp)))
        return yolo_diag_set(d, YOLO_ERR_ARG, "eval: match: bad box counts or pointers");
    if (n_pred)
        memset(tp, 0, (size_t)n_pred * sizeof *tp);
    if (!n_gt || !n_pred)
        return YOLO_OK;
    if (!mul_ok((size_t)n_gt, (size_t)n_pred, &n_pairs))
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "eval: match: %d x %d IoU matrix too large",
                             (int)n_gt, (int)n_pred);
    iou = alloc_array(n_pairs, sizeof *iou);
    best = alloc_array((size_t)n_pred, sizeof *best);
    taken = alloc_array((size_t)n_gt, sizeof *taken);
    if (!iou || !best || !taken)
        goto nomem;

    /* iou * correct_class: pairs of different classes get 0, which no threshold accepts. */
    for (int32_t i = 0; i < n_gt; i++)
        for (int32_t j = 0; j < n_pred; j++)
            iou[(size_t)i * (size_t)n_pred + (size_t)j] =
                gt[i].cls == pred[j].cls ? yolo_eval_box_iou(&gt[i], &pred[j]) : 0.0f;

    for (int k = 0; k < YOLO_EVAL_N_IOU; k++) {
        float thr = iou_thr[k];
        /* Ultralytics sorts the candidate pairs by IoU (descending), then np.unique on the
         * prediction column keeps each prediction's first, i.e. highest-IoU, pair: best[j].
         * A stable argsort reversed puts the later (larger gt index) of equal IoUs first,
         * hence ">=" while scanning gt in ascending order. */
        for (int32_t j = 0; j < n_pred; j++) {
            int32_t b = -1;
            float bv = 0.0f;
            for (int32_t i = 0; i < n_gt; i++) {
                float v = iou[(size_t)i * (size_t)n_pred + (size_t)j];
                if (v >= thr && (b < 0 || v >= bv)) {
                    b = i;
                    bv = v;
                }
            }
            best[j] = b;
        }
        /* The survivors are now ordered by prediction index, and np.unique on the gt column
         * keeps each gt's first survivor: the earliest (most confident) prediction. */
        memset(taken, 0, (size_t)n_gt);
        for (int32_t j = 0; j < n_pred; j++) {
            if (best[j] >= 0 && !taken[best[j]]) {
                taken[best[j]] = 1;
                tp[j] |= (uint16_t)(1u << k);
            }
        }
    }
    free(iou);
    free(best);
    free(taken);
    return YOLO_OK;
nomem:
    free(iou);
    free(best);
    free(taken);
    return yolo_diag_set(d, YOLO_ERR_NOMEM, "eval: match: out of memory (%d gt, %d predictions)",
                         (int)n_gt, (int)n_pred);
}

/* ------------------------------------------------------------------ evaluator state */

struct yolo_eval *yolo_eval_create(int32_t n_classes, struct yolo_diag *d)
{
    if (n_classes < 1 || n_classes > YOLO_EVAL_MAX_CLASSES) {
        yolo_diag_set(d, YOLO_ERR_ARG, "eval: class count %d out of range 1..%d", (int)n_classes,
                      YOLO_EVAL_MAX_CLASSES);
        return NULL;
    }
    struct yolo_eval *e = calloc(1, sizeof *e);
    if (!e)
        goto nomem;
    e->n_classes = n_classes;
    e->n_inst = calloc((size_t)n_classes, sizeof *e->n_inst);
    e->n_img = calloc((size_t)n_classes, sizeof *e->n_img);
    e->img_stamp = calloc((size_t)n_classes, sizeof *e->img_stamp);
    if (!e->n_inst || !e->n_img || !e->img_stamp)
        goto nomem;
    return e;
nomem:
    yolo_eval_free(e);
    yolo_diag_set(d, YOLO_ERR_NOMEM, "eval: out of memory creating an evaluator for %d classes",
                  (int)n_classes);
    return NULL;
}

void yolo_eval_free(struct yolo_eval *e)
{
    if (!e)
        return;
    free(e->n_inst);
    free(e->n_img);
    free(e->img_stamp);
    free(e->conf);
    free(e->cls);
    free(e->tp);
    free(e);
}

/* Makes room for `more` predictions. On failure the arrays may have grown but the recorded
 * capacity and contents are unchanged. */
static int reserve_preds(struct yolo_eval *e, int64_t more, struct yolo_diag *d)
{
    if (more <= e->cap_preds - e->n_preds)
        return YOLO_OK;
    if (e->n_preds > INT64_MAX - more)
        goto nomem;
    int64_t need = e->n_preds + more;
    int64_t cap = e->cap_preds < 1024 ? 1024 : e->cap_preds;
    while (cap < need)
        cap = cap > INT64_MAX / 2 ? need : cap * 2;
    size_t bytes;
    if ((uint64_t)cap > SIZE_MAX || !mul_ok((size_t)cap, sizeof(float), &bytes))
        goto nomem;
    float *c = realloc(e->conf, bytes);
    if (!c)
        goto nomem;
    e->conf = c;
    int32_t *k = realloc(e->cls, (size_t)cap * sizeof *k);
    if (!k)
        goto nomem;
    e->cls = k;
    uint16_t *t = realloc(e->tp, (size_t)cap * sizeof *t);
    if (!t)
        goto nomem;
    e->tp = t;
    e->cap_preds = cap;
    return YOLO_OK;
nomem:
    return yolo_diag_set(d, YOLO_ERR_NOMEM, "eval: out of memory storing %lld predictions",
                         (long long)e->n_preds + (long long)more);
}

static int finite_box(float x1, float y1, float x2, float y2)
{
    return isfinite(x1) && isfinite(y1) && isfinite(x2) && isfinite(y2);
}

int yolo_eval_add_image(struct yolo_eval *e, const struct yolo_eval_box *gt, int32_t n_gt,
                        const struct yolo_eval_det *pred, int32_t n_pred, struct yolo_diag *d)
{
    int64_t *idx = NULL, *tmp = NULL;
    float *key = NULL;
    struct yolo_eval_det *sorted = NULL;
    uint16_t *tp = NULL;
    int rc;

    if (!e || n_gt < 0 || n_pred < 0 || (n_gt && !gt) || (n_pred && !pred))
        return yolo_diag_set(d, YOLO_ERR_ARG, "eval: add_image: bad box counts or pointers");
    for (int32_t i = 0; i < n_gt; i++) {
        const struct yolo_eval_box *b = &gt[i];
        if (b->cls < 0 || b->cls >= e->n_classes)
            return yolo_diag_set(d, YOLO_ERR_ARG,
                                 "eval: image %lld: ground truth %d: class %d out of range 0..%d",
                                 (long long)e->n_images, (int)i, (int)b->cls,
                                 (int)e->n_classes - 1);
        if (!finite_box(b->x1, b->y1, b->x2, b->y2))
            return yolo_diag_set(d, YOLO_ERR_ARG,
                                 "eval: image %lld: ground truth %d: non-finite coordinates",
                                 (long long)e->n_images, (int)i);
    }
    for (int32_t j = 0; j < n_pred; j++) {
        const struct yolo_eval_det *p = &pred[j];
        if (p->cls < 0 || p->cls >= e->n_classes)
            return yolo_diag_set(d, YOLO_ERR_ARG,
                                 "eval: image %lld: prediction %d: class %d out of range 0..%d",
                                 (long long)e->n_images, (int)j, (int)p->cls,
                                 (int)e->n_classes - 1);
        if (!isfinite(p->conf) || !finite_box(p->x1, p->y1, p->x2, p->y2))
            return yolo_diag_set(d, YOLO_ERR_ARG,
                                 "eval: image %lld: prediction %d: non-finite confidence or "
                                 "coordinates", (long long)e->n_images, (int)j);
    }

    rc = reserve_preds(e, n_pred, d);
    if (rc)
        return rc;
    if (n_pred) {
        idx = alloc_array((size_t)n_pred, sizeof *idx);
        tmp = alloc_array((size_t)n_pred, sizeof *tmp);
        key = alloc_array((size_t)n_pred, sizeof *key);
        sorted = alloc_array((size_t)n_pred, sizeof *sorted);
        tp = alloc_array((size_t)n_pred, sizeof *tp);
        if (!idx || !tmp || !key || !sorted || !tp) {
            rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "eval: out of memory for %d predictions",
                               (int)n_pred);
            goto done;
        }
        for (int32_t j = 0; j < n_pred; j++) {
            idx[j] = j;
            key[j] = pred[j].conf;
        }
        sort_desc(idx, tmp, n_pred, key);
        for (int32_t j = 0; j < n_pred; j++)
            sorted[j] = pred[idx[j]];
        rc = yolo_eval_match(gt, n_gt, sorted, n_pred, tp, d);
        if (rc)
            goto done;
    }

    /* Commit: nothing below can fail. */
    e->n_images++;
    for (int32_t i = 0; i < n_gt; i++) {
        int32_t c = gt[i].cls;
        e->n_inst[c]++;
        if (e->img_stamp[c] != e->n_images) {
            e->img_stamp[c] = e->n_images;
            e->n_img[c]++;
        }
    }
    for (int32_t j = 0; j < n_pred; j++) {
        e->conf[e->n_preds + j] = sorted[j].conf;
        e->cls[e->n_preds + j] = sorted[j].cls;
        e->tp[e->n_preds + j] = tp[j];
    }
    e->n_preds += n_pred;
    rc = YOLO_OK;
done:
    free(idx);
    free(tmp);
    free(key);
    free(sorted);
    free(tp);
    return rc;
}

/* ------------------------------------------------------------------ numpy building blocks */

/* numpy's pairwise summation (DOUBLE_pairwise_sum), used by np.sum/np.mean/np.trapz over a
 * contiguous or strided axis: below 8 terms a plain loop, up to 128 eight accumulators, above
 * that a split at a multiple of 8. The reduction adds the result to its identity 0.0. */
static double pairwise_sum(const double *a, int64_t n, int64_t stride)
{
    if (n < 8) {
        double res = 0.0;
        for (int64_t i = 0; i < n; i++)
            res += a[i * stride];
        return res;
    }
    if (n <= 128) {
        double r[8];
        int64_t i;
        for (int j = 0; j < 8; j++)
            r[j] = a[j * stride];
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++)
                r[j] += a[(i + j) * stride];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i * stride];
        return res;
    }
    int64_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_sum(a, n2, stride) + pairwise_sum(a + n2 * stride, n - n2, stride);
}

static double np_mean(const double *a, int64_t n, int64_t stride)
{
    return n ? (0.0 + pairwise_sum(a, n, stride)) / (double)n : 0.0;
}

/* np.linspace(0, 1, n)[i]: i * (1 / (n - 1)), the last point exactly 1. */
static double linspace01(int64_t i, int64_t n)
{
    return i == n - 1 ? 1.0 : (double)i * (1.0 / (double)(n - 1));
}

/* np.interp(x, xp, fp, left, right) for one x, xp non-decreasing (n >= 1). numpy finds j, the
 * last index with xp[j] <= x; at the last point or an exact hit it returns fp[j], otherwise
 * slope * (x - xp[j]) + fp[j] (retrying from the right end if that is NaN). */
static double np_interp(double x, const double *xp, const double *fp, int64_t n, double left,
                        double right)
{
    if (x > xp[n - 1])
        return right;
    if (x < xp[0])
        return left;
    int64_t lo = 0, hi = n;            /* first index with xp > x */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (x >= xp[mid])
            lo = mid + 1;
        else
            hi = mid;
    }
    int64_t j = lo - 1;
    if (j == n - 1 || xp[j] == x)
        return fp[j];
    double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
    double v = slope * (x - xp[j]) + fp[j];
    if (isnan(v)) {
        v = slope * (x - xp[j + 1]) + fp[j + 1];
        if (isnan(v) && fp[j] == fp[j + 1])
            v = fp[j];
    }
    return v;
}

/* compute_ap's sentinel-padded curves: mrec = [0, recall..., 1], mpre = [1, precision..., 0]. */
static double mrec_at(const double *recall, int64_t n, int64_t k)
{
    return k == 0 ? 0.0 : k == n + 1 ? 1.0 : recall[k - 1];
}

static double mpre_at(const double *precision, int64_t n, int64_t k)
{
    return k == 0 ? 1.0 : k == n + 1 ? 0.0 : precision[k - 1];
}

double yolo_eval_compute_ap(const double *recall, const double *precision, int64_t n)
{
    /* Envelope env[k] = max(mpre[k..]) (np.flip(np.maximum.accumulate(np.flip(mpre)))), then
     * y = np.interp(linspace(0, 1, 101), mrec, env) and ap = np.trapz(y, x). The interpolation
     * index only moves left as x decreases, so one backward walk computes both the envelope and
     * the samples without storing the envelope. */
    double x[N_AP], y[N_AP], t[N_AP - 1];
    int64_t m = n + 2;                 /* points in mrec/mpre */
    int64_t jj = m - 1;                /* current index; env_j = env[jj], env_j1 = env[jj+1] */
    double env_j = mpre_at(precision, n, jj), env_j1 = env_j;

    for (int i = 0; i < N_AP; i++)
        x[i] = linspace01(i, N_AP);
    for (int i = N_AP - 1; i >= 0; i--) {
        double xv = x[i];
        /* x lies in [0, 1] = [mrec[0], mrec[m-1]], so j exists and is never out of range. */
        while (jj > 0 && mrec_at(recall, n, jj) > xv) {
            jj--;
            env_j1 = env_j;
            double v = mpre_at(precision, n, jj);
            env_j = v > env_j ? v : env_j;
        }
        double xj = mrec_at(recall, n, jj);
        if (jj == m - 1 || xj == xv) {
            y[i] = env_j;
        } else {
            double xj1 = mrec_at(recall, n, jj + 1);
            double slope = (env_j1 - env_j) / (xj1 - xj);
            double v = slope * (xv - xj) + env_j;
            if (isnan(v)) {
                v = slope * (xv - xj1) + env_j1;
                if (isnan(v) && env_j == env_j1)
                    v = env_j;
            }
            y[i] = v;
        }
    }
    /* np.trapz: (d * (y[1:] + y[:-1]) / 2.0).sum() with d = np.diff(x). */
    for (int i = 0; i < N_AP - 1; i++)
        t[i] = (x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2.0;
    return 0.0 + pairwise_sum(t, N_AP - 1, 1);
}

/* ------------------------------------------------------------------ ap_per_class */

void yolo_eval_result_release(struct yolo_eval_result *r)
{
    if (!r)
        return;
    free(r->classes);
    memset(r, 0, sizeof *r);
}

/* Per-class work buffers for compute(). */
struct ap_work {
    int64_t *order, *tmp;      /* prediction indices, sorted by confidence */
    int64_t *start;            /* [n_classes + 1] bucket offsets into byclass */
    int64_t *cursor;           /* [n_classes] fill positions while bucketing */
    int64_t *byclass;          /* sorted indices grouped by class */
    double  *xp;               /* -conf of one class, ascending */
    double  *recall, *precision;
    double  *recall0, *precision0;
    double  *pc, *rc;          /* [K][N_GRID] precision / recall curves */
};

static void ap_work_free(struct ap_work *w)
{
    free(w->order);
    free(w->tmp);
    free(w->start);
    free(w->cursor);
    free(w->byclass);
    free(w->xp);
    free(w->recall);
    free(w->precision);
    free(w->recall0);
    free(w->precision0);
    free(w->pc);
    free(w->rc);
}

/* One class: fills its AP row and its P/R curves (rows of pc/rc). preds = its n_p prediction
 * indices in confidence order; n_l ground-truth boxes (> 0). */
static void class_ap(const struct yolo_eval *e, const int64_t *preds, int64_t n_p, int64_t n_l,
                     struct ap_work *w, double *ap, double *pc, double *rc)
{
    if (n_p == 0) {            /* Ultralytics `continue`s: AP 0, curves stay 0 */
        memset(ap, 0, YOLO_EVAL_N_IOU * sizeof *ap);
        memset(pc, 0, N_GRID * sizeof *pc);
        memset(rc, 0, N_GRID * sizeof *rc);
        return;
    }
    for (int64_t k = 0; k < n_p; k++)
        w->xp[k] = -(double)e->conf[preds[k]];
    for (int t = 0; t < YOLO_EVAL_N_IOU; t++) {
        double *rec = t == 0 ? w->recall0 : w->recall;
        double *pre = t == 0 ? w->precision0 : w->precision;
        int64_t tpc = 0, fpc = 0;
        for (int64_t k = 0; k < n_p; k++) {
            if (e->tp[preds[k]] & (1u << t))
                tpc++;
            else
                fpc++;
            rec[k] = (double)tpc / ((double)n_l + 1e-16);
            pre[k] = (double)tpc / ((double)tpc + (double)fpc);
        }
        ap[t] = yolo_eval_compute_ap(rec, pre, n_p);
    }
    /* r_curve = np.interp(-x, -conf, recall[:, 0], left=0); p_curve likewise with left=1;
     * right defaults to the last value. */
    for (int g = 0; g < N_GRID; g++) {
        double xg = -linspace01(g, N_GRID);
        rc[g] = np_interp(xg, w->xp, w->recall0, n_p, 0.0, w->recall0[n_p - 1]);
        pc[g] = np_interp(xg, w->xp, w->precision0, n_p, 1.0, w->precision0[n_p - 1]);
    }
}

static double f1_of(double p, double r)
{
    return 2 * p * r / (p + r + 1e-16);
}

int yolo_eval_compute(const struct yolo_eval *e, struct yolo_eval_result *r, struct yolo_diag *d)
{
    struct ap_work w;
    double *ap_all = NULL, *pm = NULL, *rm = NULL;
    int rc_status = YOLO_OK;
    int32_t K = 0;

    memset(&w, 0, sizeof w);
    if (!e || !r)
        return yolo_diag_set(d, YOLO_ERR_ARG, "eval: compute: NULL evaluator or result");
    memset(r, 0, sizeof *r);
    r->n_images = e->n_images;
    r->n_preds = e->n_preds;
    for (int32_t c = 0; c < e->n_classes; c++) {
        r->n_instances += e->n_inst[c];
        K += e->n_inst[c] > 0;
    }
    if (K > 0) {
        r->classes = calloc((size_t)K, sizeof *r->classes);
        w.start = calloc((size_t)e->n_classes + 1, sizeof *w.start);
        if (!r->classes || !w.start)
            goto nomem;
    }
    r->n_classes = K;
    if (K == 0)                    /* no ground truth: nothing to report (Ultralytics: all 0) */
        goto out;
    for (int64_t i = 0; i < e->n_preds; i++)
        w.start[e->cls[i] + 1]++;  /* predictions per class */
    for (int32_t c = 0, k = 0; c < e->n_classes; c++) {
        if (e->n_inst[c] == 0)
            continue;
        struct yolo_eval_class *ec = &r->classes[k++];
        ec->cls = c;
        ec->n_images = e->n_img[c];
        ec->n_instances = e->n_inst[c];
        ec->n_preds = w.start[c + 1];
    }
    for (int64_t i = 0; i < e->n_preds && !r->any_tp; i++)
        r->any_tp = e->tp[i] != 0;
    if (!r->any_tp)                /* every metric is 0 (see metrics.h) */
        goto out;

    /* Sort every prediction by confidence (np.argsort(-conf), stable here), then group by
     * class keeping that order. */
    int64_t N = e->n_preds, max_np = 0;
    w.order = alloc_array((size_t)N, sizeof *w.order);
    w.tmp = alloc_array((size_t)N, sizeof *w.tmp);
    w.byclass = alloc_array((size_t)N, sizeof *w.byclass);
    w.cursor = alloc_array((size_t)e->n_classes, sizeof *w.cursor);
    if (!w.order || !w.tmp || !w.byclass || !w.cursor)
        goto nomem;
    for (int64_t i = 0; i < N; i++)
        w.order[i] = i;
    sort_desc(w.order, w.tmp, N, e->conf);
    for (int32_t c = 0; c < e->n_classes; c++) {
        if (e->n_inst[c] > 0 && w.start[c + 1] > max_np)
            max_np = w.start[c + 1];
        w.start[c + 1] += w.start[c];
    }
    memcpy(w.cursor, w.start, (size_t)e->n_classes * sizeof *w.cursor);
    for (int64_t i = 0; i < N; i++) {
        int64_t p = w.order[i];
        w.byclass[w.cursor[e->cls[p]]++] = p;
    }

    size_t n_curve;
    if (!mul_ok((size_t)K, N_GRID, &n_curve))
        goto nomem;
    w.xp = alloc_array((size_t)max_np, sizeof *w.xp);
    w.recall = alloc_array((size_t)max_np, sizeof *w.recall);
    w.precision = alloc_array((size_t)max_np, sizeof *w.precision);
    w.recall0 = alloc_array((size_t)max_np, sizeof *w.recall0);
    w.precision0 = alloc_array((size_t)max_np, sizeof *w.precision0);
    w.pc = alloc_array(n_curve, sizeof *w.pc);
    w.rc = alloc_array(n_curve, sizeof *w.rc);
    ap_all = alloc_array((size_t)K * YOLO_EVAL_N_IOU, sizeof *ap_all);
    pm = alloc_array((size_t)K, sizeof *pm);
    rm = alloc_array((size_t)K, sizeof *rm);
    if (!w.xp || !w.recall || !w.precision || !w.recall0 || !w.precision0 || !w.pc || !w.rc ||
        !ap_all || !pm || !rm)
        goto nomem;

    for (int32_t k = 0; k < K; k++) {
        int32_t c = r->classes[k].cls;
        class_ap(e, w.byclass + w.start[c], w.start[c + 1] - w.start[c], e->n_inst[c], &w,
                 ap_all + (size_t)k * YOLO_EVAL_N_IOU, w.pc + (size_t)k * N_GRID,
                 w.rc + (size_t)k * N_GRID);
    }

    /* i = smooth(f1_curve.mean(0), 0.1).argmax(). The mean over classes (axis 0) is a
     * sequential sum; the 101-tap box filter pads 50 copies of each end value. */
    double fmean[N_GRID + 2 * SMOOTH_HALF];
    for (int g = 0; g < N_GRID; g++) {
        double s = 0.0;
        for (int32_t k = 0; k < K; k++)
            s += f1_of(w.pc[(size_t)k * N_GRID + g], w.rc[(size_t)k * N_GRID + g]);
        fmean[SMOOTH_HALF + g] = s / (double)K;
    }
    for (int g = 0; g < SMOOTH_HALF; g++) {
        fmean[g] = fmean[SMOOTH_HALF];
        fmean[SMOOTH_HALF + N_GRID + g] = fmean[SMOOTH_HALF + N_GRID - 1];
    }
    const double tap = 1.0 / (2 * SMOOTH_HALF + 1);
    int best = 0;
    double best_v = 0.0;
    for (int g = 0; g < N_GRID; g++) {
        double s = 0.0;
        for (int m = 0; m <= 2 * SMOOTH_HALF; m++)
            s += fmean[g + m] * tap;
        if (g == 0 || s > best_v) {
            best = g;
            best_v = s;
        }
    }
    r->best_conf = linspace01(best, N_GRID);

    for (int32_t k = 0; k < K; k++) {
        struct yolo_eval_class *ec = &r->classes[k];
        const double *a = ap_all + (size_t)k * YOLO_EVAL_N_IOU;
        ec->p = pm[k] = w.pc[(size_t)k * N_GRID + best];
        ec->r = rm[k] = w.rc[(size_t)k * N_GRID + best];
        ec->f1 = f1_of(ec->p, ec->r);
        memcpy(ec->ap, a, sizeof ec->ap);
        ec->ap50 = a[0];
        ec->ap75 = a[5];
        ec->ap50_95 = np_mean(a, YOLO_EVAL_N_IOU, 1);    /* all_ap.mean(1) */
    }
    r->precision = np_mean(pm, K, 1);
    r->recall = np_mean(rm, K, 1);
    r->map50 = np_mean(ap_all, K, YOLO_EVAL_N_IOU);       /* all_ap[:, 0].mean() */
    r->map75 = np_mean(ap_all + 5, K, YOLO_EVAL_N_IOU);
    r->map50_95 = np_mean(ap_all, (int64_t)K * YOLO_EVAL_N_IOU, 1);   /* all_ap.mean() */
    goto out;

nomem:
    rc_status = yolo_diag_set(d, YOLO_ERR_NOMEM, "eval: out of memory computing metrics of "
                              "%lld predictions", (long long)e->n_preds);
    yolo_eval_result_release(r);
out:
    ap_work_free(&w);
    free(ap_all);
    free(pm);
    free(rm);
    return rc_status;
}
