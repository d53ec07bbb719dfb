/* cmd_val.c: `yolo val [ENGINE] --data DATA.yaml|DIR`: detection accuracy (P, R, mAP50,
 * mAP50-95) of an engine on a YOLO-format labelled dataset, computed the way Ultralytics'
 * `yolo val` computes it (eval/metrics.h), or of detections made elsewhere
 * (--predictions, val_predictions.c). Images run through the detect pipeline (decoding ahead
 * on worker threads); each result is scored as it comes out, so memory does not grow with
 * the detections of the whole run. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "cli_model.h"
#include "model_arg.h"
#include "commands.h"
#include "detect_report.h"
#include "image_run.h"
#include "stderr_filter.h"
#include "shard.h"
#include "val.h"
#include "clock.h"

#define MAX_LISTED 5

/* ------------------------------------------------------------------ progress, messages */

void val_progress_update(struct val_progress *pr, int64_t done)
{
    if (!pr || !pr->tty || pr->total <= 0)
        return;
    double el = (yolo_now_ms() / 1e3) - pr->t_start;
    int bar = 30, fill = (int)(bar * done / pr->total);
    fprintf(stderr, "\r%3d%% |", (int)(100 * done / pr->total));
    for (int i = 0; i < bar; i++)
        fputc(i < fill ? '#' : ' ', stderr);
    fprintf(stderr, "| %lld/%lld  %.1f images/s ", (long long)done, (long long)pr->total,
            el > 0 ? (double)done / el : 0.0);
    fflush(stderr);
    pr->drawn = 1;
}

void val_progress_end(struct val_progress *pr)
{
    if (pr && pr->drawn) {
        fputc('\n', stderr);
        pr->drawn = 0;
    }
}

