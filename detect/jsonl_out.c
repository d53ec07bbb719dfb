/* jsonl_out.c: see jsonl_out.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonl_out.h"

/* Pending lines are written once they pass this much, whatever the caller's flushes. */
#define FLUSH_BYTES (1u << 20)

int jsonl_out_open(struct jsonl_out *j, const char *path, int append, struct yolo_diag *d)
{
    memset(j, 0, sizeof *j);
    j->fd = -1;
    j->append = append;
    snprintf(j->path, sizeof j->path, "%s", path);
    if (!append) {
        int rc = yolo_atomic_open(&j->af, path, d);
        j->af_open = rc == 0;
        return rc;
    }
    struct stat st;
    j->created = stat(path, &st) != 0 || st.st_size == 0;
    /* O_NONBLOCK: a FIFO given as the file must not hang the run (it is refused below) */
    j->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC, 0666);
    if (j->fd < 0 || fstat(j->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int rc = yolo_diag_set(d, YOLO_ERR_IO, "%s: cannot open for appending: %s", path,
                               j->fd < 0 ? strerror(errno) : "not a regular file");
        if (j->fd >= 0)
            close(j->fd);
        j->fd = -1;
        return rc;
    }
    j->size = st.st_size;
    return 0;
}

/* Appends to the pending buffer; -1 when out of memory. */
static int pending_put(struct jsonl_out *j, const char *line, size_t len)
{
    if (j->len + len > j->cap) {
        size_t nc = j->cap ? j->cap : 4096;
        while (nc < j->len + len)
            nc *= 2;
        char *q = realloc(j->pending, nc);
        if (!q)
            return -1;
        j->pending = q;
        j->cap = nc;
    }
    memcpy(j->pending + j->len, line, len);
    j->len += len;
    j->n_pending++;
    return 0;
}

int64_t jsonl_out_flush(struct jsonl_out *j, struct yolo_diag *d)
{
    if (!j->append || j->fd < 0 || j->len == 0)
        return 0;
    size_t off = 0, len = j->len;
    int err = 0;
    while (off < len) {
        ssize_t w = write(j->fd, j->pending + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            err = w < 0 ? errno : EIO;
            break;
        }
        off += (size_t)w;
    }
    int64_t lost = 0;
    if (err) {
        /* cut the file back to its last whole line: a reader (--resume) never meets a torn
         * line it could take for data */
        size_t whole = off;
        while (whole > 0 && j->pending[whole - 1] != '\n')
            whole--;
        int64_t kept = 0;
        for (size_t i = 0; i < whole; i++)
            kept += j->pending[i] == '\n';
        if (whole < off && ftruncate(j->fd, j->size + (off_t)whole) != 0)
            j->size += (off_t)off;            /* could not cut it: the size says so */
        else
            j->size += (off_t)whole;
        lost = j->n_pending - kept;
        j->dead = 1;
        yolo_diag_set(d, YOLO_ERR_IO, "%s: write failed: %s; this image's line and those after it are "
                      "not in the file (the %lld bytes before are kept)", j->path, strerror(err),
                      (long long)j->size);
    } else {
        j->size += (off_t)len;
    }
    j->len = 0;
    j->n_pending = 0;
    return lost;
}

int64_t jsonl_out_add(struct jsonl_out *j, const char *line, size_t len, struct yolo_diag *d)
{
    if (!j->append) {
        if (!j->af_open)
            return 1;
        fwrite(line, 1, len, j->af.f);   /* errors are caught by the commit */
        return 0;
    }
    if (j->fd < 0 || j->dead)
        return 1;
    if (pending_put(j, line, len) == 0)
        return j->len > FLUSH_BYTES ? jsonl_out_flush(j, d) : 0;
    /* no memory for more: write what is pending, then try again */
    int64_t lost = jsonl_out_flush(j, d);
    if (j->dead || pending_put(j, line, len) != 0)
        return lost + 1;
    return lost;
}

int64_t jsonl_out_close(struct jsonl_out *j, struct yolo_diag *d)
{
    int64_t lost = 0;
    if (j->append && j->fd >= 0) {
        lost = jsonl_out_flush(j, d);
        if (!j->dead && fsync(j->fd) != 0 && errno != EINVAL) {
            yolo_diag_set(d, YOLO_ERR_IO, "%s: write failed: %s", j->path, strerror(errno));
            lost = 1;
        }
    } else if (!j->append && j->af_open) {
        j->af_open = 0;
        if (yolo_atomic_commit(&j->af, d))
            lost = 1;
    }
    jsonl_out_abort(j);
    return lost;
}

void jsonl_out_abort(struct jsonl_out *j)
{
    if (j->af_open) {
        j->af_open = 0;
        yolo_atomic_abort(&j->af);
    }
    if (j->fd >= 0) {
        close(j->fd);
        j->fd = -1;
        if (j->created && j->size == 0)
            unlink(j->path);   /* nothing written: no empty file left behind */
    }
    free(j->pending);
    j->pending = NULL;
    j->len = j->cap = 0;
}
