/* stderr_filter.h: keeps the image libraries' own stderr lines out of `yolo detect` and
 * `yolo val`.
 *
 * libpng, libjpeg and OpenCV print to stderr when they meet a corrupt file ("libpng error:
 * IDAT: incorrect data check", "Corrupt JPEG data: ...", "[ WARN:0@0.1] global ..."), without
 * the file's name, and OpenCV gives no way to route their handlers. The decoder already
 * reports each bad file in one line naming it, so while a command runs, file descriptor 2
 * is a pipe read by a thread that passes on the lines the CLI writes (they start with
 * "yolo ") and drops the others, or passes them all on when `verbose`. */
#ifndef YOLO_CLI_STDERR_FILTER_H
#define YOLO_CLI_STDERR_FILTER_H

#include <pthread.h>

struct stderr_filter {
    int saved_fd;         /* the real stderr; -1 when the filter is not running */
    int read_fd;
    int verbose;
    pthread_t thread;
};

/* Starts filtering (a no-op, with f->saved_fd = -1, if the pipe or thread cannot be made). */
void stderr_filter_begin(struct stderr_filter *f, int verbose);
/* Flushes stderr, restores descriptor 2, waits until every line has been passed on. */
void stderr_filter_end(struct stderr_filter *f);

#endif