void val_message(struct val_progress *pr, const char *level, const char *fmt, ...)
{
    va_list ap;
    val_progress_end(pr);
    fflush(stdout);
    fprintf(stderr, "yolo val: %s: ", level);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

/* ------------------------------------------------------------------ scoring one image */

struct scorer {
    struct yolo_eval *eval;
    struct yolo_eval_box *gt;        /* scratch: the largest label file's objects */
    struct yolo_eval_det *pd;        /* scratch: max_det predictions (engine runs) */
    int32_t pd_cap;
};

/* Adds one image: its labels scaled to w x h pixels, and its predictions. */
static int score_image(struct scorer *sc, const struct val_image *im, int32_t w, int32_t h,
                       const struct yolo_eval_det *pd, int32_t n_pd, struct yolo_diag *d)
{
    for (int32_t k = 0; k < im->n_objs; k++) {
        float b[4];
        yolo_label_obj_xyxy(&im->objs[k], w, h, b);
        sc->gt[k] = (struct yolo_eval_box){ im->objs[k].cls, b[0], b[1], b[2], b[3] };
    }
    return yolo_eval_add_image(sc->eval, sc->gt, im->n_objs, pd, n_pd, d);
}

struct engine_run {                  /* what the pipeline's callback needs */
    struct val_image *imgs;
    const int64_t *map;              /* pipeline index -> image index */
    struct scorer *sc;
    struct val_progress *pr;
    int64_t done, n_failed;
    int fatal;
    char fatal_msg[700];
};

static void on_result(void *user, const struct yolo_image_item *it)
{
    struct engine_run *run = user;
    struct val_image *im = &run->imgs[run->map[it->idx]];
    run->done++;
    if (it->error) {
        im->skipped = 1;
        run->n_failed++;
        val_message(run->pr, "error", "%s (image skipped)", it->error);
    } else if (!run->fatal) {
        struct yolo_diag d = { 0 };
        const struct yolo_det *dets = it->res->dets;
        int32_t n = it->res->n_dets < run->sc->pd_cap ? it->res->n_dets : run->sc->pd_cap;
        for (int32_t k = 0; k < n; k++)
            run->sc->pd[k] = (struct yolo_eval_det){ dets[k].cls, dets[k].conf, dets[k].x1,
                                                     dets[k].y1, dets[k].x2, dets[k].y2 };
        if (score_image(run->sc, im, it->img->width, it->img->height, run->sc->pd, n, &d)) {
            run->fatal = 1;
            snprintf(run->fatal_msg, sizeof run->fatal_msg, "%s: %s", it->path, d.msg);
        }
    }
    val_progress_update(run->pr, run->done);
}

/* An output not written (--save-json). */
static void on_error(void *user, const char *msg)
{
    struct engine_run *run = user;
    val_message(run->pr, "error", "%s", msg);
}

/* ------------------------------------------------------------------ output */

static void json_string(const char *s)
{
    char *esc = json_path_string(s);   /* the one JSON string writer (yolo_json_escape) */
    fputs(esc ? esc : "null", stdout);
    free(esc);
}

static const char *class_name(const char *const *names, int32_t c, char *buf, size_t cap)
{
    if (names && names[c])
        return names[c];
    snprintf(buf, cap, "class_%d", c);
    return buf;
}

static void print_table(const struct yolo_eval_result *r, const char *const *names)
{
    char buf[32];
    /* Ultralytics' layout: "%22s" + "%11i" * 2 + "%11.3g" * 4. */
    printf("%22s%11s%11s%11s%11s%11s%11s\n", "Class", "Images", "Instances", "P", "R", "mAP50",
           "mAP50-95");
    printf("%22s%11lld%11lld%11.3g%11.3g%11.3g%11.3g\n", "all", (long long)r->n_images,
           (long long)r->n_instances, r->precision, r->recall, r->map50, r->map50_95);
    for (int32_t k = 0; k < r->n_classes; k++) {
        const struct yolo_eval_class *c = &r->classes[k];
        printf("%22s%11lld%11lld%11.3g%11.3g%11.3g%11.3g\n", class_name(names, c->cls, buf, sizeof buf),
               (long long)c->n_images, (long long)c->n_instances, c->p, c->r, c->ap50, c->ap50_95);
    }
}

static void print_json(const struct yolo_eval_result *r, const char *const *names, int64_t skipped)
{
    char buf[32];
    printf("{\"images\": %lld, \"instances\": %lld, \"predictions\": %lld, \"skipped\": %lld, "
           "\"precision\": %.17g, \"recall\": %.17g, \"mAP50\": %.17g, \"mAP75\": %.17g, "
           "\"mAP50-95\": %.17g, \"per_class\": [", (long long)r->n_images, (long long)r->n_instances,
           (long long)r->n_preds, (long long)skipped, r->precision, r->recall, r->map50, r->map75,
           r->map50_95);
    for (int32_t k = 0; k < r->n_classes; k++) {
        const struct yolo_eval_class *c = &r->classes[k];
        printf("%s{\"class\": %d, \"name\": ", k ? ", " : "", c->cls);
        json_string(class_name(names, c->cls, buf, sizeof buf));
        printf(", \"images\": %lld, \"instances\": %lld, \"predictions\": %lld, \"precision\": %.17g, "
               "\"recall\": %.17g, \"mAP50\": %.17g, \"mAP50-95\": %.17g}", (long long)c->n_images,
               (long long)c->n_instances, (long long)c->n_preds, c->p, c->r, c->ap50, c->ap50_95);
    }
    printf("]}\n");
}

/* ------------------------------------------------------------------ the command */

/* Reads every image's label file; a bad one is reported and its image skipped. Returns 0, or
 * 1 on a fatal error (no memory). */
static int read_labels(struct val_image *imgs, int64_t n, int32_t n_classes, int64_t *n_skipped,
                       int32_t *max_objs, int32_t *max_cls)
{
    *n_skipped = 0;
    *max_objs = 0;
    *max_cls = -1;
    for (int64_t i = 0; i < n; i++) {
        struct yolo_diag d = { 0 };
        char *lp = NULL;
        struct yolo_label_file lf = { 0 };
        int rc = yolo_label_path(imgs[i].path, &lp, &d);
        if (!rc)
            rc = yolo_label_file_read(lp, n_classes, &lf, &d);
        if (rc == YOLO_ERR_NOMEM) {
            free(lp);
            return cli_error("val", 1, "%s", d.msg);
        }
        if (rc) {
            imgs[i].skipped = 1;
            (*n_skipped)++;
            val_message(NULL, "error", "%s (image %s skipped)", d.msg, imgs[i].path);
        } else {
            if (lf.n_duplicates)
                val_message(NULL, "warning", "%s: %d duplicate label row%s removed", lp,
                            lf.n_duplicates, lf.n_duplicates > 1 ? "s" : "");
            imgs[i].objs = lf.objs;
            imgs[i].n_objs = lf.n;
            lf.objs = NULL;
            if (lf.n > *max_objs)
                *max_objs = lf.n;
            for (int32_t k = 0; k < lf.n; k++)
                if (imgs[i].objs[k].cls > *max_cls)
                    *max_cls = imgs[i].objs[k].cls;
        }
        yolo_label_file_release(&lf);
        free(lp);
    }
    return 0;
}

static void warn_orphans(const struct yolo_dataset *ds, enum yolo_split split,
                         const struct yolo_path_list *list)
{
    struct yolo_path_list orphans = { 0 };
    struct yolo_diag d = { 0 };
    if (yolo_dataset_orphan_labels(ds, split, list, &orphans, &d)) {
        val_message(NULL, "warning", "cannot look for label files without images: %s", d.msg);
        return;
    }
    for (int32_t i = 0; i < orphans.n && i < MAX_LISTED; i++)
        val_message(NULL, "warning", "%s: label file without an image (ignored)", orphans.paths[i]);
    if (orphans.n > MAX_LISTED)
        val_message(NULL, "warning", "... and %d more label files without an image",
                    orphans.n - MAX_LISTED);
    yolo_path_list_release(&orphans);
}

/* Scores a predictions file instead of running an engine. */
static int score_file(const char *file, struct val_image *imgs, int64_t n, int32_t *n_classes,
                      int32_t label_max_cls, struct scorer *sc, struct val_preds *vp,
                      int64_t *n_failed)
{
    if (val_preds_read(file, imgs, n, *n_classes, vp))
        return 1;
    if (*n_classes <= 0) {           /* nothing names the classes: the largest id seen */
        int32_t m = label_max_cls > vp->max_cls ? label_max_cls : vp->max_cls;
        *n_classes = m + 1 > 0 ? m + 1 : 1;
    }
    struct yolo_diag d = { 0 };
    if (!(sc->eval = yolo_eval_create(*n_classes, &d)))
        return cli_error("val", 1, "%s", d.msg);
    for (int64_t i = 0; i < n; i++) {
        if (imgs[i].skipped)
            continue;
        int32_t w = vp->width[i], h = vp->height[i];
        if (!vp->n_dets[i]) {
            w = h = 1;               /* no predictions: the box coordinates match nothing */
        } else if (w <= 0 || h <= 0) {
            struct yolo_image img = { 0 };       /* the line has no size: read the image's */
            if (yolo_image_read(imgs[i].path, &img, &d)) {
                imgs[i].skipped = 1;
                (*n_failed)++;
                val_message(NULL, "error", "%s (image skipped)", d.msg);
                continue;
            }
            w = img.width;
            h = img.height;
            yolo_image_free(&img);
        }
        if (score_image(sc, &imgs[i], w, h, vp->dets[i], vp->n_dets[i], &d))
            return cli_error("val", 1, "%s: %s", imgs[i].path, d.msg);
    }
    return 0;
}

static int val_main(int argc, char **argv, int stderr_tty)
{
    int verbose = 0;
    float conf = NAN;
    double iou = NAN;
    int max_det = INT_MIN, threads = INT_MIN, workers = INT_MIN, json = 0;
    const char *data = NULL, *split_name = "val", *save_json = NULL, *preds_file = NULL, *isa = NULL;
    const char *device = NULL;
    int half = 0;
    const char *shard_arg = NULL;
    struct shard sh = { 0 };
    char shard_json[4200];
    const struct arg_spec specs[] = {
        { "data", 0, ARG_STR, &data, "DATA", "data.yaml, or a folder with images/ and labels/ (required)" },
        { "split", 0, ARG_STR, &split_name, "SPLIT", "val (default), train or test" },
        { "conf", 0, ARG_FLOAT, &conf, "F", "confidence threshold, strict (default 0.001)" },
        { "iou", 0, ARG_DOUBLE, &iou, "F", "NMS IoU threshold (default 0.7)" },
        { "max-det", 0, ARG_INT, &max_det, "N", "at most N detections per image (default 300)" },
        { "json", 0, ARG_FLAG, &json, NULL, "print the metrics as one JSON object instead of the table" },
        { "save-json", 0, ARG_STR, &save_json, "FILE", "also write the detections as JSON Lines (as detect --json)" },
        { "predictions", 0, ARG_STR, &preds_file, "FILE", "score the detections in FILE (JSON Lines) instead of running ENGINE" },
        { "threads", 't', ARG_INT, &threads, "N", "threads per inference (default: the CPU cores)" },
        { "workers", 'j', ARG_INT, &workers, "N", "image decoding threads (default 2)" },
        { "isa", 0, ARG_STR, &isa, "ISA", "force kernels: ref, avx2 or avx512" },
        CLI_DEVICE_ARGS(device, half),
        { "verbose", 'v', ARG_FLAG, &verbose, NULL, "also show the image libraries' own messages about bad files" },
        { "shard", 0, ARG_STR, &shard_arg, "K/N", "with --save-json: only shard K (0..N-1) of N of the split's sorted images, "
          "to FILE with .0000K-of-0000N before its extension (the metrics cover the shard)" },
        { 0 }
    };
    const struct cmd_usage u = { "val", "ENGINE --data DATA [options]\n"
        "       yolo val [ENGINE] --data DATA --predictions FILE.jsonl",
        "Measure detection accuracy on a labelled dataset (YOLO txt labels: images/.../x.jpg with\n"
        "labels/.../x.txt holding 'cls xc yc w h' rows, normalised), the way Ultralytics' `yolo val`\n"
        "computes it: P and R at the best mean-F1 confidence, mAP50 and mAP50-95 (IoU 0.50:0.05:0.95,\n"
        "101-point interpolated precision envelope; a perfect detector scores 0.995, as there).",
        "output: a table 'Class Images Instances P R mAP50 mAP50-95', the row 'all' first, then\n"
        "one row per class that has labels; with --json one object {\"images\", \"instances\",\n"
        "\"predictions\", \"skipped\", \"precision\", \"recall\", \"mAP50\", \"mAP75\", \"mAP50-95\",\n"
        "\"per_class\": [{\"class\", \"name\", \"images\", \"instances\", \"predictions\", \"precision\",\n"
        "\"recall\", \"mAP50\", \"mAP50-95\"}]}.\n"
        "Defaults are Ultralytics' validation ones: conf 0.001, iou 0.7, max-det 300. Unlike\n"
        "Ultralytics' val (multi-label NMS: one box may count for several classes), each box keeps\n"
        "only its best class, as `yolo detect` and the project's reference pipeline do; mAP can\n"
        "read a little lower than Ultralytics' for the same model.\n"
        "--predictions FILE: lines as `yolo detect --json` writes them ({\"path\", \"width\",\n"
        "\"height\", \"detections\": [{\"cls\", \"conf\", \"box\": [x1, y1, x2, y2]}]}, boxes in image\n"
        "pixels). A line belongs to the image with the same path (relative paths against the\n"
        "working directory), else to the one image with the same file name. Images without a\n"
        "line count as images without detections; both cases are reported. ENGINE is optional\n"
        "then: if given, it is only read for its class count and names, never run. Without\n"
        "width/height in a line the image is read for its size. --conf, --iou, --max-det,\n"
        "--save-json, --threads, --workers and --isa apply to engine runs only.\n"
        "Bad label files are reported with file and line, and their images skipped; label\n"
        "files without an image are reported and ignored. Exit status: 0 ok, 1 error or any\n"
        "image skipped (the metrics printed then cover the others), 2 usage." };
    const char *pos[1];
    int n_pos;
    int rc = args_parse_cmd(&u, argc, argv, specs, pos, 0, 1, &n_pos, NULL);
    if (rc != ARGS_GO)
        return rc;
    if (!data)
        return cli_error("val", 2, "--data DATA is required (see yolo val --help)");
    if (n_pos == 0 && !preds_file)
        return cli_error("val", 2, "expected ENGINE (or --predictions FILE) (see yolo val --help)");
    if (preds_file && (!isnan(conf) || !isnan(iou) || max_det != INT_MIN || threads != INT_MIN ||
                       workers != INT_MIN || save_json || isa))
        return cli_error("val", 2, "--conf, --iou, --max-det, --save-json, --threads, --workers and "
                         "--isa apply to engine runs, not to --predictions");
    if (shard_arg && (shard_parse(shard_arg, &sh) || !save_json))
        return cli_error("val", 2, "--shard: expected K/N with 0 <= K < N, and --save-json FILE (got '%s')", shard_arg);
    if (save_json && sh.n > 1) {
        shard_file_name(save_json, &sh, shard_json, sizeof shard_json);
        save_json = shard_json;
    }
    if (isnan(conf))
        conf = 0.001f;
    if (isnan(iou))
        iou = 0.7;
    if (max_det == INT_MIN)
        max_det = 300;
    if (threads == INT_MIN)
        threads = 0;
    if (workers == INT_MIN)
        workers = 2;
    const struct arg_range ranges[] = {
        { "conf", "(0,1)" }, { "iou", "(0,1]" }, { "max-det", "[1,100000]" }, { "threads", "[0,256]" },
        { "workers", "[1,64]" }, { NULL, NULL }
    };
    if ((rc = args_check_ranges("val", specs, ranges)) != ARGS_GO)
        return rc;
    if ((rc = cli_check_target("val", isa, device, half)) != ARGS_GO)
        return rc;
    int split = yolo_split_from_name(split_name);
    if (split < 0)
        return cli_error("val", 2, "--split must be val, train or test, not '%s'", split_name);

    struct yolo_diag d = { 0 };
    struct yolo_model *model = NULL;
    struct yolo_ctx *ctx = NULL;
    struct yolo_model_info info = { 0 };
    struct yolo_dataset *ds = NULL;
    struct yolo_path_list list = { 0 };
    struct val_image *imgs = NULL;
    struct scorer sc = { 0 };
    struct val_preds vp = { 0 };
    struct yolo_eval_result res = { 0 };
    char **run_paths = NULL;
    int64_t *run_map = NULL;
    const char **names = NULL;
    int64_t n_skipped = 0, n_failed = 0;
    int32_t max_objs = 0, label_max_cls = -1, n_classes = 0;
    rc = 1;

    char engine[4400];
    if (n_pos) {
        if ((rc = cli_model_arg("val", pos[0], NULL, 0, 0, engine, sizeof engine)))
            goto out;
        rc = 1;
        pos[0] = engine;
        if (cli_load_model("val", pos[0], isa, device, half, &model, &info))
            goto out;
        n_classes = info.n_classes;
    }
    if (yolo_dataset_load(data, &ds, &d) || yolo_dataset_images(ds, split, &list, &d)) {
        cli_error("val", 1, "%s", d.msg);
        goto out;
    }
    if (list.n == 0) {
        cli_error("val", 1, "%s: no images in the %s split", data, yolo_split_name(split));
        goto out;
    }
    if (sh.n > 0) {                  /* this shard's images only, as `yolo detect --shard` takes them */
        int64_t lo, hi;
        shard_range(list.n, &sh, &lo, &hi);
        for (int32_t i = 0; i < list.n; i++)
            if (i < lo || i >= hi)
                free(list.paths[i]);
        memmove(list.paths, list.paths + lo, sizeof *list.paths * (size_t)(hi - lo));
        printf("shard %d/%d: images %lld to %lld of %d, detections to %s\n", sh.k, sh.n, (long long)lo + 1,
               (long long)hi, list.n, save_json);
        list.n = (int32_t)(hi - lo);
        if (list.n == 0) {
            cli_error("val", 1, "shard %d/%d has no images", sh.k, sh.n);
            goto out;
        }
    }
    if (model && ds->n_classes > 0 && ds->n_classes != info.n_classes) {
        cli_error("val", 1, "%s has %d classes but %s predicts %d", data, ds->n_classes, pos[0],
                  info.n_classes);
        goto out;
    }
    if (!n_classes)
        n_classes = ds->n_classes;
    imgs = calloc((size_t)list.n, sizeof *imgs);
    if (!imgs) {
        cli_error("val", 1, "out of memory (%d images)", list.n);
        goto out;
    }
    for (int32_t i = 0; i < list.n; i++)
        imgs[i].path = list.paths[i];
    if (read_labels(imgs, list.n, n_classes, &n_skipped, &max_objs, &label_max_cls))
        goto out;
    if (sh.n == 0)
        warn_orphans(ds, split, &list);   /* a shard's list is not the whole split */
    sc.gt = malloc(sizeof *sc.gt * (size_t)(max_objs > 0 ? max_objs : 1));
    if (!sc.gt) {
        cli_error("val", 1, "out of memory");
        goto out;
    }

    double wall = 0;
    struct yolo_image_run_report sum = { 0 };
    if (preds_file) {
        if (score_file(preds_file, imgs, list.n, &n_classes, label_max_cls, &sc, &vp, &n_failed))
            goto out;
    } else {
        if (!(sc.eval = yolo_eval_create(n_classes, &d))) {
            cli_error("val", 1, "%s", d.msg);
            goto out;
        }
        sc.pd_cap = max_det;
        sc.pd = malloc(sizeof *sc.pd * (size_t)max_det);
        run_paths = malloc(sizeof *run_paths * (size_t)list.n);
        run_map = malloc(sizeof *run_map * (size_t)list.n);
        if (!sc.pd || !run_paths || !run_map) {
            cli_error("val", 1, "out of memory");
            goto out;
        }
        int64_t n_run = 0;
        for (int32_t i = 0; i < list.n; i++) {
            if (imgs[i].skipped)
                continue;
            run_paths[n_run] = list.paths[i];
            run_map[n_run++] = i;
        }
        struct yolo_ctx_params cp;
        yolo_ctx_params_default(&cp);
        cp.conf = conf;
        cp.iou = iou;
        cp.max_det = max_det;
        cp.n_threads = cli_threads_or_cores(threads);
        if (yolo_ctx_create(model, &cp, &ctx, &d)) {
            cli_error("val", 1, "%s", d.msg);
            goto out;
        }
        struct val_progress pr = { stderr_tty, 0, n_run, (yolo_now_ms() / 1e3) };
        struct engine_run run = { .imgs = imgs, .map = run_map, .sc = &sc, .pr = &pr };
        struct yolo_image_run_params o = { 0 };
        o.save_dir = ".";
        o.json_path = save_json;
        o.max_batch = info.max_batch;
        o.workers = workers;
        o.image_fn = on_result;
        o.error_fn = on_error;
        o.user = &run;
        if (n_run > 0 && yolo_image_run(ctx, run_paths, n_run, &o, &sum, &d)) {
            cli_error("val", 1, "%s", d.msg);
            goto out;
        }
        val_progress_end(&pr);
        if (run.fatal) {
            cli_error("val", 1, "%s", run.fatal_msg);
            goto out;
        }
        n_failed = run.n_failed;
        wall = sum.wall_s;
    }

    if (yolo_eval_compute(sc.eval, &res, &d)) {
        cli_error("val", 1, "%s", d.msg);
        goto out;
    }
    if (res.n_instances == 0)
        val_message(NULL, "warning", "no labels in the %s split of %s: metrics need labels, all "
                    "are 0", yolo_split_name(split), data);
    /* Class names: the dataset's, else the engine's, else those in the predictions. */
    names = calloc((size_t)n_classes, sizeof *names);
    if (!names) {
        cli_error("val", 1, "out of memory");
        goto out;
    }
    for (int32_t c = 0; c < n_classes; c++) {
        if (ds->names && c < ds->n_classes)
            names[c] = ds->names[c];
        else if (model && c < info.n_classes && info.class_names)
            names[c] = info.class_names[c];
        else if (c < vp.n_names)
            names[c] = vp.names[c];
    }
    if (json) {
        print_json(&res, names, n_skipped + n_failed);
    } else {
        print_table(&res, names);
        if (!preds_file)
            printf("Speed: %.1fms preprocess, %.1fms inference, %.1fms postprocess per image (median); "
                   "%lld image%s in %.1f s, %s kernels\n", sum.median_ms_pre, sum.median_ms_infer,
                   sum.median_ms_post, (long long)sum.n_ok, sum.n_ok == 1 ? "" : "s", wall, info.isa);
    }
    fflush(stdout);
    detect_warn_invalid("val", &sum, info.n_classes);
    rc = 0;
    if (sum.write_errors)
        rc = 1;                      /* --save-json failed: already reported */
    if (n_skipped + n_failed) {
        val_message(NULL, "error", "%lld of %d images skipped (see above); the metrics cover the "
                    "other %lld", (long long)(n_skipped + n_failed), list.n,
                    (long long)(list.n - n_skipped - n_failed));
        rc = 1;
    }
out:
    yolo_eval_result_release(&res);
    free(names);
    val_preds_release(&vp, list.n);
    yolo_eval_free(sc.eval);
    free(sc.gt);
    free(sc.pd);
    free(run_paths);
    free(run_map);
    for (int32_t i = 0; imgs && i < list.n; i++)
        free(imgs[i].objs);
    free(imgs);
    yolo_path_list_release(&list);
    yolo_dataset_free(ds);
    yolo_ctx_free(ctx);
    yolo_model_free(model);
    return rc;
}

/* As cmd_detect: the image libraries' own lines are dropped unless -v (stderr_filter.h). */
int cmd_val(int argc, char **argv)
{
    int verbose = 0, tty = isatty(STDERR_FILENO);
    for (int i = 1; i < argc; i++)
        verbose |= strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0;
    struct stderr_filter f;
    stderr_filter_begin(&f, verbose);
    int rc = val_main(argc, argv, tty);
    stderr_filter_end(&f);
    return rc;
}
