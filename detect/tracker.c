/* tracker.c: ByteTrack (Zhang et al., 2022) with the semantics of Ultralytics'
 * trackers/byte_tracker.py (BYTETracker.update, STrack, KalmanFilterXYAH) and
 * utils/matching.py (iou_distance, fuse_score, linear_assignment through lap.lapjv with
 * extend_cost and cost_limit). See the tracking section of include/yolo.h.
 *
 * Tracks live in a slot array; the "tracked" and "lost" lists hold slot indices in the same
 * order as Ultralytics' Python lists, because that order decides the assignment's tie
 * breaks and the output order. A slot is freed only at the end of an update, so indices
 * stay valid for the whole update.
 *
 * Assignment: the exact minimum-cost assignment of lapjv's extended problem (size n + m:
 * the real costs, cost_limit / 2 for leaving a row or a column unmatched, 0 between two
 * dummies), solved with the O(N^3) Hungarian method with potentials.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect_internal.h"
#include "yolo.h"

enum { T_NEW = 0, T_TRACKED, T_LOST, T_REMOVED };

struct trk {
    int64_t id;
    int32_t state, activated;
    double  mean[8], cov[64];
    float   score;
    int32_t cls, idx;
    int64_t frame_id, start_frame;
    int32_t used;                       /* slot in use */
};

/* A detection of the current frame (Ultralytics makes an STrack of each). */
struct cand {
    float   tlwh[4];
    float   score;
    int32_t cls, idx;
};

struct yolo_tracker {
    struct yolo_tracker_params p;
    int64_t frame_id, next_id;
    int32_t max_time_lost;
    struct trk *slots;
    int32_t n_slots, cap_slots;
    int32_t *tracked, n_tracked, *lost, n_lost, cap_lists;
    /* per-update scratch, grown to the largest frame */
    struct cand *c1, *c2;
    int32_t cap_cand;
    int32_t *l_a, *l_b, *l_c, *l_d, *l_e, *l_f, *l_g, *l_h;   /* list scratch, cap_lists each */
    double *cost;
    int32_t *match_r, *match_c;
    double *hu, *hv, *hminv;
    int32_t *hp, *hway;
    char *hused;
    int64_t cap_cost, cap_n;
};

/* ------------------------------------------------------------------ Kalman filter (xyah) */

static const double W_POS = 1.0 / 20, W_VEL = 1.0 / 160;

static void kf_initiate(struct trk *t, const double z[4])
{
    double h = z[3];
    double std[8] = { 2 * W_POS * h, 2 * W_POS * h, 1e-2, 2 * W_POS * h,
                      10 * W_VEL * h, 10 * W_VEL * h, 1e-5, 10 * W_VEL * h };
    memset(t->cov, 0, sizeof t->cov);
    for (int i = 0; i < 4; i++) {
        t->mean[i] = z[i];
        t->mean[4 + i] = 0;
    }
    for (int i = 0; i < 8; i++)
        t->cov[i * 8 + i] = std[i] * std[i];
}

/* x' = F x, P' = F P F^T + Q with F = [I I; 0 I] (dt = 1). */
static void kf_predict(struct trk *t)
{
    double h = t->mean[3];
    double std[8] = { W_POS * h, W_POS * h, 1e-2, W_POS * h, W_VEL * h, W_VEL * h, 1e-5, W_VEL * h };
    for (int i = 0; i < 4; i++)
        t->mean[i] += t->mean[4 + i];
    double fp[64], *P = t->cov;
    for (int i = 0; i < 8; i++)          /* F P */
        for (int j = 0; j < 8; j++)
            fp[i * 8 + j] = P[i * 8 + j] + (i < 4 ? P[(i + 4) * 8 + j] : 0);
    for (int i = 0; i < 8; i++)          /* (F P) F^T */
        for (int j = 0; j < 8; j++)
            P[i * 8 + j] = fp[i * 8 + j] + (j < 4 ? fp[i * 8 + j + 4] : 0);
    for (int i = 0; i < 8; i++)
        P[i * 8 + i] += std[i] * std[i];
}

