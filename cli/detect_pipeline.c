/* detect_pipeline.c: see detect_pipeline.h. One mutex and one condition variable guard the
 * ring; every stage blocks on the condition variable (no spinning). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "detect_pipeline.h"
#include "fileio.h"
#include "outdir.h"
#include "shard.h"
#include "clock.h"

enum slot_state { SLOT_FREE, SLOT_DECODING, SLOT_DECODED, SLOT_DONE };

struct slot {
    enum slot_state state;
    int64_t idx;
    struct yolo_image img;
    int ok;
    char err[600];
    struct yolo_det *dets;           /* max_det, copied out of the context's results */
    int32_t n_dets;
    int32_t n_invalid;               /* candidates dropped as broken (yolo_result.n_invalid) */
    int64_t reserved;                /* pixels of the decode budget this image holds */
    double ms_pre, ms_infer, ms_post;
};

struct pipe {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct slot *slots;
    int n_slots;
    int64_t next_decode;             /* next index a decoder takes */
    int64_t n;
    int64_t end;                     /* n, or where an interrupt stopped the decoders */
    const atomic_int *interrupt;
    char *const *paths;
    int stop;
    int64_t max_pixels;              /* options' max_pixels, for the decoders */
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
    while (!p->stop && (p->next_reserve != i ||
                        (p->pixels_in_use > 0 && p->pixels_in_use + need > p->max_pixels)))
        pthread_cond_wait(&p->cv, &p->mu);
    p->pixels_in_use += need;
    p->next_reserve = i + 1;
    pthread_cond_broadcast(&p->cv);
}

