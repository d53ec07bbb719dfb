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

/* One bound of a range string: "" is none, else a number; *end after it. */
static int parse_bound(const char *s, double *v, int *has, const char **end)
{
    char *e;
    *has = 0;
    while (*s == ' ')
        s++;
    if (*s == ',' || *s == ')' || *s == ']') {
        *end = s;
        return 0;
    }
    *v = strtod(s, &e);
    if (e == s)
        return -1;
    *has = 1;
    *end = e;
    return 0;
}

static int option_value(const struct arg_spec *s, double *v)
{
    switch (s->type) {
    case ARG_INT:    *v = *(const int *)s->dest;    return 0;
    case ARG_FLOAT:  *v = *(const float *)s->dest;  return 0;
    case ARG_DOUBLE: *v = *(const double *)s->dest; return 0;
    default:         return -1;
    }
}

int args_check_ranges(const char *cmd, const struct arg_spec *specs, const struct arg_range *ranges)
{
    for (const struct arg_range *r = ranges; r && r->name; r++) {
        const struct arg_spec *s = specs;
        while (s->name && strcmp(s->name, r->name))
            s++;
        double v, lo = 0, hi = 0;
        int has_lo, has_hi;
        const char *p = r->range, *q;
        /* a table that does not match its specs is a bug of the command, caught by its tests */
        if (!s->name || option_value(s, &v) || (*p != '(' && *p != '[') ||
            parse_bound(p + 1, &lo, &has_lo, &q) || *q != ',' || parse_bound(q + 1, &hi, &has_hi, &q) ||
            (*q != ')' && *q != ']'))
            return cli_error(cmd, 2, "internal: bad range '%s' for --%s", r->range, r->name);
        int lo_open = *p == '(', hi_open = *q == ')';
        int ok = !isnan(v) && (!has_lo || (lo_open ? v > lo : v >= lo)) && (!has_hi || (hi_open ? v < hi : v <= hi));
        if (ok)
            continue;
        const char *mv = s->metavar ? s->metavar : "value";
        char got[32], want[96];
        snprintf(got, sizeof got, "%.*g", s->type == ARG_INT ? 12 : 6, v);
        if (has_lo && has_hi)
            snprintf(want, sizeof want, "%.15g %s %s %s %.15g", lo, lo_open ? "<" : "<=", mv, hi_open ? "<" : "<=", hi);
        else if (has_lo)
            snprintf(want, sizeof want, "%s %s %.15g", mv, lo_open ? ">" : ">=", lo);
        else
            snprintf(want, sizeof want, "%s %s %.15g", mv, hi_open ? "<" : "<=", hi);
        return cli_error(cmd, 2, "--%s %s is out of range: expected %s", s->name, got, want);
    }
    return ARGS_GO;
}

int args_check_classes(const char *cmd, const char *model, const int32_t *keep, int32_t n,
                       int32_t n_classes)
{
    for (int32_t i = 0; i < n; i++)
        if (keep[i] < 0 || keep[i] >= n_classes)
            return cli_error(cmd, 2, "--classes: class id %d is out of range for %s (0..%d)", (int)keep[i],
                             model, (int)n_classes - 1);
    return ARGS_GO;
}
