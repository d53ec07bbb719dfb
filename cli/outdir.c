/* outdir.c: see outdir.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "outdir.h"

static int make_dir_checked(const char *dir, char *err, size_t cap)
{
    struct stat st;
    errno = 0;
    if (yolo_make_dirs(dir) != 0 || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, cap, "%s: cannot create directory: %s", dir, strerror(errno ? errno : ENOTDIR));
        return -1;
    }
    return 0;
}

int cli_prepare_dir(const char *dir, const char *sub, char *err, size_t cap)
{
    char path[4200];
    if (make_dir_checked(dir, err, cap))
        return -1;
    if (sub) {
        snprintf(path, sizeof path, "%s/%s", dir, sub);
        if (make_dir_checked(path, err, cap))
            return -1;
    }
    snprintf(path, sizeof path, "%s/.yolo-write-test.%ld", dir, (long)getpid());
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, cap, "%s: not writable: %s", dir, strerror(errno));
        return -1;
    }
    fclose(f);
    unlink(path);
    return 0;
}

int cli_parse_classes(const char *s, int32_t *out, int32_t cap, int32_t *n)
{
    *n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 0 || v > INT32_MAX || *n >= cap)
            return -1;
        out[(*n)++] = (int32_t)v;
        s = end;
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    return *n > 0 ? 0 : -1;
}

static int path_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

void cli_pick_save_dir(const char *base, int exist_ok, char *out, size_t cap)
{
    snprintf(out, cap, "%s", base);
    if (exist_ok || !path_exists(base))
        return;
    for (int i = 2; i < 100000; i++) {
        snprintf(out, cap, "%s%d", base, i);
        if (!path_exists(out))
            return;
    }
}
