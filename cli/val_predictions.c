/* val_predictions.c: `yolo val --predictions FILE.jsonl`: reads detections made elsewhere and
 * matches them to the dataset's images (see val.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "predictions.h"
#include "val.h"

#define MAX_LISTED 5   /* warnings listed one by one before "... and N more" */

struct name_ix {
    const char *name;   /* the image's file name */
    int64_t img;
};

struct pending {        /* a line with no exact path match, for the file-name pass */
    int64_t line;
    char *path;
    struct yolo_eval_det *dets;
    int32_t n_dets, width, height;
};

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

static int cmp_name_ix(const void *a, const void *b)
{
    const struct name_ix *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->img > y->img) - (x->img < y->img);
}

/* p made absolute against cwd and lexically normalised ("." and ".." folded, "//" squeezed),
 * the way the dataset reader writes image paths. malloc'd; NULL on no memory. */
static char *abs_norm(const char *p, const char *cwd)
{
    size_t n = strlen(p), c = p[0] == '/' ? 0 : strlen(cwd);
    char *in = malloc(c + n + 2), *out = malloc(c + n + 2);
    if (!in || !out) {
        free(in);
        free(out);
        return NULL;
    }
    if (c)
        snprintf(in, c + n + 2, "%s/%s", cwd, p);
    else
        memcpy(in, p, n + 1);
    size_t o = 0;
    for (const char *s = in; *s;) {
        while (*s == '/')
            s++;
        const char *e = s;
        while (*e && *e != '/')
            e++;
        size_t len = (size_t)(e - s);
        if (len == 2 && s[0] == '.' && s[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;                    /* drop "/comp"; "/.." stays "/" */
        } else if (len > 0 && !(len == 1 && s[0] == '.')) {
            out[o++] = '/';
            memcpy(out + o, s, len);
            o += len;
        }
        s = e;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = 0;
    free(in);
    return out;
}

static int64_t find_path(const struct val_image *imgs, int64_t n, const char *path)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = strcmp(imgs[mid].path, path);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

void val_preds_release(struct val_preds *p, int64_t n)
{
    if (!p)
        return;
    for (int64_t i = 0; p->dets && i < n; i++)
        free(p->dets[i]);
    for (int32_t c = 0; p->names && c < p->n_names; c++)
        free(p->names[c]);
    free(p->dets);
    free(p->n_dets);
    free(p->line_of);
    free(p->width);
    free(p->height);
    free(p->names);
    memset(p, 0, sizeof *p);
}

static int oom(void)
{
    fprintf(stderr, "yolo val: error: out of memory reading predictions\n");
    return 1;
}

/* Remembers the first name seen for each class. */
static int note_names(struct val_preds *out, const struct yolo_pred_line *pl)
{
    for (int32_t k = 0; k < pl->n_dets; k++) {
        int32_t c = pl->dets[k].cls;
        if (!pl->dets[k].name)
            continue;
        if (c >= out->n_names) {
            int32_t cap = out->n_names ? out->n_names : 16;
            while (cap <= c)
                cap = cap > YOLO_EVAL_MAX_CLASSES / 2 ? YOLO_EVAL_MAX_CLASSES : cap * 2;
            char **nn = realloc(out->names, sizeof *nn * (size_t)cap);
            if (!nn)
                return -1;
            memset(nn + out->n_names, 0, sizeof *nn * (size_t)(cap - out->n_names));
            out->names = nn;
            out->n_names = cap;
        }
        if (!out->names[c] && !(out->names[c] = strdup(pl->dets[k].name)))
            return -1;
    }
    return 0;
}

static void assign(struct val_preds *out, int64_t img, int64_t line, struct yolo_eval_det *dets,
                   int32_t n_dets, int32_t w, int32_t h, const struct val_image *imgs)
{
    out->line_of[img] = line;
    out->dets[img] = dets;
    out->n_dets[img] = n_dets;
    out->width[img] = w;
    out->height[img] = h;
    for (int32_t k = 0; !imgs[img].skipped && k < n_dets; k++)
        if (dets[k].cls > out->max_cls)
            out->max_cls = dets[k].cls;
}

int val_preds_read(const char *file, const struct val_image *imgs, int64_t n, int32_t n_classes,
                   struct val_preds *out)
{
    int rc = 1;
    FILE *f = NULL;
    char *line = NULL, *cwd = NULL;
    size_t cap = 0;
    struct name_ix *ix = NULL;
    struct pending *pend = NULL;
    int64_t n_pend = 0, cap_pend = 0, lineno = 0;
    struct yolo_pred_line pl = { 0 };

    memset(out, 0, sizeof *out);
    out->max_cls = -1;
    size_t nn = (size_t)(n > 0 ? n : 1);
    out->line_of = calloc(nn, sizeof *out->line_of);
    out->width = calloc(nn, sizeof *out->width);
    out->height = calloc(nn, sizeof *out->height);
    out->dets = calloc(nn, sizeof *out->dets);
    out->n_dets = calloc(nn, sizeof *out->n_dets);
    ix = malloc(nn * sizeof *ix);
    cwd = getcwd(NULL, 0);
    if (!out->line_of || !out->width || !out->height || !out->dets || !out->n_dets || !ix) {
        oom();
        goto out;
    }
    if (!cwd) {
        fprintf(stderr, "yolo val: error: cannot get the working directory: %s\n", strerror(errno));
        goto out;
    }
    for (int64_t i = 0; i < n; i++) {
        ix[i].name = base_name(imgs[i].path);
        ix[i].img = i;
    }
    qsort(ix, (size_t)n, sizeof *ix, cmp_name_ix);

    f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "yolo val: error: %s: cannot open: %s\n", file, strerror(errno));
        goto out;
    }
    /* Pass 1: parse every line; exact path matches are assigned at once. */
    for (;;) {
        errno = 0;
        ssize_t len = getline(&line, &cap, f);
        if (len < 0) {
            if (ferror(f)) {
                fprintf(stderr, "yolo val: error: %s: read failed: %s\n", file, strerror(errno));
                goto out;
            }
            break;
        }
        lineno++;
        if (strspn(line, " \t\r\n") == (size_t)len)
            continue;                                   /* blank line */
        out->n_lines++;
        struct yolo_diag d = { 0 };
        int prc = yolo_pred_line_parse(line, (size_t)len, &pl, &d);
        if (prc) {
            if (prc == YOLO_ERR_NOMEM)
                oom();
            else
                fprintf(stderr, "yolo val: error: %s:%lld: %s\n", file, (long long)lineno, d.msg);
            goto out;
        }
        struct yolo_eval_det *dets = NULL;
        if (pl.n_dets && !(dets = malloc(sizeof *dets * (size_t)pl.n_dets))) {
            oom();
            goto out;
        }
        for (int32_t k = 0; k < pl.n_dets; k++) {
            const struct yolo_det *s = &pl.dets[k];
            int32_t limit = n_classes > 0 ? n_classes : YOLO_EVAL_MAX_CLASSES;
            if (s->cls >= limit) {
                fprintf(stderr, "yolo val: error: %s:%lld: detections[%d]: class %d out of range "
                        "(0..%d%s)\n", file, (long long)lineno, k, s->cls, limit - 1,
                        n_classes > 0 ? ", the classes of the data or engine" : "");
                free(dets);
                goto out;
            }
            dets[k] = (struct yolo_eval_det){ s->cls, s->conf, s->x1, s->y1, s->x2, s->y2 };
        }
        if (note_names(out, &pl)) {
            free(dets);
            oom();
            goto out;
        }
        char *norm = abs_norm(pl.path, cwd);
        if (!norm) {
            free(dets);
            oom();
            goto out;
        }
        int64_t img = find_path(imgs, n, norm);
        free(norm);
        if (img >= 0) {
            if (out->line_of[img]) {
                fprintf(stderr, "yolo val: error: %s:%lld: a second line for %s (the first is line "
                        "%lld)\n", file, (long long)lineno, imgs[img].path, (long long)out->line_of[img]);
                free(dets);
                goto out;
            }
            assign(out, img, lineno, dets, pl.n_dets, pl.width, pl.height, imgs);
        } else {
            if (n_pend == cap_pend) {
                int64_t nc = cap_pend ? 2 * cap_pend : 64;
                struct pending *np_ = realloc(pend, sizeof *np_ * (size_t)nc);
                if (!np_) {
                    free(dets);
                    oom();
                    goto out;
                }
                pend = np_;
                cap_pend = nc;
            }
            pend[n_pend++] = (struct pending){ lineno, pl.path, dets, pl.n_dets, pl.width, pl.height };
            pl.path = NULL;                             /* moved into pend */
        }
        yolo_pred_line_release(&pl);
    }

    /* Pass 2: lines without an exact match, by file name. */
    int64_t n_unmatched = 0;
    for (int64_t k = 0; k < n_pend; k++) {
        struct pending *pk = &pend[k];
        struct name_ix key = { base_name(pk->path), -1 };
        int64_t lo = 0, hi = n;
        while (lo < hi) {                               /* first entry >= (name, -1) */
            int64_t mid = lo + (hi - lo) / 2;
            if (cmp_name_ix(&ix[mid], &key) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        int64_t same = 0;
        while (lo + same < n && strcmp(ix[lo + same].name, key.name) == 0)
            same++;
        const char *why = NULL;
        if (same == 0) {
            why = "no image of the split has this path or file name";
        } else if (same > 1) {
            why = "several images have this file name; give the full path";
        } else {
            int64_t img = ix[lo].img;
            int64_t first = out->line_of[img];
            if (first) {
                /* Taken by an exact match: this line is about another file of that name. Taken
                 * by another file-name match: two lines claim the image, which is an error. */
                int by_name = 0;
                for (int64_t j = 0; j < k && !by_name; j++)
                    by_name = pend[j].line == first;
                if (by_name) {
                    fprintf(stderr, "yolo val: error: %s:%lld: a second line for %s (the first is "
                            "line %lld; matched by file name)\n", file, (long long)pk->line,
                            imgs[img].path, (long long)first);
                    goto out;
                }
                why = "its file name matches an image that another line names exactly";
            } else {
                assign(out, img, pk->line, pk->dets, pk->n_dets, pk->width, pk->height, imgs);
                pk->dets = NULL;
                continue;
            }
        }
        if (n_unmatched++ < MAX_LISTED)
            fprintf(stderr, "yolo val: warning: %s:%lld: %s: %s (line ignored)\n", file,
                    (long long)pk->line, pk->path, why);
    }
    if (n_unmatched > MAX_LISTED)
        fprintf(stderr, "yolo val: warning: ... and %lld more lines of %s match no image\n",
                (long long)(n_unmatched - MAX_LISTED), file);

    int64_t n_missing = 0, n_eval = 0;
    for (int64_t i = 0; i < n; i++) {
        if (imgs[i].skipped)
            continue;
        n_eval++;
        if (out->line_of[i])
            continue;
        if (n_missing++ < MAX_LISTED)
            fprintf(stderr, "yolo val: warning: %s: no line in %s (scored as an image without "
                    "detections)\n", imgs[i].path, file);
    }
    if (n_missing > MAX_LISTED)
        fprintf(stderr, "yolo val: warning: ... %lld of %lld images have no line in %s\n",
                (long long)n_missing, (long long)n_eval, file);
    rc = 0;
out:
    if (rc)
        val_preds_release(out, n);
    yolo_pred_line_release(&pl);
    for (int64_t k = 0; k < n_pend; k++) {
        free(pend[k].path);
        free(pend[k].dets);
    }
    free(pend);
    free(ix);
    free(line);
    free(cwd);
    if (f)
        fclose(f);
    return rc;
}