static void *decoder_main(void *arg)
{
    struct pipe *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        int64_t i = p->next_decode;
        while (!p->stop && i < p->end && p->slots[i % p->n_slots].state != SLOT_FREE) {
            pthread_cond_wait(&p->cv, &p->mu);
            i = p->next_decode;
        }
        if (p->interrupt && atomic_load(p->interrupt) && p->end > p->next_decode) {
            p->end = p->next_decode;   /* the images claimed so far are the last */
            pthread_cond_broadcast(&p->cv);
        }
        if (p->stop || i >= p->end)
            break;
        struct slot *s = &p->slots[i % p->n_slots];
        p->next_decode++;
        s->state = SLOT_DECODING;
        s->idx = i;
        pthread_mutex_unlock(&p->mu);

        int64_t need = 0;
        if (p->max_pixels > 0) {
            need = yolo_image_header_pixels(p->paths[i]);
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

        pthread_mutex_lock(&p->mu);
        if (!s->ok) {                     /* holds no pixels: give its share back now (the
                                           * gatherer may wait for the next image first) */
            p->pixels_in_use -= s->reserved;
            s->reserved = 0;
        }
        s->state = SLOT_DECODED;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ------------------------------------------------------------------ writer */

/* a growing text buffer; oom once an allocation failed */
struct lbuf {
    char *p;
    size_t len, cap;
    int oom;
};

static void lb_put(struct lbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->len + n + 1)
            nc *= 2;
        char *q = realloc(b->p, nc);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void lb_printf(struct lbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lb_printf(struct lbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    lb_put(b, tmp, n < 0 ? 0 : (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* the JSON Lines file in append mode (see detect_options.json_append) */
struct jsonl_append {
    int fd;                      /* -1: not open */
    char path[4200];
    struct lbuf pending;         /* whole lines not yet written */
    int64_t n_pending;
    off_t size;                  /* bytes in the file: all of them whole lines */
    int created;                 /* missing or empty before the run: removed if still empty */
    int dead;                    /* a write failed: later lines are counted as not written */
};

struct writer {
    struct pipe *p;
    const struct detect_options *o;
    const struct yolo_model_info *info;
    struct yolo_atomic_file jsonl;
    int jsonl_open;
    struct jsonl_append ja;
    struct lbuf line;
    struct detect_summary *s;
    double *ms_pre, *ms_infer, *ms_post;   /* per ok image, for medians */
    double t_start;
    int progress_width;
};

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

static void counts_text(const struct slot *s, const struct yolo_model_info *info, char *buf, size_t cap)
{
    size_t w = 0;
    buf[0] = 0;
    if (s->n_dets == 0) {
        snprintf(buf, cap, "(no detections), ");
        return;
    }
    /* classes in order of first appearance (dets are sorted by confidence) */
    for (int32_t i = 0; i < s->n_dets && w < cap; i++) {
        int seen = 0;
        for (int32_t k = 0; k < i; k++)
            seen |= s->dets[k].cls == s->dets[i].cls;
        if (seen)
            continue;
        int c = 0;
        for (int32_t k = i; k < s->n_dets; k++)
            c += s->dets[k].cls == s->dets[i].cls;
        const char *name = s->dets[i].cls >= 0 && s->dets[i].cls < info->n_classes
                               ? info->class_names[s->dets[i].cls] : "?";
        w += (size_t)snprintf(buf + w, cap - w, "%d %s%s, ", c, name, c > 1 ? "s" : "");
    }
}

static void report_error(struct writer *wr, const char *fmt, const char *a, const char *b)
{
    if (wr->o->progress)
        fputc('\n', stdout);
    fflush(stdout);
    fprintf(stderr, fmt, a, b);
    fflush(stderr);
}

static const char *cmd_name(const struct detect_options *o)
{
    return o->cmd ? o->cmd : "detect";
}

/* Writes the pending lines with write(2). On a failure the file is cut back to its last
 * whole line, so a reader never meets a torn line it could take for data. */
static void ja_flush(struct writer *wr)
{
    struct jsonl_append *ja = &wr->ja;
    if (ja->fd < 0 || ja->pending.len == 0)
        return;
    size_t off = 0, len = ja->pending.len;
    int err = 0;
    while (off < len) {
        ssize_t w = write(ja->fd, ja->pending.p + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            err = w < 0 ? errno : EIO;
            break;
        }
        off += (size_t)w;
    }
    if (err) {
        size_t whole = off;
        while (whole > 0 && ja->pending.p[whole - 1] != '\n')
            whole--;
        int64_t kept = 0;
        for (size_t i = 0; i < whole; i++)
            kept += ja->pending.p[i] == '\n';
        if (whole < off && ftruncate(ja->fd, ja->size + (off_t)whole) != 0)
            ja->size += (off_t)off;            /* could not cut it: say so below */
        else
            ja->size += (off_t)whole;
        wr->s->write_errors += ja->n_pending - kept;
        ja->dead = 1;
        char msg[4600];
        snprintf(msg, sizeof msg, "%s: write failed: %s; this image's line and those after it are "
                 "not in the file (the %lld bytes before are kept)", ja->path, strerror(err),
                 (long long)ja->size);
        report_error(wr, "yolo %s: error: %s\n", cmd_name(wr->o), msg);
    } else {
        ja->size += (off_t)len;
    }
    ja->pending.len = 0;
    ja->n_pending = 0;
}

static void json_line(struct writer *wr, const struct slot *s, const char *path)
{
    struct lbuf *b = &wr->line;
    char buf[1024];
    b->len = 0;
    char *esc = json_path_string(path);
    if (!esc)
        b->oom = 1;
    lb_put(b, "{\"path\": ", 9);
    if (esc)
        lb_put(b, esc, strlen(esc));
    free(esc);
    if (!s->ok) {
        /* the message, as a JSON string: the same escaping as a path */
        char *msg = json_path_string(s->err);
        lb_put(b, ", \"error\": ", 11);
        if (msg)
            lb_put(b, msg, strlen(msg));
        else
            b->oom = 1;
        free(msg);
        lb_put(b, "}\n", 2);
    } else {
        lb_printf(b, ", \"width\": %d, \"height\": %d, \"ms\": {\"preprocess\": %.3f, \"inference\": %.3f, "
                     "\"postprocess\": %.3f}, \"detections\": [", s->img.width, s->img.height, s->ms_pre,
                  s->ms_infer, s->ms_post);
        for (int32_t i = 0; i < s->n_dets; i++) {
            yolo_format_det_json(buf, sizeof buf, &s->dets[i]);
            lb_printf(b, "%s%s", i ? ", " : "", buf);
        }
        lb_put(b, "]}\n", 3);
    }
    if (b->oom) {                 /* never a partial line */
        b->oom = 0;
        wr->s->write_errors++;
        report_error(wr, "yolo %s: error: %s: out of memory formatting its JSON line\n", cmd_name(wr->o), path);
        return;
    }
    if (wr->o->json_append) {
        if (wr->ja.fd < 0 || wr->ja.dead) {
            wr->s->write_errors++;
            return;
        }
        lb_put(&wr->ja.pending, b->p, b->len);
        wr->ja.n_pending++;
        if (wr->ja.pending.oom) {
            wr->ja.pending.oom = 0;
            ja_flush(wr);
            lb_put(&wr->ja.pending, b->p, b->len);
            wr->ja.n_pending++;
        }
        if (wr->ja.pending.len > (1u << 20))
            ja_flush(wr);
    } else if (wr->jsonl_open) {
        fwrite(b->p, 1, b->len, wr->jsonl.f);   /* errors are caught by the commit */
    }
}

static void write_one(struct writer *wr, struct slot *s)
{
    const struct detect_options *o = wr->o;
    const char *path = wr->p->paths[s->idx];
    char buf[1024];
    struct yolo_diag d = { 0 };
    if (!s->ok) {
        wr->s->n_failed++;
        if (o->json)
            json_line(wr, s, path);
        if (o->on_result)
            o->on_result(o->user, s->idx, path, NULL, NULL, 0, s->err);
        else
            report_error(wr, "yolo %s: error: %s\n", cmd_name(o), s->err);
        return;
    }
    if (o->on_result)
        o->on_result(o->user, s->idx, path, &s->img, s->dets, s->n_dets, NULL);
    wr->s->n_ok++;
    wr->s->n_dets += s->n_dets;
    wr->s->n_invalid += s->n_invalid;
    wr->s->n_invalid_images += s->n_invalid > 0;
    wr->ms_pre[wr->s->n_ok - 1] = s->ms_pre;
    wr->ms_infer[wr->s->n_ok - 1] = s->ms_infer;
    wr->ms_post[wr->s->n_ok - 1] = s->ms_post;
    if (o->json)
        json_line(wr, s, path);
    const char *name = o->out_names ? o->out_names[s->idx] : base_name(path);
    if (o->save_txt && s->n_dets > 0) {
        char lp[8400], stem[4096];
        snprintf(stem, sizeof stem, "%s", name);
        char *dot = strrchr(stem, '.'), *slash = strrchr(stem, '/');
        if (dot && (!slash || dot > slash))
            *dot = 0;
        snprintf(lp, sizeof lp, "%s/labels/%s.txt", o->save_dir, stem);
        struct yolo_atomic_file af;
        int rc = slash && cli_make_parent_dirs(lp)
                     ? yolo_diag_set(&d, YOLO_ERR_IO, "%s: cannot create its folder: %s", lp, strerror(errno))
                     : yolo_atomic_open(&af, lp, &d);
        for (int32_t i = 0; !rc && i < s->n_dets; i++) {
            yolo_format_det_txt(buf, sizeof buf, &s->dets[i], s->img.width, s->img.height, o->save_conf);
            if (fputs(buf, af.f) < 0) {
                yolo_atomic_abort(&af);
                rc = yolo_diag_set(&d, YOLO_ERR_IO, "%s: write failed: %s", lp, strerror(errno));
            }
        }
        if (!rc)
            rc = yolo_atomic_commit(&af, &d);
        if (rc) {
            wr->s->write_errors++;
            report_error(wr, "yolo %s: error: %s\n", cmd_name(o), d.msg);
        }
    }
    if (o->save_images) {
        struct yolo_result r = { s->dets, s->n_dets, s->img.width, s->img.height, 0, 0, 0, s->n_invalid };
        yolo_draw(&s->img, &r, &o->draw);
        char ip[8400];
        snprintf(ip, sizeof ip, "%s/%s", o->save_dir, name);
        if ((strchr(name, '/') && cli_make_parent_dirs(ip)
                 ? yolo_diag_set(&d, YOLO_ERR_IO, "%s: cannot create its folder: %s", ip, strerror(errno))
                 : yolo_image_write(ip, &s->img, &d))) {
            wr->s->write_errors++;
            report_error(wr, "yolo %s: error: %s\n", cmd_name(o), d.msg);
        }
    }
    if (o->quiet)
        return;
    if (o->progress) {
        int64_t done = wr->s->n_ok + wr->s->n_failed;
        double el = (yolo_now_ms() / 1e3) - wr->t_start;
        int bar = 30, fill = (int)(bar * done / (wr->p->n ? wr->p->n : 1));
        printf("\r%3d%% |", (int)(100 * done / (wr->p->n ? wr->p->n : 1)));
        for (int i = 0; i < bar; i++)
            putchar(i < fill ? '#' : ' ');
        printf("| %lld/%lld  %.1f images/s  ", (long long)done, (long long)wr->p->n, el > 0 ? done / el : 0.0);
        fflush(stdout);
        return;
    }
    counts_text(s, wr->info, buf, sizeof buf);
    printf("image %lld/%lld %s: %dx%d %s%.1fms\n", (long long)(o->index_base + s->idx + 1),
           (long long)(o->n_total ? o->n_total : wr->p->n), path,
           wr->info->input_h, wr->info->input_w, buf, s->ms_infer);
}

static void *writer_main(void *arg)
{
    struct writer *wr = arg;
    struct pipe *p = wr->p;
    for (int64_t i = 0; i < p->n; i++) {
        struct slot *s = &p->slots[i % p->n_slots];
        pthread_mutex_lock(&p->mu);
        while (!(s->state == SLOT_DONE && s->idx == i) && !p->stop && i < p->end)
            pthread_cond_wait(&p->cv, &p->mu);
        int stop = (p->stop || i >= p->end) && !(s->state == SLOT_DONE && s->idx == i);
        pthread_mutex_unlock(&p->mu);
        if (stop)
            break;
        write_one(wr, s);
        yolo_image_free(&s->img);
        pthread_mutex_lock(&p->mu);
        p->pixels_in_use -= s->reserved;
        s->reserved = 0;
        s->state = SLOT_FREE;
        pthread_cond_broadcast(&p->cv);
        const struct slot *next = &p->slots[(i + 1) % p->n_slots];
        int next_ready = next->state == SLOT_DONE && next->idx == i + 1;
        pthread_mutex_unlock(&p->mu);
        if (!next_ready)
            ja_flush(wr);   /* about to wait: what is done goes to the file now */
    }
    ja_flush(wr);
    return NULL;
}

/* ------------------------------------------------------------------ inference (caller) */

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

int detect_pipeline_run(struct yolo_ctx *ctx, const struct yolo_model_info *info,
                        char *const *paths, int64_t n, const struct detect_options *o,
                        struct detect_summary *sum)
{
    const char *cmd = cmd_name(o);
    memset(sum, 0, sizeof *sum);
    sum->n_images = n;
    int batch = o->batch > 0 ? o->batch : 1;
    int workers = o->workers > 0 ? o->workers : 1;
    struct pipe p = { .n = n, .end = n, .paths = paths, .max_pixels = o->max_pixels,
                      .interrupt = o->interrupt };
    p.n_slots = 2 * batch + 2 * workers + 2;
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    p.slots = calloc((size_t)p.n_slots, sizeof *p.slots);
    struct writer wr = { .p = &p, .o = o, .info = info, .s = sum };
    wr.ja.fd = -1;
    wr.ms_pre = malloc(sizeof(double) * (size_t)(n ? n : 1));
    wr.ms_infer = malloc(sizeof(double) * (size_t)(n ? n : 1));
    wr.ms_post = malloc(sizeof(double) * (size_t)(n ? n : 1));
    struct yolo_image *imgs = calloc((size_t)batch, sizeof *imgs);
    struct yolo_result *res = calloc((size_t)batch, sizeof *res);
    struct slot **group = calloc((size_t)batch, sizeof *group);
    int rc = 0;
    int max_det = o->max_det > 0 ? o->max_det : 300;
    if (!p.slots || !wr.ms_pre || !wr.ms_infer || !wr.ms_post || !imgs || !res || !group) {
        fprintf(stderr, "yolo %s: error: out of memory\n", cmd);
        rc = 1;
        goto out;
    }
    for (int i = 0; i < p.n_slots && !rc; i++) {
        p.slots[i].dets = malloc(sizeof(struct yolo_det) * (size_t)max_det);
        if (!p.slots[i].dets) {
            fprintf(stderr, "yolo %s: error: out of memory\n", cmd);
            rc = 1;
        }
    }
    if (rc)
        goto out;
    if (o->json) {
        char jp[4200];
        struct yolo_diag d = { 0 };
        if (o->json_path)
            snprintf(jp, sizeof jp, "%s", o->json_path);
        else
            snprintf(jp, sizeof jp, "%s/detections.jsonl", o->save_dir);
        if (o->json_append) {
            struct stat st;
            snprintf(wr.ja.path, sizeof wr.ja.path, "%s", jp);
            wr.ja.created = stat(jp, &st) != 0 || st.st_size == 0;
            wr.ja.fd = open(jp, O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC, 0666);
            if (wr.ja.fd < 0 || fstat(wr.ja.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                fprintf(stderr, "yolo %s: error: %s: cannot open for appending: %s\n", cmd, jp,
                        wr.ja.fd < 0 ? strerror(errno) : "not a regular file");
                rc = 1;
                goto out;
            }
            wr.ja.size = st.st_size;
        } else if (yolo_atomic_open(&wr.jsonl, jp, &d)) {
            fprintf(stderr, "yolo %s: error: %s\n", cmd, d.msg);
            rc = 1;
            goto out;
        } else {
            wr.jsonl_open = 1;
        }
    }
    wr.t_start = (yolo_now_ms() / 1e3);
    pthread_t *threads = calloc((size_t)workers + 1, sizeof *threads);
    int started = 0;
    if (!threads || pthread_create(&threads[0], NULL, writer_main, &wr) != 0) {
        free(threads);
        fprintf(stderr, "yolo %s: error: cannot start threads\n", cmd);
        rc = 1;
        goto out;
    }
    started = 1;
    for (int i = 0; i < workers; i++)
        if (pthread_create(&threads[1 + i], NULL, decoder_main, &p) == 0)
            started++;
    if (started == 1) {           /* no decoder: decode on this thread instead, one at a time */
        pthread_t t;
        if (pthread_create(&t, NULL, decoder_main, &p) == 0)
            threads[1] = t, started = 2;
    }

    for (int64_t i = 0; i < n;) {
        /* gather up to `batch` consecutive decoded images; failed ones pass straight through.
         * At most `batch` slots are taken per round, failed or not: the slots are only freed
         * once this round marks them done, so a long run of unreadable files must not make
         * this thread wait for a slot the decoders can never fill. */
        int nb = 0;
        int64_t j = i;
        pthread_mutex_lock(&p.mu);
        while (j < p.end && j - i < batch) {
            struct slot *s = &p.slots[j % p.n_slots];
            while (!(s->idx == j && s->state == SLOT_DECODED) && j < p.end)
                pthread_cond_wait(&p.cv, &p.mu);
            if (j >= p.end)
                break;
            if (s->ok)
                group[nb++] = s;
            j++;
            if (nb > 0 && j < n && (p.slots[j % p.n_slots].idx != j ||
                                    p.slots[j % p.n_slots].state != SLOT_DECODED))
                break;            /* don't wait for a full batch when the next isn't ready */
        }
        pthread_mutex_unlock(&p.mu);
        if (j == i)
            break;                /* interrupted: nothing more was started */
        if (nb > 0) {
            for (int k = 0; k < nb; k++)
                imgs[k] = group[k]->img;
            struct yolo_diag d = { 0 };
            if (yolo_detect_batch(ctx, imgs, nb, res, &d) != YOLO_OK) {
                for (int k = 0; k < nb; k++) {
                    group[k]->ok = 0;
                    snprintf(group[k]->err, sizeof group[k]->err, "%s: %s", paths[group[k]->idx], d.msg);
                }
            } else {
                for (int k = 0; k < nb; k++) {
                    int32_t nd = res[k].n_dets < max_det ? res[k].n_dets : max_det;
                    memcpy(group[k]->dets, res[k].dets, sizeof(struct yolo_det) * (size_t)nd);
                    group[k]->n_dets = nd;
                    group[k]->n_invalid = res[k].n_invalid;
                    group[k]->ms_pre = res[k].ms_preprocess;
                    group[k]->ms_infer = res[k].ms_inference;
                    group[k]->ms_post = res[k].ms_postprocess;
                }
            }
        }
        pthread_mutex_lock(&p.mu);
        for (int64_t k = i; k < j; k++)
            p.slots[k % p.n_slots].state = SLOT_DONE;
        pthread_cond_broadcast(&p.cv);
        pthread_mutex_unlock(&p.mu);
        i = j;
    }
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    sum->interrupted = p.end < n;
    if (o->progress && !o->quiet)
        putchar('\n');
    sum->wall_s = (yolo_now_ms() / 1e3) - wr.t_start;
    sum->median_ms_pre = median(wr.ms_pre, sum->n_ok);
    sum->median_ms_infer = median(wr.ms_infer, sum->n_ok);
    sum->median_ms_post = median(wr.ms_post, sum->n_ok);
    if (wr.ja.fd >= 0) {
        ja_flush(&wr);
        if (!wr.ja.dead && fsync(wr.ja.fd) != 0 && errno != EINVAL) {
            fprintf(stderr, "yolo %s: error: %s: write failed: %s\n", cmd, wr.ja.path, strerror(errno));
            sum->write_errors++;
        }
    }
    if (wr.jsonl_open) {
        struct yolo_diag d = { 0 };
        wr.jsonl_open = 0;
        if (yolo_atomic_commit(&wr.jsonl, &d)) {
            fprintf(stderr, "yolo %s: error: %s\n", cmd, d.msg);
            sum->write_errors++;
        }
    }
out:
    if (wr.jsonl_open)
        yolo_atomic_abort(&wr.jsonl);
    if (wr.ja.fd >= 0) {
        close(wr.ja.fd);
        if (wr.ja.created && wr.ja.size == 0)
            unlink(wr.ja.path);   /* nothing written: no empty file left behind */
    }
    free(wr.ja.pending.p);
    free(wr.line.p);
    for (int i = 0; p.slots && i < p.n_slots; i++) {
        yolo_image_free(&p.slots[i].img);
        free(p.slots[i].dets);
    }
    free(p.slots);
    free(wr.ms_pre);
    free(wr.ms_infer);
    free(wr.ms_post);
    free(imgs);
    free(res);
    free(group);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
    return rc;
}

void detect_warn_invalid(const char *cmd, const struct detect_summary *s, int32_t n_classes)
{
    if (s->n_invalid <= 0)
        return;
    fflush(stdout);
    fprintf(stderr, "yolo %s: warning: %lld candidate%s in %lld image%s dropped: the model output "
            "a NaN or infinite box or score, or a class id outside its %d classes\n", cmd,
            (long long)s->n_invalid, s->n_invalid == 1 ? "" : "s", (long long)s->n_invalid_images,
            s->n_invalid_images == 1 ? "" : "s", n_classes);
}
