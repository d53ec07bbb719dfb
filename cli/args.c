/* args.c: see args.h. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

int cli_error(const char *cmd, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "yolo %s: error: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

void args_print_help(FILE *f, const struct cmd_usage *u, const struct arg_spec *specs)
{
    fprintf(f, "usage: yolo %s %s\n\n%s\n\noptions:\n", u->name, u->synopsis, u->summary);
    for (const struct arg_spec *s = specs; s && s->name; s++) {
        char left[64];
        int n = 0;
        if (s->short_name)
            n = snprintf(left, sizeof left, "-%c, ", s->short_name);
        snprintf(left + n, sizeof left - (size_t)n, "--%s%s%s", s->name, s->metavar ? " " : "",
                 s->metavar ? s->metavar : "");
        fprintf(f, "  %-24s %s\n", left, s->help);
    }
    fprintf(f, "  %-24s %s\n", "-h, --help", "show this help and exit");
    if (u->details)
        fprintf(f, "\n%s\n", u->details);
}

static int set_value(const struct cmd_usage *u, const struct arg_spec *s, const char *v)
{
    char *end;
    errno = 0;
    switch (s->type) {
    case ARG_FLAG:
        *(int *)s->dest = 1;
        return 0;
    case ARG_INT: {
        long x = strtol(v, &end, 10);
        if (errno || end == v || *end || x < INT_MIN || x > INT_MAX)
            return cli_error(u->name, ARGS_USAGE, "--%s: expected an integer, got '%s'", s->name, v);
        *(int *)s->dest = (int)x;
        return 0;
    }
    case ARG_FLOAT: {
        float x = strtof(v, &end);
        if (errno || end == v || *end || !isfinite(x))
            return cli_error(u->name, ARGS_USAGE, "--%s: expected a number, got '%s'", s->name, v);
        *(float *)s->dest = x;
        return 0;
    }
    case ARG_DOUBLE: {
        double x = strtod(v, &end);
        if (errno || end == v || *end || !isfinite(x))
            return cli_error(u->name, ARGS_USAGE, "--%s: expected a number, got '%s'", s->name, v);
        *(double *)s->dest = x;
        return 0;
    }
    case ARG_STR:
        *(const char **)s->dest = v;
        return 0;
    }
    return ARGS_USAGE;
}

int args_parse(const struct cmd_usage *u, int argc, char **argv, const struct arg_spec *specs,
               const char **pos, int max_pos, int *n_pos)
{
    *n_pos = 0;
    int only_pos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == 0) {
            if (*n_pos >= max_pos)
                return cli_error(u->name, ARGS_USAGE, "unexpected argument '%s' (see yolo %s --help)",
                                 a, u->name);
            pos[(*n_pos)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            args_print_help(stdout, u, specs);
            return ARGS_HELP;
        }
        const struct arg_spec *s = NULL;
        const char *inline_val = NULL;
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            for (const struct arg_spec *t = specs; t && t->name; t++)
                if (strlen(t->name) == len && strncmp(t->name, name, len) == 0)
                    s = t;
            inline_val = eq ? eq + 1 : NULL;
        } else if (a[2] == 0) {
            for (const struct arg_spec *t = specs; t && t->name; t++)
                if (t->short_name == a[1])
                    s = t;
        }
        if (!s)
            return cli_error(u->name, ARGS_USAGE, "unknown option '%s' (see yolo %s --help)", a, u->name);
        if (s->type == ARG_FLAG) {
            if (inline_val)
                return cli_error(u->name, ARGS_USAGE, "--%s takes no value", s->name);
            set_value(u, s, NULL);
            continue;
        }
        const char *v = inline_val;
        if (!v) {
            if (i + 1 >= argc)
                return cli_error(u->name, ARGS_USAGE, "--%s needs a value (%s)", s->name,
                                 s->metavar ? s->metavar : "value");
            v = argv[++i];
        }
        if (set_value(u, s, v))
            return ARGS_USAGE;
    }
    return ARGS_OK;
}

int args_parse_cmd(const struct cmd_usage *u, int argc, char **argv, const struct arg_spec *specs,
                   const char **pos, int min_pos, int max_pos, int *n_pos, const char *expected)
{
    int rc = args_parse(u, argc, argv, specs, pos, max_pos, n_pos);
    if (rc)
        return rc == ARGS_HELP ? 0 : 2;
    if (*n_pos < min_pos)
        return cli_error(u->name, 2, "expected %s (see yolo %s --help)", expected, u->name);
    return ARGS_GO;
}

int args_check_isa(const char *cmd, const char *isa)
{
    if (isa && strcmp(isa, "ref") && strcmp(isa, "avx2") && strcmp(isa, "avx512"))
        return cli_error(cmd, 2, "--isa must be ref, avx2 or avx512");
    return ARGS_GO;
}
