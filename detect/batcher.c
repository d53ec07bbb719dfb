/* batcher.c: dynamic batching over cloned contexts (the batcher section of yolo.h).
 *
 * Frames wait in one FIFO (an intrusive list through the streams' slots, so a submit never
 * allocates). A worker that finds fewer than max_batch frames queued waits on a condition
 * variable until the group fills or the oldest frame has waited timeout_ms, then takes the
 * group, runs it on its own context (keeping up to two engine calls in flight: worker_main)
 * and writes each result into the frame's slot. A stream is a ring of `depth` slots indexed
 * by submission number, which is also the reorder buffer: next() hands results out in slot
 * order whatever order the workers finished them in.
 *
 * One mutex guards the queue, the slots' states and the counters. It is never held while a
 * frame is letterboxed, inferred or post-processed: a worker owns the slots of the group it
 * took until it marks them done, and the contexts share nothing writable (the model is
 * read-only), so inference runs with no lock at all. Every wait is on a condition variable.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect_internal.h"
#include "clock.h"

#define MAX_INSTANCES 256
#define MAX_GROUP     1024
#define MAX_DEPTH     4096

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_RUNNING, SLOT_DONE };

struct slot {
    struct yolo_batcher_stream *s;
    struct slot *next;                /* queue link while QUEUED */
    enum slot_state state;
    struct yolo_image img;            /* pixels borrowed from the submitter */
    void *user;
    double t_submit_ms;
    int status;                       /* detection status once DONE */
    int32_t n_dets, width, height;
    double ms_pre, ms_inf, ms_post;
    int32_t n_invalid;                /* yolo_result.n_invalid, passed on */
    struct yolo_det *dets;            /* max_det, in the stream's det_store */
    char msg[YOLO_DIAG_MSG_BYTES];
};

struct yolo_batcher_stream {
    struct yolo_batcher *b;
    struct yolo_batcher_stream *prev, *next;   /* b's list of open streams */
    struct slot *slots;
    struct yolo_det *det_store;
    int32_t depth;
    int64_t n_submitted;              /* frames queued so far: frame k lives in slot k % depth */
    int64_t n_released;               /* results returned (their slots are free again) */
    int32_t n_busy;                   /* slots QUEUED or RUNNING */
    int closing;
    pthread_cond_t cv;                /* result done, slot released, busy count dropped */
};

#define PIPE YOLO_CTX_SLOTS           /* engine calls in flight per worker */

struct call {                         /* one engine call submitted and not yet collected */
    struct slot **s;                  /* engine batch */
    int32_t n;
};

struct worker {
    struct yolo_batcher *b;
    struct yolo_ctx *ctx;             /* owned clone */
    pthread_t thread;
    int started;
    struct slot **group;              /* max_batch: the group being submitted */
    int32_t g_n, g_at;                /* its frames; the next one to submit */
    struct call calls[PIPE];          /* in flight, oldest at c_head */
    int32_t c_head, c_n;
    struct slot **finished;           /* (PIPE + 1) x engine batch: results stored, to be
                                       * marked done under the lock */
    int32_t n_finished;
    struct yolo_image *imgs;          /* engine batch */
    struct yolo_result *res;          /* engine batch */
    uint64_t ctx_bytes;               /* ctx's memory, published under b->mu: the ctx
                                       * itself grows its workspace outside the lock */
};

struct yolo_batcher {
    pthread_mutex_t mu;
    pthread_cond_t work_cv;           /* frames queued, or stop */
    struct slot *q_head, *q_tail;
    int32_t q_len;
    int stop;
    int32_t max_batch, engine_batch, max_det, n_workers;
    double timeout_ms;
    struct worker *workers;
    struct yolo_batcher_stream *streams;
    struct yolo_batcher_stats stats;
    int sync_ok;                      /* mu and work_cv initialized */
};

static struct timespec ms_to_timespec(double ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1e3);
    ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1e3) * 1e6);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    } else if (ts.tv_nsec < 0) {
        ts.tv_nsec = 0;
    }
    return ts;
}

void yolo_batcher_params_default(struct yolo_batcher_params *p)
{
    memset(p, 0, sizeof *p);
    p->n_instances = 1;
    p->max_batch = 1;
}

