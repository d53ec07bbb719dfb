/* image_run.c: the image pipeline (see image_run.h).
 *
 * The ring: image i lives in slot i % n_slots from the moment a decoder claims it until the
 * calling thread has written its outputs. One mutex and one condition variable guard the
 * ring (no spinning); the batcher has its own lock and is never called with this one held.
 * Decoders decode in parallel but submit in image order (each waits for its turn, which only
 * the decode of the image before it can hold up), because a batcher stream gives results
 * back in submission order: so the calling thread, walking the images in order, always finds
 * image i's result at the head of the stream. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "detect_internal.h"
#include "image_outputs.h"
#include "jsonl_out.h"

enum slot_state { SLOT_FREE, SLOT_DECODING, SLOT_READY };

struct slot {
    enum slot_state state;
    int64_t idx;
    struct yolo_image img;
    int ok;                          /* decoded and submitted; else err says why */
    char err[600];
    int64_t reserved;                /* pixels of the decode budget this image holds */
};

struct pipe {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct slot *slots;
    int n_slots;
    int64_t next_decode;             /* next index a decoder takes */
    int64_t next_submit;             /* the index whose turn it is to be submitted */
    int64_t n;
    int64_t end;                     /* n, or where an interrupt stopped the decoders */
    const atomic_int *interrupt;
    char *const *paths;
    struct yolo_batcher_stream *bs;
    int64_t max_pixels;
    /* One pixel budget (max_pixels) for all the images decoded and not yet written: an image
     * reserves its header's width x height before decoding (the whole budget when the header
     * is not understood) and gives it back when its slot is freed. Reservations are taken in
     * image order, so the oldest image, which the others wait for, always gets its share:
     * when it waits, only older images (which finish) hold the budget. */
    int64_t pixels_in_use;
    int64_t next_reserve;            /* index of the next image to reserve */
};

/* Waits, with p->mu held, for image i's turn and room for `need` pixels, then takes them. */
static void budget_reserve(struct pipe *p, int64_t i, int64_t need)
{
    while (p->next_reserve != i || (p->pixels_in_use > 0 && p->pixels_in_use + need > p->max_pixels))
        pthread_cond_wait(&p->cv, &p->mu);
    p->pixels_in_use += need;
    p->next_reserve = i + 1;
    pthread_cond_broadcast(&p->cv);
}

/* Decodes image i into s (no lock held). */
static void decode(struct pipe *p, struct slot *s, int64_t i)
{
    if (p->max_pixels > 0) {
        int64_t need = yolo_image_header_pixels(p->paths[i]);
        if (need < 0)
            need = p->max_pixels;     /* unknown: decoded alone, as if it took it all */
        else if (need > p->max_pixels)
            need = 0;                 /* refused from its header, nothing decoded */
        pthread_mutex_lock(&p->mu);
        budget_reserve(p, i, need);
        s->reserved = need;
        pthread_mutex_unlock(&p->mu);
    }
    struct yolo_diag d = { 0 };
    s->ok = yolo_image_read_limited(p->paths[i], p->max_pixels, &s->img, &d) == YOLO_OK;
    if (!s->ok)
        snprintf(s->err, sizeof s->err, "%s", d.msg);
}

