/* cmd_build.c: `yolo build MODEL.onnx -o OUT.engine [--int8 --calib DIR ... | --bf16]`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "sources.h"
#include "yolo.h"

#define MAX_KEEP 256

static void print_message(void *user, int level, const char *msg)
{
    (void)user;
    fprintf(stderr, "yolo build: %s: %s\n", level == 0 ? "error" : level == 1 ? "warning" : "info", msg);
}

/* The calibration progress bar, on stderr (stdout carries the build report). */
static void print_progress(void *user, int32_t done, int32_t total)
{
    (void)user;
    int w = 30, fill = total > 0 ? (int)((int64_t)w * done / total) : w;
    fprintf(stderr, "\rcalibrating [%.*s%*s] %d/%d", fill, "##############################",
            w - fill, "", done, total);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

/* Splits "a,b,c" in place into names (at most MAX_KEEP). */
static int32_t split_names(char *s, const char **out)
{
    int32_t n = 0;
    for (char *tok = strtok(s, ","); tok && n < MAX_KEEP; tok = strtok(NULL, ","))
        if (*tok)
            out[n++] = tok;
    return n;
}

int cmd_build(int argc, char **argv)
{
    const char *out = NULL, *calib = NULL, *keep = NULL, *method = "mse";
    int imgsz = 0, batch = 0, verbose = 0, int8 = 0, bf16 = 0, n_calib = 64, threads = 0;
    const struct arg_spec specs[] = {
        { "output", 'o', ARG_STR, &out, "OUT.engine", "engine file to write (required)" },
        { "imgsz", 0, ARG_INT, &imgsz, "N", "input size NxN (default: the model's, else 640)" },
        { "batch", 0, ARG_INT, &batch, "N", "largest batch a context runs (default 1)" },
        { "int8", 0, ARG_FLAG, &int8, NULL, "quantize: Convs run on int8 (needs --calib)" },
        { "bf16", 0, ARG_FLAG, &bf16, NULL, "Convs run on bfloat16 (AVX512_BF16; no calibration)" },
        { "calib", 0, ARG_STR, &calib, "DIR", "calibration images (a folder, glob or .txt list)" },
        { "calib-images", 0, ARG_INT, &n_calib, "N", "use the first N of them, sorted (default 64)" },
        { "calib-method", 0, ARG_STR, &method, "M", "mse (default), percentile or minmax" },
        { "keep-float", 0, ARG_STR, &keep, "NODE,...", "Conv nodes to keep in float ('/x/*': prefix)" },
        { "threads", 't', ARG_INT, &threads, "N", "threads for calibration (default: all cores)" },
        { "verbose", 'v', ARG_FLAG, &verbose, NULL, "print what the optimizer did and warnings" },
        { 0 }
    };
    const struct cmd_usage u = { "build", "MODEL.onnx -o OUT.engine [options]",
        "Compile an ONNX model into an engine file: import, fold constants and BatchNorm, fuse\n"
        "activations into convolutions, plan activation memory, pack weights, write the file\n"
        "(versioned, checksummed, mmap-able) under a temp name and rename it into place.\n"
        "QDQ (int8) ONNX models build as they are: their Convs run on int8. --int8 quantizes a\n"
        "float model after training from calibration images (the detection head's decode stays\n"
        "float); --bf16 rounds the same Convs' weights to bfloat16 and, on CPUs with AVX512_BF16,\n"
        "multiplies in bf16 with float32 sums (elsewhere in float32 on the rounded weights).\n"
        "`yolo info` shows the precision.",
        "examples:\n  yolo build yolov8n.onnx -o yolov8n.engine\n"
        "  yolo build yolov8n.onnx -o yolov8n-320.engine --imgsz 320   (dynamic-size models only)\n"
        "  yolo build yolov8n.onnx -o yolov8n-int8.engine --int8 --calib coco128/images/train2017\n"
        "  yolo build yolov8n.onnx -o yolov8n-bf16.engine --bf16" };
    const char *pos[1];
    int n_pos;
    int rc = args_parse_cmd(&u, argc, argv, specs, pos, 1, 1, &n_pos, "one MODEL.onnx");
    if (rc != ARGS_GO)
        return rc;
    if (!out)
        return cli_error("build", 2, "missing -o OUT.engine");
    if (imgsz < 0 || batch < 0)
        return cli_error("build", 2, "--imgsz and --batch must be positive");
    if (int8 && bf16)
        return cli_error("build", 2, "--int8 and --bf16 exclude each other");
    if (calib && !int8)
        return cli_error("build", 2, "--calib goes with --int8");
    if (keep && !int8 && !bf16)
        return cli_error("build", 2, "--keep-float goes with --int8 or --bf16");
    if (int8 && !calib)
        return cli_error("build", 2, "--int8 needs --calib DIR (calibration images)");
    if (n_calib < 1 || threads < 0)
        return cli_error("build", 2, "--calib-images and --threads must be positive");
    if (strcmp(method, "minmax") && strcmp(method, "percentile") && strcmp(method, "mse"))
        return cli_error("build", 2, "--calib-method: minmax, percentile or mse, not '%s'", method);
    struct yolo_build_params p;
    yolo_build_params_default(&p);
    p.imgsz_h = p.imgsz_w = imgsz;
    p.max_batch = batch;
    if (verbose)
        p.message_fn = print_message;
    struct source_list src = { 0 };
    char err[1024], *keep_copy = NULL;
    const char *keep_names[MAX_KEEP];
    if (bf16) {
        if (keep && !(keep_copy = strdup(keep)))
            return cli_error("build", 1, "out of memory");
        p.bf16 = 1;
        p.keep_float = keep_names;
        p.n_keep_float = keep_copy ? split_names(keep_copy, keep_names) : 0;
    }
    if (int8) {
        if (sources_add(&src, calib, 0, err, sizeof err)) {
            sources_free(&src);
            return cli_error("build", 1, "%s", err);
        }
        if (src.n < 1) {
            sources_free(&src);
            return cli_error("build", 1, "%s: no images", calib);
        }
        if (keep && !(keep_copy = strdup(keep))) {
            sources_free(&src);
            return cli_error("build", 1, "out of memory");
        }
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        p.int8 = 1;
        p.calib_paths = (const char *const *)src.paths;
        p.n_calib = src.n < n_calib ? (int32_t)src.n : n_calib;
        p.keep_float = keep_names;
        p.n_keep_float = keep_copy ? split_names(keep_copy, keep_names) : 0;
        p.calib_method = strcmp(method, "percentile") == 0 ? 1 : strcmp(method, "minmax") == 0 ? 2 : 0;
        p.calib_threads = threads ? threads : cores > 0 ? (int32_t)cores : 1;
        p.progress_fn = print_progress;
    }
    struct yolo_build_report rep;
    struct yolo_diag diag = { 0 };
    rc = yolo_build(pos[0], out, &p, &rep, &diag);
    sources_free(&src);
    free(keep_copy);
    if (rc)
        return cli_error("build", rc == YOLO_ERR_ARG ? 2 : 1, "%s", diag.msg);
    printf("%s: %d nodes -> %d (folded %d, BN folded %d, activations fused %d, no-ops %d), "
           "format %s, %d classes, input %dx%dx%dx%d\n",
           out, rep.nodes_imported, rep.nodes_final, rep.n_folded, rep.n_bn_folded, rep.n_act_fused,
           rep.n_noops, rep.format, rep.n_classes, rep.max_batch, 3, rep.input_h, rep.input_w);
    printf("%s: weights %.1f MiB, activation arena %.1f MiB (%.0f%% of %.1f MiB of intermediate tensors)\n",
           out, rep.weight_bytes / 1048576.0, rep.arena_bytes / 1048576.0,
           rep.sum_tensor_bytes ? 100.0 * (double)rep.arena_bytes / (double)rep.sum_tensor_bytes : 0.0,
           rep.sum_tensor_bytes / 1048576.0);
    return 0;
}