/* Writes one detection result (or failure) into its slot. The worker owns the slot. */
static void slot_store(struct slot *sl, int rc, const struct yolo_result *r, const struct yolo_diag *d,
                       int32_t max_det)
{
    sl->status = rc;
    sl->n_dets = 0;
    sl->msg[0] = 0;
    sl->width = sl->img.width;
    sl->height = sl->img.height;
    sl->ms_pre = sl->ms_inf = sl->ms_post = 0;
    sl->n_invalid = 0;
    if (rc) {
        memcpy(sl->msg, d->msg, sizeof sl->msg);
        return;
    }
    int32_t n = r->n_dets < max_det ? r->n_dets : max_det;
    if (n > 0)
        memcpy(sl->dets, r->dets, sizeof *sl->dets * (size_t)n);
    sl->n_dets = n;
    sl->ms_pre = r->ms_preprocess;
    sl->ms_inf = r->ms_inference;
    sl->ms_post = r->ms_postprocess;
    sl->n_invalid = r->n_invalid;
}

static void finish(struct worker *w, struct slot *sl, int rc, const struct yolo_result *r,
                   const struct yolo_diag *d)
{
    slot_store(sl, rc, r, d, w->b->max_det);
    w->finished[w->n_finished++] = sl;
}

/* One frame at a time, synchronously: after a failed call of several frames, so only the bad
 * frame fails. Nothing may be in flight. */
static void rerun_one_by_one(struct worker *w, struct slot **sl, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        struct yolo_diag d1 = { 0 };
        int rc1 = yolo_detect(w->ctx, &sl[i]->img, &w->res[0], &d1);
        finish(w, sl[i], rc1, &w->res[0], &d1);
    }
}

/* Collects the oldest call in flight into its slots. Results point into the context until
 * its next call, so they are copied out at once. */
static void collect_call(struct worker *w)
{
    struct call *c = &w->calls[w->c_head];
    struct yolo_diag d = { 0 };
    int32_t n = 0;
    int rc = yolo_detect_collect(w->ctx, w->res, &n, &d);
    w->c_head = (w->c_head + 1) % PIPE;
    w->c_n--;
    if (rc && c->n > 1) {
        while (w->c_n > 0)   /* the context takes no synchronous call while any is in flight */
            collect_call(w);
        rerun_one_by_one(w, c->s, c->n);
        return;
    }
    for (int32_t i = 0; i < c->n; i++)
        finish(w, c->s[i], rc, &w->res[i], &d);
}

/* Submits the group's next engine call (up to engine_batch frames). */
static void submit_call(struct worker *w)
{
    const struct yolo_batcher *b = w->b;
    struct call *c = &w->calls[(w->c_head + w->c_n) % PIPE];
    int32_t m = w->g_n - w->g_at < b->engine_batch ? w->g_n - w->g_at : b->engine_batch;
    for (int32_t i = 0; i < m; i++) {
        c->s[i] = w->group[w->g_at + i];
        w->imgs[i] = c->s[i]->img;
    }
    c->n = m;
    w->g_at += m;
    struct yolo_diag d = { 0 };
    int rc = yolo_detect_submit(w->ctx, w->imgs, m, &d);
    if (!rc) {
        w->c_n++;
        return;
    }
    while (w->c_n > 0)
        collect_call(w);
    if (m == 1)
        finish(w, c->s[0], rc, NULL, &d);
    else
        rerun_one_by_one(w, c->s, m);
}

/* Under b->mu: whether a group may be taken now, without waiting for more frames. */
static int group_ready(const struct yolo_batcher *b)
{
    if (b->q_len == 0)
        return 0;
    if (b->q_len >= b->max_batch || b->stop || b->timeout_ms <= 0)
        return 1;
    return yolo_now_ms() >= b->q_head->t_submit_ms + b->timeout_ms;
}

/* Under b->mu: takes up to max_batch queued frames as the worker's group. */
static void take_group(struct worker *w)
{
    struct yolo_batcher *b = w->b;
    int32_t n = 0;
    while (b->q_head && n < b->max_batch) {
        struct slot *sl = b->q_head;
        b->q_head = sl->next;
        sl->next = NULL;
        sl->state = SLOT_RUNNING;
        w->group[n++] = sl;
    }
    if (!b->q_head)
        b->q_tail = NULL;
    b->q_len -= n;
    b->stats.n_frames += n;
    b->stats.n_groups++;
    b->stats.n_engine_calls += (n + b->engine_batch - 1) / b->engine_batch;
    if (n > b->stats.max_group)
        b->stats.max_group = n;
    w->g_n = n;
    w->g_at = 0;
}

