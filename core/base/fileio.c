/* fileio.c: see fileio.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"

int yolo_read_file(const char *path, uint64_t max_bytes, uint8_t **buf, size_t *len,
                   struct yolo_diag *d)
{
    *buf = NULL;
    *len = 0;
    /* O_NONBLOCK: opening a FIFO (or a device) must not wait for a writer; anything that is
     * not a regular file is refused before a byte is read. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return yolo_diag_set(d, YOLO_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return yolo_diag_set(d, YOLO_ERR_IO, "%s: not a regular file", path);
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: cannot open: %s", path, strerror(errno));
    }
    if ((uint64_t)st.st_size > max_bytes) {
        fclose(f);
        return yolo_diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: %lld bytes is more than the limit of %llu",
                             path, (long long)st.st_size, (unsigned long long)max_bytes);
    }
    size_t n = (size_t)st.st_size;
    uint8_t *b = malloc(n + 1);
    if (!b) {
        fclose(f);
        return yolo_diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory reading %zu bytes", path, n);
    }
    size_t got = fread(b, 1, n, f);
    int err = ferror(f);
    fclose(f);
    if (got != n || err) {
        free(b);
        return yolo_diag_set(d, YOLO_ERR_IO, "%s: read %zu of %zu bytes", path, got, n);
    }
    b[n] = 0;
    *buf = b;
    *len = n;
    return 0;
}

/* A seed for short_temp_name: the clock and an address, so two processes or threads differ. */
static uint64_t temp_seed(const void *p)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)(uintptr_t)p;
}

/* The next candidate short temp name "<dir>yolo-<pid>-<random>.tmp" next to path (dir_len:
 * the length of path's folder part, '/' included) into tmp (cap bytes), advancing *r. */
static void short_temp_name(const char *path, int dir_len, uint64_t *r, char *tmp, size_t cap)
{
    *r = *r * 6364136223846793005ULL + 1442695040888963407ULL;
    snprintf(tmp, cap, "%.*syolo-%ld-%08x.tmp", dir_len, path, (long)getpid(), (unsigned)(*r >> 32));
}

/* Creates (O_EXCL) a short temp file next to path and returns its descriptor, or -1 with
 * errno set; tmp (cap bytes) receives the name. */
static int open_short_temp(const char *path, int dir_len, char *tmp, size_t cap)
{
    uint64_t r = temp_seed(tmp);
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 100; attempt++) {
        short_temp_name(path, dir_len, &r, tmp, cap);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    return fd;
}

int yolo_atomic_open(struct yolo_atomic_file *af, const char *path, struct yolo_diag *d)
{
    memset(af, 0, sizeof *af);
    if (strlen(path) >= sizeof af->path)
        return yolo_diag_set(d, YOLO_ERR_ARG, "%.100s...: path too long", path);
    snprintf(af->path, sizeof af->path, "%s", path);
    /* The temp file is in the same folder (so rename stays on one file system), named
     * "<name>.tmp.<pid>" where that fits in a file name (255 bytes): a later run can tell
     * which output a killed run was writing (yolo video keeps those JSON Lines). A final name
     * near the limit gets a short "yolo-<pid>-<random>.tmp" instead. */
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path + 1) : 0;
    int fd = -1;
    if (strlen(path + dir_len) + 4 + 1 + 20 <= 255) {
        snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%ld", path, (long)getpid());
        fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            goto fail;
    }
    if (fd < 0)
        fd = open_short_temp(path, dir_len, af->tmp, sizeof af->tmp);
fail:
    if (fd < 0 || !(af->f = fdopen(fd, "wb"))) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            unlink(af->tmp);
        }
        af->tmp[0] = 0;
        return yolo_diag_set(d, YOLO_ERR_IO, "%s: cannot create: %s", path, strerror(e));
    }
    return 0;
}

void yolo_atomic_abort(struct yolo_atomic_file *af)
{
    if (af->f) {
        fclose(af->f);
        af->f = NULL;
    }
    if (af->tmp[0])
        unlink(af->tmp);
    af->tmp[0] = 0;
}

