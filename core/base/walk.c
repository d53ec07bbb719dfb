/* walk.c: see walk.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "walk.h"

#define MAX_DEPTH 64

int yolo_is_image_name(const char *name)
{
    static const char *const exts[] = { "jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff", "dng", "mpo", "pfm" };
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash ? slash + 1 : name, '.');
    if (!dot)
        return 0;
    for (size_t i = 0; i < sizeof exts / sizeof *exts; i++)
        if (strcasecmp(dot + 1, exts[i]) == 0)
            return 1;
    return 0;
}

/* The directories from the one given down to the one being read. */
struct chain {
    dev_t dev;
    ino_t ino;
    const struct chain *up;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct walk {
    int recursive;
    int (*want)(const char *);
    yolo_walk_fn fn;
    void *user;
    char *err;
    size_t cap;
};

static int walk_dir(const struct walk *w, const char *dir, int depth, const struct chain *up)
{
    struct stat self;
    if (stat(dir, &self) != 0) {
        snprintf(w->err, w->cap, "%s: cannot read directory: %s", dir, strerror(errno));
        return -1;
    }
    for (const struct chain *c = up; c; c = c->up)
        if (c->dev == self.st_dev && c->ino == self.st_ino)
            return 0;                                    /* a cycle: skipped */
    if (depth > MAX_DEPTH) {
        snprintf(w->err, w->cap, "%s: directories nested too deep", dir);
        return -1;
    }
    const struct chain here = { self.st_dev, self.st_ino, up };
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(w->err, w->cap, "%s: cannot read directory: %s", dir, strerror(errno));
        return -1;
    }
    /* the names first, sorted, so that the order is the same on every file system */
    char **names = NULL;
    size_t n = 0, n_cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == n_cap) {
            size_t nc = n_cap ? 2 * n_cap : 64;
            char **p = realloc(names, nc * sizeof *p);
            if (!p) {
                rc = -1;
                break;
            }
            names = p;
            n_cap = nc;
        }
        if (!(names[n] = strdup(e->d_name))) {
            rc = -1;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc)
        snprintf(w->err, w->cap, "%s: out of memory reading the directory", dir);
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_str);
    size_t dir_len = strlen(dir);
    int sep = dir_len > 0 && dir[dir_len - 1] != '/';
    for (size_t i = 0; i < n && !rc; i++) {
        size_t len = dir_len + (size_t)sep + strlen(names[i]) + 1;
        char *path = malloc(len);
        if (!path) {
            snprintf(w->err, w->cap, "%s: out of memory", dir);
            rc = -1;
            break;
        }
        snprintf(path, len, "%s%s%s", dir, sep ? "/" : "", names[i]);
        struct stat st;
        if (stat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                if (w->recursive)
                    rc = walk_dir(w, path, depth + 1, &here);
            } else if (S_ISREG(st.st_mode) && (!w->want || w->want(names[i]))) {
                rc = w->fn(w->user, path);
            }
        }
        free(path);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int yolo_walk_dir(const char *dir, int recursive, int (*want)(const char *name), yolo_walk_fn file_fn,
                  void *user, char *err, size_t cap)
{
    char dummy[1];
    const struct walk w = { recursive, want, file_fn, user, err ? err : dummy, err ? cap : sizeof dummy };
    return walk_dir(&w, dir, 0, NULL);
}
