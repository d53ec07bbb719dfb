/* counter.c: line crossings and zone counts from tracks (see "counting" in include/yolo.h).
 *
 * Per track the counter keeps its last centre, which lines it has been counted on and which
 * zones it was inside; a track not reported for PRUNE_FRAMES frames is forgotten (the
 * tracker itself drops lost tracks long before that). Counts are kept per class (index
 * cls + 1) and for all classes (index 0).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect_internal.h"
#include "yolo.h"

#define MAX_SHAPES 64
#define PRUNE_FRAMES 3000
#define N_CLS (YOLO_COUNT_MAX_CLASSES + 1)

struct tstate {
    int64_t id, last_frame;
    double cx, cy;
    uint64_t counted;          /* bit s: counted on line s */
    uint64_t inside;           /* bit s: inside zone s at the last frame seen */
};

struct yolo_counter {
    struct yolo_count_shape shapes[MAX_SHAPES];
    int32_t n_shapes;
    int64_t frame;
    struct tstate *ts;
    int32_t n_ts, cap_ts;
    /* [shape][class] */
    int64_t *tot_in, *tot_out, *fr_in, *fr_out, *inside;
};

int yolo_counter_create(const struct yolo_count_shape *shapes, int32_t n_shapes, struct yolo_counter **out,
                        struct yolo_diag *d)
{
    if (!out || n_shapes < 0 || n_shapes > MAX_SHAPES || (n_shapes > 0 && !shapes))
        return yolo_diag_set(d, YOLO_ERR_ARG, "yolo_counter_create: bad arguments (at most %d lines and "
                             "zones)", MAX_SHAPES);
    *out = NULL;
    for (int32_t s = 0; s < n_shapes; s++) {
        const struct yolo_count_shape *sh = &shapes[s];
        int ok = sh->is_zone ? sh->n_points >= 3 && sh->n_points <= YOLO_COUNT_MAX_POINTS : sh->n_points == 2;
        for (int32_t k = 0; ok && k < 2 * sh->n_points; k++)
            ok = isfinite(sh->pts[k]);
        if (ok && !sh->is_zone)
            ok = sh->pts[0] != sh->pts[2] || sh->pts[1] != sh->pts[3];
        if (!ok)
            return yolo_diag_set(d, YOLO_ERR_ARG, "%s %d: a line needs 2 distinct points, a zone 3 to %d",
                                 sh->is_zone ? "zone" : "line", s + 1, YOLO_COUNT_MAX_POINTS);
    }
    struct yolo_counter *c = calloc(1, sizeof *c);
    size_t n = (size_t)(n_shapes > 0 ? n_shapes : 1) * N_CLS;
    if (c) {
        c->tot_in = calloc(n, sizeof(int64_t));
        c->tot_out = calloc(n, sizeof(int64_t));
        c->fr_in = calloc(n, sizeof(int64_t));
        c->fr_out = calloc(n, sizeof(int64_t));
        c->inside = calloc(n, sizeof(int64_t));
    }
    if (!c || !c->tot_in || !c->tot_out || !c->fr_in || !c->fr_out || !c->inside) {
        yolo_counter_free(c);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory creating a counter");
    }
    if (n_shapes)
        memcpy(c->shapes, shapes, sizeof *shapes * (size_t)n_shapes);
    c->n_shapes = n_shapes;
    *out = c;
    return YOLO_OK;
}

void yolo_counter_free(struct yolo_counter *c)
{
    if (!c)
        return;
    free(c->ts);
    free(c->tot_in);
    free(c->tot_out);
    free(c->fr_in);
    free(c->fr_out);
    free(c->inside);
    free(c);
}

/* Which side of the line a->b point p is on (the sign of the cross product; y down). */
static double side(const float *l, double px, double py)
{
    return ((double)l[2] - l[0]) * (py - l[1]) - ((double)l[3] - l[1]) * (px - l[0]);
}

static int point_in_polygon(const struct yolo_count_shape *z, double x, double y)
{
    int in = 0;
    for (int32_t i = 0, j = z->n_points - 1; i < z->n_points; j = i++) {
        double xi = z->pts[2 * i], yi = z->pts[2 * i + 1], xj = z->pts[2 * j], yj = z->pts[2 * j + 1];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi)
            in = !in;
    }
    return in;
}

static struct tstate *find_track(struct yolo_counter *c, int64_t id, int *is_new)
{
    for (int32_t i = 0; i < c->n_ts; i++)
        if (c->ts[i].id == id) {
            *is_new = 0;
            return &c->ts[i];
        }
    if (c->n_ts == c->cap_ts) {
        int32_t cap = c->cap_ts ? 2 * c->cap_ts : 64;
        struct tstate *q = realloc(c->ts, sizeof *q * (size_t)cap);
        if (!q)
            return NULL;
        c->ts = q;
        c->cap_ts = cap;
    }
    struct tstate *t = &c->ts[c->n_ts++];
    memset(t, 0, sizeof *t);
    t->id = id;
    *is_new = 1;
    return t;
}

