/* args.h: declarative command-line parsing for the subcommands. Long options as --name VALUE
 * or --name=VALUE, short ones as -x VALUE; "--" ends options. Unknown options, missing or
 * malformed values are usage errors (exit code 2). argv is never modified. */
#ifndef YOLO_CLI_ARGS_H
#define YOLO_CLI_ARGS_H

#include <stdint.h>
#include <stdio.h>

enum arg_type { ARG_FLAG, ARG_INT, ARG_FLOAT, ARG_DOUBLE, ARG_STR };

struct arg_spec {
    const char   *name;      /* long name without dashes */
    char          short_name;/* 0 if none */
    enum arg_type type;
    void         *dest;      /* int* for FLAG/INT, float* for FLOAT, double* for DOUBLE, const char** for STR */
    const char   *metavar;   /* shown in --help, e.g. "N" */
    const char   *help;
};

struct cmd_usage {
    const char *name;        /* "build" */
    const char *synopsis;    /* "MODEL.onnx -o OUT.engine [options]" */
    const char *summary;     /* one line */
    const char *details;     /* printed after the options; may be NULL */
};

enum { ARGS_OK = 0, ARGS_HELP = 1, ARGS_USAGE = 2 };

/* Parses argv[0..argc) (argv[0] is the first argument after the subcommand). Positional
 * arguments go to pos[] (at most max_pos, else usage error). Returns ARGS_OK, ARGS_HELP (help
 * printed to stdout) or ARGS_USAGE (message printed to stderr). */
int  args_parse(const struct cmd_usage *u, int argc, char **argv, const struct arg_spec *specs,
                const char **pos, int max_pos, int *n_pos);
/* args_parse for a subcommand: returns ARGS_GO to go on, else the exit code: 0 after --help,
 * 2 on a usage error, including fewer than min_pos positional arguments (then "expected
 * <expected> (see yolo <cmd> --help)"). */
enum { ARGS_GO = -1 };
int  args_parse_cmd(const struct cmd_usage *u, int argc, char **argv, const struct arg_spec *specs,
                    const char **pos, int min_pos, int max_pos, int *n_pos, const char *expected);
/* A numeric option's allowed values, checked after parsing (and after a command puts in its
 * defaults): range is "(lo,hi)", "[lo,hi]", "(lo,hi]", "[lo,hi)" or with an empty bound,
 * "[0,)" (no upper bound). A list ends with { NULL }. */
struct arg_range {
    const char *name;        /* the option's long name, as in its arg_spec */
    const char *range;
};
/* The first option of specs whose value is outside its range gives "--NAME V is out of range:
 * expected lo < NAME <= hi"; returns ARGS_GO, else 2 after the message. */
int  args_check_ranges(const char *cmd, const struct arg_spec *specs, const struct arg_range *ranges);
/* Class ids keep[0..n) must name classes of a model with n_classes of them; returns ARGS_GO,
 * else 2 after "--classes: class id 99 is out of range for MODEL (0..79)". */
int  args_check_classes(const char *cmd, const char *model, const int32_t *keep, int32_t n,
                        int32_t n_classes);
/* --isa: NULL (best) or one of ref, avx2, avx512; returns ARGS_GO, else 2 after the message. */
int  args_check_isa(const char *cmd, const char *isa);
void args_print_help(FILE *f, const struct cmd_usage *u, const struct arg_spec *specs);
/* "yolo <cmd>: error: ..." to stderr; returns 2 (usage) or 1 (runtime) as given. */
int  cli_error(const char *cmd, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
