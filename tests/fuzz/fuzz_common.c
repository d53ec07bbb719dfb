/* fuzz_common.c: scratch files and failure reporting for the fuzz targets (see fuzz.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#define FUZZ_MAX_NAMES 16

struct fuzz_scratch {
    char names[FUZZ_MAX_NAMES][64];
    char paths[FUZZ_MAX_NAMES][352];
    int n, ready;
};

static char fuzz_dir[256];

static struct fuzz_scratch fuzz_scratch;

static void fuzz_cleanup(void)
{
    struct fuzz_scratch *s = &fuzz_scratch;
    for (int i = 0; i < s->n; i++)
        unlink(s->paths[i]);
    if (s->ready)
        rmdir(fuzz_dir);
}

static int fuzz_scratch_init(struct fuzz_scratch *s)
{
    struct stat st;
    const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0
                           ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/yolo-fuzz.XXXXXX", base);
    if (!mkdtemp(fuzz_dir))
        return -1;
    s->ready = 1;
    atexit(fuzz_cleanup);
    return 0;
}

const char *fuzz_path(const char *name)
{
    struct fuzz_scratch *s = &fuzz_scratch;
    if (!s->ready && fuzz_scratch_init(s))
        return NULL;
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0)
            return s->paths[i];
    if (s->n == FUZZ_MAX_NAMES || strlen(name) >= sizeof s->names[0])
        return NULL;
    snprintf(s->names[s->n], sizeof s->names[0], "%s", name);
    snprintf(s->paths[s->n], sizeof s->paths[0], "%s/%s", fuzz_dir, name);
    return s->paths[s->n++];
}

int fuzz_write(const char *path, const uint8_t *data, size_t size)
{
    if (!path)
        return -1;
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int bad = size && fwrite(data, 1, size, f) != size;
    bad |= fclose(f) != 0;
    return bad ? -1 : 0;
}

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}
