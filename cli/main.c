/* main.c: `yolo <command> ...`: the subcommand table. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "cv_adapter.h"
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

static void usage(FILE *f)
{
    fprintf(f, "usage: yolo <command> [options]\n\n"
               "Compile YOLO detectors exported to ONNX into engine files and run them on the CPU\n"
               "(or, in builds made with CUDA=1, on NVIDIA GPUs: --device cuda).\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'yolo <command> --help' describes a command. 'yolo --version' prints the version.\n");
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
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "yolo: error: unknown command '%s' (see yolo --help)\n", argv[1]);
    return 2;
}