static void *decoder_main(void *arg)
{
    struct pipe *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        int64_t i = p->next_decode;
        while (i < p->end && p->slots[i % p->n_slots].state != SLOT_FREE) {
            pthread_cond_wait(&p->cv, &p->mu);
            i = p->next_decode;
        }
        if (p->interrupt && atomic_load(p->interrupt) && p->end > p->next_decode) {
            p->end = p->next_decode;   /* the images claimed so far are the last */
            pthread_cond_broadcast(&p->cv);
        }
        if (i >= p->end)
            break;
        struct slot *s = &p->slots[i % p->n_slots];
        p->next_decode++;
        s->state = SLOT_DECODING;
        s->idx = i;
        pthread_mutex_unlock(&p->mu);

        decode(p, s, i);

        pthread_mutex_lock(&p->mu);
        if (!s->ok) {                     /* holds no pixels: give its share back now (the
                                           * writer may wait for an earlier image first) */
            p->pixels_in_use -= s->reserved;
            s->reserved = 0;
        }
        while (p->next_submit != i)
            pthread_cond_wait(&p->cv, &p->mu);
        pthread_mutex_unlock(&p->mu);
        if (s->ok) {
            /* never blocks: the stream has a slot for every ring slot */
            struct yolo_diag d = { 0 };
            if (yolo_batcher_submit(p->bs, &s->img, NULL, &d)) {
                s->ok = 0;
                snprintf(s->err, sizeof s->err, "%s: %s", p->paths[i], d.msg);
            }
        }
        pthread_mutex_lock(&p->mu);
        p->next_submit++;
        s->state = SLOT_READY;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ------------------------------------------------------------------ the calling thread */

struct writer {
    struct pipe *p;
    const struct yolo_image_run_params *o;
    struct yolo_image_run_report *rep;
    struct jsonl_out js;
    int json;
    char *line;                      /* the JSON line being formatted */
    size_t line_cap;
    double *ms_pre, *ms_infer, *ms_post;   /* per image done, for medians */
};

static void report_error(struct writer *wr, const char *msg)
{
    if (wr->o->error_fn)
        wr->o->error_fn(wr->o->user, msg);
}

/* Counts lost JSON lines and reports the failure behind them, if this call found one. */
static void json_lost(struct writer *wr, int64_t lost, const struct yolo_diag *d)
{
    wr->rep->write_errors += lost;
    if (d->status)
        report_error(wr, d->msg);
}

static void json_line(struct writer *wr, const char *path, const struct yolo_result *res, const char *err)
{
    int len = yolo_image_json_line(wr->line, wr->line_cap, path, res, err);
    if (len >= 0 && (size_t)len >= wr->line_cap) {
        size_t cap = (size_t)len + 1 > 2 * wr->line_cap ? (size_t)len + 1 : 2 * wr->line_cap;
        char *q = realloc(wr->line, cap);
        if (q) {
            wr->line = q;
            wr->line_cap = cap;
            len = yolo_image_json_line(wr->line, wr->line_cap, path, res, err);
        } else {
            len = -1;
        }
    }
    if (len < 0) {                   /* never a partial line */
        char msg[4300];
        snprintf(msg, sizeof msg, "%s: out of memory formatting its JSON line", path);
        wr->rep->write_errors++;
        report_error(wr, msg);
        return;
    }
    struct yolo_diag d = { 0 };
    json_lost(wr, jsonl_out_add(&wr->js, wr->line, (size_t)len, &d), &d);
}

/* Image i is decoded and, if it was submitted, its result is done: writing it will not wait. */
static int ready(struct pipe *p, int64_t i)
{
    pthread_mutex_lock(&p->mu);
    const struct slot *s = &p->slots[i % p->n_slots];
    int r = i < p->end && s->state == SLOT_READY && s->idx == i;
    int ok = r && s->ok;
    pthread_mutex_unlock(&p->mu);
    return r && (!ok || yolo_batcher_ready(p->bs));
}

static void write_image(struct writer *wr, struct slot *s)
{
    const struct yolo_image_run_params *o = wr->o;
    struct yolo_image_run_report *rep = wr->rep;
    const char *path = wr->p->paths[s->idx];
    struct yolo_result res;
    struct yolo_diag d = { 0 };
    if (s->ok && yolo_batcher_wait(wr->p->bs, &res, NULL, &d)) {
        s->ok = 0;
        yolo_batcher_release(wr->p->bs);
        snprintf(s->err, sizeof s->err, "%s: %s", path, d.msg);
    }
    struct yolo_image_item it = { s->idx, path, NULL, NULL, NULL };
    if (!s->ok) {
        rep->n_failed++;
        if (wr->json)
            json_line(wr, path, NULL, s->err);
        it.error = s->err;
    } else {
        rep->n_ok++;
        rep->n_dets += res.n_dets;
        rep->n_invalid += res.n_invalid;
        rep->n_invalid_images += res.n_invalid > 0;
        wr->ms_pre[rep->n_ok - 1] = res.ms_preprocess;
        wr->ms_infer[rep->n_ok - 1] = res.ms_inference;
        wr->ms_post[rep->n_ok - 1] = res.ms_postprocess;
        if (wr->json)
            json_line(wr, path, &res, NULL);
        const char *name = o->out_names ? o->out_names[s->idx] : strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        rep->write_errors += image_outputs_write(o, name, &s->img, &res);
        it.img = &s->img;
        it.res = &res;
    }
    if (o->image_fn)
        o->image_fn(o->user, &it);
    if (s->ok)
        yolo_batcher_release(wr->p->bs);   /* res->dets were the stream's own: valid until now */
}

static void write_all(struct writer *wr)
{
    struct pipe *p = wr->p;
    for (int64_t i = 0; i < p->n; i++) {
        if (wr->json && !ready(p, i)) {
            /* about to wait: what is done goes to the file now (a kill loses only this) */
            struct yolo_diag d = { 0 };
            json_lost(wr, jsonl_out_flush(&wr->js, &d), &d);
        }
        struct slot *s = &p->slots[i % p->n_slots];
        pthread_mutex_lock(&p->mu);
        while (!(s->state == SLOT_READY && s->idx == i) && i < p->end)
            pthread_cond_wait(&p->cv, &p->mu);
        int stop = i >= p->end && !(s->state == SLOT_READY && s->idx == i);
        pthread_mutex_unlock(&p->mu);
        if (stop)
            break;
        write_image(wr, s);
        yolo_image_free(&s->img);
        pthread_mutex_lock(&p->mu);
        p->pixels_in_use -= s->reserved;
        s->reserved = 0;
        s->state = SLOT_FREE;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int64_t n)
{
    if (n <= 0)
        return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int yolo_image_run(const struct yolo_ctx *ctx, char *const *paths, int64_t n,
                   const struct yolo_image_run_params *o, struct yolo_image_run_report *rep,
                   struct yolo_diag *d)
{
    if (!ctx || !o || !rep || n < 0 || (n > 0 && !paths))
        return yolo_diag_set(d, YOLO_ERR_ARG, "yolo_image_run: NULL argument");
    memset(rep, 0, sizeof *rep);
    rep->n_images = n;
    int32_t max_batch = o->max_batch > 0 ? o->max_batch : 1;
    int32_t workers = o->workers > 0 ? o->workers : 1;
    int32_t n_inst = o->n_instances > 0 ? o->n_instances : 1;
    if (max_batch > ctx->model->max_batch || workers > 256)
        return yolo_diag_set(d, YOLO_ERR_ARG, "yolo_image_run: batch %d (engine: at most %d) or %d "
                             "decode threads out of range", max_batch, ctx->model->max_batch, workers);
    struct pipe p = { .n = n, .end = n, .paths = paths, .max_pixels = o->max_pixels,
                      .interrupt = o->interrupt };
    /* enough for every context's group, the decoders' images and one group being written */
    p.n_slots = (n_inst + 1) * max_batch + 2 * workers + 2;
    struct writer wr = { .p = &p, .o = o, .rep = rep, .json = o->json_path != NULL };
    struct yolo_batcher *b = NULL;
    pthread_t *threads = NULL;
    int32_t started = 0;
    int rc = 0;
    if (pthread_mutex_init(&p.mu, NULL) != 0)
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "cannot create the image pipeline's mutex");
    if (pthread_cond_init(&p.cv, NULL) != 0) {
        pthread_mutex_destroy(&p.mu);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "cannot create the image pipeline's condition variable");
    }
    size_t n_ms = (size_t)(n > 0 ? n : 1);
    p.slots = calloc((size_t)p.n_slots, sizeof *p.slots);
    wr.ms_pre = malloc(sizeof(double) * n_ms);
    wr.ms_infer = malloc(sizeof(double) * n_ms);
    wr.ms_post = malloc(sizeof(double) * n_ms);
    threads = calloc((size_t)workers, sizeof *threads);
    if (!p.slots || !wr.ms_pre || !wr.ms_infer || !wr.ms_post || !threads) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "out of memory starting the image pipeline (%lld images)",
                           (long long)n);
        goto out;
    }
    if (wr.json && (rc = jsonl_out_open(&wr.js, o->json_path, o->json_append, d))) {
        wr.json = 0;
        goto out;
    }
    /* timeout 0: a context takes what is queued at once rather than wait for a full group */
    struct yolo_batcher_params bp = { n_inst, max_batch, 0 };
    if ((rc = yolo_batcher_create(ctx, &bp, &b, d)) || (rc = yolo_batcher_stream_open(b, p.n_slots, &p.bs, d)))
        goto out;
    double t_start = yolo_now_ms();
    for (int32_t i = 0; i < workers; i++)
        if (pthread_create(&threads[started], NULL, decoder_main, &p) == 0)
            started++;
    if (started == 0) {
        rc = yolo_diag_set(d, YOLO_ERR_NOMEM, "cannot start the image decoding threads");
        goto out;
    }
    write_all(&wr);
    for (int32_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    started = 0;
    rep->interrupted = p.end < n;
    rep->wall_s = (yolo_now_ms() - t_start) / 1e3;
    rep->median_ms_pre = median(wr.ms_pre, rep->n_ok);
    rep->median_ms_infer = median(wr.ms_infer, rep->n_ok);
    rep->median_ms_post = median(wr.ms_post, rep->n_ok);
    struct yolo_batcher_stats bs;
    yolo_batcher_get_stats(b, &bs);
    rep->n_instances = n_inst;
    if (rep->wall_s > 0)
        rep->engine_busy = bs.busy_ms / (1e3 * rep->wall_s * n_inst);
    if (wr.json) {
        struct yolo_diag dj = { 0 };
        wr.json = 0;
        json_lost(&wr, jsonl_out_close(&wr.js, &dj), &dj);
    }
out:
    if (wr.json)
        jsonl_out_abort(&wr.js);
    yolo_batcher_free(b);            /* closes the stream */
    free(wr.line);
    for (int i = 0; p.slots && i < p.n_slots; i++)
        yolo_image_free(&p.slots[i].img);
    free(p.slots);
    free(threads);
    free(wr.ms_pre);
    free(wr.ms_infer);
    free(wr.ms_post);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
    return rc;
}