/* A worker keeps up to PIPE engine calls in flight on its context: it submits the next call
 * (of its group, or of a new group when one is ready) before it collects the oldest, so on a
 * GPU the upload of one call overlaps the inference of the other. With calls in flight it
 * does not wait for a group to fill: it collects instead. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct yolo_batcher *b = w->b;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        if (w->g_at == w->g_n && w->c_n < PIPE && group_ready(b))
            take_group(w);
        if (w->g_at == w->g_n && w->c_n == 0) {   /* idle: wait for frames */
            if (b->q_len == 0) {
                if (b->stop)
                    break;   /* stopping and drained */
                pthread_cond_wait(&b->work_cv, &b->mu);
            } else {         /* frames queued, the group not full: until the oldest's timeout */
                struct timespec ts = ms_to_timespec(b->q_head->t_submit_ms + b->timeout_ms);
                pthread_cond_timedwait(&b->work_cv, &b->mu, &ts);
            }
            continue;   /* re-check: more frames, another worker took them, or time is up */
        }
        int submit = w->g_at < w->g_n && w->c_n < PIPE;
        pthread_mutex_unlock(&b->mu);

        w->n_finished = 0;
        double t0 = yolo_now_ms();
        if (submit)
            submit_call(w);
        else
            collect_call(w);
        double busy = yolo_now_ms() - t0;   /* with calls in flight a worker never idles */

        uint64_t ctx_bytes = yolo_ctx_memory_bytes(w->ctx);
        pthread_mutex_lock(&b->mu);
        w->ctx_bytes = ctx_bytes;
        b->stats.busy_ms += busy;
        for (int32_t i = 0; i < w->n_finished; i++) {
            struct slot *sl = w->finished[i];
            sl->state = SLOT_DONE;
            sl->s->n_busy--;
            pthread_cond_broadcast(&sl->s->cv);
        }
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

static void stream_destroy(struct yolo_batcher_stream *s)
{
    pthread_cond_destroy(&s->cv);
    free(s->slots);
    free(s->det_store);
    free(s);
}

void yolo_batcher_free(struct yolo_batcher *b)
{
    if (!b)
        return;
    if (b->sync_ok) {
        pthread_mutex_lock(&b->mu);
        b->stop = 1;
        pthread_cond_broadcast(&b->work_cv);
        pthread_mutex_unlock(&b->mu);
    }
    for (int32_t i = 0; i < b->n_workers; i++) {
        struct worker *w = &b->workers[i];
        if (w->started)
            pthread_join(w->thread, NULL);
        yolo_ctx_free(w->ctx);
        free(w->group);
        free(w->imgs);
        free(w->res);
        free(w->finished);
        for (int k = 0; k < PIPE; k++)
            free(w->calls[k].s);
    }
    free(b->workers);
    while (b->streams) {
        struct yolo_batcher_stream *s = b->streams;
        b->streams = s->next;
        stream_destroy(s);
    }
    if (b->sync_ok) {
        pthread_cond_destroy(&b->work_cv);
        pthread_mutex_destroy(&b->mu);
    }
    free(b);
}