/* Measurement update with z = (x, y, a, h): S = H P H^T + R, K = P H^T S^-1 (Cholesky). */
static void kf_update(struct trk *t, const double z[4])
{
    double h = t->mean[3];
    double r[4] = { W_POS * h, W_POS * h, 1e-1, W_POS * h };
    double S[16], L[16] = { 0 }, *P = t->cov;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            S[i * 4 + j] = P[i * 8 + j] + (i == j ? r[i] * r[i] : 0);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j <= i; j++) {
            double s = S[i * 4 + j];
            for (int k = 0; k < j; k++)
                s -= L[i * 4 + k] * L[j * 4 + k];
            L[i * 4 + j] = i == j ? sqrt(s > 0 ? s : 1e-12) : s / L[j * 4 + j];
        }
    /* K^T = S^-1 (P H^T)^T: solve L L^T X = B column by column, B = P[0:4, :] (4 x 8) */
    double K[32];                        /* 8 x 4 */
    for (int c = 0; c < 8; c++) {
        double y[4], x[4];
        for (int i = 0; i < 4; i++) {
            double s = P[i * 8 + c];
            for (int k = 0; k < i; k++)
                s -= L[i * 4 + k] * y[k];
            y[i] = s / L[i * 4 + i];
        }
        for (int i = 3; i >= 0; i--) {
            double s = y[i];
            for (int k = i + 1; k < 4; k++)
                s -= L[k * 4 + i] * x[k];
            x[i] = s / L[i * 4 + i];
        }
        for (int i = 0; i < 4; i++)
            K[c * 4 + i] = x[i];
    }
    double innov[4];
    for (int i = 0; i < 4; i++)
        innov[i] = z[i] - t->mean[i];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++)
            t->mean[i] += K[i * 4 + j] * innov[j];
    /* P -= K S K^T */
    double KS[32];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++) {
            double s = 0;
            for (int k = 0; k < 4; k++)
                s += K[i * 4 + k] * S[k * 4 + j];
            KS[i * 4 + j] = s;
        }
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++) {
            double s = 0;
            for (int k = 0; k < 4; k++)
                s += KS[i * 4 + k] * K[j * 4 + k];
            P[i * 8 + j] -= s;
        }
}

static void tlwh_to_xyah(const float tlwh[4], double z[4])
{
    z[0] = tlwh[0] + tlwh[2] / 2.0;
    z[1] = tlwh[1] + tlwh[3] / 2.0;
    z[2] = (double)tlwh[2] / tlwh[3];
    z[3] = tlwh[3];
}

static void trk_xyxy(const struct trk *t, double b[4])
{
    double w = t->mean[2] * t->mean[3], h = t->mean[3];
    b[0] = t->mean[0] - w / 2;
    b[1] = t->mean[1] - h / 2;
    b[2] = b[0] + w;
    b[3] = b[1] + h;
}

static void cand_xyxy(const struct cand *c, double b[4])
{
    b[0] = c->tlwh[0];
    b[1] = c->tlwh[1];
    b[2] = (double)c->tlwh[0] + c->tlwh[2];
    b[3] = (double)c->tlwh[1] + c->tlwh[3];
}

/* IoU as Ultralytics' bbox_ioa(iou=True): no +1 on sides, eps 1e-7. */
static double iou(const double a[4], const double b[4])
{
    double iw = fmin(a[2], b[2]) - fmax(a[0], b[0]), ih = fmin(a[3], b[3]) - fmax(a[1], b[1]);
    double inter = (iw > 0 ? iw : 0) * (ih > 0 ? ih : 0);
    double ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return inter / (ua + 1e-7);
}

/* ------------------------------------------------------------------ assignment */

/* Minimum-cost assignment of the extended n x m problem (see the top of the file): on
 * return mr[i] = the column matched to row i or -1, mc[j] likewise. cost is n x m. */
