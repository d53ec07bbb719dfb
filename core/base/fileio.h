/* fileio.h: whole-file reads and crash-safe writes (temp name in the same directory, fsync,
 * rename), so an interrupted or failed write never leaves a half-written file under the
 * final name and never destroys the previous one. */
#ifndef YOLO_FILEIO_H
#define YOLO_FILEIO_H

#include <stddef.h>
#include <stdio.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads all of path (at most max_bytes) into a malloc'd buffer (+1 NUL byte not counted). */
int yolo_read_file(const char *path, uint64_t max_bytes, uint8_t **buf, size_t *len,
                   struct yolo_diag *d);

/* An output file being written: fopen a temp sibling, write, then commit or abort. */
struct yolo_atomic_file {
    FILE *f;
    char  path[4096];
    char  tmp[4096 + 32];
};
int  yolo_atomic_open(struct yolo_atomic_file *af, const char *path, struct yolo_diag *d);
/* Flushes, fsyncs, closes and renames over path. On any failure removes the temp file. */
int  yolo_atomic_commit(struct yolo_atomic_file *af, struct yolo_diag *d);
void yolo_atomic_abort(struct yolo_atomic_file *af);     /* closes and removes the temp file */
int  yolo_write_file_atomic(const char *path, const void *buf, size_t len, struct yolo_diag *d);
/* Writes buf to path whole or not at all, without fsync (outputs a run can make again:
 * annotated images). Where the file system has O_TMPFILE, the bytes go to an unnamed file
 * that gets its name at the end, so a kill at any moment leaves no temp file behind. */
int  yolo_publish_file(const char *path, const void *buf, size_t len, struct yolo_diag *d);

/* mkdir -p path. 0, or -1 with errno set. */
int  yolo_make_dirs(const char *path);
/* mkdir -p of the folder file_path is in (nothing if it has no '/'). 0, or -1 with errno. */
int  yolo_make_parent_dirs(const char *file_path);

#ifdef __cplusplus
}
#endif

#endif
