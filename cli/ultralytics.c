/* ultralytics.c: see ultralytics.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "args.h"
#include "ultralytics.h"

enum ukind {
    U_VALUE,       /* key=v         -> --ours=v */
    U_IF_TRUE,     /* key=True      -> --ours (False: nothing) */
    U_IF_FALSE,    /* key=False     -> --ours (True: nothing) */
    U_CLASSES,     /* classes=[0,2] -> --classes=0,2 */
    U_MODEL,       /* the first positional argument */
    U_SOURCE,      /* a positional argument, where it stands */
    U_PROJECT,     /* project/name  -> the command's output folder */
    U_NAME,
    U_DEVICE,      /* cpu: the default; N -> --device=cuda:N; anything else -> --device=v */
    U_HALF,        /* False: the default; True has no counterpart */
};

struct ukey { const char *key; enum ukind kind; const char *ours; };

static const struct ukey keys[] = {
    { "model", U_MODEL, NULL },           { "source", U_SOURCE, NULL },
    { "data", U_VALUE, "data" },          { "split", U_VALUE, "split" },
    { "conf", U_VALUE, "conf" },          { "iou", U_VALUE, "iou" },
    { "imgsz", U_VALUE, "imgsz" },        { "max_det", U_VALUE, "max-det" },
    { "batch", U_VALUE, "batch" },        { "workers", U_VALUE, "workers" },
    { "line_width", U_VALUE, "line-width" }, { "vid_stride", U_VALUE, "vid-stride" },
    { "classes", U_CLASSES, "classes" },  { "agnostic_nms", U_IF_TRUE, "agnostic" },
    { "save_txt", U_IF_TRUE, "save-txt" }, { "save_conf", U_IF_TRUE, "save-conf" },
    { "exist_ok", U_IF_TRUE, "exist-ok" }, { "save", U_IF_FALSE, "nosave" },
    { "show_labels", U_IF_FALSE, "hide-labels" }, { "show_conf", U_IF_FALSE, "hide-conf" },
    { "verbose", U_IF_FALSE, "quiet" },   { "project", U_PROJECT, NULL },
    { "name", U_NAME, NULL },             { "device", U_DEVICE, NULL },
    { "half", U_HALF, NULL },
};

static const struct ukey *find_key(const char *a, size_t len)
{
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (strlen(keys[i].key) == len && strncmp(keys[i].key, a, len) == 0)
            return &keys[i];
    return NULL;
}

/* "key=" with key made of lower-case letters and '_' only: what Ultralytics' CLI takes. */
static size_t key_len(const char *a)
{
    size_t n = 0;
    while ((a[n] >= 'a' && a[n] <= 'z') || a[n] == '_')
        n++;
    return n > 0 && a[n] == '=' ? n : 0;
}

static int parse_bool(const char *v, int *b)
{
    if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes"))
        *b = 1;
    else if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no"))
        *b = 0;
    else
        return -1;
    return 0;
}

static char *own(struct ultra_argv *u, char *s)
{
    if (s)
        u->owned[u->n_owned++] = s;
    return s;
}

static char *opt_str(struct ultra_argv *u, const char *name, const char *v)
{
    size_t n = strlen(name) + (v ? strlen(v) : 0) + 4;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "--%s%s%s", name, v ? "=" : "", v ? v : "");
    return own(u, s);
}

/* classes=[0, 2] or classes=0,2 -> "0,2" */
static char *classes_value(struct ultra_argv *u, const char *v)
{
    size_t n = strlen(v);
    char *s = malloc(n + 1), *p = s;
    if (!s)
        return NULL;
    for (; *v; v++)
        if (*v != '[' && *v != ']' && *v != '(' && *v != ')' && *v != ' ')
            *p++ = *v;
    *p = 0;
    return own(u, s);
}

void ultra_argv_free(struct ultra_argv *u)
{
    for (int i = 0; i < u->n_owned; i++)
        free(u->owned[i]);
    free(u->owned);
    free(u->argv);
    memset(u, 0, sizeof *u);
}