static void assign(struct yolo_tracker *t, const double *cost, int32_t n, int32_t m, double limit,
                   int32_t *mr, int32_t *mc)
{
    for (int32_t i = 0; i < n; i++)
        mr[i] = -1;
    for (int32_t j = 0; j < m; j++)
        mc[j] = -1;
    if (n == 0 || m == 0)
        return;
    int32_t N = n + m;
    double *u = t->hu, *v = t->hv, *minv = t->hminv;
    int32_t *p = t->hp, *way = t->hway;
    char *used = t->hused;
    /* 1-based Hungarian (rows i = 1..N, columns j = 1..N; p[j] = row of column j) */
    for (int32_t j = 0; j <= N; j++) {
        u[j] = v[j] = 0;
        p[j] = way[j] = 0;
    }
#define C(i, j) ((i) <= n ? ((j) <= m ? cost[(int64_t)((i) - 1) * m + (j) - 1] : limit / 2) \
                          : ((j) <= m ? limit / 2 : 0.0))
    for (int32_t i = 1; i <= N; i++) {
        p[0] = i;
        int32_t j0 = 0;
        for (int32_t j = 0; j <= N; j++) {
            minv[j] = DBL_MAX;
            used[j] = 0;
        }
        do {
            used[j0] = 1;
            int32_t i0 = p[j0], j1 = 0;
            double delta = DBL_MAX;
            for (int32_t j = 1; j <= N; j++)
                if (!used[j]) {
                    double cur = C(i0, j) - u[i0] - v[j];
                    if (cur < minv[j]) {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if (minv[j] < delta) {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            for (int32_t j = 0; j <= N; j++)
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            j0 = j1;
        } while (p[j0] != 0);
        do {
            int32_t j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0);
    }
#undef C
    for (int32_t j = 1; j <= m; j++)
        if (p[j] >= 1 && p[j] <= n) {
            mr[p[j] - 1] = j - 1;
            mc[j - 1] = p[j] - 1;
        }
}

/* ------------------------------------------------------------------ memory */

static int grow(void **ptr, int64_t n, size_t elem)
{
    void *q = realloc(*ptr, (size_t)(n > 0 ? n : 1) * elem);
    if (!q)
        return -1;
    *ptr = q;
    return 0;
}

/* Room for n_cand candidates per class of detection, lists of n_lists and a cost matrix of
 * n_cost entries with an assignment of side n_side. */
static int reserve(struct yolo_tracker *t, int32_t n_cand, int32_t n_lists, int64_t n_side)
{
    if (n_cand > t->cap_cand) {
        if (grow((void **)&t->c1, n_cand, sizeof *t->c1) || grow((void **)&t->c2, n_cand, sizeof *t->c2))
            return -1;
        t->cap_cand = n_cand;
    }
    if (n_lists > t->cap_lists) {
        int32_t **l[] = { &t->tracked, &t->lost, &t->l_a, &t->l_b, &t->l_c, &t->l_d, &t->l_e, &t->l_f,
                          &t->l_g, &t->l_h, &t->match_r, &t->match_c };
        for (size_t k = 0; k < sizeof l / sizeof l[0]; k++)
            if (grow((void **)l[k], n_lists, sizeof(int32_t)))
                return -1;
        t->cap_lists = n_lists;
    }
    if (n_side * n_side > t->cap_cost) {
        if (grow((void **)&t->cost, n_side * n_side, sizeof(double)))
            return -1;
        t->cap_cost = n_side * n_side;
    }
    if (2 * n_side + 1 > t->cap_n) {
        int64_t k = 2 * n_side + 1;
        if (grow((void **)&t->hu, k, sizeof(double)) || grow((void **)&t->hv, k, sizeof(double)) ||
            grow((void **)&t->hminv, k, sizeof(double)) || grow((void **)&t->hp, k, sizeof(int32_t)) ||
            grow((void **)&t->hway, k, sizeof(int32_t)) || grow((void **)&t->hused, k, 1))
            return -1;
        t->cap_n = k;
    }
    return 0;
}

/* ------------------------------------------------------------------ API */

void yolo_tracker_params_default(struct yolo_tracker_params *p)
{
    memset(p, 0, sizeof *p);
    p->track_high_thresh = 0.25f;
    p->track_low_thresh = 0.1f;
    p->new_track_thresh = 0.25f;
    p->track_buffer = 30;
    p->match_thresh = 0.8f;
    p->frame_rate = 30;
}

int yolo_tracker_create(const struct yolo_tracker_params *p, struct yolo_tracker **out, struct yolo_diag *d)
{
    if (!out)
        return yolo_diag_set(d, YOLO_ERR_ARG, "yolo_tracker_create: NULL argument");
    *out = NULL;
    struct yolo_tracker_params q;
    yolo_tracker_params_default(&q);
    if (p) {
        if (!(p->track_high_thresh >= 0 && p->track_high_thresh <= 1) ||
            !(p->track_low_thresh >= 0 && p->track_low_thresh <= 1) ||
            !(p->new_track_thresh >= 0 && p->new_track_thresh <= 1) ||
            !(p->match_thresh >= 0 && p->match_thresh <= 1) || p->track_buffer < 0 ||
            !(p->frame_rate >= 0 && p->frame_rate <= 1e4))
            return yolo_diag_set(d, YOLO_ERR_ARG, "tracker parameters out of range (thresholds in [0, 1], "
                                 "track_buffer >= 0, frame_rate in [0, 10000])");
        if (p->track_high_thresh > 0) q.track_high_thresh = p->track_high_thresh;
        if (p->track_low_thresh > 0) q.track_low_thresh = p->track_low_thresh;
        if (p->new_track_thresh > 0) q.new_track_thresh = p->new_track_thresh;
        if (p->match_thresh > 0) q.match_thresh = p->match_thresh;
        if (p->track_buffer > 0) q.track_buffer = p->track_buffer;
        if (p->frame_rate > 0) q.frame_rate = p->frame_rate;
        q.no_fuse_score = p->no_fuse_score;
    }
    struct yolo_tracker *t = calloc(1, sizeof *t);
    if (!t)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory creating a tracker");
    t->p = q;
    t->max_time_lost = (int32_t)(q.frame_rate / 30.0 * q.track_buffer);   /* as Ultralytics */
    *out = t;
    return YOLO_OK;
}

void yolo_tracker_free(struct yolo_tracker *t)
{
    if (!t)
        return;
    void *ps[] = { t->slots, t->tracked, t->lost, t->c1, t->c2, t->l_a, t->l_b, t->l_c, t->l_d, t->l_e,
                   t->l_f, t->l_g, t->l_h, t->cost, t->match_r, t->match_c, t->hu, t->hv, t->hminv,
                   t->hp, t->hway, t->hused };
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++)
        free(ps[k]);
    free(t);
}

void yolo_tracker_reset(struct yolo_tracker *t)
{
    if (!t)
        return;
    t->frame_id = t->next_id = 0;
    t->n_slots = t->n_tracked = t->n_lost = 0;
}

int64_t yolo_tracker_frames(const struct yolo_tracker *t)
{
    return t ? t->frame_id : 0;
}

static int in_list(const int32_t *l, int32_t n, int32_t s)
{
    for (int32_t i = 0; i < n; i++)
        if (l[i] == s)
            return 1;
    return 0;
}

/* Cost matrix tracks x candidates: 1 - IoU, fused with the candidate's score if asked
 * (matching.fuse_score: 1 - (1 - cost) * score). */
static void dists(struct yolo_tracker *t, const int32_t *trs, int32_t n, const struct cand *cs,
                  const int32_t *ci, int32_t m, int fuse)
{
    for (int32_t i = 0; i < n; i++) {
        double a[4], b[4];
        trk_xyxy(&t->slots[trs[i]], a);
        for (int32_t j = 0; j < m; j++) {
            cand_xyxy(&cs[ci[j]], b);
            double sim = iou(a, b);
            if (fuse)
                sim *= cs[ci[j]].score;
            t->cost[(int64_t)i * m + j] = 1 - sim;
        }
    }
}

static void trk_update(struct trk *s, const struct cand *c, int64_t frame, int reactivate)
{
    double z[4];
    tlwh_to_xyah(c->tlwh, z);
    kf_update(s, z);
    s->state = T_TRACKED;
    s->activated = 1;
    s->frame_id = frame;
    s->score = c->score;
    s->cls = c->cls;
    s->idx = c->idx;
    (void)reactivate;   /* re_activate and update differ only in tracklet_len, unused here */
}

int yolo_tracker_update(struct yolo_tracker *t, const struct yolo_det *dets, int32_t n, struct yolo_track *out,
                        int32_t cap, int32_t *n_out, struct yolo_diag *d)
{
    if (!t || n < 0 || (n > 0 && !dets) || cap < 0 || (cap > 0 && !out) || !n_out)
        return yolo_diag_set(d, YOLO_ERR_ARG, "yolo_tracker_update: bad arguments");
    *n_out = 0;
    int32_t n_lists = t->n_tracked + t->n_lost + 2 * n + 1;
    int64_t side = (int64_t)(t->n_tracked + t->n_lost) + n + 1;
    /* every track of this frame may need a slot: reserve them now so nothing fails midway */
    if (reserve(t, n + 1, n_lists, side))
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory in the tracker (%d detections)", n);
    while (t->cap_slots - t->n_slots < n + 1) {
        int32_t c2 = t->cap_slots ? 2 * t->cap_slots : 64;
        if (grow((void **)&t->slots, c2, sizeof *t->slots))
            return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory in the tracker (%d detections)", n);
        t->cap_slots = c2;
    }
    const struct yolo_tracker_params *p = &t->p;
    int64_t frame = ++t->frame_id;

    /* candidates: first (score >= high) and second (low < score < high) */
    int32_t n1 = 0, n2 = 0;
    for (int32_t i = 0; i < n; i++) {
        const struct yolo_det *e = &dets[i];
        float w = e->x2 - e->x1, h = e->y2 - e->y1;
        if (!(w > 0 && h > 0) || !isfinite(w) || !isfinite(h) || !isfinite(e->conf))
            continue;
        struct cand c = { { e->x1, e->y1, w, h }, e->conf, e->cls, i };
        if (e->conf >= p->track_high_thresh)
            t->c1[n1++] = c;
        else if (e->conf > p->track_low_thresh)
            t->c2[n2++] = c;
    }
    int32_t *unconf = t->l_a, n_unconf = 0, *pool = t->l_b, n_pool = 0;
    int32_t *act = t->l_c, n_act = 0, *refind = t->l_d, n_refind = 0, *lost_new = t->l_e, n_lost_new = 0;
    int32_t *removed = t->l_f, n_removed = 0, *ci = t->l_g, *rt = t->l_h;
    for (int32_t i = 0; i < t->n_tracked; i++) {
        int32_t s = t->tracked[i];
        if (t->slots[s].activated)
            pool[n_pool++] = s;
        else
            unconf[n_unconf++] = s;
    }
    for (int32_t i = 0; i < t->n_lost; i++)
        if (!in_list(pool, n_pool, t->lost[i]))
            pool[n_pool++] = t->lost[i];
    for (int32_t i = 0; i < n_pool; i++) {
        struct trk *s = &t->slots[pool[i]];
        if (s->state != T_TRACKED)
            s->mean[7] = 0;
        kf_predict(s);
    }

    /* first association: pool x high-score candidates */
    for (int32_t j = 0; j < n1; j++)
        ci[j] = j;
    dists(t, pool, n_pool, t->c1, ci, n1, !p->no_fuse_score);
    int32_t *mr = t->match_r, *mc = t->match_c;
    assign(t, t->cost, n_pool, n1, p->match_thresh, mr, mc);
    int32_t n_rt = 0;
    /* remaining candidates of the first group, in order */
    int32_t n_urem = 0;
    int32_t *urem = lost_new + n_pool + 1;   /* room after lost_new's worst case (n_pool) */
    for (int32_t j = 0; j < n1; j++)
        if (mc[j] < 0)
            urem[n_urem++] = j;
    for (int32_t i = 0; i < n_pool; i++) {
        struct trk *s = &t->slots[pool[i]];
        if (mr[i] >= 0) {
            if (s->state == T_TRACKED) {
                trk_update(s, &t->c1[mr[i]], frame, 0);
                act[n_act++] = pool[i];
            } else {
                trk_update(s, &t->c1[mr[i]], frame, 1);
                refind[n_refind++] = pool[i];
            }
        } else if (s->state == T_TRACKED) {
            rt[n_rt++] = pool[i];
        }
    }
    /* second association: still-tracked unmatched x low-score candidates, IoU only, 0.5 */
    for (int32_t j = 0; j < n2; j++)
        ci[j] = j;
    dists(t, rt, n_rt, t->c2, ci, n2, 0);
    assign(t, t->cost, n_rt, n2, 0.5, mr, mc);
    for (int32_t i = 0; i < n_rt; i++) {
        struct trk *s = &t->slots[rt[i]];
        if (mr[i] >= 0) {
            trk_update(s, &t->c2[mr[i]], frame, 0);
            act[n_act++] = rt[i];
        } else if (s->state != T_LOST) {
            s->state = T_LOST;
            lost_new[n_lost_new++] = rt[i];
        }
    }
    /* unconfirmed tracks x the high-score candidates left, fused, 0.7 */
    dists(t, unconf, n_unconf, t->c1, urem, n_urem, !p->no_fuse_score);
    assign(t, t->cost, n_unconf, n_urem, 0.7, mr, mc);
    for (int32_t i = 0; i < n_unconf; i++) {
        struct trk *s = &t->slots[unconf[i]];
        if (mr[i] >= 0) {
            trk_update(s, &t->c1[urem[mr[i]]], frame, 0);
            act[n_act++] = unconf[i];
        } else {
            s->state = T_REMOVED;
            removed[n_removed++] = unconf[i];
        }
    }
    /* new tracks from the high-score candidates nobody took */
    int32_t n_new_ok = 0;
    int32_t *newc = ci;
    for (int32_t j = 0; j < n_urem; j++)
        if (mc[j] < 0 && t->c1[urem[j]].score >= p->new_track_thresh)
            newc[n_new_ok++] = urem[j];
    for (int32_t k = 0; k < n_new_ok; k++) {
        const struct cand *c = &t->c1[newc[k]];
        /* a free slot not referenced by any list of this update: slots freed only below */
        int32_t sidx = -1;
        for (int32_t i = 0; i < t->n_slots && sidx < 0; i++)
            if (!t->slots[i].used)
                sidx = i;
        if (sidx < 0)
            sidx = t->n_slots++;   /* capacity reserved above */
        struct trk *s = &t->slots[sidx];
        memset(s, 0, sizeof *s);
        s->used = 1;
        s->id = ++t->next_id;
        double z[4];
        tlwh_to_xyah(c->tlwh, z);
        kf_initiate(s, z);
        s->state = T_TRACKED;
        s->activated = frame == 1;
        s->frame_id = s->start_frame = frame;
        s->score = c->score;
        s->cls = c->cls;
        s->idx = c->idx;
        act[n_act++] = sidx;
    }
    /* lost too long: removed */
    for (int32_t i = 0; i < t->n_lost; i++) {
        struct trk *s = &t->slots[t->lost[i]];
        if (frame - s->frame_id > t->max_time_lost) {
            s->state = T_REMOVED;
            removed[n_removed++] = t->lost[i];
        }
    }

    /* new lists: tracked = [still tracked] + activated + refound (no duplicates) */
    int32_t nt = 0, *tr = t->tracked;
    for (int32_t i = 0; i < t->n_tracked; i++)
        if (t->slots[tr[i]].state == T_TRACKED)
            tr[nt++] = tr[i];
    for (int32_t i = 0; i < n_act; i++)
        if (!in_list(tr, nt, act[i]))
            tr[nt++] = act[i];
    for (int32_t i = 0; i < n_refind; i++)
        if (!in_list(tr, nt, refind[i]))
            tr[nt++] = refind[i];
    t->n_tracked = nt;
    /* lost = (lost - tracked) + new lost - removed */
    int32_t nl = 0, *lo = t->lost;
    for (int32_t i = 0; i < t->n_lost; i++)
        if (!in_list(tr, nt, lo[i]))
            lo[nl++] = lo[i];
    for (int32_t i = 0; i < n_lost_new; i++)
        lo[nl++] = lost_new[i];
    int32_t k2 = 0;
    for (int32_t i = 0; i < nl; i++)
        if (!in_list(removed, n_removed, lo[i]))
            lo[k2++] = lo[i];
    nl = k2;
    /* remove_duplicate_stracks: a tracked and a lost track with IoU > 0.85: keep the older */
    char *dup_t = t->hused, *dup_l = t->hused + nt;
    memset(t->hused, 0, (size_t)(nt + nl));
    for (int32_t i = 0; i < nt; i++)
        for (int32_t j = 0; j < nl; j++) {
            double a[4], b[4];
            trk_xyxy(&t->slots[tr[i]], a);
            trk_xyxy(&t->slots[lo[j]], b);
            if (1 - iou(a, b) < 0.15) {
                const struct trk *ta = &t->slots[tr[i]], *tb = &t->slots[lo[j]];
                if (ta->frame_id - ta->start_frame > tb->frame_id - tb->start_frame)
                    dup_l[j] = 1;
                else
                    dup_t[i] = 1;
            }
        }
    int32_t nt2 = 0, nl2 = 0;
    for (int32_t i = 0; i < nt; i++)
        if (!dup_t[i])
            tr[nt2++] = tr[i];
    for (int32_t j = 0; j < nl; j++)
        if (!dup_l[j])
            lo[nl2++] = lo[j];
    t->n_tracked = nt2;
    t->n_lost = nl2;
    /* free the slots no list holds any more */
    for (int32_t i = 0; i < t->n_slots; i++)
        t->slots[i].used = in_list(tr, nt2, i) || in_list(lo, nl2, i);

    int32_t k = 0;
    for (int32_t i = 0; i < nt2; i++) {
        const struct trk *s = &t->slots[tr[i]];
        if (!s->activated)
            continue;
        if (k < cap) {
            double b[4];
            trk_xyxy(s, b);
            struct yolo_track *o = &out[k];
            o->id = s->id;
            o->det = s->idx;
            o->cls = s->cls;
            o->conf = s->score;
            o->x1 = (float)b[0];
            o->y1 = (float)b[1];
            o->x2 = (float)b[2];
            o->y2 = (float)b[3];
            k++;
        }
    }
    *n_out = k;
    return YOLO_OK;
}
