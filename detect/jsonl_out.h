/* jsonl_out.h: a JSON Lines output file that never holds a torn line, in one of two modes:
 *
 * - append: the lines are appended to the file (created if missing) with write(2), whole
 *   lines per write, whenever the caller flushes (the image pipeline does when it is about to
 *   wait): a killed run keeps every line flushed, and a failed write cuts the file back to its
 *   last whole line and counts the lines after it as lost.
 * - whole: the lines go to a temp sibling that is renamed over the file on commit (a killed
 *   or failed run leaves the previous file, or none).
 *
 * Lines are given whole (newline included) and are copied. One thread at a time. */
#ifndef YOLO_JSONL_OUT_H
#define YOLO_JSONL_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fileio.h"

struct jsonl_out {
    int append;
    /* append mode */
    int fd;                       /* -1: not open */
    char *pending;                /* whole lines not written yet */
    size_t len, cap;
    int64_t n_pending;
    off_t size;                   /* bytes in the file, all of them whole lines */
    int created;                  /* missing or empty before: removed at close if still empty */
    int dead;                     /* a write failed: later lines are lost */
    /* whole mode */
    struct yolo_atomic_file af;
    int af_open;
    char path[4096];
};

/* Opens path in either mode. 0, or an error in d (the file is then closed). */
int  jsonl_out_open(struct jsonl_out *j, const char *path, int append, struct yolo_diag *d);
/* Adds one line. Returns the number of lines lost (0, or 1 when the line cannot be kept: no
 * memory, or an earlier write failed), with d filled when this call found a failure: a flush
 * forced by memory may lose the lines pending too, and counts them. */
int64_t jsonl_out_add(struct jsonl_out *j, const char *line, size_t len, struct yolo_diag *d);
/* Append mode: writes the pending lines now. Returns the lines lost (d filled), else 0. */
int64_t jsonl_out_flush(struct jsonl_out *j, struct yolo_diag *d);
/* Flushes (append: and fsyncs) or commits (whole), then closes. Returns the outputs lost,
 * d filled: the lines a last flush lost, or 1 when the fsync or the commit failed. */
int64_t jsonl_out_close(struct jsonl_out *j, struct yolo_diag *d);
/* Closes without committing (whole: the temp file is removed; append: what was flushed stays). */
void jsonl_out_abort(struct jsonl_out *j);

#endif
