/* cmd_detect.c: `yolo detect ENGINE SOURCE...`: Ultralytics-exact detection on images,
 * directories, globs and lists; annotated images, YOLO txt labels, JSON Lines. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "cli_model.h"
#include "model_arg.h"
#include "interrupt.h"
#include "commands.h"
#include "clock.h"
#include "detect_report.h"
#include "image_run.h"
#include "stderr_filter.h"
#include "outdir.h"
#include "shard.h"
#include "sources.h"
#include "yolo.h"

#define MAX_SOURCES 256

static int detect_main(int argc, char **argv)
{
    int verbose = 0;
    float conf = 0.25f;
    double iou = 0.7;
    int max_det = 300, agnostic = 0, exist_ok = 0, nosave = 0, save_txt = 0, save_conf = 0, json = 0;
    int hide_labels = 0, hide_conf = 0, line_width = 0, recursive = 0, batch = 0, threads = 0;
    int workers = 2, imgsz = 0, quiet = 0, max_pixels = 100000000;
    int shards = 0, resume = 0;
    const char *save_dir = NULL, *classes = NULL, *isa = NULL, *shard_arg = NULL;
    const char *device = NULL;
    int half = 0;
    const struct arg_spec specs[] = {
        { "conf", 0, ARG_FLOAT, &conf, "F", "confidence threshold, strict, in (0, 1) (default 0.25)" },
        { "iou", 0, ARG_DOUBLE, &iou, "F", "NMS IoU threshold (default 0.7)" },
        { "max-det", 0, ARG_INT, &max_det, "N", "at most N detections per image (default 300)" },
        { "classes", 0, ARG_STR, &classes, "0,2,5", "keep only these class ids" },
        { "agnostic", 0, ARG_FLAG, &agnostic, NULL, "class-agnostic NMS" },
        { "save-dir", 0, ARG_STR, &save_dir, "DIR", "output folder (default runs/detect, then runs/detect2, ...)" },
        { "exist-ok", 0, ARG_FLAG, &exist_ok, NULL, "reuse DIR if it exists instead of a new DIRn" },
        { "nosave", 0, ARG_FLAG, &nosave, NULL, "do not write annotated images" },
        { "save-txt", 0, ARG_FLAG, &save_txt, NULL, "write YOLO labels DIR/labels/<name>.txt (cls xc yc w h)" },
        { "save-conf", 0, ARG_FLAG, &save_conf, NULL, "append the confidence to each label line" },
        { "json", 0, ARG_FLAG, &json, NULL, "write DIR/detections.jsonl, one JSON object per image" },
        { "hide-labels", 0, ARG_FLAG, &hide_labels, NULL, "draw boxes without label tags" },
        { "hide-conf", 0, ARG_FLAG, &hide_conf, NULL, "label tags without the confidence" },
        { "line-width", 0, ARG_INT, &line_width, "N", "box line width in pixels (default: from image size)" },
        { "recursive", 'r', ARG_FLAG, &recursive, NULL, "descend into subdirectories of a directory source (symlink cycles skipped)" },
        { "batch", 0, ARG_INT, &batch, "N", "images per inference (default: the engine's max batch)" },
        { "threads", 't', ARG_INT, &threads, "N", "threads per inference (default: the cores left after decoding)" },
        { "workers", 'j', ARG_INT, &workers, "N", "image decoding threads (default 2)" },
        { "imgsz", 0, ARG_INT, &imgsz, "N", "expected input size; an engine built for another is an error" },
        { "isa", 0, ARG_STR, &isa, "ISA", "force kernels: ref, avx2 or avx512" },
        CLI_DEVICE_ARGS(device, half),
        { "quiet", 'q', ARG_FLAG, &quiet, NULL, "print only errors and the summary" },
        { "verbose", 'v', ARG_FLAG, &verbose, NULL, "also show the image libraries' own messages about bad files" },
        { "max-pixels", 0, ARG_INT, &max_pixels, "N", "refuse images of more than N pixels, from their header (default 100000000; 0 = no limit)" },
        { "shard", 0, ARG_STR, &shard_arg, "K/N", "run only shard K (0..N-1) of N of the sorted source list (default: from a job array, see below)" },
        { "shards", 0, ARG_INT, &shards, "N", "number of shards; JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID is the shard number" },
        { "resume", 0, ARG_FLAG, &resume, NULL, "continue this shard's JSON Lines file: skip the images it holds, append the rest (needs --json; implies --exist-ok)" },
        { 0 }
    };
    const struct cmd_usage u = { "detect", "ENGINE SOURCE [SOURCE...] [options]",
        "Detect objects in images. SOURCE is an image file, a directory, a quoted glob such as\n"
        "'imgs/*.jpg', or a .txt list of paths (one per line). Boxes match Ultralytics' predict for\n"
        "the same ONNX model. Bad images are reported and skipped; the exit code is 1 if any failed.",
        "outputs (in DIR; <name> is the image's file name, with -r its path below the folder given,\n"
        "and a name already taken in the run gets _2, _3, ... before its extension):\n"
        "  <name>                the image with boxes and labels drawn (unless --nosave)\n"
        "  labels/<stem>.txt     with --save-txt, for images with detections (<name> less extension)\n"
        "  detections.jsonl      with --json: {\"path\", \"width\", \"height\", \"ms\", \"detections\": [\n"
        "                        {\"cls\", \"name\", \"conf\", \"box\": [x1, y1, x2, y2]}]} per image\n"
        "                        a failed image has a line {\"path\", \"error\"}; lines are appended\n"
        "                        whole as images finish, so a killed run keeps what it did\n"
        "Images and labels are written under a temp name and renamed. A detections.jsonl that holds\n"
        "lines of an earlier run is never overwritten: --resume continues it, else it is an error.\n"
        "Ctrl-C starts no new image and completes the outputs of those done (exit code 130).\n"
        "shards (several machines): the sources are expanded and sorted as always, then shard K of\n"
        "N takes the K-th of N contiguous parts and writes detections.0000K-of-0000N.jsonl, so the\n"
        "shards share one DIR (--exist-ok is implied); `yolo merge DIR` joins them. Without --shard\n"
        "the shard comes from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (or _MIN/_MAX) of a\n"
        "contiguous array, or with --shards N from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX as the\n"
        "shard number (so sbatch --array=5,17 reruns shards 5 and 17); --shard 0/1 runs everything." };
    const char *pos[1 + MAX_SOURCES];
    int n_pos;
    int rc = args_parse_cmd(&u, argc, argv, specs, pos, 2, 1 + MAX_SOURCES, &n_pos, "ENGINE and at least one SOURCE");
    if (rc != ARGS_GO)
        return rc;
    const struct arg_range ranges[] = {
        { "conf", "(0,1)" }, { "iou", "(0,1]" }, { "max-det", "[1,100000]" }, { "line-width", "[0,100]" },
        { "batch", "[0,1024]" }, { "threads", "[0,256]" }, { "workers", "[1,64]" }, { "imgsz", "[0,8192]" },
        { "max-pixels", "[0,)" }, { NULL, NULL }
    };
    if ((rc = args_check_ranges("detect", specs, ranges)) != ARGS_GO)
        return rc;
    if ((rc = cli_check_target("detect", isa, device, half)) != ARGS_GO)
        return rc;
    struct shard sh = { 0 };
    char shard_err[600];
    if (shard_arg && shard_parse(shard_arg, &sh))
        return cli_error("detect", 2, "--shard: expected K/N with 0 <= K < N, got '%s'", shard_arg);
    if (shards < 0 || shards > 1000000)
        return cli_error("detect", 2, "--shards: expected a count from 1 to 1000000");
    if (!shard_arg && shard_from_env(shards, &sh, shard_err, sizeof shard_err))
        return cli_error("detect", 2, "%s", shard_err);
    if (resume && !json)
        return cli_error("detect", 2, "--resume needs --json: the JSON Lines file says which images are done");
    if (sh.n > 0 || resume)
        exist_ok = 1;             /* shards share the folder; a resumed run continues in it */
    int32_t keep[1024], n_keep = 0;
    if (classes && cli_parse_classes(classes, keep, 1024, &n_keep))
        return cli_error("detect", 2, "--classes: expected comma-separated class ids, got '%s'", classes);

    struct yolo_diag d = { 0 };
    struct yolo_model *model = NULL;
    struct yolo_ctx *ctx = NULL;
    struct source_list src = { 0 };
    struct str_set done = { 0 };
    char **run_paths = NULL, **run_names = NULL;
    struct yolo_model_info info;
    char engine[4400];
    if ((rc = cli_model_arg("detect", pos[0], pos[1], imgsz, batch, engine, sizeof engine)))
        return rc;
    const char *model_arg = pos[0];   /* what the user named, for messages */
    pos[0] = engine;
    if (cli_load_model("detect", pos[0], isa, device, half, &model, &info))
        return 1;
    rc = 1;
    if (args_check_classes("detect", model_arg, keep, n_keep, info.n_classes) != ARGS_GO) {
        rc = 2;
        goto out;
    }
    if (imgsz && (imgsz != info.input_w || imgsz != info.input_h)) {
        cli_error("detect", 2, "%s was built for %dx%d input, not --imgsz %d (rebuild with yolo build --imgsz)",
                  pos[0], info.input_w, info.input_h, imgsz);
        rc = 2;
        goto out;
    }
    if (batch > info.max_batch) {
        cli_error("detect", 2, "--batch %d is more than the engine's max batch %d (rebuild with yolo build --batch)",
                  batch, info.max_batch);
        rc = 2;
        goto out;
    }
    for (int i = 1; i < n_pos; i++) {
        char err[600];
        if (sources_add(&src, pos[i], recursive, err, sizeof err)) {
            cli_error("detect", 1, "%s", err);
            goto out;
        }
    }
    if (src.n == 0) {
        cli_error("detect", 1, "no images found in %s%s", pos[1], n_pos > 2 ? " ..." : "");
        goto out;
    }
    char dir[4096], err[4400];
    if (sources_name_outputs(&src, err, sizeof err)) {
        cli_error("detect", 1, "%s", err);
        goto out;
    }
    cli_pick_save_dir(save_dir ? save_dir : "runs/detect", exist_ok, dir, sizeof dir);
    if ((!nosave || save_txt || json) && cli_prepare_dir(dir, save_txt ? "labels" : NULL, err, sizeof err)) {
        cli_error("detect", 1, "%s", err);
        goto out;
    }
    /* this shard's images, less those its JSON Lines already hold with --resume */
    int64_t lo, hi;
    shard_range(src.n, &sh, &lo, &hi);
    if (sh.n > 0)
        printf("shard %d/%d (%s): images %lld to %lld of %lld\n", sh.k, sh.n, sh.how, (long long)lo + 1,
               (long long)hi, (long long)src.n);
    char jsonl[4200], jsonl_base[4200];
    snprintf(jsonl_base, sizeof jsonl_base, "%s/detections.jsonl", dir);
    shard_file_name(jsonl_base, &sh, jsonl, sizeof jsonl);
    run_paths = malloc(sizeof *run_paths * (size_t)(hi - lo + 1));
    run_names = malloc(sizeof *run_names * (size_t)(hi - lo + 1));
    if (!run_paths || !run_names) {
        cli_error("detect", 1, "out of memory");
        goto out;
    }
    int64_t n_run = 0;
    if (json && !resume) {
        struct stat st;
        if (stat(jsonl, &st) == 0 && st.st_size > 0) {
            cli_error("detect", 1, "%s: holds the results of an earlier run (%lld bytes): --resume continues "
                      "it, or remove it first", jsonl, (long long)st.st_size);
            goto out;
        }
    }
    if (resume) {
        int64_t n_lines, torn;
        if (jsonl_load_done(jsonl, &done, &n_lines, &torn, err, sizeof err)) {
            cli_error("detect", 1, "%s", err);
            goto out;
        }
        if (torn) {
            fflush(stdout);
            fprintf(stderr, "yolo detect: warning: %s: cut off a torn last line (%lld bytes, no newline) left by "
                    "an interrupted run; that image runs again\n", jsonl, (long long)torn);
        }
        for (int64_t i = lo; i < hi; i++) {
            char *key = json_path_string(src.paths[i]);
            if (!key) {
                cli_error("detect", 1, "out of memory");
                goto out;
            }
            if (!str_set_has(&done, key, strlen(key))) {
                run_paths[n_run] = src.paths[i];
                run_names[n_run++] = src.names[i];
            }
            free(key);
        }
        printf("resume: %s holds %lld lines; %lld of this run's %lld images are done, %lld to go\n", jsonl,
               (long long)n_lines, (long long)(hi - lo - n_run), (long long)(hi - lo), (long long)n_run);
        if (n_run == 0) {
            rc = 0;
            goto out;
        }
    } else {
        for (int64_t i = lo; i < hi; i++) {
            run_paths[n_run] = src.paths[i];
            run_names[n_run++] = src.names[i];
        }
    }
    if (n_run == 0) {
        printf("shard %d/%d has no images (%lld images for %d shards)\n", sh.k, sh.n, (long long)src.n, sh.n);
        rc = 0;
        goto out;
    }
    struct yolo_ctx_params cp;
    cli_ctx_params(&cp, conf, iou, max_det, agnostic, keep, n_keep, cli_threads_or_cores(threads));
    if (yolo_ctx_create(model, &cp, &ctx, &d)) {
        cli_error("detect", 1, "%s", d.msg);
        goto out;
    }
    struct detect_report rep = { .cmd = "detect", .info = &info, .quiet = quiet, .n = n_run };
    if (!resume) {
        rep.index_base = lo;
        rep.n_total = src.n;
    }
    rep.progress = !quiet && n_run > 20 && isatty(STDOUT_FILENO);
    struct yolo_image_run_params o = { 0 };
    o.save_dir = dir;
    o.save_images = !nosave;
    o.save_txt = save_txt;
    o.save_conf = save_conf;
    o.out_names = run_names;
    if (json)
        o.json_path = jsonl;
    o.json_append = 1;
    o.max_batch = batch ? batch : info.max_batch;
    o.workers = workers;
    o.max_pixels = max_pixels;
    o.draw.line_width = line_width;
    o.draw.hide_labels = hide_labels;
    o.draw.hide_conf = hide_conf;
    o.image_fn = detect_report_image;
    o.error_fn = detect_report_error;
    o.user = &rep;
    /* Ctrl-C (or SIGTERM) stops starting new images; those under way finish and every output,
     * detections.jsonl included, is completed for the images done. */
    struct cli_interrupt ci;
    o.interrupt = cli_interrupt_begin(&ci);
    struct yolo_image_run_report s;
    rep.t_start_ms = yolo_now_ms();
    int run_rc = yolo_image_run(ctx, run_paths, n_run, &o, &s, &d);
    cli_interrupt_end(&ci);
    if (run_rc) {
        cli_error("detect", 1, "%s", d.msg);
        goto out;
    }
    detect_report_end(&rep);
    if (s.interrupted)
        printf("interrupted: stopped after %lld of %lld images; the outputs of those are complete\n",
               (long long)(s.n_ok + s.n_failed), (long long)s.n_images);
    printf("Speed: %.1fms preprocess, %.1fms inference, %.1fms postprocess per image (median) at shape "
           "(%d, 3, %d, %d), %s kernels, %d thread%s\n", s.median_ms_pre, s.median_ms_infer,
           s.median_ms_post, o.max_batch, info.input_h, info.input_w, info.isa, cp.n_threads,
           cp.n_threads > 1 ? "s" : "");
    printf("%lld images in %.2f s: %.1f images/s (1000 / median inference = %.1f); %lld detections; "
           "%lld failed", (long long)s.n_ok, s.wall_s, s.wall_s > 0 ? s.n_ok / s.wall_s : 0.0,
           s.median_ms_infer > 0 ? 1000.0 / s.median_ms_infer : 0.0, (long long)s.n_dets,
           (long long)s.n_failed);
    if (s.write_errors)
        printf("; %lld outputs not written", (long long)s.write_errors);
    printf("\n");
    /* which side limited the run: the contexts (inference) or the decode threads feeding them */
    if (s.n_ok >= 16 && s.wall_s > 0)
        printf("Bottleneck: %s (the model was busy %.0f%% of the run on %d instance%s, %d decode "
               "thread%s)\n", s.engine_busy >= 0.85 ? "inference" : "reading and decoding the "
               "images (more --workers may help)", 100.0 * s.engine_busy, s.n_instances,
               s.n_instances > 1 ? "s" : "", workers, workers > 1 ? "s" : "");
    if (s.write_errors)
        printf("Results in %s are incomplete: %lld outputs not written (see the errors above)\n",
               dir, (long long)s.write_errors);
    else if (!nosave || save_txt || json)
        printf("Results saved to %s\n", dir);
    detect_warn_invalid("detect", &s, info.n_classes);
    /* 130 = 128 + SIGINT, as a shell reports a command Ctrl-C ended: the run is not complete */
    rc = s.n_failed || s.write_errors ? 1 : s.interrupted ? 130 : 0;
out:
    free(run_paths);
    free(run_names);
    str_set_free(&done);
    sources_free(&src);
    yolo_ctx_free(ctx);
    yolo_model_free(model);
    return rc;
}

/* libpng, libjpeg and OpenCV print their own lines about a bad image, without its name; the
 * pipeline reports it in one line: theirs are dropped unless -v (stderr_filter.h). */
int cmd_detect(int argc, char **argv)
{
    int verbose = 0;
    for (int i = 1; i < argc; i++)
        verbose |= strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0;
    struct stderr_filter f;
    stderr_filter_begin(&f, verbose);
    int rc = detect_main(argc, argv);
    stderr_filter_end(&f);
    return rc;
}
