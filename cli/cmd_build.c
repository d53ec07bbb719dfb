/* cmd_build.c: `yolo build MODEL.onnx -o OUT.engine`. */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "yolo.h"

static void print_message(void *user, int level, const char *msg)
{
    (void)user;
    fprintf(stderr, "yolo build: %s: %s\n", level == 0 ? "error" : level == 1 ? "warning" : "info", msg);
}

int cmd_build(int argc, char **argv)
{
    const char *out = NULL;
    int imgsz = 0, batch = 0, verbose = 0;
    const struct arg_spec specs[] = {
        { "output", 'o', ARG_STR, &out, "OUT.engine", "engine file to write (required)" },
        { "imgsz", 0, ARG_INT, &imgsz, "N", "input size NxN (default: the model's, else 640)" },
        { "batch", 0, ARG_INT, &batch, "N", "largest batch a context runs (default 1)" },
        { "verbose", 'v', ARG_FLAG, &verbose, NULL, "print what the optimizer did and warnings" },
        { 0 }
    };
    const struct cmd_usage u = { "build", "MODEL.onnx -o OUT.engine [options]",
        "Compile an ONNX model into an engine file: import, fold constants and BatchNorm, fuse\n"
        "activations into convolutions, plan activation memory, pack weights, write the file\n"
        "(versioned, checksummed, mmap-able) under a temp name and rename it into place.",
        "examples:\n  yolo build yolov8n.onnx -o yolov8n.engine\n"
        "  yolo build yolov8n.onnx -o yolov8n-320.engine --imgsz 320   (dynamic-size models only)" };
    const char *pos[1];
    int n_pos;
    int rc = args_parse_cmd(&u, argc, argv, specs, pos, 1, 1, &n_pos, "one MODEL.onnx");
    if (rc != ARGS_GO)
        return rc;
    if (!out)
        return cli_error("build", 2, "missing -o OUT.engine");
    if (imgsz < 0 || batch < 0)
        return cli_error("build", 2, "--imgsz and --batch must be positive");
    struct yolo_build_params p;
    yolo_build_params_default(&p);
    p.imgsz_h = p.imgsz_w = imgsz;
    p.max_batch = batch;
    if (verbose)
        p.message_fn = print_message;
    struct yolo_build_report rep;
    struct yolo_diag diag = { 0 };
    rc = yolo_build(pos[0], out, &p, &rep, &diag);
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