int yolo_batcher_create(const struct yolo_ctx *ctx, const struct yolo_batcher_params *p,
                        struct yolo_batcher **out, struct yolo_diag *diag)
{
    struct yolo_batcher_params def;
    if (!ctx || !out)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_batcher_create: NULL argument");
    *out = NULL;
    if (!p) {
        yolo_batcher_params_default(&def);
        p = &def;
    }
    int32_t n_inst = p->n_instances > 0 ? p->n_instances : 1;
    int32_t max_batch = p->max_batch > 0 ? p->max_batch : 1;
    if (n_inst > MAX_INSTANCES || max_batch > MAX_GROUP || !(p->timeout_ms >= 0 && p->timeout_ms <= 3.6e6))
        return yolo_diag_set(diag, YOLO_ERR_ARG, "batcher parameters out of range (instances %d of at "
                             "most %d, batch %d of at most %d, timeout %g ms)", p->n_instances,
                             MAX_INSTANCES, p->max_batch, MAX_GROUP, p->timeout_ms);
    struct yolo_batcher *b = calloc(1, sizeof *b);
    if (!b)
        return yolo_diag_set(diag, YOLO_ERR_NOMEM, "out of memory creating a batcher");
    int rc = 0;
    pthread_condattr_t ca;
    if (pthread_mutex_init(&b->mu, NULL) != 0) {
        free(b);
        return yolo_diag_set(diag, YOLO_ERR_NOMEM, "cannot create the batcher's mutex");
    }
    /* timed waits measure against CLOCK_MONOTONIC, immune to wall-clock jumps */
    if (pthread_condattr_init(&ca) != 0 || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&b->work_cv, &ca) != 0) {
        pthread_mutex_destroy(&b->mu);
        free(b);
        return yolo_diag_set(diag, YOLO_ERR_NOMEM, "cannot create the batcher's condition variable");
    }
    pthread_condattr_destroy(&ca);
    b->sync_ok = 1;
    b->max_batch = max_batch;
    b->timeout_ms = p->timeout_ms;
    b->engine_batch = ctx->model->max_batch > 0 ? ctx->model->max_batch : 1;
    b->max_det = ctx->params.max_det;
    b->stats.engine_max_batch = b->engine_batch;
    b->stats.n_instances = n_inst;
    b->workers = calloc((size_t)n_inst, sizeof *b->workers);
    if (!b->workers) {
        rc = yolo_diag_set(diag, YOLO_ERR_NOMEM, "out of memory creating a batcher");
        goto fail;
    }
    b->n_workers = n_inst;
    for (int32_t i = 0; i < n_inst; i++) {
        struct worker *w = &b->workers[i];
        w->b = b;
        if ((rc = yolo_ctx_clone(ctx, &w->ctx, diag)))
            goto fail;
        w->ctx_bytes = yolo_ctx_memory_bytes(w->ctx);
        w->group = calloc((size_t)max_batch, sizeof *w->group);
        w->imgs = calloc((size_t)b->engine_batch, sizeof *w->imgs);
        w->res = calloc((size_t)b->engine_batch, sizeof *w->res);
        w->finished = calloc((size_t)(PIPE + 1) * (size_t)b->engine_batch, sizeof *w->finished);
        int calls_ok = 1;
        for (int k = 0; k < PIPE; k++)
            calls_ok &= (w->calls[k].s = calloc((size_t)b->engine_batch, sizeof(struct slot *))) != NULL;
        if (!w->group || !w->imgs || !w->res || !w->finished || !calls_ok) {
            rc = yolo_diag_set(diag, YOLO_ERR_NOMEM, "out of memory creating a batcher");
            goto fail;
        }
    }
    for (int32_t i = 0; i < n_inst; i++) {
        struct worker *w = &b->workers[i];
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            rc = yolo_diag_set(diag, YOLO_ERR_NOMEM, "cannot start batcher worker %d of %d", i + 1, n_inst);
            goto fail;
        }
        w->started = 1;
    }
    *out = b;
    return 0;
fail:
    yolo_batcher_free(b);
    return rc;
}

int yolo_batcher_stream_open(struct yolo_batcher *b, int32_t depth, struct yolo_batcher_stream **out,
                             struct yolo_diag *diag)
{
    if (!b || !out)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_batcher_stream_open: NULL argument");
    *out = NULL;
    if (depth < 1 || depth > MAX_DEPTH)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "stream depth %d out of range 1..%d", depth, MAX_DEPTH);
    struct yolo_batcher_stream *s = calloc(1, sizeof *s);
    if (!s)
        return yolo_diag_set(diag, YOLO_ERR_NOMEM, "out of memory opening a stream");
    if (pthread_cond_init(&s->cv, NULL) != 0) {
        free(s);
        return yolo_diag_set(diag, YOLO_ERR_NOMEM, "cannot create a stream's condition variable");
    }
    s->b = b;
    s->depth = depth;
    s->slots = calloc((size_t)depth, sizeof *s->slots);
    /* depth <= 4096 and max_det <= 100000: the product fits easily in size_t */
    s->det_store = malloc(sizeof *s->det_store * (size_t)depth * (size_t)b->max_det);
    if (!s->slots || !s->det_store) {
        stream_destroy(s);
        return yolo_diag_set(diag, YOLO_ERR_NOMEM, "out of memory opening a stream of depth %d", depth);
    }
    for (int32_t i = 0; i < depth; i++) {
        s->slots[i].s = s;
        s->slots[i].dets = s->det_store + (size_t)i * (size_t)b->max_det;
    }
    pthread_mutex_lock(&b->mu);
    s->next = b->streams;
    if (b->streams)
        b->streams->prev = s;
    b->streams = s;
    pthread_mutex_unlock(&b->mu);
    *out = s;
    return 0;
}