int yolo_atomic_commit(struct yolo_atomic_file *af, struct yolo_diag *d)
{
    int err = 0;
    if (fflush(af->f) != 0 || ferror(af->f))
        err = errno ? errno : EIO;
    if (!err && fsync(fileno(af->f)) != 0 && errno != EINVAL)
        err = errno;
    if (fclose(af->f) != 0 && !err)
        err = errno ? errno : EIO;
    af->f = NULL;
    if (!err && rename(af->tmp, af->path) != 0)
        err = errno;
    if (err) {
        unlink(af->tmp);
        af->tmp[0] = 0;
        return yolo_diag_set(d, YOLO_ERR_IO, "%s: write failed: %s", af->path, strerror(err));
    }
    af->tmp[0] = 0;
    return 0;
}

int yolo_write_file_atomic(const char *path, const void *buf, size_t len, struct yolo_diag *d)
{
    struct yolo_atomic_file af;
    int rc = yolo_atomic_open(&af, path, d);
    if (rc)
        return rc;
    if (len && fwrite(buf, 1, len, af.f) != len) {
        int e = errno;
        yolo_atomic_abort(&af);
        return yolo_diag_set(d, YOLO_ERR_IO, "%s: write failed: %s", path, strerror(e ? e : EIO));
    }
    return yolo_atomic_commit(&af, d);
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int yolo_publish_file(const char *path, const void *buf, size_t len, struct yolo_diag *d)
{
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path + 1) : 0;
    char dir[4096], tmp[4096 + 32];
    if (strlen(path) >= sizeof dir)
        return yolo_diag_set(d, YOLO_ERR_ARG, "%.100s...: path too long", path);
    snprintf(dir, sizeof dir, "%.*s", dir_len ? dir_len : 1, dir_len ? path : ".");
    /* An unnamed file in the destination folder, given its name only once it is whole: a
     * run killed at any moment leaves no temp file. linkat refuses to replace a name, so an
     * existing file is replaced through a short-lived temp name and rename. */
    int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
        return yolo_diag_set(d, YOLO_ERR_IO, "%s: cannot create file: %s", path, strerror(errno));
    if (fd >= 0) {
        char self[64];
        snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
        if (write_all(fd, buf, len) != 0) {
            int e = errno;
            close(fd);
            return yolo_diag_set(d, YOLO_ERR_IO, "%s: write failed: %s", path, strerror(e));
        }
        int linked = linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0;
        uint64_t r = temp_seed(tmp);
        for (int attempt = 0; !linked && errno == EEXIST && attempt < 100; attempt++) {
            short_temp_name(path, dir_len, &r, tmp, sizeof tmp);
            if (linkat(AT_FDCWD, self, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) != 0)
                continue;
            if (rename(tmp, path) != 0) {
                int e = errno;
                unlink(tmp);
                close(fd);
                return yolo_diag_set(d, YOLO_ERR_IO, "%s: cannot rename the temporary file into place: %s",
                                     path, strerror(e));
            }
            linked = 1;
        }
        int e = errno;
        close(fd);
        if (linked)
            return 0;
        if (e != ENOENT && e != EXDEV && e != EPERM)    /* not "no /proc": a real failure */
            return yolo_diag_set(d, YOLO_ERR_IO, "%s: cannot create file: %s", path, strerror(e));
    }
    /* no O_TMPFILE here (NFS, older kernels) or no /proc: a named temp file, then rename */
    fd = open_short_temp(path, dir_len, tmp, sizeof tmp);
    if (fd < 0)
        return yolo_diag_set(d, YOLO_ERR_IO, "%s: cannot create file: %s", path, strerror(errno));
    if (write_all(fd, buf, len) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return yolo_diag_set(d, YOLO_ERR_IO, "%s: write failed: %s", path, strerror(e));
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return yolo_diag_set(d, YOLO_ERR_IO, "%s: cannot rename the temporary file into place: %s", path,
                             strerror(e));
    }
    return 0;
}

int yolo_make_dirs(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int yolo_make_parent_dirs(const char *file_path)
{
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s", file_path) >= (int)sizeof dir) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = 0;
    return yolo_make_dirs(dir);
}