static void add(int64_t *a, int32_t s, int32_t cls)
{
    a[(size_t)s * N_CLS] += 1;
    if (cls >= 0 && cls < YOLO_COUNT_MAX_CLASSES)
        a[(size_t)s * N_CLS + 1 + (size_t)cls] += 1;
}

int yolo_counter_update(struct yolo_counter *c, const struct yolo_track *tracks, int32_t n, struct yolo_diag *d)
{
    if (!c || n < 0 || (n > 0 && !tracks))
        return yolo_diag_set(d, YOLO_ERR_ARG, "yolo_counter_update: bad arguments");
    /* room for every track first, so a failure changes nothing */
    if (c->n_ts + n > c->cap_ts) {
        int32_t cap = c->n_ts + n + 64;
        struct tstate *q = realloc(c->ts, sizeof *q * (size_t)cap);
        if (!q)
            return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory in the counter");
        c->ts = q;
        c->cap_ts = cap;
    }
    c->frame++;
    size_t nn = (size_t)(c->n_shapes > 0 ? c->n_shapes : 1) * N_CLS;
    memset(c->fr_in, 0, nn * sizeof(int64_t));
    memset(c->fr_out, 0, nn * sizeof(int64_t));
    memset(c->inside, 0, nn * sizeof(int64_t));
    for (int32_t i = 0; i < n; i++) {
        const struct yolo_track *tr = &tracks[i];
        double cx = ((double)tr->x1 + tr->x2) / 2, cy = ((double)tr->y1 + tr->y2) / 2;
        int is_new;
        struct tstate *t = find_track(c, tr->id, &is_new);
        if (!t)
            return yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory in the counter");
        for (int32_t s = 0; s < c->n_shapes; s++) {
            const struct yolo_count_shape *sh = &c->shapes[s];
            uint64_t bit = 1ull << s;
            if (sh->is_zone) {
                int in = point_in_polygon(sh, cx, cy);
                if (in)
                    add(c->inside, s, tr->cls);
                if (!is_new && in && !(t->inside & bit)) {
                    add(c->tot_in, s, tr->cls);
                    add(c->fr_in, s, tr->cls);
                } else if (!is_new && !in && (t->inside & bit)) {
                    add(c->tot_out, s, tr->cls);
                    add(c->fr_out, s, tr->cls);
                }
                t->inside = in ? t->inside | bit : t->inside & ~bit;
            } else if (!is_new && !(t->counted & bit)) {
                const float *l = sh->pts;
                double dp = side(l, t->cx, t->cy), dq = side(l, cx, cy);
                int dir = dp > 0 && dq <= 0 ? 1 : dp < 0 && dq >= 0 ? -1 : 0;
                if (dir) {
                    /* the line's end points must lie on both sides of the track's step */
                    double ea = (cx - t->cx) * (l[1] - t->cy) - (cy - t->cy) * (l[0] - t->cx);
                    double eb = (cx - t->cx) * (l[3] - t->cy) - (cy - t->cy) * (l[2] - t->cx);
                    if ((ea <= 0 && eb >= 0) || (ea >= 0 && eb <= 0)) {
                        add(dir > 0 ? c->tot_in : c->tot_out, s, tr->cls);
                        add(dir > 0 ? c->fr_in : c->fr_out, s, tr->cls);
                        t->counted |= bit;
                    }
                }
            }
        }
        t->cx = cx;
        t->cy = cy;
        t->last_frame = c->frame;
    }
    int32_t k = 0;
    for (int32_t i = 0; i < c->n_ts; i++)
        if (c->frame - c->ts[i].last_frame <= PRUNE_FRAMES)
            c->ts[k++] = c->ts[i];
    c->n_ts = k;
    return YOLO_OK;
}

static int get(const struct yolo_counter *c, int32_t s, int32_t cls, const int64_t *in, const int64_t *out_,
               struct yolo_count *out)
{
    if (!c || !out || s < 0 || s >= c->n_shapes || cls < -1 || cls >= YOLO_COUNT_MAX_CLASSES)
        return YOLO_ERR_ARG;
    size_t k = (size_t)s * N_CLS + (size_t)(cls + 1);
    out->in = in[k];
    out->out = out_[k];
    out->inside = c->inside[k];
    return YOLO_OK;
}

int yolo_counter_get(const struct yolo_counter *c, int32_t s, int32_t cls, struct yolo_count *out)
{
    return get(c, s, cls, c ? c->tot_in : NULL, c ? c->tot_out : NULL, out);
}

int yolo_counter_get_frame(const struct yolo_counter *c, int32_t s, int32_t cls, struct yolo_count *out)
{
    return get(c, s, cls, c ? c->fr_in : NULL, c ? c->fr_out : NULL, out);
}
