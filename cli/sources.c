/* sources.c: see sources.h. */
#include <errno.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "sources.h"
#include "walk.h"

/* Appends path; its output name starts at name_at (< 0: at its file name). */
static int push(struct source_list *l, const char *path, int32_t name_at, char *err, size_t cap)
{
    if (l->n == l->cap) {
        int64_t nc = l->cap ? l->cap * 2 : 256;
        char **p = realloc(l->paths, sizeof *p * (size_t)nc);
        if (p)
            l->paths = p;
        int32_t *at = p ? realloc(l->name_at, sizeof *at * (size_t)nc) : NULL;
        if (!at) {
            snprintf(err, cap, "out of memory listing images");
            return 1;
        }
        l->name_at = at;
        l->cap = nc;
    }
    l->paths[l->n] = strdup(path);
    if (!l->paths[l->n]) {
        snprintf(err, cap, "out of memory listing images");
        return 1;
    }
    if (name_at < 0 || (size_t)name_at >= strlen(path)) {
        const char *slash = strrchr(path, '/');
        name_at = slash ? (int32_t)(slash + 1 - path) : 0;
    }
    l->name_at[l->n] = name_at;
    l->n++;
    return 0;
}

/* A directory's images, through the project's one walker (core/base/walk.h). */
struct dir_add {
    struct source_list *l;
    int32_t root_at;              /* where the names below the directory given start */
    char   *err;
    size_t  cap;
};

static int add_file(void *user, const char *path)
{
    struct dir_add *a = user;
    return push(a->l, path, a->root_at, a->err, a->cap);
}

static int add_dir(struct source_list *l, const char *dir, int recursive, int32_t root_at, char *err, size_t cap)
{
    struct dir_add a = { l, root_at, err, cap };
    return yolo_walk_dir(dir, recursive, yolo_is_image_name, add_file, &a, err, cap) ? 1 : 0;
}

static int add_list(struct source_list *l, const char *list, char *err, size_t cap)
{
    /* a list's entries are not stat'ed here (millions of them): the image reader refuses
     * one that is not a regular file without blocking on it */
    FILE *f = fopen(list, "r");
    if (!f) {
        snprintf(err, cap, "%s: cannot open: %s", list, strerror(errno));
        return 1;
    }
    char base[4096];
    snprintf(base, sizeof base, "%s", list);
    char *slash = strrchr(base, '/');
    if (slash)
        slash[1] = 0;
    else
        base[0] = 0;
    char line[4096], path[8192];
    int rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            line[--n] = 0;
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == '#')
            continue;
        snprintf(path, sizeof path, "%s%s", *s == '/' ? "" : base, s);
        rc = push(l, path, -1, err, cap);
    }
    if (!rc && ferror(f)) {
        snprintf(err, cap, "%s: read error", list);
        rc = 1;
    }
    fclose(f);
    return rc;
}

int sources_add(struct source_list *l, const char *src, int recursive, char *err, size_t cap)
{
    struct stat st;
    if (stat(src, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            size_t n = strlen(src);
            return add_dir(l, src, recursive, (int32_t)(n + (n && src[n - 1] == '/' ? 0 : 1)), err, cap);
        }
        /* a FIFO, socket or device would block the reader or never end: refused now */
        if (!S_ISREG(st.st_mode)) {
            snprintf(err, cap, "%s: not a regular file (%s)", src, S_ISFIFO(st.st_mode) ? "a FIFO"
                     : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : S_ISSOCK(st.st_mode)
                     ? "a socket" : "not a file");
            return 1;
        }
        size_t n = strlen(src);
        if (n > 4 && strcasecmp(src + n - 4, ".txt") == 0)
            return add_list(l, src, err, cap);
        return push(l, src, -1, err, cap);
    }
    if (strpbrk(src, "*?[")) {
        glob_t gl;
        int g = glob(src, 0, NULL, &gl);
        if (g == GLOB_NOMATCH || (g == 0 && gl.gl_pathc == 0)) {
            if (g == 0)
                globfree(&gl);
            snprintf(err, cap, "%s: no file matches", src);
            return 1;
        }
        if (g != 0) {
            snprintf(err, cap, "%s: cannot expand pattern", src);
            return 1;
        }
        int rc = 0;
        for (size_t i = 0; !rc && i < gl.gl_pathc; i++)
            if (stat(gl.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode))
                rc = push(l, gl.gl_pathv[i], -1, err, cap);
        globfree(&gl);
        return rc;
    }
    snprintf(err, cap, "%s: %s", src, strerror(errno));
    return 1;
}

/* An open-addressing set of the names given so far (strings owned by the list). */
struct name_set {
    const char **slot;
    uint64_t mask;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* 1 if name is in the set, else adds it and returns 0. */
static int name_set_add(struct name_set *ns, const char *name)
{
    for (uint64_t i = hash_str(name) & ns->mask;; i = (i + 1) & ns->mask) {
        if (!ns->slot[i]) {
            ns->slot[i] = name;
            return 0;
        }
        if (strcmp(ns->slot[i], name) == 0)
            return 1;
    }
}

int sources_name_outputs(struct source_list *l, char *err, size_t cap)
{
    uint64_t size = 16;
    while (size < 2 * (uint64_t)l->n)
        size *= 2;
    struct name_set ns = { calloc(size, sizeof *ns.slot), size - 1 };
    l->names = calloc((size_t)(l->n ? l->n : 1), sizeof *l->names);
    int rc = !ns.slot || !l->names;
    for (int64_t i = 0; !rc && i < l->n; i++) {
        const char *name = l->paths[i] + l->name_at[i];
        l->names[i] = strdup(name);
        rc = !l->names[i];
        /* taken: stem_2.ext, stem_3.ext, ... (the extension is after the last dot of the
         * file name itself, not of a folder) */
        for (int k = 2; !rc && name_set_add(&ns, l->names[i]); k++) {
            const char *slash = strrchr(name, '/'), *dot = strrchr(name, '.');
            size_t stem = dot && dot > (slash ? slash : name) ? (size_t)(dot - name) : strlen(name);
            size_t len = strlen(name) + 16;
            free(l->names[i]);
            l->names[i] = malloc(len);
            rc = !l->names[i];
            if (!rc)
                snprintf(l->names[i], len, "%.*s_%d%s", (int)stem, name, k, name + stem);
        }
    }
    free(ns.slot);
    if (rc)
        snprintf(err, cap, "out of memory naming the outputs");
    return rc;
}

void sources_free(struct source_list *l)
{
    for (int64_t i = 0; i < l->n; i++) {
        free(l->paths[i]);
        if (l->names)
            free(l->names[i]);
    }
    free(l->paths);
    free(l->name_at);
    free(l->names);
    memset(l, 0, sizeof *l);
}
