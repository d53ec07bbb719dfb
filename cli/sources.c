/* sources.c: see sources.h. */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "sources.h"

static const char *const image_exts[] = { "jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff",
                                          "dng", "mpo", "pfm", NULL };

int sources_is_image_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot || strchr(dot, '/'))
        return 0;
    for (int i = 0; image_exts[i]; i++)
        if (strcasecmp(dot + 1, image_exts[i]) == 0)
            return 1;
    return 0;
}

static int push(struct source_list *l, const char *path, char *err, size_t cap)
{
    if (l->n == l->cap) {
        int64_t nc = l->cap ? l->cap * 2 : 256;
        char **p = realloc(l->paths, sizeof *p * (size_t)nc);
        if (!p) {
            snprintf(err, cap, "out of memory listing images");
            return 1;
        }
        l->paths = p;
        l->cap = nc;
    }
    l->paths[l->n] = strdup(path);
    if (!l->paths[l->n]) {
        snprintf(err, cap, "out of memory listing images");
        return 1;
    }
    l->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_dir(struct source_list *l, const char *dir, int recursive, int depth, char *err, size_t cap)
{
    if (depth > 64) {
        snprintf(err, cap, "%s: directories nested too deep", dir);
        return 1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, cap, "%s: cannot read directory: %s", dir, strerror(errno));
        return 1;
    }
    struct source_list local = { 0 };
    struct dirent *e;
    int rc = 0;
    char path[4096];
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (recursive)
                rc = push(&local, path, err, cap);   /* expanded after sorting */
        } else if (S_ISREG(st.st_mode) && sources_is_image_name(e->d_name)) {
            rc = push(&local, path, err, cap);
        }
    }
    closedir(d);
    if (local.n)
        qsort(local.paths, (size_t)local.n, sizeof *local.paths, cmp_str);
    for (int64_t i = 0; !rc && i < local.n; i++) {
        struct stat st;
        if (stat(local.paths[i], &st) == 0 && S_ISDIR(st.st_mode))
            rc = add_dir(l, local.paths[i], recursive, depth + 1, err, cap);
        else
            rc = push(l, local.paths[i], err, cap);
    }
    sources_free(&local);
    return rc;
}

static int add_list(struct source_list *l, const char *list, char *err, size_t cap)
{
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
        rc = push(l, path, err, cap);
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
        if (S_ISDIR(st.st_mode))
            return add_dir(l, src, recursive, 0, err, cap);
        size_t n = strlen(src);
        if (n > 4 && strcasecmp(src + n - 4, ".txt") == 0)
            return add_list(l, src, err, cap);
        return push(l, src, err, cap);
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
                rc = push(l, gl.gl_pathv[i], err, cap);
        globfree(&gl);
        return rc;
    }
    snprintf(err, cap, "%s: %s", src, strerror(errno));
    return 1;
}

void sources_free(struct source_list *l)
{
    for (int64_t i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
    memset(l, 0, sizeof *l);
}
