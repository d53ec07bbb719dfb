/* stderr_filter.c: see stderr_filter.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "stderr_filter.h"

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* Passes on, as they come, the lines that start with "yolo " or "\r" (a progress bar) and,
 * when verbose, every line; drops the others up to their newline. */
static void *filter_main(void *arg)
{
    struct stderr_filter *f = arg;
    char in[4096], out[4096 + 8], head[5];
    size_t n_head = 0;
    int keep = -1;                          /* the current line: -1 undecided, 0 drop, 1 pass */
    for (;;) {
        ssize_t r = read(f->read_fd, in, sizeof in);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        size_t n_out = 0;
        for (ssize_t i = 0; i < r; i++) {
            char c = in[i];
            if (keep < 0) {
                head[n_head++] = c;
                if (n_head == 1 && c == '\r')
                    keep = 1;
                else if (c == '\n')
                    keep = f->verbose;
                else if (n_head == sizeof head)
                    keep = f->verbose || memcmp(head, "yolo ", sizeof head) == 0;
                if (keep > 0) {
                    memcpy(out + n_out, head, n_head);
                    n_out += n_head;
                }
            } else if (keep > 0) {
                out[n_out++] = c;
            }
            if (c == '\n') {
                keep = -1;
                n_head = 0;
            }
            if (n_out >= sizeof in) {
                write_all(f->saved_fd, out, n_out);
                n_out = 0;
            }
        }
        write_all(f->saved_fd, out, n_out);
    }
    if (keep < 0 && n_head > 0 && f->verbose)
        write_all(f->saved_fd, head, n_head);
    return NULL;
}

void stderr_filter_begin(struct stderr_filter *f, int verbose)
{
    f->saved_fd = -1;
    f->read_fd = -1;
    f->verbose = verbose;
    int fds[2];
    fflush(stderr);
    int saved = dup(2);
    if (saved < 0)
        return;
    if (pipe(fds) != 0) {
        close(saved);
        return;
    }
    if (dup2(fds[1], 2) < 0) {
        close(fds[0]);
        close(fds[1]);
        close(saved);
        return;
    }
    close(fds[1]);
    f->saved_fd = saved;
    f->read_fd = fds[0];
    if (pthread_create(&f->thread, NULL, filter_main, f) != 0) {
        dup2(saved, 2);
        close(fds[0]);
        close(saved);
        f->saved_fd = f->read_fd = -1;
    }
}

void stderr_filter_end(struct stderr_filter *f)
{
    if (f->saved_fd < 0)
        return;
    fflush(stderr);
    dup2(f->saved_fd, 2);                    /* closes the pipe's last write end: EOF */
    pthread_join(f->thread, NULL);
    close(f->read_fd);
    close(f->saved_fd);
    f->saved_fd = f->read_fd = -1;
}
