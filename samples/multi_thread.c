/* multi_thread.c: one model, N threads, each with its own context, each detecting objects in
 * its own list of images. A context is used by one thread at a time; yolo_ctx_clone makes
 * another on the same model (the weights are shared, only the activation memory is new), so
 * N threads cost N arenas and never N copies of the model. No locks are needed.
 *
 *   build/samples/multi_thread yolov8n.engine 4 img1.jpg img2.jpg ...   (image i -> thread i % 4)
 *
 * Prints one line per image: "img1.jpg: 3 objects: person 0.91, bus 0.87, person 0.52". */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "yolo.h"

struct job {
    struct yolo_ctx *ctx;      /* this thread's own context */
    char **paths;
    int n_paths, first, step;  /* images first, first + step, ... */
    int failed;
};

static void *work(void *arg)
{
    struct job *j = arg;
    for (int i = j->first; i < j->n_paths; i += j->step) {
        struct yolo_image img;
        struct yolo_result res;
        struct yolo_diag d;
        if (yolo_image_read(j->paths[i], &img, &d) || yolo_detect(j->ctx, &img, &res, &d)) {
            fprintf(stderr, "multi_thread: %s\n", d.msg);
            j->failed++;
            yolo_image_free(&img);
            continue;
        }
        char line[4096];
        int len = snprintf(line, sizeof line, "%s: %d objects", j->paths[i], res.n_dets);
        for (int k = 0; k < res.n_dets && len < (int)sizeof line; k++)
            len += snprintf(line + len, sizeof line - (size_t)len, "%s %s %.2f", k ? "," : ":",
                            res.dets[k].name, res.dets[k].conf);
        printf("%s\n", line);  /* one call per line: stdio locks the stream, lines stay whole */
        yolo_image_free(&img);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 4 || atoi(argv[2]) < 1 || atoi(argv[2]) > 64) {
        fprintf(stderr, "usage: %s ENGINE THREADS(1-64) IMAGE...\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[2]), rc = 1, started = 0;
    struct yolo_diag d;
    struct yolo_model *model = NULL;
    struct yolo_ctx *ctx[64] = { 0 };
    pthread_t th[64];
    struct job jobs[64];
    if (yolo_model_load(argv[1], NULL, &model, &d) || yolo_ctx_create(model, NULL, &ctx[0], &d)) {
        fprintf(stderr, "multi_thread: %s\n", d.msg);
        goto out;
    }
    for (int t = 1; t < n; t++)
        if (yolo_ctx_clone(ctx[0], &ctx[t], &d)) {
            fprintf(stderr, "multi_thread: %s\n", d.msg);
            goto out;
        }
    for (; started < n; started++) {
        jobs[started] = (struct job){ ctx[started], argv + 3, argc - 3, started, n, 0 };
        if (pthread_create(&th[started], NULL, work, &jobs[started]) != 0) {
            fprintf(stderr, "multi_thread: cannot start thread %d\n", started);
            break;
        }
    }
    int failed = started < n;
    for (int t = 0; t < started; t++) {
        pthread_join(th[t], NULL);
        failed += jobs[t].failed;
    }
    rc = failed ? 1 : 0;
out:
    for (int t = 0; t < n; t++)
        yolo_ctx_free(ctx[t]);
    yolo_model_free(model);
    return rc;
}
