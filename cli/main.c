/* main.c: `yolo <command> ...`: the subcommand table. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "cv_adapter.h"
#include "ultralytics.h"
#include "yolo.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    { "build", cmd_build, "compile an ONNX model into an engine file" },
    { "info",  cmd_info,  "show what an engine file holds: inputs, outputs, ops, memory, metadata" },
    { "detect", cmd_detect, "detect objects in images, directories, globs and lists" },
    { "video", cmd_video, "detect objects in several videos, cameras or streams at once" },
    { "merge", cmd_merge, "join the JSON Lines of sharded or resumed detect runs; report gaps" },
    { "val",   cmd_val,   "measure accuracy (P, R, mAP50, mAP50-95) on a labelled dataset" },
    { "infer", cmd_infer, "run an engine on a raw float32 tensor file and write the raw outputs" },
    { "bench", cmd_bench, "latency percentiles, throughput and per-op profile of an engine" },
};

/* Ultralytics' names for our commands: `yolo predict ...`, `yolo detect predict ...`,
 * `yolo detect val ...`, `yolo track ...` (= yolo video --track). */
struct alias { const char *name, *task_mode, *command, *extra; };
static const struct alias aliases[] = {
    { "predict", "predict", "detect", NULL },
    { "track",   "track",   "video",  "--track" },
    { NULL,      "val",     "val",    NULL },
};

/* Commands that take Ultralytics' key=value arguments beside ours (ultralytics.h). */
static int takes_key_value(const char *name)
{
    return !strcmp(name, "detect") || !strcmp(name, "video") || !strcmp(name, "val") || !strcmp(name, "bench");
}

static int run_command(const struct command *c, const char *extra, int argc, char **argv)
{
    if (!takes_key_value(c->name))
        return c->run(argc, argv);
    struct ultra_argv ua;
    int rc = ultra_translate(c->name, argc, argv, &ua);
    if (rc)
        return rc;
    if (extra) {                          /* room was kept for one more argument */
        memmove(ua.argv + 1, ua.argv, sizeof *ua.argv * (size_t)(ua.argc + 1));
        ua.argv[0] = (char *)extra;
        ua.argc++;
    }
    rc = c->run(ua.argc, ua.argv);
    ultra_argv_free(&ua);
    return rc;
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: yolo <command> [options]\n\n"
               "Compile YOLO detectors exported to ONNX into engine files and run them on the CPU\n"
               "(or, in builds made with CUDA=1, on NVIDIA GPUs: --device cuda).\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'yolo <command> --help' describes a command. 'yolo --version' prints the version.\n"
               "Ultralytics' forms work too: 'yolo predict model=yolov8n.onnx source=bus.jpg conf=0.5'\n"
               "(predict = detect, track = video --track; key=value arguments beside ours). A MODEL.onnx\n"
               "given where an engine goes is built once into the engine cache ($XDG_CACHE_HOME/yolo).\n");
}

int main(int argc, char **argv)
{
    /* Past a file size limit (ulimit -f) writes fail with EFBIG, which every output path
     * reports by file name and cleans up after, instead of the process being killed with a
     * half-written temp file left behind. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("yolo %s\nimages: %s\n", yolo_version(), yolo_cv_backend());
        return 0;
    }
    const struct command *c = find_command(argv[1]);
    /* `yolo detect predict ...`: Ultralytics' TASK MODE form (detect is the only task here) */
    if (c && !strcmp(argv[1], "detect") && argc > 2) {
        for (const struct alias *a = aliases; a < aliases + sizeof aliases / sizeof *aliases; a++)
            if (!strcmp(argv[2], a->task_mode))
                return run_command(find_command(a->command), a->extra, argc - 3, argv + 3);
    }
    if (c)
        return run_command(c, NULL, argc - 2, argv + 2);
    for (const struct alias *a = aliases; a < aliases + sizeof aliases / sizeof *aliases; a++)
        if (a->name && !strcmp(argv[1], a->name))
            return run_command(find_command(a->command), a->extra, argc - 2, argv + 2);
    fprintf(stderr, "yolo: error: unknown command '%s' (see yolo --help)\n", argv[1]);
    return 2;
}