void yolo_batcher_stream_close(struct yolo_batcher_stream *s)
{
    if (!s)
        return;
    struct yolo_batcher *b = s->b;
    pthread_mutex_lock(&b->mu);
    s->closing = 1;   /* defensive: a (misused) concurrent submit fails instead of queueing */
    /* unlink this stream's frames still queued: nobody has started them */
    struct slot **pp = &b->q_head, *last = NULL;
    while (*pp) {
        struct slot *sl = *pp;
        if (sl->s == s) {
            *pp = sl->next;
            sl->next = NULL;
            sl->state = SLOT_FREE;
            s->n_busy--;
            b->q_len--;
        } else {
            last = sl;
            pp = &sl->next;
        }
    }
    b->q_tail = last;
    while (s->n_busy > 0)   /* frames being run still read the submitter's pixels */
        pthread_cond_wait(&s->cv, &b->mu);
    if (s->prev)
        s->prev->next = s->next;
    else
        b->streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    pthread_mutex_unlock(&b->mu);
    stream_destroy(s);
}

int yolo_batcher_submit(struct yolo_batcher_stream *s, const struct yolo_image *img, void *user,
                        struct yolo_diag *diag)
{
    if (!s || !img)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_batcher_submit: NULL argument");
    if (!img->data || img->width <= 0 || img->height <= 0 || img->width > 65535 || img->height > 65535 ||
        (int64_t)img->stride_bytes < 3 * (int64_t)img->width ||
        (img->format != YOLO_PIXEL_BGR && img->format != YOLO_PIXEL_RGB))
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_batcher_submit: bad image (size %dx%d, stride %d)",
                             img->width, img->height, img->stride_bytes);
    struct yolo_batcher *b = s->b;
    pthread_mutex_lock(&b->mu);
    while (!s->closing && s->n_submitted - s->n_released >= s->depth)
        pthread_cond_wait(&s->cv, &b->mu);
    if (s->closing) {
        pthread_mutex_unlock(&b->mu);
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_batcher_submit: the stream is being closed");
    }
    struct slot *sl = &s->slots[s->n_submitted % s->depth];
    sl->state = SLOT_QUEUED;
    sl->img = *img;
    sl->user = user;
    sl->t_submit_ms = yolo_now_ms();
    sl->next = NULL;
    if (b->q_tail)
        b->q_tail->next = sl;
    else
        b->q_head = sl;
    b->q_tail = sl;
    b->q_len++;
    s->n_submitted++;
    s->n_busy++;
    /* all workers re-evaluate: one waiting for a group to fill may now have a full one */
    pthread_cond_broadcast(&b->work_cv);
    pthread_mutex_unlock(&b->mu);
    return 0;
}

/* The oldest frame of s not released yet, once it is DONE; NULL (and an error in diag) when
 * every frame submitted was released. Called with b->mu held. */
static struct slot *oldest_done(struct yolo_batcher_stream *s, const char *fn, struct yolo_diag *diag)
{
    if (s->n_released == s->n_submitted) {
        yolo_diag_set(diag, YOLO_ERR_ARG, "%s: no frame in flight on this stream", fn);
        return NULL;
    }
    struct slot *sl = &s->slots[s->n_released % s->depth];
    while (sl->state != SLOT_DONE)
        pthread_cond_wait(&s->cv, &s->b->mu);
    return sl;
}