int ultra_translate(const char *cmd, int argc, char **argv, struct ultra_argv *out)
{
    memset(out, 0, sizeof *out);
    /* each argument becomes at most one (owning at most two strings), plus the output folder */
    out->argv = calloc((size_t)argc + 3, sizeof *out->argv);   /* + NULL + the one main.c may add */
    out->owned = calloc(2 * (size_t)argc + 2, sizeof *out->owned);
    if (!out->argv || !out->owned) {
        ultra_argv_free(out);
        return cli_error(cmd, 1, "out of memory");
    }
    const char *model = NULL, *project = NULL, *name = NULL;
    int n = 1, only_pos = 0;              /* slot 0 is kept for model= */
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        size_t kl = only_pos ? 0 : key_len(a);
        struct stat st;
        /* an option's value (--save-dir a=b) and an existing file named key=... stay as given */
        int after_opt = i > 0 && argv[i - 1][0] == '-' && argv[i - 1][1] && !strchr(argv[i - 1], '=');
        if (!kl || after_opt || stat(a, &st) == 0) {
            only_pos |= strcmp(a, "--") == 0;
            out->argv[n++] = argv[i];
            continue;
        }
        const struct ukey *k = find_key(a, kl);
        const char *v = a + kl + 1;
        int b = 0;
        if (!k) {
            ultra_argv_free(out);
            return cli_error(cmd, 2, "unknown argument '%s': not a file, nor an Ultralytics argument yolo "
                             "knows (model, source, data, conf, iou, imgsz, max_det, batch, classes, "
                             "save_txt, save_conf, save, show_labels, show_conf, line_width, project, "
                             "name, exist_ok, device, ...; see yolo %s --help)", a, cmd);
        }
        if ((k->kind == U_IF_TRUE || k->kind == U_IF_FALSE || k->kind == U_HALF) && parse_bool(v, &b)) {
            ultra_argv_free(out);
            return cli_error(cmd, 2, "%s: expected True or False", a);
        }
        char *s = NULL;
        switch (k->kind) {
        case U_VALUE:    s = opt_str(out, k->ours, v); break;
        case U_CLASSES:  s = classes_value(out, v); s = s ? opt_str(out, k->ours, s) : NULL; break;
        case U_IF_TRUE:  if (!b) continue; s = opt_str(out, k->ours, NULL); break;
        case U_IF_FALSE: if (b) continue; s = opt_str(out, k->ours, NULL); break;
        case U_MODEL:    model = v; continue;
        case U_SOURCE:   out->argv[n++] = (char *)v; continue;
        case U_PROJECT:  project = v; continue;
        case U_NAME:     name = v; continue;
        case U_DEVICE: {
            /* Ultralytics' GPU numbers (device=0, device=1) are our cuda:N */
            char dev[64];
            if (!strcasecmp(v, "cpu"))
                continue;
            snprintf(dev, sizeof dev, "%s%s", v[0] >= '0' && v[0] <= '9' ? "cuda:" : "", v);
            s = opt_str(out, "device", dev);
            break;
        }
        case U_HALF:   /* --half: FP16 on the GPU (the CPU refuses it with a clear line) */
            if (!b)
                continue;
            s = opt_str(out, "half", NULL);
            break;
        }
        if (!s) {
            ultra_argv_free(out);
            return cli_error(cmd, 1, "out of memory");
        }
        out->argv[n++] = s;
    }
    if (project || name) {
        /* Ultralytics' runs/<task>/<name>: project defaults to our folder, name to "predict" */
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", project ? project : strcmp(cmd, "video") ? "runs/detect" : "runs/video",
                 name ? name : strcmp(cmd, "val") ? "predict" : "val");
        char *s = opt_str(out, strcmp(cmd, "video") ? "save-dir" : "output", dir);
        if (!s) {
            ultra_argv_free(out);
            return cli_error(cmd, 1, "out of memory");
        }
        out->argv[n++] = s;
    }
    if (model)
        out->argv[0] = (char *)model;
    else
        memmove(out->argv, out->argv + 1, sizeof *out->argv * (size_t)--n);
    out->argv[n] = NULL;
    out->argc = n;
    return 0;
}