/* Describes a DONE slot in *res; its detections are the slot's own (no copy). */
static int slot_result(const struct slot *sl, struct yolo_result *res, void **user, struct yolo_diag *diag)
{
    memset(res, 0, sizeof *res);
    res->dets = sl->dets;
    res->n_dets = sl->n_dets;
    res->width = sl->width;
    res->height = sl->height;
    res->ms_preprocess = sl->ms_pre;
    res->ms_inference = sl->ms_inf;
    res->ms_postprocess = sl->ms_post;
    res->n_invalid = sl->n_invalid;
    if (user)
        *user = sl->user;
    if (sl->status && diag) {
        diag->status = sl->status;
        memcpy(diag->msg, sl->msg, sizeof diag->msg);
    }
    return sl->status;
}

int yolo_batcher_wait(struct yolo_batcher_stream *s, struct yolo_result *res, void **user,
                      struct yolo_diag *diag)
{
    if (!s || !res)
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_batcher_wait: NULL argument");
    pthread_mutex_lock(&s->b->mu);
    const struct slot *sl = oldest_done(s, "yolo_batcher_wait", diag);
    pthread_mutex_unlock(&s->b->mu);
    if (!sl) {
        memset(res, 0, sizeof *res);
        if (user)
            *user = NULL;
        return YOLO_ERR_ARG;
    }
    /* Read outside the lock: a DONE slot is written by nobody until it is released (workers
     * are finished with it, and submit only reuses released slots). */
    return slot_result(sl, res, user, diag);
}

int yolo_batcher_ready(struct yolo_batcher_stream *s)
{
    pthread_mutex_lock(&s->b->mu);
    int r = s->n_released < s->n_submitted && s->slots[s->n_released % s->depth].state == SLOT_DONE;
    pthread_mutex_unlock(&s->b->mu);
    return r;
}

void yolo_batcher_release(struct yolo_batcher_stream *s)
{
    if (!s)
        return;
    struct yolo_batcher *b = s->b;
    pthread_mutex_lock(&b->mu);
    if (s->n_released < s->n_submitted && s->slots[s->n_released % s->depth].state == SLOT_DONE) {
        s->slots[s->n_released % s->depth].state = SLOT_FREE;
        s->n_released++;
        pthread_cond_broadcast(&s->cv);   /* a submitter may be waiting for this slot */
    }
    pthread_mutex_unlock(&b->mu);
}

int yolo_batcher_next(struct yolo_batcher_stream *s, struct yolo_det *dets, int32_t cap,
                      struct yolo_result *res, void **user, struct yolo_diag *diag)
{
    if (!s || !res || cap < 0 || (cap > 0 && !dets))
        return yolo_diag_set(diag, YOLO_ERR_ARG, "yolo_batcher_next: NULL argument");
    struct yolo_batcher *b = s->b;
    pthread_mutex_lock(&b->mu);
    struct slot *sl = oldest_done(s, "yolo_batcher_next", diag);
    if (!sl) {
        pthread_mutex_unlock(&b->mu);
        memset(res, 0, sizeof *res);
        if (user)
            *user = NULL;
        return YOLO_ERR_ARG;
    }
    /* the caller's own copy (yolo_batcher_wait is the form without it), made under the lock:
     * once released, the slot can be reused by a submit */
    int status = slot_result(sl, res, user, diag);
    int32_t n = sl->n_dets < cap ? sl->n_dets : cap;
    if (n > 0)
        memcpy(dets, sl->dets, sizeof *dets * (size_t)n);
    res->dets = dets;
    res->n_dets = n;
    sl->state = SLOT_FREE;
    s->n_released++;
    pthread_cond_broadcast(&s->cv);   /* a submitter may be waiting for this slot */
    pthread_mutex_unlock(&b->mu);
    return status;
}

void yolo_batcher_get_stats(struct yolo_batcher *b, struct yolo_batcher_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    *st = b->stats;
    pthread_mutex_unlock(&b->mu);
}

uint64_t yolo_batcher_memory_bytes(struct yolo_batcher *b)
{
    if (!b)
        return 0;
    uint64_t total = 0;
    pthread_mutex_lock(&b->mu);
    for (int32_t i = 0; i < b->n_workers; i++)
        total += b->workers[i].ctx_bytes;
    for (const struct yolo_batcher_stream *s = b->streams; s; s = s->next)
        total += (uint64_t)s->depth * (sizeof *s->slots + sizeof *s->det_store * (uint64_t)b->max_det);
    pthread_mutex_unlock(&b->mu);
    return total;
}
